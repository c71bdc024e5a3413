//! Classifies Fisher's irises: softmax with cross-entropy, Adam, class-label targets.
//!
//! ```text
//! cargo run --release --example iris
//! ```
//!
//! The data (`examples/data/iris.csv`, with its attribution in that folder) is compiled
//! into the binary. A seeded, stratified 80/20 split; inputs standardized with the
//! training split's mean and deviation; mini-batches of 16 through `backward_batch_classes`
//! and one Adam step each. scikit-learn's `MLPClassifier` with 8 hidden units reaches a
//! mean test accuracy of 0.893 on this split (examples/data/README.md).

use backprop::init::SplitMix64;
use backprop::optim::Adam;
use backprop::{Optimizer, mlp};

#[path = "common/data.rs"]
pub mod data;
pub use data::{accuracy, shuffle, standardize, stratified_split};

mlp!(
    /// Four measurements of a flower → the probability of each of three species.
    Iris<4 => relu 8 => softmax 3; loss cross_entropy>
);

const DATA: &str = include_str!("data/iris.csv");
const SEED: u64 = 2026;
const EPOCHS: usize = 300;
const BATCH: usize = 16;

/// One sample and its class.
pub type Sample = data::Sample<4>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let test_accuracy = train_and_test(SEED, true)?;
    println!(
        "test accuracy: {test_accuracy:.3} on 30 flowers (scikit-learn's MLPClassifier: 0.893)"
    );
    Ok(())
}

/// Trains on the training split drawn from `seed` and returns the test accuracy,
/// reporting progress if `verbose`. `tests/examples.rs` runs it too.
pub fn train_and_test(seed: u64, verbose: bool) -> Result<f64, Box<dyn std::error::Error>> {
    let samples = data::parse::<4>(DATA, 3)?;
    let (mut train, mut test) = stratified_split(&samples, 0.2, seed);
    standardize(&mut train, &mut test);
    let (xs, classes): (Vec<[f32; 4]>, Vec<usize>) = train.iter().copied().unzip();

    let mut net = Iris::new(seed);
    let mut opt = Adam::new(1e-2);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut rng = SplitMix64::new(seed);
    for epoch in 1..=EPOCHS {
        shuffle(&mut order, &mut rng);
        let mut total = 0.0;
        for batch in order.chunks(BATCH) {
            let bx: Vec<[f32; 4]> = batch.iter().map(|&i| xs[i]).collect();
            let bc: Vec<usize> = batch.iter().map(|&i| classes[i]).collect();
            let mut grads = [0.0; Iris::PARAMS];
            total += net.backward_batch_classes(&bx, &bc, &mut grads)? * batch.len() as f32;
            opt.step(net.params_mut(), &grads);
        }
        if verbose && epoch % 50 == 0 {
            let loss = total / train.len() as f32;
            let accuracy = accuracy(&net, &train);
            println!("epoch {epoch:3}: loss {loss:.4}, train accuracy {accuracy:.3}");
        }
    }
    Ok(accuracy(&net, &test))
}
