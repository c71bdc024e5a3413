//! Pictures of a pass: seed 003's worked example, its numbers on the nodes and edges.

use backprop::mlp;

mlp!(Seed<2 => relu 2 => sigmoid 1; loss half_sse>);

/// Seed 003: W1 = [[0.4, 0.3], [-0.2, 0.5]], b1 = [0.1, -0.1], W2 = [0.6, -0.4], b2 = 0.2.
fn seed_003() -> Seed {
    Seed::from_params([0.4, 0.3, -0.2, 0.5, 0.1, -0.1, 0.6, -0.4, 0.2])
}

#[test]
fn the_pass_shows_seed_003s_numbers() {
    let dot = backprop::dot::pass(&seed_003(), &[0.5, 0.8], &[1.0]);
    // The seed's table: z₁ = [0.54, 0.20], z₂ = 0.444, y = 0.609, ∂L/∂y = −0.391,
    // ∂L/∂z₂ = −0.093, ∂L/∂h = [−0.056, 0.037].
    for expected in [
        "z1_0 = 0.5400\\n∂L/∂z = -0.0558",
        "z1_1 = 0.2000\\n∂L/∂z = 0.0372",
        "z2_0 = 0.4440\\n∂L/∂z = -0.0930",
        "a2_0 = sigmoid(z2_0) = 0.6092\\n∂L/∂a = -0.3908",
        "a1_0 -> z2_0 [label=\"w = 0.6000, ∂ = -0.0558\", penwidth=3, color=red]",
        "a1_1 -> z2_0 [label=\"w = -0.4000, ∂ = 0.0372\", penwidth=2, color=blue]",
        "loss [label=\"L = 0.0764\"",
    ] {
        assert!(dot.contains(expected), "{expected:?} not in\n{dot}");
    }
}

#[cfg(feature = "svg")]
#[test]
fn the_pass_draws_as_svg() {
    let dot = backprop::dot::pass(&seed_003(), &[0.5, 0.8], &[1.0]);
    let svg = backprop::dot::to_svg(&dot).unwrap();
    assert!(svg.contains("<svg"), "{svg}");
    assert!(svg.contains("L = 0.0764"));
    assert!(backprop::dot::to_svg("digraph { a -> }").is_err());
}
