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
                let x = I64 { $($input: core::array::from_fn::<f64, $iw, _>(|_| rng.uniform(1.0)),)* };
                #[allow(unused_mut)]
                let mut t = O64 { $($output: core::array::from_fn::<f64, $ow, _>(|_| 0.05 + 0.9 * rng.next_f64()),)* };
                $($(
                    // A softmax's target is a distribution.
                    let _: &str = stringify!($dist);
                    let total: f64 = t.$output.iter().sum();
                    t.$output.iter_mut().for_each(|v| *v /= total);
                )?)*
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
graph!(Graph< input x[3]; h = dense(x, 4) |> tanh; y = dense(h, 2) |> softmax; loss cross_entropy(y); >);

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

// `Network` is for chains; keep its import used.
#[allow(dead_code)]
fn chains_are_networks<N: Network>() {}

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
    assert!(Graph::DOT.contains("label = \"1 · cross_entropy(y)\""));
    // One edge into every node but the input: x, z1, a1, z2, a2 and the loss.
    assert_eq!(Chain::DOT.matches(" -> ").count(), 5);
    assert_eq!(Graph::DOT.matches(" -> ").count(), 5);
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
