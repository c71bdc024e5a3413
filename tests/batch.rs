//! The batch methods against the one-sample ones: `forward_batch` gives each sample's
//! `forward`, `backward_batch` adds the gradient of the mean, class labels are one-hot
//! targets, and a malformed batch is an error that changes nothing.

use backprop::init::SplitMix64;
use backprop::{BatchError, Network, STEP_BLOCK, mlp, one_hot};

// Unrolled hidden layer, kernel output: both forms, and a fused loss.
mlp!(Classifier<5 => tanh 6 => softmax 4; loss cross_entropy; scalar f64>);
// Every layer a kernel, a squared-error loss.
mlp!(Regressor<12 => relu 20 => identity 3; loss mse; scalar f64>);
// Rows past the kernels' register blocks and strips: 20 rows of 12, 18 of 20.
mlp!(Deep<12 => tanh 20 => relu 18 => identity 3; loss mse; scalar f64>);
// Graphs, through the `Network` trait: a residual one, whose fused step is generated,
// and one whose two dense ops share weights, which steps on its summed gradient.
backprop::graph!(Residual<
    input x[12];
    h = dense(x, 12) |> tanh;
    r = add(h, x);
    y = dense(r, 3);
    loss mse(y);
    scalar f64;
>);
// Too wide for blocks of 32 in f64 in a debug build (703 units): their block methods run
// a block of 32 samples as blocks of 16, so that its arrays stay within the stack bound.
// (A release build, whose frames are smaller, takes the 32 at once.)
mlp!(Broad<12 => tanh 350 => identity 3; loss mse; scalar f64>);
backprop::graph!(BroadGraph<
    input x[12];
    h = dense(x, 350) |> tanh;
    y = dense(h, 3);
    loss mse(y);
    scalar f64;
>);
backprop::graph!(Tied<
    input x[12];
    h = dense(x, 12) |> tanh;
    g = dense(h, 12, shared = h) |> tanh;
    y = dense(g, 3);
    loss mse(y);
    scalar f64;
>);

fn draw<const N: usize>(rng: &mut SplitMix64) -> [f64; N] {
    core::array::from_fn(|_| rng.uniform(1.0))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

/// 19 samples: two blocks of eight and three left over.
fn batch<const I: usize, const O: usize>(seed: u64) -> (Vec<[f64; I]>, Vec<[f64; O]>) {
    let mut rng = SplitMix64::new(seed);
    (0..19).map(|_| (draw(&mut rng), draw(&mut rng))).unzip()
}

fn check_against_one_sample<N: Network<Scalar = f64>>(net: &N, xs: &[N::Input], ts: &[N::Output]) {
    let mut ys = vec![N::Output::zeros(); xs.len()];
    net.forward_batch(xs, &mut ys).unwrap();
    for (x, y) in xs.iter().zip(&ys) {
        let one = net.forward(x);
        assert!(
            one.as_ref()
                .iter()
                .zip(y.as_ref())
                .all(|(a, b)| close(*a, *b))
        );
    }
    // Start from a non-zero gradient: the batch's must be added to it.
    let mut batch = N::Params::zeros();
    batch.as_mut().iter_mut().for_each(|g| *g = 0.5);
    let mean = net.backward_batch(xs, ts, &mut batch).unwrap();
    let mut sum = N::Params::zeros();
    let total: f64 = xs
        .iter()
        .zip(ts)
        .map(|(x, t)| net.backward(x, t, &mut sum))
        .sum();
    let n = xs.len() as f64;
    assert!(close(mean, total / n), "{mean} vs {}", total / n);
    for (b, s) in batch.as_ref().iter().zip(sum.as_ref()) {
        assert!(close(*b, 0.5 + s / n), "{b} vs {}", 0.5 + s / n);
    }
}

use backprop::Array;

#[test]
fn batches_equal_their_samples() {
    let (xs, ts) = batch::<5, 4>(1);
    check_against_one_sample(&Classifier::new(2), &xs, &ts);
    let (xs, ts) = batch::<12, 3>(3);
    check_against_one_sample(&Regressor::new(4), &xs, &ts);
}

#[test]
fn class_labels_are_one_hot_targets() {
    let net = Classifier::new(5);
    let (xs, _) = batch::<5, 4>(6);
    let classes: Vec<usize> = (0..xs.len()).map(|i| (i * 7) % 4).collect();
    let targets: Vec<[f64; 4]> = classes.iter().map(|&c| one_hot(c).unwrap()).collect();
    let (mut by_label, mut by_target) = ([0.0; Classifier::PARAMS], [0.0; Classifier::PARAMS]);
    let a = net
        .backward_batch_classes(&xs, &classes, &mut by_label)
        .unwrap();
    let b = net.backward_batch(&xs, &targets, &mut by_target).unwrap();
    assert_eq!(a, b);
    assert_eq!(by_label, by_target);
}

#[test]
fn malformed_batches_are_errors_that_change_nothing() {
    let net = Classifier::new(7);
    let (xs, ts) = batch::<5, 4>(8);
    let mut grads = [0.25; Classifier::PARAMS];
    assert_eq!(
        net.backward_batch(&xs, &ts[..18], &mut grads),
        Err(BatchError::LengthMismatch {
            inputs: 19,
            targets: 18
        })
    );
    let mut classes = vec![1usize; 19];
    classes[11] = 4;
    assert_eq!(
        net.backward_batch_classes(&xs, &classes, &mut grads),
        Err(BatchError::ClassOutOfRange {
            sample: 11,
            class: 4,
            classes: 4
        })
    );
    assert_eq!(grads, [0.25; Classifier::PARAMS]);
    let mut ys = vec![[9.0; 4]; 3];
    assert!(net.forward_batch(&xs, &mut ys).is_err());
    assert_eq!(ys, vec![[9.0; 4]; 3]);
    // An empty batch is no error: nothing to add, a mean loss of zero.
    assert_eq!(net.backward_batch(&[], &[], &mut grads), Ok(0.0));
    assert_eq!(grads, [0.25; Classifier::PARAMS]);
}

/// `train_batch`, and `step_block` on the last [`STEP_BLOCK`] samples (whatever the
/// target: `train_batch` fuses its step only with AVX), against the step they stand
/// for: every sample's gradient summed one at a time, divided by the count, and one
/// `Optimizer::step`, twice over (so that the optimizer's state carries on from a
/// fused step).
fn check_train_batch<N, O>(net: &N, data: &[(N::Input, N::Output)], make: impl Fn() -> O)
where
    N: Network<Scalar = f64> + Clone,
    O: backprop::Optimizer<N::Params>,
{
    check_step(net, data, &make, |net, opt| net.train_batch(data, opt));
    let Some((head, block)) = data.split_last_chunk::<STEP_BLOCK>() else {
        return;
    };
    check_step(net, data, &make, |net, opt| {
        let n = data.len() as f64;
        let mut earlier = N::Params::zeros();
        let mut total = 0.0;
        for (x, t) in head {
            total += net.backward(x, t, &mut earlier);
        }
        earlier.as_mut().iter_mut().for_each(|g| *g /= n);
        let (xs, ts) = (
            block.each_ref().map(|(x, _)| x),
            block.each_ref().map(|(_, t)| t),
        );
        let earlier = (!head.is_empty()).then_some(&earlier);
        (total + net.step_block(xs, ts, opt, 1.0 / n, earlier)) / n
    });
}

/// `step(net, opt)`, which returns the mean loss of `data` before it, against one step
/// on the mean gradient of `data`, twice over.
fn check_step<N, O>(
    net: &N,
    data: &[(N::Input, N::Output)],
    make: &impl Fn() -> O,
    step: impl Fn(&mut N, &mut O) -> f64,
) where
    N: Network<Scalar = f64> + Clone,
    O: backprop::Optimizer<N::Params>,
{
    let (mut batched, mut reference) = (net.clone(), net.clone());
    let (mut opt_batched, mut opt_reference) = (make(), make());
    for round in 0..2 {
        let loss = step(&mut batched, &mut opt_batched);
        let mut grads = N::Params::zeros();
        let mut total = 0.0;
        for (x, t) in data {
            total += reference.backward(x, t, &mut grads);
        }
        let n = data.len() as f64;
        grads.as_mut().iter_mut().for_each(|g| *g /= n);
        opt_reference.step(reference.params_mut(), &grads);
        let at = format!("{} samples, round {round}", data.len());
        assert!(close(loss, total / n), "{at}: loss {loss} vs {}", total / n);
        for (i, a, b) in parameter_pairs(&batched, &reference) {
            assert!(close(a, b), "{at}: parameter {i}: {a} vs {b}");
        }
    }
}

/// Each parameter of `a` beside the same parameter of `b`, with its index.
fn parameter_pairs<'a, N: Network<Scalar = f64>>(
    a: &'a N,
    b: &'a N,
) -> impl Iterator<Item = (usize, f64, f64)> + 'a {
    let pairs = a.params().as_ref().iter().zip(b.params().as_ref());
    pairs.enumerate().map(|(i, (&a, &b))| (i, a, b))
}

/// Adam for [`check_train_batch`]. Its default ε = 1e-8 would make the check one of
/// rounding: where a parameter's mean gradient cancels to about 1e-9, its first
/// step's derivative in the gradient, lr·ε/(|g| + ε)², is near 1e6, so a last-bit
/// difference in summation order (blocks against one sample at a time) moves it past
/// 1e-12. With ε = 1e-4 that factor is at most lr/ε = 100.
fn adam<const N: usize>() -> backprop::optim::Adam<f64, N> {
    backprop::optim::Adam::new(0.01).eps(1e-4)
}

#[test]
fn train_batch_is_one_step_on_the_mean_gradient() {
    use backprop::optim::Sgd;
    let mut rng = SplitMix64::new(7);
    let deep: Vec<([f64; 12], [f64; 3])> =
        (0..70).map(|_| (draw(&mut rng), draw(&mut rng))).collect();
    let classes: Vec<([f64; 5], [f64; 4])> = (0..70)
        .map(|i| (draw(&mut rng), one_hot(i % 4).unwrap()))
        .collect();
    let (net, classifier) = (Deep::new(3), Classifier::new(4));
    // Shorter than one fused block, exactly one, one and a remainder of one sample or
    // of blocks, and two.
    for n in [1, 5, 31, 32, 33, 45, 64, 70] {
        check_train_batch(&net, &deep[..n], || Sgd::new(0.1));
        check_train_batch(&net, &deep[..n], || {
            Sgd::new(0.1).momentum(0.9).weight_decay(0.01)
        });
        check_train_batch(&net, &deep[..n], adam);
        check_train_batch(&classifier, &classes[..n], adam);
        check_train_batch(&Residual::new(5), &deep[..n], adam);
        check_train_batch(&Tied::new(6), &deep[..n], || Sgd::new(0.1));
    }
}

/// `train_batch_with` takes `train_batch`'s step bit for bit, whatever its gradient
/// array held before (NaN here), and leaves that array free for the next batch.
fn check_train_batch_with<N, O>(net: &N, data: &[(N::Input, N::Output)], make: impl Fn() -> O)
where
    N: Network<Scalar = f64> + Clone,
    O: backprop::Optimizer<N::Params>,
{
    let (mut on_stack, mut given) = (net.clone(), net.clone());
    let (mut opt_on_stack, mut opt_given) = (make(), make());
    let mut grads = N::Params::splat(f64::NAN);
    for round in 0..2 {
        let want = on_stack.train_batch(data, &mut opt_on_stack);
        let got = given.train_batch_with(data, &mut opt_given, &mut grads);
        let at = format!("{} samples, round {round}", data.len());
        assert_eq!(got.to_bits(), want.to_bits(), "{at}: loss {got} vs {want}");
        for (i, a, b) in parameter_pairs(&given, &on_stack) {
            assert_eq!(a.to_bits(), b.to_bits(), "{at}: parameter {i}: {a} vs {b}");
        }
    }
}

#[test]
fn train_batch_with_a_given_gradient_array_takes_the_same_step() {
    use backprop::optim::Sgd;
    let mut rng = SplitMix64::new(8);
    let deep: Vec<([f64; 12], [f64; 3])> =
        (0..70).map(|_| (draw(&mut rng), draw(&mut rng))).collect();
    for n in [0, 1, 5, 31, 32, 33, 45, 64, 70] {
        check_train_batch_with(&Deep::new(3), &deep[..n], || Sgd::new(0.1));
        check_train_batch_with(&Deep::new(3), &deep[..n], adam);
        check_train_batch_with(&Residual::new(5), &deep[..n], adam);
        check_train_batch_with(&Tied::new(6), &deep[..n], || Sgd::new(0.1).momentum(0.9));
    }
}

/// A block of 32 given to a wide network's block methods, which run it as blocks of 16
/// in a debug build:
/// the same outputs, summed loss and gradient as its samples one at a time, and the
/// batch methods as for any network.
fn check_sub_blocks<N: Network<Input = [f64; 12], Output = [f64; 3], Scalar = f64> + Clone>(
    net: &N,
) {
    assert_eq!(
        N::BLOCK_SAMPLES,
        if cfg!(debug_assertions) { 16 } else { 32 }
    );
    let mut rng = SplitMix64::new(9);
    let data: Vec<([f64; 12], [f64; 3])> =
        (0..70).map(|_| (draw(&mut rng), draw(&mut rng))).collect();
    let xs: [&[f64; 12]; 32] = core::array::from_fn(|i| &data[i].0);
    let ts: [&[f64; 3]; 32] = core::array::from_fn(|i| &data[i].1);
    for (y, x) in net.forward_block(xs).iter().zip(xs) {
        let one = net.forward(x);
        assert!(
            y.iter().zip(&one).all(|(a, b)| close(*a, *b)),
            "{y:?} vs {one:?}"
        );
    }
    let (mut block, mut single) = (N::Params::zeros(), N::Params::zeros());
    let loss = net.backward_block_scaled(xs, ts, &mut block, 0.5);
    let total: f64 = xs
        .iter()
        .zip(ts)
        .map(|(x, t)| net.backward(x, t, &mut single))
        .sum();
    assert!(close(loss, total), "{loss} vs {total}");
    for (b, s) in block.as_ref().iter().zip(single.as_ref()) {
        assert!(close(*b, 0.5 * s), "{b} vs {}", 0.5 * s);
    }
    let (inputs, targets): (Vec<_>, Vec<_>) = data.iter().copied().unzip();
    check_against_one_sample(net, &inputs, &targets);
}

#[test]
fn wide_networks_run_big_blocks_as_smaller_ones() {
    check_sub_blocks(&Broad::new(10));
    check_sub_blocks(&BroadGraph::new(11));
    let mut rng = SplitMix64::new(12);
    let data: Vec<([f64; 12], [f64; 3])> =
        (0..70).map(|_| (draw(&mut rng), draw(&mut rng))).collect();
    // `train_batch` only: it fuses no step into their last 32 samples, and a direct
    // `step_block` of 32 (which `check_train_batch` also takes) runs them as one block.
    for n in [5, 32, 45, 70] {
        let data = &data[..n];
        check_step(&Broad::new(13), data, &adam, |net, opt| {
            net.train_batch(data, opt)
        });
        check_step(&BroadGraph::new(14), data, &adam, |net, opt| {
            net.train_batch(data, opt)
        });
    }
    // The narrower networks of this file take the runtime's whole blocks.
    assert_eq!(<Deep as Network>::BLOCK_SAMPLES, STEP_BLOCK);
}
