//! End-to-end training: the networks learn what they should, with each optimizer.

use backprop::optim::{Adam, Sgd};
use backprop::{Optimizer, mlp};

const XOR_DATA: [([f32; 2], [f32; 1]); 4] = [
    ([0.0, 0.0], [0.0]),
    ([0.0, 1.0], [1.0]),
    ([1.0, 0.0], [1.0]),
    ([1.0, 1.0], [0.0]),
];

mlp!(Xor<2 => relu 4 => sigmoid 1; loss mse>);
mlp!(TanhXor<2 => tanh 4 => sigmoid 1; loss mse>);

fn xor_loss(
    net: &impl backprop::Network<Input = [f32; 2], Output = [f32; 1], Scalar = f32>,
) -> f32 {
    XOR_DATA.iter().map(|(x, t)| net.loss(x, t)).sum::<f32>() / 4.0
}

#[test]
fn the_readme_quickstart_learns_xor() {
    // Exactly the and README's example: seed 42, SGD lr 0.5, 2000 epochs.
    let mut net = Xor::new(42);
    let mut opt = Sgd::new(0.5);
    for _ in 0..2000 {
        for (x, t) in XOR_DATA {
            net.train_step(&x, &t, &mut opt);
        }
    }
    assert!(xor_loss(&net) < 0.01, "loss {}", xor_loss(&net));
    for (x, t) in XOR_DATA {
        assert!(
            (net.forward(&x)[0] - t[0]).abs() < 0.1,
            "{x:?} → {:?}",
            net.forward(&x)
        );
    }
}

/// The XOR loss of a fresh `TanhXor` from `seed` after `epochs` epochs with `opt`.
fn train_tanh_xor(seed: u64, epochs: usize, mut opt: impl Optimizer<[f32; 17]>) -> f32 {
    let mut net = TanhXor::new(seed);
    for _ in 0..epochs {
        for (x, t) in XOR_DATA {
            net.train_step(&x, &t, &mut opt);
        }
    }
    xor_loss(&net)
}

#[test]
fn tanh_xor_learns_from_every_seed_with_each_optimizer() {
    for seed in 0..8 {
        let losses = [
            ("sgd", train_tanh_xor(seed, 3000, Sgd::new(0.5))),
            (
                "momentum",
                train_tanh_xor(seed, 1500, Sgd::new(0.2).momentum(0.9)),
            ),
            (
                "nesterov",
                train_tanh_xor(seed, 1500, Sgd::new(0.2).nesterov(0.9)),
            ),
            ("adam", train_tanh_xor(seed, 1000, Adam::new(0.05))),
        ];
        for (name, loss) in losses {
            assert!(loss < 0.01, "{name}, seed {seed}: loss {loss}");
        }
    }
}

#[test]
fn accumulated_gradients_give_a_full_batch_step() {
    // Summing four backward passes and stepping once with lr/4 is one step of
    // full-batch gradient descent on the mean loss: the loss must go down.
    let mut net = TanhXor::new(3);
    let mut opt = Sgd::new(0.5 / 4.0);
    let before = xor_loss(&net);
    for _ in 0..200 {
        let mut grads = [0.0; TanhXor::PARAMS];
        for (x, t) in XOR_DATA {
            net.backward(&x, &t, &mut grads);
        }
        opt.step(net.params_mut(), &grads);
    }
    assert!(
        xor_loss(&net) < before / 2.0,
        "{before} → {}",
        xor_loss(&net)
    );
}

#[test]
fn train_batch_steps_on_the_mean_gradient() {
    use backprop::Network;
    let batch = XOR_DATA;
    let mut net = TanhXor::new(5);
    let mut reference = net.clone();
    let loss = net.train_batch(&batch, &mut Sgd::new(0.5));
    // The same step by hand: summed gradients, scaled by 1/4.
    let mut grads = [0.0; TanhXor::PARAMS];
    let mut total = 0.0;
    for (x, t) in &batch {
        total += reference.backward(x, t, &mut grads);
    }
    for (p, g) in reference.params_mut().iter_mut().zip(grads) {
        *p -= 0.5 * g / 4.0;
    }
    assert!((loss - total / 4.0).abs() < 1e-6);
    for (a, b) in net.params().iter().zip(reference.params()) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    // An empty batch is no step at all.
    let before = net.clone();
    assert_eq!(net.train_batch(&[], &mut Sgd::new(0.5)), 0.0);
    assert_eq!(net, before);
}

#[test]
fn full_batch_training_learns_xor() {
    use backprop::Network;
    let mut net = TanhXor::new(0);
    let mut opt = Adam::new(0.05);
    for _ in 0..1500 {
        net.train_batch(&XOR_DATA, &mut opt);
    }
    assert!(xor_loss(&net) < 0.01, "loss {}", xor_loss(&net));
}
