//! Networks of every form the code generator writes, under the strictest lints.
#![deny(
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    missing_docs,
    unreachable_pub,
    unused,
    warnings
)]

use backprop::optim::Sgd;
use backprop::{Network, graph, mlp};

mlp!(
    /// The seed network, written out.
    pub Seed<2 => relu 2 => sigmoid 1; loss half_sse>
);

mlp!(
    /// Kernel layers and unrolled ones, with the conversions between them.
    pub Mixed<40 => tanh 12 => relu 5 => identity 3; loss mse>
);

mlp!(
    /// Every layer a kernel call, in f64 with exact math.
    pub Kernels<9 => sigmoid 30 => tanh 20; loss mse; scalar f64; codegen kernels; math exact>
);

mlp!(
    /// A network private to this crate, whose generated `pub` items must not trip
    /// `unreachable_pub`.
    Hidden<3 => relu 5 => identity 1; loss mse>
);

mlp!(
    /// A classifier: parameterized activations, softmax and a fused cross-entropy.
    pub Classifier<4 => leaky_relu(0.1) 6 => elu 40 => softmax 3; loss cross_entropy>
);

mlp!(
    /// A robust regressor with a parameterized loss, and a binary classifier.
    pub Robust<5 => gelu 3 => identity 2; loss huber(0.5); init he_normal>
);

mlp!(
    /// A binary classifier on a fused binary cross-entropy.
    pub Binary<5 => silu 3 => sigmoid 1; loss bce>
);

graph!(
    /// A graph: fan-out, a residual sum, a concatenation with an input, shared weights,
    /// a slice, a stopped gradient and two weighted losses.
    pub Graph<
        input obs[4];
        input other[4];
        h = dense(obs, 6) |> tanh;
        h2 = dense(h, 6) |> tanh;
        r = add(h, h2);
        e = dense(other, 6, shared = h) |> tanh;
        m = mul(r, e);
        s = slice(m, 0..3) |> stop_gradient;
        pi = dense(r, 3) |> softmax;
        ro = concat(m, obs);
        v = dense(ro, 1);
        w = dense(s, 1);
        loss cross_entropy(pi) + 0.5 * mse(v) + mse(w);
    >
);

mlp!(
    /// Too wide for blocks of 32 samples: its block methods run a block as blocks of 8.
    pub Broad<8 => relu 1500 => identity 2; loss mse>
);

graph!(
    /// The same as a graph.
    pub BroadGraph< input x[8]; h = dense(x, 1500) |> relu; y = dense(h, 2); loss mse(y); >
);

graph!(
    /// A graph private to this crate: its generated `pub` items, and the trace it does
    /// not use, must not trip `unreachable_pub` or `dead_code`.
    HiddenGraph< input x[2]; y = dense(x, 1) |> sigmoid; loss bce(y); >
);

/// Trains each network one step, so that every generated item is used.
#[must_use]
pub fn train_all() -> f64 {
    let mut sgd = Sgd::new(0.1);
    let seed = Seed::new(1).train_step(&[0.5, 0.5], &[1.0], &mut sgd);
    let mixed = Mixed::new(2).loss(&[0.1; 40], &[0.0; 3]);
    let kernels = Kernels::new(3).forward_trace(&[0.2; 9]).a2[0];
    let hidden = Hidden::new(4).train_step(&[1.0, 2.0, 3.0], &[0.5], &mut Sgd::new(0.1));
    let classifier = Classifier::new(5).train_step(&[0.1; 4], &[0.0, 1.0, 0.0], &mut Sgd::new(0.1));
    let robust = Robust::new(6).train_step(&[0.1; 5], &[0.0, 1.0], &mut Sgd::new(0.1));
    let binary = Binary::new(7).loss(&[0.1; 5], &[1.0]);
    let inputs = GraphInput {
        obs: [0.1; 4],
        other: [0.2; 4],
    };
    let targets = GraphOutput {
        pi: [0.0, 1.0, 0.0],
        v: [0.5],
        w: [0.1],
    };
    let graph = Graph::new(8)
        .train_step(&inputs, &targets, &mut Sgd::new(0.1))
        .total;
    let _ = Graph::new(9).forward(&inputs).pi;
    let hidden_graph = HiddenGraph::new(1)
        .train_step(
            &HiddenGraphInput { x: [0.5, 0.5] },
            &HiddenGraphOutput { y: [1.0] },
            &mut Sgd::new(0.1),
        )
        .total;
    let batch = [([0.1; 8], [0.5, 0.5]); 40];
    let broad = Broad::new_boxed(10).train_batch(&batch, &mut Sgd::new_boxed(0.1));
    let broad_graph = BroadGraph::new_boxed(11).train_batch(&batch, &mut Sgd::new_boxed(0.1));
    f64::from(
        seed + mixed + hidden + classifier + robust + binary + graph + hidden_graph + broad + broad_graph,
    ) + kernels
}
