//! The block pass: forward and backward over `B` samples at once, for mini-batches.
//!
//! Every layer runs as the runtime's batch kernels, whatever the per-sample plan says:
//! over a block of samples each weight row is loaded once for all of them, which is
//! what makes a mini-batch cheaper per sample than one sample at a time. Values are
//! arrays of `B` rows (`z1: [[T; 128]; B]`), named as in the per-sample pass.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

use super::Codegen;
use crate::graph::{Dense, NodeId, Op};
use crate::names::{Activation, ActivationFn, LossForm, Math};

impl Codegen<'_> {
    /// The body of `backward_block`: `xs`, `targets` (arrays of `B` references) and
    /// `sink` (an `Accumulate`) in scope; the summed loss last.
    pub(super) fn block_statements(&self) -> Vec<TokenStream> {
        let mut statements = self.block_forward_statements();
        statements.extend(self.block_loss());
        for &node in self.order.iter().rev() {
            let op = self.dag.graph[node].op;
            if !self.needs_gradient[node.index()]
                || matches!(op, Op::Loss(_))
                || self.skipped_by_fused_loss(node)
            {
                continue;
            }
            statements.extend(self.block_gradient_of(node));
            if let Op::Dense(dense) = op {
                statements.push(self.block_dense_backward(node, &dense));
            }
        }
        statements
    }

    /// The forward pass over the block: every node's rows from `xs` and `params`.
    pub(super) fn block_forward_statements(&self) -> Vec<TokenStream> {
        let mut statements = Vec::new();
        for &node in &self.order {
            match self.dag.graph[node].op {
                Op::Dense(dense) => statements.extend(self.block_dense(node, &dense)),
                Op::Activation(activation) => {
                    statements.push(self.block_activation(node, activation));
                }
                // Nothing to compute; a chain has none of the other ops (`emit` checks).
                _ => {}
            }
        }
        statements
    }

    /// The rows of a node as the batch kernels take them: `xs` for the input,
    /// `::backprop::kernel::rows(&a1)` for the others.
    fn block_rows(&self, node: NodeId) -> TokenStream {
        if node == self.dag.input() {
            quote!(xs)
        } else {
            let array = self.array(node);
            quote!(::backprop::kernel::rows(&#array))
        }
    }

    fn block_dense(&self, node: NodeId, dense: &Dense) -> Vec<TokenStream> {
        let (w, b) = (Self::weights_array(dense), Self::biases_array(dense));
        let shape = self.layer_shape(node, dense);
        let z = self.array(node);
        let input = self.block_rows(self.input_of(node));
        vec![
            quote!(let (#w, #b) = ::backprop::kernel::layer::<#shape, _, _>(params);),
            quote!(let #z = ::backprop::kernel::dense_forward_batch(#w, #b, #input);),
        ]
    }

    fn block_activation(&self, node: NodeId, activation: ActivationFn) -> TokenStream {
        let (a, z) = (self.array(node), self.array(self.input_of(node)));
        match activation.row().functions {
            None if activation.kind == Activation::Softmax => {
                quote!(let #a = ::backprop::kernel::softmax_rows(&#z);)
            }
            None => quote!(let #a = #z;),
            Some((function, _, _)) => {
                let exact = self.dag.math == Math::Exact;
                let path = self.activation_path(activation, function, exact);
                let f = self.elementwise(&path, activation.param);
                quote!(let #a = ::backprop::kernel::map_rows(&#z, #f);)
            }
        }
    }

    /// `e = y − t` per sample, the summed loss, and the output's gradient; or one call
    /// of a loss's `_rows` kernel, which gives both.
    fn block_loss(&self) -> Vec<TokenStream> {
        let output = self.dag.output();
        if let LossForm::Kernel { function, .. } = self.loss_form() {
            let function = super::ident(format!("{function}_rows"));
            let args = self.loss_inputs();
            let gradient = self.loss_gradient_target().map_or(quote!(_), |target| {
                self.gradient_array(target).into_token_stream()
            });
            let call = self.with_param(
                &quote!(::backprop::kernel::#function),
                quote!(#(#args,)* targets),
                self.loss_fn().param,
            );
            return vec![quote!(let (loss, #gradient) = #call;)];
        }
        let y = self.array(output);
        let sum = self.scaled_loss(quote!(::backprop::kernel::sum_of_squares_rows(&e)));
        let dy = self.gradient_array(output);
        let gradient = match self.loss_factor() {
            None => quote!(let #dy = e;),
            Some(factor) => quote!(let #dy = ::backprop::kernel::scaled_rows(&e, #factor);),
        };
        vec![
            quote!(let e = ::backprop::kernel::sub_rows(&#y, targets);),
            quote!(let loss = #sum;),
            gradient,
        ]
    }

    /// A dense layer's gradients over the block: `sink.dense_batch` (returning its
    /// input's gradient) or `sink.dense_params_batch`.
    fn block_dense_backward(&self, node: NodeId, dense: &Dense) -> TokenStream {
        let producer = self.input_of(node);
        let shape = self.layer_shape(node, dense);
        let (input, dz) = (self.block_rows(producer), self.gradient_array(node));
        // `{ B }`: in a generic argument list a bare `B` would name a type `B` of the
        // user's module, if there is one, rather than the block's const parameter.
        if self.needs_gradient[producer.index()] {
            let dx = self.gradient_array(producer);
            quote!(let #dx = sink.dense_batch::<#shape, { B }>(#input, &#dz);)
        } else {
            quote!(sink.dense_params_batch::<#shape, { B }>(#input, &#dz);)
        }
    }

    /// A pre-activation's gradient from its activation's, over the block (nothing for
    /// other nodes: a dense consumer or the loss already gave theirs).
    fn block_gradient_of(&self, node: NodeId) -> Option<TokenStream> {
        if self.loss_gradient_target() == Some(node) {
            return None;
        }
        let (consumer, _) = *self.dag.consumers(node).first()?;
        let Op::Activation(activation) = self.dag.graph[consumer].op else {
            return None;
        };
        Some(self.through_activation(activation, node, consumer, true))
    }
}
