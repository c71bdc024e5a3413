//! Weights in and out: safetensors files as PyTorch names them (one written by the
//! Python `safetensors` package, `tests/fixtures/make_safetensors.py`), errors that
//! name the tensor at fault and load nothing, and little-endian bytes.

use std::path::PathBuf;

use backprop::io::{
    BytesError, SafetensorsError, from_safetensors_bytes, load_safetensors, load_safetensors_into,
    save_safetensors, tensor_names, to_safetensors_bytes,
};
use backprop::mlp;

mlp!(Sequential<3 => tanh 4 => identity 2; loss mse>);
mlp!(Sequential64<3 => tanh 4 => identity 2; loss mse; scalar f64>);
mlp!(Wider<3 => tanh 5 => identity 2; loss mse>);
mlp!(OneLayer<3 => tanh 4; loss mse>);
mlp!(Classifier<784 => relu 128 => softmax 10; loss cross_entropy>);
mlp!(Linear<4 => identity 3 => relu 2 => softmax 2; loss cross_entropy>);

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sequential.safetensors")
}

/// A path in the system's temporary directory, unique to this test.
fn temporary(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("backprop-io-{}-{name}", std::process::id()))
}

#[test]
fn reads_a_file_written_by_python_safetensors() {
    let net: Sequential = load_safetensors(fixture()).unwrap();
    // make_safetensors.py: 0.weight[0][0] = (0 − 5.5)/10, then row-major.
    assert_eq!(net.params()[..3], [-0.55, -0.45, -0.35]);
    let y = net.forward(&[0.5, -1.0, 2.0]);
    // The output make_safetensors.py prints, computed by numpy in f64.
    let want = [0.191_670_274_425_804_56, 0.274_520_618_430_682_15];
    for (y, want) in y.iter().zip(want) {
        assert!((f64::from(*y) - want).abs() < 1e-6, "{y} vs {want}");
    }
}

#[test]
fn tensors_are_named_as_in_pytorchs_sequential() {
    let names = tensor_names(Classifier::LAYERS);
    assert_eq!(names[0], ("0.weight".into(), "0.bias".into()));
    assert_eq!(names[1], ("2.weight".into(), "2.bias".into()));
    // An identity layer has no activation module after it.
    let names = tensor_names(Linear::LAYERS);
    let weights: Vec<_> = names.iter().map(|(w, _)| w.as_str()).collect();
    assert_eq!(weights, ["0.weight", "1.weight", "3.weight"]);
}

#[test]
fn saved_networks_load_back_identical() {
    let path = temporary("round-trip.safetensors");
    let net = Sequential::new(7);
    save_safetensors(&net, &path).unwrap();
    let back: Sequential = load_safetensors(&path).unwrap();
    assert_eq!(back.params(), net.params());
    let net64 = Sequential64::new(8);
    save_safetensors(&net64, &path).unwrap();
    let mut boxed = Sequential64::new_boxed(9);
    load_safetensors_into(&path, &mut boxed).unwrap();
    assert_eq!(boxed.params(), net64.params());
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn mismatched_files_name_the_tensor_and_load_nothing() {
    let bytes = std::fs::read(fixture()).unwrap();
    let mut wider = Wider::new(1);
    let before = *wider.params();
    let error = from_safetensors_bytes(&bytes, &mut wider).unwrap_err();
    assert!(
        matches!(&error, SafetensorsError::Shape { name, expected, found }
            if name == "0.weight" && expected == &[5, 3] && found == &[4, 3]),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "tensor `0.weight` has shape [4, 3]; the network's is [5, 3]"
    );
    assert_eq!(*wider.params(), before);

    let mut f64_net = Sequential64::new(1);
    let error = from_safetensors_bytes(&bytes, &mut f64_net).unwrap_err();
    assert_eq!(
        error.to_string(),
        "tensor `0.weight` holds F32; the network's scalar is F64"
    );

    let mut one = OneLayer::new(1);
    let error = from_safetensors_bytes(&bytes, &mut one).unwrap_err();
    assert!(
        matches!(error, SafetensorsError::Unexpected { .. }),
        "{error}"
    );

    let one_layer = to_safetensors_bytes(&OneLayer::new(2)).unwrap();
    let mut two = Sequential::new(3);
    let error = from_safetensors_bytes(&one_layer, &mut two).unwrap_err();
    assert_eq!(
        error.to_string(),
        "tensor `2.weight` is missing from the file"
    );

    let error = from_safetensors_bytes(b"not a file", &mut two).unwrap_err();
    assert!(matches!(error, SafetensorsError::Format(_)), "{error}");
    let error = load_safetensors::<Sequential>(temporary("absent")).unwrap_err();
    assert!(matches!(error, SafetensorsError::Io(_)), "{error}");
}

#[test]
fn little_endian_bytes_round_trip_and_check_their_length() {
    let net = Sequential::new(4);
    let bytes = net.to_le_bytes();
    assert_eq!(bytes.len(), Sequential::PARAM_BYTES);
    assert_eq!(bytes[..4], net.params()[0].to_le_bytes());
    let back = Sequential::from_le_bytes(&bytes).unwrap();
    assert_eq!(back.params(), net.params());
    assert_eq!(
        Sequential::from_le_bytes(&bytes[1..]).unwrap_err(),
        BytesError {
            expected: Sequential::PARAM_BYTES,
            found: Sequential::PARAM_BYTES - 1
        }
    );
    let mut boxed = Sequential::new_boxed(5);
    let mut buffer = vec![0u8; Sequential::PARAM_BYTES];
    boxed.write_le_bytes(&mut buffer).unwrap();
    assert!(boxed.write_le_bytes(&mut buffer[1..]).is_err());
    boxed.read_le_bytes(&bytes).unwrap();
    assert_eq!(boxed.params(), net.params());
}
