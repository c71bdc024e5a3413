//! Trains the classic XOR network and prints its progress and predictions.
//!
//! ```text
//! cargo run --release --example xor
//! ```

use backprop::{mlp, optim::Sgd};

mlp! {
    /// 2 inputs → 4 relu units → 1 sigmoid output, trained on mean squared error.
    pub Xor<2 => relu 4 => sigmoid 1; loss mse>
}

/// The four XOR cases: inputs and target.
const XOR_DATA: [([f32; 2], [f32; 1]); 4] = [
    ([0.0, 0.0], [0.0]),
    ([0.0, 1.0], [1.0]),
    ([1.0, 0.0], [1.0]),
    ([1.0, 1.0], [0.0]),
];

const EPOCHS: usize = 2000;

fn main() {
    let mut net = Xor::new(42);
    let mut opt = Sgd::new(0.5);
    println!(
        "training {} parameters on XOR for {EPOCHS} epochs (SGD, lr 0.5)",
        Xor::PARAMS
    );
    for epoch in 1..=EPOCHS {
        let mut total = 0.0;
        for (x, t) in &XOR_DATA {
            total += net.train_step(x, t, &mut opt);
        }
        if epoch == 1 || epoch % 250 == 0 {
            println!(
                "epoch {epoch:>4}  mean loss {:.6}",
                total / XOR_DATA.len() as f32
            );
        }
    }
    let mean_loss: f32 = XOR_DATA.iter().map(|(x, t)| net.loss(x, t)).sum::<f32>() / 4.0;
    println!("final mean loss {mean_loss:.6}");
    for (x, t) in &XOR_DATA {
        let [y] = net.forward(x);
        println!("{} xor {} = {y:.4}  (target {})", x[0], x[1], t[0]);
    }
}
