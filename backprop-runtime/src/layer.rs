//! A description of one dense layer of a generated network.

use crate::init::Init;

/// One dense layer `a = f(W·x + b)` of a generated network, as listed in its `LAYERS`.
///
/// The parameters of a network are one array in canonical order: layer by layer, the
/// weight matrix row-major (`[outputs][inputs]`), then the bias (PyTorch's `state_dict`
/// order). `weights` and `biases` are the offsets of this layer's parts in that array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layer {
    /// The width of the layer's input.
    pub inputs: usize,
    /// The layer's width: the number of units.
    pub outputs: usize,
    /// The name of the activation function, as written in the spec's canonical form.
    pub activation: &'static str,
    /// How [`crate::init::init_params`] draws the weights.
    pub init: Init,
    /// Offset of the weight matrix (`inputs * outputs` values) in the parameter array.
    pub weights: usize,
    /// Offset of the bias (`outputs` values) in the parameter array.
    pub biases: usize,
}

impl Layer {
    /// The number of parameters of this layer: weights and biases.
    pub const fn params(&self) -> usize {
        self.inputs * self.outputs + self.outputs
    }
}
