//! The worked example of backpropagation (seed 003) drawn: one forward and backward
//! pass of `2 → relu 2 → sigmoid 1` on x = (0.5, 0.8) with target 1, every unit
//! labelled with its value and gradient, every edge with the gradient it carries back.
//!
//! ```text
//! cargo run --example gradient_flow
//! ```
//!
//! Writes `docs/gradient_flow.dot` and `docs/gradient_flow.svg` (drawn by the pure-Rust
//! `layout-rs`; `dot -Tsvg docs/gradient_flow.dot` draws the same DOT with Graphviz).

use backprop::mlp;

mlp!(
    /// The network of seed 003.
    pub Seed<2 => relu 2 => sigmoid 1; loss half_sse>
);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Seed 003's weights: W1 = [[0.4, 0.3], [-0.2, 0.5]], b1 = [0.1, -0.1],
    // W2 = [0.6, -0.4], b2 = 0.2, in canonical order.
    let net = Seed::from_params([0.4, 0.3, -0.2, 0.5, 0.1, -0.1, 0.6, -0.4, 0.2]);
    let dot = backprop::dot::pass(&net, &[0.5, 0.8], &[1.0]);
    std::fs::create_dir_all("docs")?;
    std::fs::write("docs/gradient_flow.dot", &dot)?;
    std::fs::write("docs/gradient_flow.svg", backprop::dot::to_svg(&dot)?)?;
    println!("{dot}");
    println!("wrote docs/gradient_flow.dot and docs/gradient_flow.svg");
    Ok(())
}
