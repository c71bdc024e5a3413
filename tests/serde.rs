//! Feature `serde`: networks and optimizer states round-trip through serde, at any
//! size, and a sequence of the wrong length is an error.
#![cfg(feature = "serde")]

use backprop::mlp;
use backprop::optim::{Adam, Lion, RmsProp, Sgd};

mlp!(Small<3 => tanh 4 => softmax 2; loss cross_entropy>);
// 33 parameters and more: past the 32 elements serde implements for arrays.
mlp!(Wide<30 => relu 40 => identity 3; loss mse; scalar f64>);

#[test]
fn networks_round_trip_as_their_parameters() {
    let net = Small::new(1);
    let json = serde_json::to_string(&net).unwrap();
    assert!(json.starts_with('['), "{json}");
    let back: Small = serde_json::from_str(&json).unwrap();
    assert_eq!(back.params(), net.params());
    let wide = Wide::new_boxed(2);
    let json = serde_json::to_string(&wide).unwrap();
    let back: Wide<Box<_>> = serde_json::from_str(&json).unwrap();
    assert!(back.params() == wide.params(), "the wide network changed");
    let short = serde_json::from_str::<Small>("[1.0, 2.0]").unwrap_err();
    assert!(
        short.to_string().contains("a sequence of 26 numbers"),
        "{short}"
    );
    let long = format!("[{}]", vec!["0.5"; 27].join(","));
    assert!(serde_json::from_str::<Small>(&long).is_err());
}

#[test]
fn graph_networks_round_trip_as_their_parameters() {
    backprop::graph!(Heads< input x[3]; h = dense(x, 6) |> tanh; p = dense(h, 2) |> softmax;
        v = dense(concat(h, x), 1); loss cross_entropy(p) + mse(v); >);
    let net = Heads::new(4);
    let json = serde_json::to_string(&net).unwrap();
    let back: Heads = serde_json::from_str(&json).unwrap();
    assert_eq!(back, net);
    let boxed: Heads<Box<_>> = serde_json::from_str(&json).unwrap();
    assert_eq!(boxed.params(), net.params());
    assert!(serde_json::from_str::<Heads>("[1.0]").is_err());
}

#[test]
fn optimizer_states_round_trip_mid_training() {
    let mut net = Wide::new(3);
    let x = [0.25; 30];
    let t = [0.5, -0.5, 1.0];
    let mut adam = Adam::new(1e-2);
    let mut rms = RmsProp::new(1e-2).momentum(0.9).centered(true);
    let mut lion = Lion::new_boxed(1e-3);
    let mut sgd = Sgd::new(1e-2).momentum(0.9);
    for _ in 0..3 {
        net.train_step(&x, &t, &mut adam);
        net.train_step(&x, &t, &mut rms);
        net.train_step(&x, &t, &mut lion);
        net.train_step(&x, &t, &mut sgd);
    }
    // A restored optimizer continues exactly as the original does.
    let mut adam_back: Adam<f64, { Wide::PARAMS }> =
        serde_json::from_str(&serde_json::to_string(&adam).unwrap()).unwrap();
    let mut rms_back: RmsProp<f64, { Wide::PARAMS }> =
        serde_json::from_str(&serde_json::to_string(&rms).unwrap()).unwrap();
    let mut lion_back: Lion<f64, { Wide::PARAMS }, Box<_>> =
        serde_json::from_str(&serde_json::to_string(&lion).unwrap()).unwrap();
    let mut sgd_back: Sgd<f64, { Wide::PARAMS }> =
        serde_json::from_str(&serde_json::to_string(&sgd).unwrap()).unwrap();
    let (mut a, mut b) = (net.clone(), net.clone());
    a.train_step(&x, &t, &mut adam);
    b.train_step(&x, &t, &mut adam_back);
    a.train_step(&x, &t, &mut rms);
    b.train_step(&x, &t, &mut rms_back);
    a.train_step(&x, &t, &mut lion);
    b.train_step(&x, &t, &mut lion_back);
    a.train_step(&x, &t, &mut sgd);
    b.train_step(&x, &t, &mut sgd_back);
    assert!(
        a.params() == b.params(),
        "the restored optimizers took other steps"
    );
}
