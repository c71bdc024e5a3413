//! NaN propagates through networks as in PyTorch and JAX: a bad sample shows in the
//! output and the loss, never as a plausible number.

use backprop::mlp;

mlp!(Relu<3 => relu 4 => identity 2; loss mse>);
mlp!(Classifier<3 => gelu 4 => softmax 3; loss cross_entropy>);
mlp!(Binary<3 => hard_tanh 4 => sigmoid 1; loss bce>);
mlp!(Robust<3 => leaky_relu 40 => identity 2; loss huber>);

#[test]
fn a_nan_input_gives_a_nan_output_and_loss() {
    let x = [0.5, f32::NAN, -0.25];
    // Before NaN propagated, relu mapped it to 0 and this network returned [0.0, 0.0].
    let relu = Relu::new(1);
    assert!(relu.forward(&x).iter().all(|y| y.is_nan()));
    assert!(relu.loss(&x, &[0.0, 0.0]).is_nan());
    let mut grads = [0.0; Relu::PARAMS];
    assert!(relu.backward(&x, &[0.0, 0.0], &mut grads).is_nan());
    assert!(Classifier::new(2).loss(&x, &[0.0, 1.0, 0.0]).is_nan());
    assert!(Binary::new(3).loss(&x, &[1.0]).is_nan());
    assert!(Robust::new(4).loss(&x, &[1.0, 0.0]).is_nan());
}

#[test]
fn a_nan_target_gives_a_nan_loss() {
    let x = [0.5, 0.1, -0.25];
    assert!(Relu::new(1).loss(&x, &[f32::NAN, 0.0]).is_nan());
    assert!(Classifier::new(2).loss(&x, &[0.0, f32::NAN, 0.0]).is_nan());
    assert!(Binary::new(3).loss(&x, &[f32::NAN]).is_nan());
    assert!(Robust::new(4).loss(&x, &[f32::NAN, 0.0]).is_nan());
}
