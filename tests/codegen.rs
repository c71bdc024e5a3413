//! The code generator's choices agree with each other: the same network written out
//! (`codegen unrolled`), as kernel calls (`codegen kernels`) and as the cost model
//! mixes them (`codegen auto`) computes the same outputs and gradients, and the fused
//! `train_step` (each layer's gradient handed to the optimizer as soon as it is known)
//! takes the step that `backward` followed by `Optimizer::step` takes (exactly, or
//! within a rounding where plain SGD multiplies in another order).

use backprop::init::SplitMix64;
use backprop::optim::{Adam, Sgd};
use backprop::{Network, Optimizer, mlp};

mlp!(Unrolled<24 => tanh 12 => relu 4 => sigmoid 3; loss mse; scalar f64; codegen unrolled>);
mlp!(Kernels<24 => tanh 12 => relu 4 => sigmoid 3; loss mse; scalar f64; codegen kernels>);
mlp!(Auto<24 => tanh 12 => relu 4 => sigmoid 3; loss mse; scalar f64>);

fn sample(rng: &mut SplitMix64) -> ([f64; 24], [f64; 3]) {
    let x = core::array::from_fn(|_| 2.0 * rng.next_f64() - 1.0);
    let t = core::array::from_fn(|_| rng.next_f64());
    (x, t)
}

fn close(a: &[f64], b: &[f64]) -> bool {
    close_to(a, b, 1e-12)
}

fn close_to(a: &[f64], b: &[f64], tolerance: f64) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(a, b)| (a - b).abs() <= tolerance * a.abs().max(b.abs()).max(1.0))
}

#[test]
fn the_auto_plan_mixes_both_forms() {
    // 24·12 = 288 weights: a kernel; 12·4 = 48 and 4·3 = 12: unrolled.
    let trace = Auto::new(1).forward_trace(&[0.5; 24]);
    assert_eq!(trace.a3.len(), 3);
}

#[test]
fn every_codegen_computes_the_same_network() {
    let mut rng = SplitMix64::new(7);
    for seed in 0..10 {
        let unrolled = Unrolled::new(seed);
        let kernels = Kernels::from_params(*unrolled.params());
        let auto = Auto::from_params(*unrolled.params());
        let (x, t) = sample(&mut rng);
        let y = unrolled.forward(&x);
        assert!(close(&y, &kernels.forward(&x)), "seed {seed}");
        assert!(close(&y, &auto.forward(&x)), "seed {seed}");
        let mut grads = [[0.0; Unrolled::PARAMS]; 3];
        let losses = [
            unrolled.backward(&x, &t, &mut grads[0]),
            kernels.backward(&x, &t, &mut grads[1]),
            auto.backward(&x, &t, &mut grads[2]),
        ];
        assert!(close(&losses, &[unrolled.loss(&x, &t); 3]), "seed {seed}");
        assert!(close(&grads[0], &grads[1]), "seed {seed}: kernels");
        assert!(close(&grads[0], &grads[2]), "seed {seed}: auto");
        let trace = kernels.forward_trace(&x);
        assert!(close(&trace.a3, &y) && close(&trace.z1, &unrolled.forward_trace(&x).z1));
    }
}

/// `train_step` against `backward` + `step` on a copy, for a few steps of `opt`.
fn fused_step_matches<N: Network<Scalar = f64>, O: Optimizer<N::Params> + Clone>(opt: O) {
    let mut rng = SplitMix64::new(11);
    let mut fused = N::new(3);
    let mut reference = N::from_params(*fused.params());
    let (mut fused_opt, mut reference_opt) = (opt.clone(), opt);
    for _ in 0..5 {
        let (x, t) = sample(&mut rng);
        let mut x_n = <N::Input as backprop::Array<f64>>::zeros();
        x_n.as_mut().copy_from_slice(&x[..N::INPUTS]);
        let mut t_n = <N::Output as backprop::Array<f64>>::zeros();
        t_n.as_mut().copy_from_slice(&t[..N::OUTPUTS]);
        let loss = fused.train_step(&x_n, &t_n, &mut fused_opt);
        let mut grads = <N::Params as backprop::Array<f64>>::zeros();
        let reference_loss = reference.backward(&x_n, &t_n, &mut grads);
        reference_opt.step(reference.params_mut(), &grads);
        // Plain SGD updates a weight row as θ − (lr·d)·x, the reference as θ − lr·(d·x):
        // one rounding apart per step, which five steps keep within 1e-13.
        assert!(close_to(&[loss], &[reference_loss], 1e-13));
        assert!(close_to(
            fused.params().as_ref(),
            reference.params().as_ref(),
            1e-13
        ));
    }
}

#[test]
fn the_fused_train_step_is_backward_then_step() {
    fused_step_matches::<Unrolled, _>(Sgd::new(0.1));
    fused_step_matches::<Kernels, _>(Sgd::new(0.1));
    fused_step_matches::<Auto, _>(Sgd::new(0.1).momentum(0.9).weight_decay(1e-3));
    fused_step_matches::<Kernels, _>(Sgd::new(0.05).nesterov(0.9));
    fused_step_matches::<Kernels, _>(Adam::new(1e-2));
    fused_step_matches::<Auto, _>(Adam::new(1e-2).weight_decay(0.1));
}

/// `backward_block` over `B` samples against `backward` on each in turn.
fn block_matches_samples<N: Network<Scalar = f64, Input = [f64; 24], Output = [f64; 3]>>() {
    let mut rng = SplitMix64::new(5);
    let net = N::new(9);
    let samples: [([f64; 24], [f64; 3]); 5] = core::array::from_fn(|_| sample(&mut rng));
    let mut block_grads = <N::Params as backprop::Array<f64>>::zeros();
    let xs = samples.each_ref().map(|(x, _)| x);
    let targets = samples.each_ref().map(|(_, t)| t);
    let block_loss = net.backward_block(xs, targets, &mut block_grads);
    let mut grads = <N::Params as backprop::Array<f64>>::zeros();
    let loss: f64 = samples
        .iter()
        .map(|(x, t)| net.backward(x, t, &mut grads))
        .sum();
    assert!(close(&[block_loss], &[loss]));
    assert!(close(block_grads.as_ref(), grads.as_ref()));
}

#[test]
fn a_block_of_samples_equals_one_sample_at_a_time() {
    block_matches_samples::<Unrolled>();
    block_matches_samples::<Kernels>();
    block_matches_samples::<Auto>();
}
