//! `graph!`: gradient checks on graphs covering every op (fan-out of values and of
//! inputs, shared weights, several inputs, several losses), f32 against f64, and the
//! same network written with `mlp!` and with `graph!`.

use backprop::init::SplitMix64;
use backprop::optim::Sgd;
use backprop::{Network, graph, mlp};

/// Central differences of the total loss against `backward`, parameter by parameter,
/// in f64; and the f32 network's `backward` against the f64 one's on the same
/// (f32-rounded) parameters.
macro_rules! graph_check {
    ($($test:ident: [$($spec:tt)*]
        inputs { $($input:ident: $iw:literal),* }
        outputs { $($output:ident: $ow:literal $(as $dist:ident)?),* },)*) => {$(
        #[test]
        fn $test() {
            mod f64_net { backprop::graph!(pub Net< $($spec)* scalar f64; >); }
            mod f32_net { backprop::graph!(pub Net< $($spec)* >); }
            use f64_net::{Net as N64, NetInput as I64, NetOutput as O64};
            use f32_net::{Net as N32, NetInput as I32, NetOutput as O32};
            let mut rng = SplitMix64::new(7);
            for seed in 0..4 {
                let net32 = N32::new(seed);
                let params64: [f64; N64::PARAMS] = net32.params().map(f64::from);
                let mut net64 = N64::from_params(params64);
                let mut sample = || {
                    let x = I64 { $($input: core::array::from_fn::<f64, $iw, _>(|_| rng.uniform(1.0)),)* };
                    #[allow(unused_mut)]
                    let mut t = O64 { $($output: core::array::from_fn::<f64, $ow, _>(|_| 0.05 + 0.9 * rng.next_f64()),)* };
                    $($(
                        // A softmax's target is a distribution.
                        let _: &str = stringify!($dist);
                        let total: f64 = t.$output.iter().sum();
                        t.$output.iter_mut().for_each(|v| *v /= total);
                    )?)*
                    (x, t)
                };
                let (x, t) = sample();
                // The block pass over three samples is the sum of the three passes.
                let block = [sample(), sample(), (x, t)];
                let mut block_grads = [0.0; N64::PARAMS];
                let mut sample_grads = [0.0; N64::PARAMS];
                let mut sink = backprop::kernel::Accumulate::new(net64.params(), &mut block_grads);
                let block_loss = N64::backward_block_into(&mut sink, block.each_ref().map(|s| &s.0), block.each_ref().map(|s| &s.1));
                let mut sample_loss = 0.0;
                for (bx, bt) in &block {
                    sample_loss += net64.backward(bx, bt, &mut sample_grads).total;
                }
                assert!((block_loss - sample_loss).abs() <= 1e-12 * sample_loss.abs().max(1.0), "{}: block loss {block_loss} vs {sample_loss}", stringify!($test));
                for (b, g) in block_grads.iter().zip(&sample_grads) {
                    assert!((b - g).abs() <= 1e-12 * g.abs().max(1.0), "{}: block gradient {b} vs {g}", stringify!($test));
                }
                let outputs = net64.forward_block(block.each_ref().map(|s| &s.0));
                for (out, (bx, _)) in outputs.iter().zip(&block) {
                    let one = net64.forward(bx);
                    $(for (a, b) in out.$output.iter().zip(&one.$output) {
                        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{}: block output {a} vs {b}", stringify!($test));
                    })*
                }
                let mut grads = [0.0; N64::PARAMS];
                let losses = net64.backward(&x, &t, &mut grads);
                assert!((losses.total - net64.loss(&x, &t).total).abs() < 1e-12);
                for i in 0..N64::PARAMS {
                    let h = 1e-6 * net64.params()[i].abs().max(1.0);
                    let keep = net64.params()[i];
                    net64.params_mut()[i] = keep + h;
                    let up = net64.loss(&x, &t).total;
                    net64.params_mut()[i] = keep - h;
                    let down = net64.loss(&x, &t).total;
                    net64.params_mut()[i] = keep;
                    let numeric = (up - down) / (2.0 * h);
                    let error = (grads[i] - numeric).abs() / grads[i].abs().max(numeric.abs()).max(1e-3);
                    assert!(error < 1e-6, "{} seed {seed} param {i}: {} vs {numeric}", stringify!($test), grads[i]);
                }
                let x32 = I32 { $($input: x.$input.map(|v| v as f32),)* };
                let t32 = O32 { $($output: t.$output.map(|v| v as f32),)* };
                let mut grads32 = [0.0f32; N32::PARAMS];
                net32.backward(&x32, &t32, &mut grads32);
                for (g32, g64) in grads32.iter().zip(&grads) {
                    let error = (f64::from(*g32) - g64).abs() / g64.abs().max(1e-3);
                    assert!(error < 1e-4, "{}: f32 {g32} vs f64 {g64}", stringify!($test));
                }
            }
        }
    )*};
}

graph_check! {
    // As the issue writes it: calls nest.
    actor_critic_with_nested_calls: [
        input obs[8];
        h   = dense(obs, 64) |> tanh;
        h2  = dense(h, 64) |> tanh;
        r   = add(h, h2);
        pi  = dense(r, 4) |> softmax;
        v   = dense(concat(r, obs), 1);
        loss cross_entropy(pi) + 0.5 * mse(v);
    ] inputs { obs: 8 } outputs { pi: 4 as softmax, v: 1 },

    nested_pipes_and_calls: [
        input x[3];
        h = dense(x, 4) |> tanh;
        y = dense(add(h, dense(h, 4) |> sigmoid), 2);
        loss mse(y);
    ] inputs { x: 3 } outputs { y: 2 },

    actor_critic: [
        input obs[5];
        h  = dense(obs, 6) |> tanh;
        h2 = dense(h, 6) |> tanh;
        r  = add(h, h2);
        pi = dense(r, 3) |> softmax;
        ro = concat(r, obs);
        v  = dense(ro, 1);
        loss cross_entropy(pi) + 0.5 * mse(v);
    ] inputs { obs: 5 } outputs { pi: 3 as softmax, v: 1 },

    residual_block: [
        input x[4];
        h = dense(x, 4) |> gelu;
        f = dense(h, 4) |> silu;
        r = add(h, f);
        y = dense(r, 2);
        loss mse(y);
    ] inputs { x: 4 } outputs { y: 2 },

    sub_mul_scale: [
        input x[3];
        a = dense(x, 4) |> tanh;
        b = dense(x, 4) |> sigmoid;
        d = sub(a, b);
        m = mul(a, d);
        s = scale(m, -1.5);
        y = dense(s, 2);
        loss half_sse(y);
    ] inputs { x: 3 } outputs { y: 2 },

    slices: [
        input x[3];
        h = dense(x, 6) |> softplus;
        left = slice(h, 0..3);
        right = slice(h, 3..6);
        y = add(left, right) |> elu;
        loss mse(y);
    ] inputs { x: 3 } outputs { y: 3 },

    two_inputs: [
        input a[3];
        input b[2];
        c = concat(a, b);
        y = dense(c, 2) |> sigmoid;
        loss bce(y);
    ] inputs { a: 3, b: 2 } outputs { y: 2 },

    shared_weights: [
        input a[4];
        input b[4];
        ea = dense(a, 3) |> tanh;
        eb = dense(b, 3, shared = ea) |> tanh;
        d = sub(ea, eb);
        y = dense(d, 1) |> sigmoid;
        loss bce(y);
    ] inputs { a: 4, b: 4 } outputs { y: 1 },

    shortcuts: [
        input x[3];
        h1 = dense(x, 4) |> tanh;
        x_h1 = concat(x, h1);
        h2 = dense(x_h1, 4) |> tanh;
        all = concat(x, h1, h2);
        y = dense(all, 2);
        loss mse(y);
    ] inputs { x: 3 } outputs { y: 2 },

    two_losses_on_one_value: [
        input x[3];
        h = dense(x, 5) |> tanh;
        y = dense(h, 2);
        loss mse(y) + 0.25 * huber(y, 2.0);
    ] inputs { x: 3 } outputs { y: 2 },

    input_fan_out_and_activation_ops: [
        input x[3];
        t = tanh(x);
        u = dense(x, 3);
        w2 = mul(t, x);
        s = add(u, w2) |> leaky_relu(0.2) |> sigmoid;
        y = dense(s, 2) |> softmax;
        loss mse(y);
    ] inputs { x: 3 } outputs { y: 2 },

    renamed_value: [
        input x[3];
        h = dense(x, 4) |> softsign;
        same = h;
        y = dense(same, 2) |> tanh;
        loss mse(y) + mse(same);
    ] inputs { x: 3 } outputs { y: 2, same: 4 },

    two_heads_two_softmaxes: [
        input x[4];
        h = dense(x, 5) |> gelu_tanh;
        p = dense(h, 3) |> softmax;
        q = dense(h, 2) |> softmax;
        loss cross_entropy(p) + 2.0 * cross_entropy(q);
    ] inputs { x: 4 } outputs { p: 3 as softmax, q: 2 as softmax },
}

/// `stop_gradient` makes its value a constant for the backward pass: the gradient equals
/// that of the same graph with the stopped value fed in as an input (which finite
/// differences cannot see, so the check goes through that second graph).
#[test]
fn stop_gradient_treats_its_value_as_a_constant() {
    graph!(Stopped< input x[3]; h = dense(x, 4) |> tanh; frozen = stop_gradient(h);
                    g = dense(frozen, 4); y = add(g, h) |> softsign; loss mse(y); scalar f64; >);
    graph!(Fed< input x[3]; input frozen[4]; h = dense(x, 4) |> tanh;
                g = dense(frozen, 4); y = add(g, h) |> softsign; loss mse(y); scalar f64; >);
    graph!(Trunk< input x[3]; h = dense(x, 4) |> tanh; loss mse(h); scalar f64; >);
    let stopped = Stopped::new(4);
    let fed = Fed::from_params(*stopped.params());
    let mut trunk_params = [0.0; Trunk::PARAMS];
    trunk_params.copy_from_slice(&stopped.params()[..Trunk::PARAMS]);
    let trunk = Trunk::from_params(trunk_params);
    let x = [0.4, -0.3, 0.9];
    let h = trunk.forward(&TrunkInput { x }).h;
    let target = [0.1, 0.2, 0.3, 0.4];
    let (mut a, mut b) = ([0.0; Stopped::PARAMS], [0.0; Fed::PARAMS]);
    let la = stopped.backward(&StoppedInput { x }, &StoppedOutput { y: target }, &mut a);
    let lb = fed.backward(&FedInput { x, frozen: h }, &FedOutput { y: target }, &mut b);
    assert_eq!(la.total, lb.total);
    assert_eq!(a, b);
}

mlp!(Chain<3 => tanh 4 => softmax 2; loss cross_entropy; codegen kernels>);
// Both written with kernels, so that even with FMA (where written-out sums round
// otherwise) they compute alike.
graph!(Graph< input x[3]; h = dense(x, 4) |> tanh; y = dense(h, 2) |> softmax; loss cross_entropy(y); codegen kernels; >);

#[test]
fn mlp_and_graph_are_the_same_network() {
    assert_eq!(Chain::LAYERS, Graph::LAYERS);
    let chain = Chain::new(9);
    let graph = Graph::new(9);
    assert_eq!(chain.params(), graph.params());
    let x = [0.3f32, -0.7, 0.2];
    let t = [0.25f32, 0.75];
    let input = GraphInput { x };
    let target = GraphOutput { y: t };
    assert_eq!(chain.forward(&x), graph.forward(&input).y);
    let (mut a, mut b) = ([0.0; Chain::PARAMS], [0.0; Graph::PARAMS]);
    let loss = chain.backward(&x, &t, &mut a);
    let losses = graph.backward(&input, &target, &mut b);
    assert_eq!(loss, losses.total);
    assert_eq!(loss, losses.y);
    assert_eq!(a, b);
}

#[test]
fn training_a_graph_lowers_its_loss() {
    graph!(Heads< input x[2]; h = dense(x, 8) |> tanh; p = dense(h, 2) |> softmax;
                  v = dense(h, 1); loss cross_entropy(p) + 0.5 * mse(v); >);
    let mut net = Heads::new(3);
    let mut opt = Sgd::new(0.2);
    let data = [
        ([0.0f32, 1.0], [1.0f32, 0.0], [0.5f32]),
        ([1.0, 0.0], [0.0, 1.0], [-0.5]),
    ];
    let total = |net: &Heads| -> f32 {
        data.iter()
            .map(|(x, p, v)| {
                net.loss(&HeadsInput { x: *x }, &HeadsOutput { p: *p, v: *v })
                    .total
            })
            .sum()
    };
    let before = total(&net);
    for _ in 0..200 {
        for (x, p, v) in &data {
            net.train_step(
                &HeadsInput { x: *x },
                &HeadsOutput { p: *p, v: *v },
                &mut opt,
            );
        }
    }
    assert!(total(&net) < 0.1 * before, "{} vs {before}", total(&net));
}

// A residual MLP: one input, one loss term, so it is a `Network` too.
graph!(Residual<
    input x[3];
    h = dense(x, 6) |> tanh;
    g = dense(h, 6) |> tanh;
    r = add(h, g);
    y = dense(r, 2);
    loss 0.5 * mse(y);
    scalar f64;
>);

#[test]
fn graph_budgets_count_every_dense_use() {
    // Inference: 2·(3·6 + 6·6 + 6·2); training adds the weight gradients, the input
    // gradients of the second and third dense ops (the first one's input is `x`), and
    // 2 per parameter.
    assert_eq!(Residual::FLOPS_INFERENCE, 2 * (18 + 36 + 12));
    assert_eq!(
        Residual::FLOPS_TRAIN,
        2 * (18 + 36 + 12) * 2 + 2 * (36 + 12) + 2 * Residual::PARAMS as u64
    );
    // A shared layer is computed (and differentiated) once per use.
    graph!(Siamese< input a[4]; input b[4]; ea = dense(a, 3) |> tanh;
        eb = dense(b, 3, shared = ea) |> tanh; y = dense(sub(ea, eb), 1); loss mse(y); >);
    assert_eq!(Siamese::PARAMS, 4 * 3 + 3 + 3 + 1);
    assert_eq!(Siamese::FLOPS_INFERENCE, 2 * (12 + 12 + 3));
    // It sums its gradient in an array in `train_step`, which the bound counts.
    const _: () = assert!(Siamese::TRAIN_STACK_BYTES > 3 * Siamese::PARAM_BYTES);
}

#[test]
fn a_graph_with_one_input_and_one_loss_is_a_network() {
    fn as_network<N: Network>(net: &N, x: &N::Input, t: &N::Output) -> (N::Output, N::Scalar) {
        let report = backprop::gradcheck(net, x, t);
        assert!(report.max_error < 1e-6, "{report}");
        (net.forward(x), net.loss(x, t))
    }
    assert_eq!(<Residual as Network>::INPUTS, 3);
    assert_eq!(<Residual as Network>::OUTPUTS, 2);
    let net = Residual::new(5);
    let (x, t) = ([0.2, -0.4, 0.9], [0.3, -0.1]);
    let (y, loss) = as_network(&net, &x, &t);
    assert_eq!(y, net.forward(&ResidualInput { x }).y);
    let losses = net.loss(&ResidualInput { x }, &ResidualOutput { y: t });
    assert_eq!(loss, losses.total);
    assert_eq!(loss, 0.5 * losses.y);
    // The trace's layers: each dense value, and the activation after it.
    let trace = <Residual as Network>::forward_trace(&net, &x);
    use backprop::Trace;
    assert_eq!(<ResidualTrace as Trace<f64>>::LAYERS, 3);
    assert_eq!(trace.pre_activation(1), Some(&trace.h_0[..]));
    assert_eq!(trace.activation(1), Some(&trace.h[..]));
    assert_eq!(trace.activation(3), Some(&trace.y[..]));
    assert_eq!(trace.activation(4), None);
}

#[test]
fn a_graph_network_trains_in_batches_like_one_sample_at_a_time() {
    let mut rng = SplitMix64::new(11);
    let batch: Vec<([f64; 3], [f64; 2])> = (0..40)
        .map(|_| {
            let x = [rng.uniform(1.0), rng.uniform(1.0), rng.uniform(1.0)];
            (x, [x[0] * x[1], x[2] - x[0]])
        })
        .collect();
    let mut batched = Residual::new(1);
    let mut single = Residual::new(1);
    let (mut opt_a, mut opt_b) = (Sgd::new(0.1), Sgd::new(0.1));
    let before = batched.train_batch(&batch, &mut opt_a);
    // The mean gradient, summed one sample at a time.
    let mut grads = [0.0; Residual::PARAMS];
    let mut total = 0.0;
    for (x, t) in &batch {
        total += single
            .backward(
                &ResidualInput { x: *x },
                &ResidualOutput { y: *t },
                &mut grads,
            )
            .total;
    }
    grads.iter_mut().for_each(|g| *g /= batch.len() as f64);
    backprop::Optimizer::step(&mut opt_b, single.params_mut(), &grads);
    assert!((before - total / batch.len() as f64).abs() < 1e-12);
    for (a, b) in batched.params().iter().zip(single.params()) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
    for _ in 0..300 {
        batched.train_batch(&batch, &mut opt_a);
    }
    let after = batch
        .iter()
        .map(|(x, t)| Network::loss(&batched, x, t))
        .sum::<f64>();
    assert!(
        after < 0.5 * before * batch.len() as f64,
        "{after} vs {before}"
    );
}

#[test]
fn networks_carry_their_graph_as_dot() {
    assert!(Chain::DOT.starts_with("digraph {"));
    assert!(
        Chain::DOT.contains("label = \"z1 = W1·x + b1 [4]\""),
        "{}",
        Chain::DOT
    );
    assert!(Chain::DOT.contains("label = \"loss = cross_entropy(a2)\""));
    assert!(
        Graph::DOT.contains("label = \"h = tanh(h_0) [4]\""),
        "{}",
        Graph::DOT
    );
    assert!(Graph::DOT.contains("label = \"loss = cross_entropy(y)\""));
    // One edge into every node but the input: x, z1, a1, z2, a2 and the loss.
    assert_eq!(Chain::DOT.matches(" -> ").count(), 5);
    assert_eq!(Graph::DOT.matches(" -> ").count(), 5);
}

// `mlp!` is sugar for this graph: the chain with the names `mlp!` gives its values.
graph!(Desugared<
    input x[3];
    z1 = dense(x, 4);
    a1 = tanh(z1);
    z2 = dense(a1, 2);
    a2 = softmax(z2);
    loss cross_entropy(a2);
    codegen kernels;
>);

#[test]
fn an_mlp_is_the_graph_it_desugars_to() {
    // Both macros lower to one DAG, node for node, which both draw the same way and
    // count the same way.
    assert_eq!(Chain::DOT, Desugared::DOT);
    assert_eq!(Chain::FLOPS_INFERENCE, Desugared::FLOPS_INFERENCE);
    assert_eq!(Chain::FLOPS_TRAIN, Desugared::FLOPS_TRAIN);
    assert_eq!(Chain::TRAIN_STACK_BYTES, Desugared::TRAIN_STACK_BYTES);
    assert_eq!(Chain::LAYERS, Desugared::LAYERS);
    let chain = Chain::new(4);
    let graph = Desugared::from_params(*chain.params());
    let x = [0.3, -0.7, 0.2];
    let t = [0.25, 0.75];
    let mut chain_grads = [0.0; Chain::PARAMS];
    let mut graph_grads = [0.0; Desugared::PARAMS];
    let chain_loss = chain.backward(&x, &t, &mut chain_grads);
    let graph_loss = graph.backward(
        &DesugaredInput { x },
        &DesugaredOutput { a2: t },
        &mut graph_grads,
    );
    assert_eq!(chain_loss, graph_loss.total);
    assert_eq!(chain_grads, graph_grads);
    assert_eq!(chain.forward(&x), graph.forward(&DesugaredInput { x }).a2);
}

#[test]
fn the_trace_holds_every_op_result() {
    let net = Graph::new(2);
    let input = GraphInput {
        x: [0.5, -0.5, 0.25],
    };
    let trace = net.forward_trace(&input);
    assert_eq!(trace.y, net.forward(&input).y);
    assert_eq!(
        trace.h,
        backprop::kernel::map(&trace.h_0, backprop::activation::tanh)
    );
    assert_ne!(trace.h, trace.h_0);
}

#[test]
fn codegen_kernels_makes_every_dense_layer_a_kernel_call() {
    graph!(Kernels< input x[3]; h = dense(x, 4) |> tanh; y = dense(h, 2); loss mse(y); codegen kernels; >);
    graph!(Written< input x[3]; h = dense(x, 4) |> tanh; y = dense(h, 2); loss mse(y); >);
    let a = Kernels::new(2);
    let b = Written::from_params(*a.params());
    let x = [0.1, 0.7, -0.3];
    let (ya, yb) = (
        a.forward(&KernelsInput { x }).y,
        b.forward(&WrittenInput { x }).y,
    );
    for (p, q) in ya.iter().zip(&yb) {
        assert!((p - q).abs() < 1e-6, "{ya:?} vs {yb:?}");
    }
}

#[test]
fn graph_parameters_round_trip_as_little_endian_bytes() {
    let net = Residual::new(6);
    let bytes = net.to_le_bytes();
    assert_eq!(bytes.len(), Residual::PARAM_BYTES);
    let back = Residual::from_le_bytes(&bytes).unwrap();
    assert_eq!(back.params(), net.params());
    let mut other = Residual::new(7);
    assert!(other.read_le_bytes(&bytes[1..]).is_err());
    assert_ne!(other.params(), net.params());
    other.read_le_bytes(&bytes).unwrap();
    assert_eq!(other.params(), net.params());
    let mut out = vec![0u8; Residual::PARAM_BYTES];
    net.write_le_bytes(&mut out).unwrap();
    assert_eq!(out, bytes);
}
