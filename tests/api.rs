//! The generated API: constants, construction, parameters, traces, the `Network` and
//! `Trace` traits, and the forms of the macro call.

use backprop::init::Init;
use backprop::{Layer, Network, Trace, mlp};

mlp!(pub Xor<2 => relu 4 => sigmoid 1; loss mse>);

#[test]
fn constants_describe_the_shape() {
    assert_eq!((Xor::INPUTS, Xor::OUTPUTS, Xor::PARAMS), (2, 1, 17));
    assert_eq!(
        Xor::LAYERS,
        [
            Layer {
                inputs: 2,
                outputs: 4,
                activation: "relu",
                init: Init::HeUniform,
                weights: 0,
                biases: 8
            },
            Layer {
                inputs: 4,
                outputs: 1,
                activation: "sigmoid",
                init: Init::GlorotUniform,
                weights: 12,
                biases: 16,
            },
        ]
    );
    assert_eq!(
        Xor::LAYERS.iter().map(Layer::params).sum::<usize>(),
        Xor::PARAMS
    );
    // The constants are usable in types.
    let grads = [0.0f32; Xor::PARAMS];
    assert_eq!(grads.len(), 17);
}

#[test]
fn new_is_deterministic_and_platform_independent() {
    let net = Xor::new(42);
    assert_eq!(net, Xor::new(42));
    assert_ne!(net, Xor::new(43));
    // SplitMix64 from 42, He-uniform limit √(6/2) for layer 1 and Glorot-uniform √(6/5)
    // for layer 2, computed independently (Python, integer arithmetic and IEEE floats).
    let w1 = [
        0.8368052840232849,
        -1.1781049966812134,
        -0.7669481635093689,
        -0.539739191532135,
        -1.6003104448318481,
        1.2755794525146484,
        -0.9754730463027954,
        1.0414193868637085,
    ];
    let w2 = [
        -0.3506935238838196,
        0.25958120822906494,
        -0.6465277075767517,
        -0.015359924174845219,
    ];
    let params = net.params();
    assert_eq!(params[..8], w1.map(|w: f64| w as f32));
    assert_eq!(params[8..12], [0.0; 4], "biases start at zero");
    assert_eq!(params[12..16], w2.map(|w: f64| w as f32));
    assert_eq!(params[16], 0.0);
}

#[test]
fn params_round_trip_and_can_be_edited() {
    let mut net = Xor::new(1);
    let copy = Xor::from_params(*net.params());
    assert_eq!(copy, net);
    net.params_mut()[16] = 0.25;
    assert_eq!(net.params()[16], 0.25);
    assert_ne!(copy, net);
}

#[test]
fn trace_agrees_with_forward_and_is_reachable_by_layer() {
    let net = Xor::new(7);
    let x = [0.3, -0.8];
    let trace = net.forward_trace(&x);
    assert_eq!(trace.a2, net.forward(&x));
    for (z, a) in trace.z1.iter().zip(trace.a1) {
        assert_eq!(a, z.max(0.0));
    }
    assert_eq!(<XorTrace as Trace<f32>>::LAYERS, 2);
    assert_eq!(trace.pre_activation(1), Some(&trace.z1[..]));
    assert_eq!(trace.activation(2), Some(&trace.a2[..]));
    assert_eq!(trace.pre_activation(0), None);
    assert_eq!(trace.activation(3), None);
}

/// Mean loss over a data set, through the trait only.
fn mean_loss<N: Network>(net: &N, data: &[(N::Input, N::Output)]) -> f64 {
    let total: f64 = data
        .iter()
        .map(|(x, t)| backprop::Scalar::to_f64(net.loss(x, t)))
        .sum();
    total / data.len() as f64
}

/// Trains through the trait only.
fn train<N: Network>(
    net: &mut N,
    opt: &mut impl backprop::Optimizer<N::Params>,
    data: &[(N::Input, N::Output)],
    epochs: usize,
) {
    for _ in 0..epochs {
        for (x, t) in data {
            net.train_step(x, t, opt);
        }
    }
}

mlp!(Regressor<1 => tanh 8 => identity 1; loss mse; scalar f64>);

#[test]
fn generic_code_trains_any_network() {
    // y = sin(3x) on [−1, 1]
    let data: Vec<([f64; 1], [f64; 1])> = (0..21)
        .map(|i| {
            let x = -1.0 + 0.1 * f64::from(i);
            ([x], [(3.0 * x).sin()])
        })
        .collect();
    let mut net = <Regressor as Network>::new(3);
    let before = mean_loss(&net, &data);
    let mut opt = backprop::optim::Adam::new(0.02);
    train(&mut net, &mut opt, &data, 800);
    let after = mean_loss(&net, &data);
    assert!(
        after < 0.01 && after < before / 20.0,
        "loss {before} → {after}"
    );
    assert_eq!(<Regressor as Network>::layers(), Regressor::LAYERS);
}

#[test]
fn trait_and_inherent_methods_agree() {
    let net = Xor::new(5);
    let (x, t) = ([1.0, 0.0], [1.0]);
    assert_eq!(Network::forward(&net, &x), net.forward(&x));
    assert_eq!(Network::loss(&net, &x, &t), net.loss(&x, &t));
    let (mut a, mut b) = ([0.0; 17], [0.0; 17]);
    assert_eq!(
        Network::backward(&net, &x, &t, &mut a),
        net.backward(&x, &t, &mut b)
    );
    assert_eq!(a, b);
    assert_eq!(<Xor as Network>::from_params(*net.params()), net);
}

mod visibility {
    backprop::mlp![
        /// Documented, with an attribute and restricted visibility.
        #[derive(PartialOrd)]
        pub(crate) Brackets<3 => tanh 2; loss half_sse>
    ];
    backprop::mlp! {
        pub Braces<1 => linear 1; scalar f64; loss mse;>
    }
}

/// Types of the user's own beside the networks, named like the generated code's generic
/// parameters (`P` storage, `O` optimizer, `S` sink, `B` block size): the expansion
/// must not pick them up. A type `B` once turned the block size `B` in a generic
/// argument list into a type, and the expansion failed to compile.
mod user_types_named_like_generic_parameters {
    use backprop::Network;

    pub struct B;
    pub struct O;
    pub struct P;
    pub struct S;

    backprop::mlp!(pub Chain<3 => relu 9 => identity 2; loss mse; scalar f64>);
    backprop::graph!(pub Branchy<
        input x[3];
        h = dense(x, 9) |> relu;
        y = dense(h, 2);
        loss mse(y);
        scalar f64;
    >);

    #[test]
    fn networks_beside_them_compile_and_train() {
        let _ = (B, O, P, S);
        let batch = [([0.5, -0.25, 1.0], [0.25, 0.5]); 40];
        let mut chain = Chain::new(1);
        let mut branchy = Branchy::new(1);
        let mut opt = backprop::optim::Sgd::new(0.05);
        let before = chain.train_batch(&batch, &mut opt);
        let mut opt = backprop::optim::Sgd::new(0.05);
        let before_graph = branchy.train_batch(&batch, &mut opt);
        let mut opt = backprop::optim::Sgd::new(0.05);
        let mut opt_graph = backprop::optim::Sgd::new(0.05);
        for _ in 0..20 {
            chain.train_batch(&batch, &mut opt);
            branchy.train_batch(&batch, &mut opt_graph);
        }
        assert!(chain.train_batch(&batch, &mut opt) < before);
        assert!(branchy.train_batch(&batch, &mut opt_graph) < before_graph);
    }
}

#[test]
fn every_delimiter_attributes_and_visibility_work() {
    let a = visibility::Brackets::new(0);
    let b = visibility::Brackets::new(1);
    assert!(a.partial_cmp(&b).is_some());
    let line = visibility::Braces::from_params([2.0, 1.0]);
    let y: [f64; 1] = line.forward(&[3.0]);
    assert_eq!(y, [7.0]);
}

#[test]
fn a_forward_pass_does_not_change_the_network() {
    let net = Xor::new(9);
    let before = net.clone();
    let _ = net.forward_trace(&[0.5, 0.5]);
    let mut grads = [0.0; 17];
    net.backward(&[0.5, 0.5], &[1.0], &mut grads);
    assert_eq!(net, before);
    assert!(grads.iter().any(|g| *g != 0.0));
}
