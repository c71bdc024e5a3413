//! Pictures of one pass: a network's forward values and backward gradients as Graphviz
//! DOT (feature `alloc`), and rendered to SVG without a system Graphviz (feature `svg`).
//!
//! `Net::DOT` (generated) is the network's computation graph, vector by vector. The
//! picture here is one pass on one sample, unit by unit, as the worked examples of
//! backpropagation draw it: every input, pre-activation `z` and activation `a` a node
//! labelled with its value and the loss's gradient with respect to it, and every edge
//! labelled with the gradient it carries back, its width growing with that gradient's
//! magnitude (red where it is negative, blue where positive). Where a unit feeds several
//! others, the gradients on its outgoing edges add up to its own: the picture shows the
//! chain rule's sums.
//!
//! It is made for small networks (a node per unit, an edge per weight). The gradients
//! come from the network's own `backward`: a bias's gradient is `∂L/∂z` of its unit,
//! and `∂L/∂a` of a hidden unit is `Σⱼ ∂L/∂zⱼ · wⱼ`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use crate::{Array, Chain, Scalar, Trace};

/// DOT of one forward and backward pass of `net` on `x` against `target`.
///
/// For chains ([`Chain`]): a `graph!` network's units are not connected layer to
/// layer, and its `DOT` draws its graph.
pub fn pass<N: Chain>(net: &N, x: &N::Input, target: &N::Output) -> String {
    let trace = net.forward_trace(x);
    let mut grads = N::Params::zeros();
    let loss = net.backward(x, target, &mut grads).to_f64();
    let params = net.params().as_ref();
    let grads = grads.as_ref();
    let layers = N::layers();
    // ∂L/∂z of each layer's units: its biases' gradients.
    let dz: Vec<Vec<f64>> = layers
        .iter()
        .map(|l| {
            grads[l.biases..l.biases + l.outputs]
                .iter()
                .map(|g| g.to_f64())
                .collect()
        })
        .collect();
    let weight = |l: usize, to: usize, from: usize| {
        let layer = &layers[l];
        params[layer.weights + to * layer.inputs + from].to_f64()
    };
    // ∂L/∂a of layer l's units (the inputs of layer l + 1); for the last layer, from the
    // activation's derivative where it has one.
    let values = |l: usize, pre: bool| -> Vec<f64> {
        let layer = l + 1;
        let v = if pre {
            trace.pre_activation(layer)
        } else {
            trace.activation(layer)
        };
        v.unwrap_or(&[]).iter().map(|v| v.to_f64()).collect()
    };
    let mut out = String::new();
    let _ = writeln!(out, "digraph pass {{");
    let _ = writeln!(out, "    rankdir=\"LR\"");
    let _ = writeln!(out, "    node [shape=box]");
    let inputs = x.as_ref();
    for (i, value) in inputs.iter().enumerate() {
        let _ = writeln!(
            out,
            "    x_{i} [label=\"x_{i} = {}\"]",
            number(value.to_f64())
        );
    }
    for (l, layer) in layers.iter().enumerate() {
        let number_l = l + 1;
        let (z, a) = (values(l, true), values(l, false));
        let da: Vec<f64> = match dz.get(l + 1) {
            Some(next) => (0..layer.outputs)
                .map(|i| (0..next.len()).map(|j| next[j] * weight(l + 1, j, i)).sum())
                .collect(),
            None => (0..layer.outputs)
                .map(|i| {
                    let slope = crate::activation::derivative_by_name(layer.activation, z[i], a[i]);
                    slope
                        .filter(|s| *s != 0.0)
                        .map_or(f64::NAN, |s| dz[l][i] / s)
                })
                .collect(),
        };
        for j in 0..layer.outputs {
            let _ = writeln!(
                out,
                "    z{number_l}_{j} [label=\"z{number_l}_{j} = {}\\n∂L/∂z = {}\"]",
                number(z[j]),
                number(dz[l][j])
            );
            let _ = writeln!(
                out,
                "    a{number_l}_{j} [label=\"a{number_l}_{j} = {}(z{number_l}_{j}) = {}\\n∂L/∂a = {}\"]",
                layer.activation,
                number(a[j]),
                number(da[j])
            );
            let _ = writeln!(
                out,
                "    z{number_l}_{j} -> a{number_l}_{j} [{}]",
                edge(dz[l][j], None)
            );
            for i in 0..layer.inputs {
                let from = if l == 0 {
                    format!("x_{i}")
                } else {
                    format!("a{l}_{i}")
                };
                let w = weight(l, j, i);
                let back = dz[l][j] * w;
                let _ = writeln!(
                    out,
                    "    {from} -> z{number_l}_{j} [{}]",
                    edge(back, Some(w))
                );
            }
        }
        if l + 1 == layers.len() {
            let _ = writeln!(
                out,
                "    loss [label=\"L = {}\", shape=doublecircle]",
                number(loss)
            );
            for (j, da) in da.iter().enumerate() {
                let _ = writeln!(out, "    a{number_l}_{j} -> loss [{}]", edge(*da, None));
            }
        }
    }
    let _ = writeln!(out, "}}");
    out
}

/// An edge's attributes: the gradient it carries back (and its weight), a width that
/// grows with the gradient's magnitude, red for negative and blue for positive.
fn edge(gradient: f64, weight: Option<f64>) -> String {
    let label = match weight {
        Some(w) => format!("w = {}, ∂ = {}", number(w), number(gradient)),
        None => format!("∂ = {}", number(gradient)),
    };
    let width = 1 + ((gradient.abs() * 40.0).min(6.0)) as usize;
    let color = if gradient < 0.0 { "red" } else { "blue" };
    format!("label=\"{label}\", penwidth={width}, color={color}")
}

/// A value as the worked examples write it: four significant decimals.
fn number(value: f64) -> String {
    if value.is_nan() {
        return String::from("?");
    }
    let text = format!("{value:.4}");
    if text == "-0.0000" {
        String::from("0.0000")
    } else {
        text
    }
}

/// Why DOT could not be drawn.
#[cfg(feature = "svg")]
#[derive(Debug)]
pub struct SvgError(String);

#[cfg(feature = "svg")]
impl core::fmt::Display for SvgError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "cannot draw the DOT: {}", self.0)
    }
}

#[cfg(feature = "svg")]
impl core::error::Error for SvgError {}

/// `dot` laid out and drawn as SVG by the pure-Rust `layout-rs` (feature `svg`): no
/// system Graphviz needed. `dot -Tsvg` draws the same DOT, laid out better.
///
/// # Errors
/// [`SvgError`] if `dot` is not DOT that `layout-rs` reads.
#[cfg(feature = "svg")]
pub fn to_svg(dot: &str) -> Result<String, SvgError> {
    let mut parser = layout::gv::DotParser::new(dot);
    let graph = parser.process().map_err(SvgError)?;
    let mut builder = layout::gv::GraphBuilder::new();
    builder.visit_graph(&graph);
    let mut visual = builder.get();
    let mut svg = layout::backends::svg::SVGWriter::new();
    visual.do_it(false, false, false, &mut svg);
    Ok(svg.finalize())
}
