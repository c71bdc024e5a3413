//! The examples' claims, checked: the iris classifier beats scikit-learn's
//! MLPClassifier of its size (0.893 mean test accuracy, examples/data/README.md).

#[path = "../examples/iris.rs"]
#[allow(dead_code)]
mod iris;

#[test]
fn iris_beats_scikit_learns_reference_accuracy() {
    let accuracy = iris::train_and_test(2026, false).unwrap();
    assert!(accuracy >= 0.893, "test accuracy {accuracy}");
}
