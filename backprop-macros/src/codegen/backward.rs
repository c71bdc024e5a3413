//! The backward pass: reverse mode, node by node in reverse topological order.
//!
//! Each node's gradient is the sum of what its consumers send back, which is how a
//! value that feeds several others (every hidden unit feeds every unit of the next
//! layer) collects its gradient. Dense nodes then add their parameters' gradients
//! into `grads`.

use proc_macro2::TokenStream;
use quote::quote;

use super::Codegen;
use crate::graph::{Dense, NodeId, Op};
use crate::names::{DerivativeOf, LossForm};

impl Codegen<'_> {
    /// Binds every gradient slot to a named `&mut`, then walks the graph backwards.
    pub(super) fn backward_statements(&self) -> Vec<TokenStream> {
        let slots: Vec<_> = self.parameters().iter().map(super::slot).collect();
        let mut statements = vec![quote!(let [#(#slots),*] = grads;)];
        for &node in self.order.iter().rev() {
            let op = self.dag.graph[node].op;
            if !self.needs_gradient[node.index()] || matches!(op, Op::Loss(_)) {
                continue;
            }
            statements.extend(self.gradient_of(node));
            if let Op::Dense(dense) = op {
                statements.extend(self.parameter_gradients(node, &dense));
            }
        }
        statements
    }

    /// `let da1_0 = dz2_0 * w2_0_0 + dz2_1 * w2_1_0;`: each element's gradient, summed
    /// over every consumer of the node.
    fn gradient_of(&self, node: NodeId) -> Vec<TokenStream> {
        let consumers = self.dag.consumers(node);
        (0..self.dag.graph[node].width)
            .map(|index| {
                let name = self.gradient(node, index);
                let parts = consumers
                    .iter()
                    .map(|&(consumer, _)| self.sent_back(consumer, node, index));
                quote!(let #name = #(#parts)+*;)
            })
            .collect()
    }

    /// What `consumer` sends back to element `index` of its input `producer`.
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
                        let derivative = super::ident(derivative.to_owned());
                        let argument = match of {
                            DerivativeOf::Input => self.value(producer, index),
                            DerivativeOf::Output => self.value(consumer, index),
                        };
                        quote!(#da * ::backprop::activation::#derivative(#argument))
                    }
                }
            }
            Op::Loss(_) => {
                let error = Self::error(index);
                let LossForm::SquaredError { scale, mean } = self.loss_form();
                let count = if mean {
                    self.dag.graph[consumer].width as f64
                } else {
                    1.0
                };
                let factor = 2.0 * scale / count;
                if factor == 1.0 {
                    quote!(#error)
                } else {
                    let factor = self.literal(factor);
                    quote!(#factor * #error)
                }
            }
            // The input consumes nothing, so it never sends anything back.
            Op::Input => self.literal(0.0),
        }
    }

    /// `*dw1_0_1 += dz1_0 * x_1;` for every weight and `*db1_0 += dz1_0;` for every bias.
    fn parameter_gradients(&self, node: NodeId, dense: &Dense) -> Vec<TokenStream> {
        let inputs = self.values(self.input_of(node));
        let mut statements = Vec::new();
        for to in 0..self.dag.graph[node].width {
            let dz = self.gradient(node, to);
            for (from, input) in inputs.iter().enumerate() {
                let slot = super::slot(&Self::weight(dense, to, from));
                statements.push(quote!(*#slot += #dz * #input;));
            }
        }
        for to in 0..self.dag.graph[node].width {
            let dz = self.gradient(node, to);
            let slot = super::slot(&Self::bias(dense, to));
            statements.push(quote!(*#slot += #dz;));
        }
        statements
    }
}
