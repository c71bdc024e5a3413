//! Generic access to the values of one forward pass.

/// Every pre-activation `z` and activation `a` of one forward pass, as returned by a
/// generated network's `forward_trace`.
///
/// The generated trace struct has one named field per vector (`z1`, `a1`, …); this
/// trait reaches them by layer number for generic code (plots, dead-unit counts).
/// Layers count from 1, as in the field names.
pub trait Trace<T>: Copy + core::fmt::Debug {
    /// The number of dense layers.
    const LAYERS: usize;

    /// The pre-activation `z` of layer `layer` (1-based), or `None` past the last.
    fn pre_activation(&self, layer: usize) -> Option<&[T]>;

    /// The activation `a` of layer `layer` (1-based), or `None` past the last.
    fn activation(&self, layer: usize) -> Option<&[T]>;
}
