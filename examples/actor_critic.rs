//! A two-headed network written with `graph!`: one trunk, a residual connection, a
//! softmax policy head and a scalar value head that also sees the raw observation,
//! trained on one weighted loss.
//!
//! ```text
//! cargo run --release --example actor_critic
//! ```
//!
//! The task is synthetic and fixed by a seed: for an observation of 8 numbers, the
//! policy should pick the largest of the first four (as a one-hot target) and the value
//! should be the mean of all eight. The loss of both heads falls as it trains.

use backprop::init::SplitMix64;
use backprop::optim::Adam;
use backprop::{argmax, graph};

graph!(
    /// A policy and a value head on one trunk.
    pub ActorCritic<
        input obs[8];
        h  = dense(obs, 32) |> tanh;
        h2 = dense(h, 32) |> tanh;
        r  = add(h, h2);                  // residual: h fans out, its gradients add
        pi = dense(r, 4) |> softmax;      // policy head
        v  = dense(concat(r, obs), 1);    // value head, which also sees the observation
        loss cross_entropy(pi) + 0.5 * mse(v);
    >
);

const SAMPLES: usize = 512;
const EPOCHS: usize = 30;

fn main() {
    let mut rng = SplitMix64::new(2026);
    let data: Vec<(ActorCriticInput, ActorCriticOutput)> = (0..SAMPLES)
        .map(|_| {
            let obs: [f32; 8] = core::array::from_fn(|_| rng.uniform(1.0) as f32);
            let best = argmax(&obs[..4]);
            let pi = core::array::from_fn(|i| if i == best { 1.0 } else { 0.0 });
            let v = [obs.iter().sum::<f32>() / 8.0];
            (ActorCriticInput { obs }, ActorCriticOutput { pi, v })
        })
        .collect();
    let mut net = ActorCritic::new(7);
    let mut opt = Adam::new(3e-3);
    println!(
        "{} parameters; epoch 0: {}",
        ActorCritic::PARAMS,
        report(&net, &data)
    );
    for epoch in 1..=EPOCHS {
        for (x, t) in &data {
            net.train_step(x, t, &mut opt);
        }
        if epoch % 5 == 0 {
            println!("epoch {epoch:2}: {}", report(&net, &data));
        }
    }
}

/// The mean losses over `data` and how often the policy picks the right action.
fn report(net: &ActorCritic, data: &[(ActorCriticInput, ActorCriticOutput)]) -> String {
    let n = data.len() as f32;
    let (mut total, mut policy, mut value, mut right) = (0.0, 0.0, 0.0, 0);
    for (x, t) in data {
        let losses = net.loss(x, t);
        total += losses.total;
        policy += losses.pi;
        value += losses.v;
        if argmax(&net.forward(x).pi) == argmax(&t.pi) {
            right += 1;
        }
    }
    format!(
        "loss {:.4} (policy {:.4}, value {:.4}), right action {:.1}%",
        total / n,
        policy / n,
        value / n,
        100.0 * right as f32 / n
    )
}
