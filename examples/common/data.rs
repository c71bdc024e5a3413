//! What the classification examples share: reading a CSV of features and a class
//! label, a seeded stratified split, standardization with the training split's
//! statistics, and accuracy.

use backprop::init::SplitMix64;
use backprop::{Network, argmax};

/// One sample: `N` features and a class.
pub type Sample<const N: usize> = ([f32; N], usize);

/// The samples of a CSV with a header row, then `N` features and a label below
/// `classes` per row.
pub fn parse<const N: usize>(csv: &str, classes: usize) -> Result<Vec<Sample<N>>, String> {
    csv.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(row, line)| {
            let row = row + 2;
            let fields: Vec<&str> = line.split(',').collect();
            let [features @ .., label] = &fields[..] else {
                return Err(format!("row {row}: empty"));
            };
            let features: Vec<f32> = features
                .iter()
                .map(|f| {
                    f.trim()
                        .parse::<f32>()
                        .map_err(|e| format!("row {row}: `{f}`: {e}"))
                })
                .collect::<Result<_, _>>()?;
            let x: [f32; N] = features
                .try_into()
                .map_err(|f: Vec<f32>| format!("row {row}: {} features, expected {N}", f.len()))?;
            let label: usize = label
                .trim()
                .parse()
                .map_err(|e| format!("row {row}: label `{label}`: {e}"))?;
            if label >= classes {
                return Err(format!(
                    "row {row}: label {label}, expected below {classes}"
                ));
            }
            Ok((x, label))
        })
        .collect()
}

/// Each class's samples, shuffled by `seed`, split into training and test sets with
/// `test_share` of each class in the test set.
pub fn stratified_split<const N: usize>(
    samples: &[Sample<N>],
    test_share: f64,
    seed: u64,
) -> (Vec<Sample<N>>, Vec<Sample<N>>) {
    let mut rng = SplitMix64::new(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    let classes = samples.iter().map(|s| s.1).max().map_or(0, |c| c + 1);
    for class in 0..classes {
        let mut members: Vec<Sample<N>> =
            samples.iter().filter(|s| s.1 == class).copied().collect();
        shuffle(&mut members, &mut rng);
        let held_out = (members.len() as f64 * test_share).round() as usize;
        test.extend_from_slice(&members[..held_out]);
        train.extend_from_slice(&members[held_out..]);
    }
    (train, test)
}

/// Rescales every feature to zero mean and unit deviation over the training set
/// (features that never vary are only centred).
pub fn standardize<const N: usize>(train: &mut [Sample<N>], test: &mut [Sample<N>]) {
    let n = train.len() as f32;
    for feature in 0..N {
        let mean = train.iter().map(|s| s.0[feature]).sum::<f32>() / n;
        let variance = train
            .iter()
            .map(|s| (s.0[feature] - mean).powi(2))
            .sum::<f32>()
            / n;
        let deviation = if variance > 0.0 { variance.sqrt() } else { 1.0 };
        for sample in train.iter_mut().chain(test.iter_mut()) {
            sample.0[feature] = (sample.0[feature] - mean) / deviation;
        }
    }
}

/// Fisher–Yates, driven by `rng`.
pub fn shuffle<T>(items: &mut [T], rng: &mut SplitMix64) {
    for i in (1..items.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// The share of `samples` whose most probable class is their label.
pub fn accuracy<Net, const N: usize>(net: &Net, samples: &[Sample<N>]) -> f64
where
    Net: Network<Scalar = f32, Input = [f32; N]>,
{
    let right = samples
        .iter()
        .filter(|(x, label)| argmax(net.forward(x).as_ref()) == *label)
        .count();
    right as f64 / samples.len().max(1) as f64
}
