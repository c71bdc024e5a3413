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
use backprop::{Optimizer, argmax, mlp};

mlp!(
    /// Four measurements of a flower → the probability of each of three species.
    Iris<4 => relu 8 => softmax 3; loss cross_entropy>
);

const DATA: &str = include_str!("data/iris.csv");
const SEED: u64 = 2026;
const EPOCHS: usize = 300;
const BATCH: usize = 16;

/// One flower: its measurements and its species.
type Sample = ([f32; 4], usize);

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
    let samples = parse(DATA)?;
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

/// The samples of a CSV with a header row and four features then a label per row.
fn parse(csv: &str) -> Result<Vec<Sample>, String> {
    csv.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(row, line)| {
            let fields: Vec<&str> = line.split(',').collect();
            let [a, b, c, d, label] = fields[..] else {
                return Err(format!(
                    "row {}: expected 5 fields, found {}",
                    row + 2,
                    fields.len()
                ));
            };
            let number = |field: &str| {
                field
                    .trim()
                    .parse::<f32>()
                    .map_err(|e| format!("row {}: `{field}`: {e}", row + 2))
            };
            let x = [number(a)?, number(b)?, number(c)?, number(d)?];
            let label = label
                .trim()
                .parse()
                .map_err(|e| format!("row {}: label `{label}`: {e}", row + 2))?;
            Ok((x, label))
        })
        .collect()
}

/// Splits each class's samples, shuffled by `seed`, into training and test sets, with
/// `test_share` of each class in the test set.
fn stratified_split(samples: &[Sample], test_share: f64, seed: u64) -> (Vec<Sample>, Vec<Sample>) {
    let mut rng = SplitMix64::new(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    let classes = samples.iter().map(|s| s.1).max().map_or(0, |c| c + 1);
    for class in 0..classes {
        let mut members: Vec<Sample> = samples.iter().filter(|s| s.1 == class).copied().collect();
        shuffle(&mut members, &mut rng);
        let held_out = (members.len() as f64 * test_share).round() as usize;
        test.extend_from_slice(&members[..held_out]);
        train.extend_from_slice(&members[held_out..]);
    }
    (train, test)
}

/// Rescales every feature to zero mean and unit deviation over the training set.
fn standardize(train: &mut [Sample], test: &mut [Sample]) {
    let n = train.len() as f32;
    for feature in 0..4 {
        let mean = train.iter().map(|s| s.0[feature]).sum::<f32>() / n;
        let variance = train
            .iter()
            .map(|s| (s.0[feature] - mean).powi(2))
            .sum::<f32>()
            / n;
        let deviation = variance.sqrt().max(f32::EPSILON);
        for sample in train.iter_mut().chain(test.iter_mut()) {
            sample.0[feature] = (sample.0[feature] - mean) / deviation;
        }
    }
}

/// Fisher–Yates, driven by `rng`.
fn shuffle<T>(items: &mut [T], rng: &mut SplitMix64) {
    for i in (1..items.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// The share of `samples` whose most probable class is their label.
fn accuracy(net: &Iris, samples: &[Sample]) -> f64 {
    let right = samples
        .iter()
        .filter(|(x, label)| argmax(&net.forward(x)) == *label)
        .count();
    right as f64 / samples.len().max(1) as f64
}
