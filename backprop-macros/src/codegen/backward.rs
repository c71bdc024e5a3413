//! The backward pass: reverse mode, node by node in reverse topological order, sending
//! every parameter gradient to a `::backprop::kernel::GradientSink`.
//!
//! Each node's gradient is the sum of what its consumers send back, which is how a
//! value that feeds several others (every hidden unit feeds every unit of the next
//! layer) collects its gradient. Unrolled dense nodes hand their parameter gradients
//! to the sink as products (`sink.accept_products`), one call for each run of
//! consecutive unrolled layers; a kernel dense node hands the sink its input and
//! gradient (`sink.dense`), which returns the input's gradient.

use proc_macro2::TokenStream;
use quote::quote;

use super::Codegen;
use crate::graph::{Dense, NodeId, Op};
use crate::names::{Activation, ActivationFn, DerivativeOf, LossForm};
use crate::plan::Strategy;

impl Codegen<'_> {
    /// Walks the graph backwards from the loss.
    pub(super) fn backward_statements(&self) -> Vec<TokenStream> {
        let mut statements = Vec::new();
        let mut pending: Option<UnrolledGradients> = None;
        for &node in self.order.iter().rev() {
            let op = self.dag.graph[node].op;
            if !self.needs_gradient[node.index()]
                || matches!(op, Op::Loss(_))
                || self.skipped_by_fused_loss(node)
            {
                continue;
            }
            statements.extend(self.gradient_of(node));
            let Op::Dense(dense) = op else { continue };
            match self.plan.strategy(node) {
                Strategy::Unrolled => {
                    let layer = self.unrolled_gradients(node, &dense);
                    pending = Some(match pending.take() {
                        Some(later) if layer.end() == later.offset => layer.followed_by(later),
                        earlier_run => {
                            statements.extend(earlier_run.map(|run| self.accept(run)));
                            layer
                        }
                    });
                }
                Strategy::Kernel => {
                    statements.extend(pending.take().map(|run| self.accept(run)));
                    statements.extend(self.kernel_parameter_gradients(node, &dense));
                }
            }
        }
        statements.extend(pending.map(|run| self.accept(run)));
        statements
    }

    /// The node's gradient in its own form, from its consumers. Nothing when a kernel
    /// dense consumer already returned it.
    fn gradient_of(&self, node: NodeId) -> Vec<TokenStream> {
        if self.loss_gradient_target() == Some(node) {
            // The loss's call bound it.
            return Vec::new();
        }
        let consumers = self.dag.consumers(node);
        if let [(consumer, _)] = consumers[..] {
            let kernel_consumer = self.plan.strategy(consumer) == Strategy::Kernel;
            match self.dag.graph[consumer].op {
                Op::Dense(_) if kernel_consumer => return Vec::new(),
                Op::Activation(_) | Op::Loss(_) if kernel_consumer => {
                    return vec![self.kernel_sent_back(consumer, node)];
                }
                _ => {}
            }
        }
        let mut statements: Vec<TokenStream> = (0..self.dag.graph[node].width)
            .map(|index| {
                let name = self.gradient(node, index);
                let parts = consumers
                    .iter()
                    .map(|&(consumer, _)| self.sent_back(consumer, node, index));
                quote!(let #name = #(#parts)+*;)
            })
            .collect();
        if self.plan.strategy(node) == Strategy::Kernel {
            let array = self.gradient_array(node);
            let elements = (0..self.dag.graph[node].width).map(|i| self.gradient(node, i));
            statements.push(quote!(let #array = [#(#elements),*];));
        }
        statements
    }

    /// `let dz1 = ::backprop::kernel::chain_gate(&da1, &z1, relu_backward);` or the loss's
    /// `let da2 = ::backprop::kernel::scaled(&e, 0.5f32);`: what a kernel activation or
    /// loss sends back to its only input, as an array.
    fn kernel_sent_back(&self, consumer: NodeId, producer: NodeId) -> TokenStream {
        let gradient = self.gradient_array(producer);
        match self.dag.graph[consumer].op {
            Op::Activation(activation) => {
                self.through_activation(activation, producer, consumer, false)
            }
            _ => match self.loss_factor() {
                None => quote!(let #gradient = e;),
                Some(factor) => quote!(let #gradient = ::backprop::kernel::scaled(&e, #factor);),
            },
        }
    }

    /// `let dz1 = ::backprop::kernel::chain_gate(&da1, &z1, relu_backward);`: the gradient
    /// of `producer`, an activation's input, from the activation's, through the
    /// one-sample kernels or (`rows`) the block ones; `let dz1 = da1;` for the
    /// identity, the softmax's Jacobian for softmax.
    pub(super) fn through_activation(
        &self,
        activation: ActivationFn,
        producer: NodeId,
        consumer: NodeId,
        rows: bool,
    ) -> TokenStream {
        let (gradient, upstream) = (self.gradient_array(producer), self.gradient_array(consumer));
        let suffix = if rows { "_rows" } else { "" };
        match activation.row().functions {
            None if activation.kind == Activation::Softmax => {
                let a = self.array(consumer);
                let kernel = super::ident(format!("softmax_backward{suffix}"));
                quote!(let #gradient = ::backprop::kernel::#kernel(&#upstream, &#a);)
            }
            None => quote!(let #gradient = #upstream;),
            Some((_, derivative, of)) => {
                let path = self.activation_path(activation, derivative, false);
                let param = activation.param;
                let (at, chain, derivative) = match of {
                    DerivativeOf::Input => (
                        self.array(producer),
                        "chain",
                        self.elementwise(&path, param),
                    ),
                    DerivativeOf::Output => (
                        self.array(consumer),
                        "chain",
                        self.elementwise(&path, param),
                    ),
                    DerivativeOf::Gate => {
                        (self.array(producer), "chain_gate", self.gate(&path, param))
                    }
                };
                let chain = super::ident(format!("{chain}{suffix}"));
                quote! {
                    let #gradient = ::backprop::kernel::#chain(&#upstream, &#at, #derivative);
                }
            }
        }
    }

    /// Whether `node` is the output activation of a loss fused with it: the loss gives
    /// the logits' gradient directly, so the activation has none of its own.
    pub(super) fn skipped_by_fused_loss(&self, node: NodeId) -> bool {
        self.fused_loss() && node == self.dag.output()
    }

    /// What an unrolled `consumer` sends back to element `index` of its input
    /// `producer`.
    fn sent_back(&self, consumer: NodeId, producer: NodeId, index: usize) -> TokenStream {
        match self.dag.graph[consumer].op {
            Op::Dense(dense) => {
                let units = 0..self.dag.graph[consumer].width;
                let dz = units.clone().map(|to| self.gradient(consumer, to));
                let weights = units.map(|to| Self::weight(&dense, to, index));
                quote!(#(#dz * #weights)+*)
            }
            Op::Activation(activation) => {
                let da = self.gradient(consumer, index);
                match activation.row().functions {
                    None => quote!(#da),
                    Some((_, derivative, of)) => {
                        let derivative = self.activation_path(activation, derivative, false);
                        let argument = match of {
                            DerivativeOf::Input | DerivativeOf::Gate => self.value(producer, index),
                            DerivativeOf::Output => self.value(consumer, index),
                        };
                        if of == DerivativeOf::Gate {
                            return self.with_param(
                                &derivative,
                                quote!(#da, #argument),
                                activation.param,
                            );
                        }
                        let call =
                            self.with_param(&derivative, quote!(#argument), activation.param);
                        quote!(#da * #call)
                    }
                }
            }
            Op::Loss(_) => {
                let error = Self::error(index);
                match self.loss_factor() {
                    None => quote!(#error),
                    Some(factor) => quote!(#factor * #error),
                }
            }
            // The input consumes nothing, so it never sends anything back; a chain has
            // none of the other ops (`emit` checks).
            _ => self.literal(0.0),
        }
    }

    /// `∂L/∂y = factor · (y − t)`: the factor as a literal, or `None` when it is 1.
    pub(super) fn loss_factor(&self) -> Option<TokenStream> {
        let LossForm::SquaredError { scale, mean } = self.loss_form() else {
            return None;
        };
        let count = if mean {
            self.dag.graph[self.dag.output()].width as f64
        } else {
            1.0
        };
        let factor = 2.0 * scale / count;
        (factor != 1.0).then(|| self.literal(factor))
    }

    /// An unrolled layer's parameter gradients as products, `dz1_0 · x_0, …,
    /// dz1_0 · 1f32, …` (weights row-major, then biases), where they go in the
    /// parameters.
    fn unrolled_gradients(&self, node: NodeId, dense: &Dense) -> UnrolledGradients {
        let inputs = self.values(self.input_of(node));
        let units = self.dag.graph[node].width;
        let one = self.literal(1.0);
        let mut run = UnrolledGradients {
            offset: dense.weights,
            factors: Vec::new(),
            inputs: Vec::new(),
        };
        for to in 0..units {
            let dz = self.gradient(node, to);
            run.factors.extend(inputs.iter().map(|_| quote!(#dz)));
            run.inputs.extend(inputs.iter().map(|input| quote!(#input)));
        }
        for to in 0..units {
            let dz = self.gradient(node, to);
            run.factors.push(quote!(#dz));
            run.inputs.push(one.clone());
        }
        run
    }

    /// `sink.accept_products::<0, 9>(&[dz1_0, …], &[x_0, …]);`: one statement for the
    /// whole run, each parameter's gradient the product of its factor and its input.
    /// Two arrays of values build faster than one of pairs or one of products (a 64 ×
    /// 64 layer written out, release: 22 s, against 36 and 30 s). A `let` per weight
    /// gradient would nest one debug-info scope per weight, which LLVM walks
    /// recursively.
    fn accept(&self, run: UnrolledGradients) -> TokenStream {
        let (offset, len) = (self.usize(run.offset), self.usize(run.factors.len()));
        let (factors, inputs) = (run.factors, run.inputs);
        quote! {
            sink.accept_products::<#offset, #len>(&[#(#factors),*], &[#(#inputs),*]);
        }
    }

    /// Hands a kernel layer's parameter gradients to the sink: one `sink.dense` call
    /// that also returns the input's gradient, or `sink.dense_params` when the input
    /// needs none.
    fn kernel_parameter_gradients(&self, node: NodeId, dense: &Dense) -> Vec<TokenStream> {
        let producer = self.input_of(node);
        let shape = self.layer_shape(node, dense);
        let (input, dz) = (self.array_ref(producer), self.gradient_array(node));
        if !self.needs_gradient[producer.index()] {
            return vec![quote!(sink.dense_params::<#shape>(#input, &#dz);)];
        }
        let dx = self.gradient_array(producer);
        let mut statements = vec![quote!(let #dx = sink.dense::<#shape>(#input, &#dz);)];
        if self.plan.strategy(producer) == Strategy::Unrolled {
            let elements =
                (0..self.dag.graph[producer].width).map(|index| self.gradient(producer, index));
            statements.push(quote!(let [#(#elements),*] = #dx;));
        }
        statements
    }
}

/// The parameter gradients of one unrolled layer, or of a run of consecutive ones,
/// waiting for their `sink.accept_products`. Consecutive unrolled layers lie next to
/// each other in the parameters, so one call takes them all: for the seed network,
/// one `accept_products::<0, 9>` instead of one at 6 and one at 0. Then LLVM stores
/// the updated parameters as the next step's forward pass loads them, in the same
/// vector-wide pieces, where a 6-element update ended in two scalar stores that an
/// 8-byte load of the two biases could not take its value from (a store-forwarding
/// stall on the path from one step to the next).
struct UnrolledGradients {
    /// Where the first gradient's parameter is.
    offset: usize,
    /// Per parameter, in the parameters' order, the `dz` its gradient is a multiple of.
    factors: Vec<TokenStream>,
    /// Per parameter, what its `dz` is multiplied by: its input, or one for a bias.
    inputs: Vec<TokenStream>,
}

impl UnrolledGradients {
    /// Where the parameters after these begin.
    fn end(&self) -> usize {
        self.offset + self.factors.len()
    }

    /// These gradients, then `later`'s, which begin where these end.
    fn followed_by(mut self, later: Self) -> Self {
        self.factors.extend(later.factors);
        self.inputs.extend(later.inputs);
        self
    }
}
