//! Golden tests: the worked examples in `../shared/seeds/`, number for number.

use backprop::{Optimizer, mlp, optim::Sgd};

/// Asserts `|got − want| ≤ tolerance`, naming the quantity on failure.
fn close(what: &str, got: f64, want: f64, tolerance: f64) {
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: got {got}, want {want} ± {tolerance}"
    );
}

// Seed 003: 2 → relu 2 → sigmoid 1, x = [0.5, 0.8], t = 1, loss ½(y − t)².
mlp!(Seed003<2 => relu 2 => sigmoid 1; loss half_sse; scalar f64>);

/// W1 = [[0.4, 0.3], [−0.2, 0.5]], b1 = [0.1, −0.1], W2 = [[0.6, −0.4]], b2 = [0.2],
/// in canonical order.
const SEED_003_PARAMS: [f64; 9] = [0.4, 0.3, -0.2, 0.5, 0.1, -0.1, 0.6, -0.4, 0.2];

#[test]
fn seed_003_forward_pass() {
    let net = Seed003::from_params(SEED_003_PARAMS);
    let trace = net.forward_trace(&[0.5, 0.8]);
    close("z1[0]", trace.z1[0], 0.54, 1e-12);
    close("z1[1]", trace.z1[1], 0.20, 1e-12);
    assert_eq!(
        trace.a1, trace.z1,
        "both pre-activations are positive, so relu passes them"
    );
    close("z2", trace.z2[0], 0.444, 1e-12);
    // The lesson prints y to 3 decimals.
    close("y", trace.a2[0], 0.609, 0.0005);
    assert_eq!(net.forward(&[0.5, 0.8]), trace.a2);
}

#[test]
fn seed_003_loss() {
    let net = Seed003::from_params(SEED_003_PARAMS);
    let loss = net.loss(&[0.5, 0.8], &[1.0]);
    // Exactly: ½(σ(0.444) − 1)² = 0.0763577…
    let y = 1.0 / (1.0 + (-0.444f64).exp());
    close("loss", loss, 0.5 * (y - 1.0) * (y - 1.0), 1e-15);
    // The lesson writes ½(−0.391)² = ½(0.153) = 0.0765: it rounds y to 0.609 and
    // 0.391² = 0.152881 to 0.153 before halving, which moves the last digit by 1.4e-4.
    // The exact loss agrees with it to the 3 decimals the lesson's inputs carry.
    close("loss vs the lesson", loss, 0.0765, 0.0005);
    close("the lesson's own rounding", 0.5 * 0.153, 0.0765, 1e-15);
}

#[test]
fn seed_003_all_nine_gradients() {
    let net = Seed003::from_params(SEED_003_PARAMS);
    let mut grads = [0.0; 9];
    let loss = net.backward(&[0.5, 0.8], &[1.0], &mut grads);
    assert_eq!(loss, net.loss(&[0.5, 0.8], &[1.0]));
    // The lesson's table, in its order (which is the canonical order):
    // w₁₁ w₁₂ w₂₁ w₂₂ b₁₁ b₁₂ (hidden), then h₁→y, h₂→y, b₂ (output).
    let table = [
        -0.028, -0.045, 0.019, 0.030, -0.056, 0.037, -0.050, -0.019, -0.093,
    ];
    let names = [
        "w11",
        "w12",
        "w21",
        "w22",
        "b11",
        "b12",
        "w(h1→y)",
        "w(h2→y)",
        "b2",
    ];
    for ((name, got), want) in names.iter().zip(grads).zip(table) {
        close(name, got, want, 0.0005);
    }
}

#[test]
fn seed_003_gradients_accumulate_across_calls() {
    let net = Seed003::from_params(SEED_003_PARAMS);
    let mut once = [0.0; 9];
    net.backward(&[0.5, 0.8], &[1.0], &mut once);
    let mut twice = [0.0; 9];
    net.backward(&[0.5, 0.8], &[1.0], &mut twice);
    net.backward(&[0.5, 0.8], &[1.0], &mut twice);
    for (one, two) in once.iter().zip(twice) {
        assert_eq!(2.0 * one, two);
    }
}

#[test]
fn seed_003_update_of_w12() {
    // "w₁₂_new = 0.3 − (0.1 × −0.045) = 0.3045", from the rounded gradient.
    let mut net = Seed003::from_params(SEED_003_PARAMS);
    net.train_step(&[0.5, 0.8], &[1.0], &mut Sgd::new(0.1));
    close("w12 after one step", net.params()[1], 0.3045, 0.00005);
}

// Seed 001: 1 → sigmoid 1 → sigmoid 1, x = 0.5, y = 1, loss ½(y − a2)², SGD lr 0.1.
mlp!(Seed001<1 => sigmoid 1 => sigmoid 1; loss half_sse; scalar f64>);

#[test]
fn seed_001_forward_backward_and_sgd_step() {
    // [W1, b1, W2, b2]
    let mut net = Seed001::from_params([0.4, 0.3, 0.7, 0.2]);
    let a2 = net.forward(&[0.5])[0];
    let loss = net.loss(&[0.5], &[1.0]);
    // "Forward pass -> a2: 0.653786, Loss: 0.059932", printed to 6 decimals.
    close("a2", a2, 0.653786, 5e-7);
    close("loss", loss, 0.059932, 5e-7);
    let mut opt = Sgd::new(0.1);
    let step_loss = net.train_step(&[0.5], &[1.0], &mut opt);
    assert_eq!(step_loss, loss);
    // "Updated parameters -> W1: 0.4006445672678901, b1: 0.3012891345357802,
    //  W2: 0.7048779400938787, b2: 0.20783656031705777"
    let [w1, b1, w2, b2] = *net.params();
    close("W1", w1, 0.4006445672678901, 1e-12);
    close("b1", b1, 0.3012891345357802, 1e-12);
    close("W2", w2, 0.7048779400938787, 1e-12);
    close("b2", b2, 0.20783656031705777, 1e-12);
}

// Seed 002: 1 → identity 1, x = 1, y = 0, loss (z − y)² (mse over one output).
mlp!(Seed002<1 => identity 1; loss mse; scalar f64>);

#[test]
fn seed_002_one_step_by_hand() {
    let mut net = Seed002::from_params([0.5, 0.0]);
    // "z = W * x + b = 0.5", "Loss = (0.5 − 0)² = 0.25"
    assert_eq!(net.forward(&[1.0]), [0.5]);
    assert_eq!(net.loss(&[1.0], &[0.0]), 0.25);
    // "dL/dz = 2 * (z − y) = 1.0", "∂L/∂W = 1.0"; the lesson leaves b out, and
    // ∂L/∂b = dL/dz = 1.0 as well.
    let mut grads = [0.0; 2];
    net.backward(&[1.0], &[0.0], &mut grads);
    assert_eq!(grads, [1.0, 1.0]);
    // "W = 0.5 − 0.1 * 1.0 = 0.4"
    let mut opt = Sgd::new(0.1);
    opt.step(net.params_mut(), &grads);
    assert_eq!(net.params()[0], 0.4);
    assert_eq!(net.params()[1], -0.1);
}

// Seed 000 states the backward pass in symbols for x → f(W1·x+b1) → f(W2·a1+b2) with
// L = (a2 − y)²: dL/da2 = 2(a2 − y), dL/dW2 = dL/da2 · f'(z2) · a1,
// dL/da1 = dL/da2 · f'(z2) · W2, dL/dW1 = dL/da1 · f'(z1) · x. With f = tanh:
mlp!(Seed000<1 => tanh 1 => tanh 1; loss mse; scalar f64>);

#[test]
fn seed_000_symbolic_backward_pass() {
    let (w1, b1, w2, b2, x, y) = (0.8, -0.1, -1.3, 0.4, 0.7, 0.25);
    let net = Seed000::from_params([w1, b1, w2, b2]);
    let z1 = w1 * x + b1;
    let a1 = f64::tanh(z1);
    let z2 = w2 * a1 + b2;
    let a2 = f64::tanh(z2);
    let df = |z: f64| 1.0 - z.tanh() * z.tanh();
    let dl_da2 = 2.0 * (a2 - y);
    let dl_da1 = dl_da2 * df(z2) * w2;
    let want = [
        dl_da1 * df(z1) * x,
        dl_da1 * df(z1),
        dl_da2 * df(z2) * a1,
        dl_da2 * df(z2),
    ];
    let mut grads = [0.0; 4];
    let loss = net.backward(&[x], &[y], &mut grads);
    close("loss", loss, (a2 - y) * (a2 - y), 1e-15);
    for (index, (got, want)) in grads.iter().zip(want).enumerate() {
        close(&format!("gradient {index}"), *got, want, 1e-15);
    }
}
