//! The examples' claims, checked: the iris classifier beats scikit-learn's
//! MLPClassifier of its size (0.893 mean test accuracy, examples/data/README.md).

// Each example brings its own copy of examples/common/data.rs, as it does when built
// alone; here both are loaded at once.
#![allow(clippy::duplicate_mod)]

#[path = "../examples/iris.rs"]
#[allow(dead_code)]
mod iris;

#[test]
fn iris_beats_scikit_learns_reference_accuracy() {
    let accuracy = iris::train_and_test(2026, false).unwrap();
    assert!(accuracy >= 0.893, "test accuracy {accuracy}");
}

#[path = "../examples/digits.rs"]
#[allow(dead_code)]
mod digits;

/// The digits example's claim: at least 0.97 test accuracy (scikit-learn's
/// MLPClassifier of its size: 0.977, examples/data/README.md).
#[test]
fn digits_reach_the_accuracy_the_example_claims() {
    let samples = digits::data::parse::<64>(digits::DATA, 10).unwrap();
    let (mut train, mut test) = digits::stratified_split(&samples, 0.2, digits::SEED);
    digits::standardize(&mut train, &mut test);
    let (net, history) = digits::train_network(&train, &test);
    let accuracy = digits::accuracy(&net, &test);
    assert!(accuracy >= 0.97, "test accuracy {accuracy}");
    assert_eq!(history.loss.len(), digits::EPOCHS);
    assert!(history.loss[digits::EPOCHS - 1] < 0.1 * history.loss[0]);
}
