//! The forward pass: every node's vector in topological order, and the loss.

use proc_macro2::TokenStream;
use quote::quote;

use super::Codegen;
use crate::graph::{Dense, NodeId, Op};
use crate::names::{Activation, LossForm};

impl Codegen<'_> {
    /// Binds the input and the parameters to named locals, then computes every node.
    pub(super) fn forward_statements(&self) -> Vec<TokenStream> {
        let inputs = self.values(self.dag.input);
        let params = self.parameters();
        let mut statements = vec![
            quote!(let [#(#inputs),*] = *x;),
            quote!(let [#(#params),*] = self.params;),
        ];
        for &node in &self.order {
            match self.dag.graph[node].op {
                Op::Dense(dense) => statements.extend(self.dense(node, &dense)),
                Op::Activation(activation) => statements.extend(self.activation(node, activation)),
                Op::Input | Op::Loss(_) => {}
            }
        }
        statements
    }

    /// `let z1_0 = w1_0_0 * x_0 + w1_0_1 * x_1 + b1_0;` for every unit.
    fn dense(&self, node: NodeId, dense: &Dense) -> Vec<TokenStream> {
        let inputs = self.values(self.input_of(node));
        (0..self.dag.graph[node].width)
            .map(|to| {
                let z = self.value(node, to);
                let weights = (0..dense.inputs).map(|from| Self::weight(dense, to, from));
                let bias = Self::bias(dense, to);
                quote!(let #z = #(#weights * #inputs)+* + #bias;)
            })
            .collect()
    }

    /// `let a1_0 = ::backprop::activation::relu(z1_0);` for every unit (`a1_0 = z1_0`
    /// for the identity).
    fn activation(&self, node: NodeId, activation: Activation) -> Vec<TokenStream> {
        let producer = self.input_of(node);
        (0..self.dag.graph[node].width)
            .map(|index| {
                let a = self.value(node, index);
                let z = self.value(producer, index);
                match activation.row().functions {
                    None => quote!(let #a = #z;),
                    Some((function, _, _)) => {
                        let function = super::ident(function.to_owned());
                        quote!(let #a = ::backprop::activation::#function(#z);)
                    }
                }
            })
            .collect()
    }

    /// Binds the target, then `let e_0 = a2_0 - t_0;` per output and `let loss = …;`.
    pub(super) fn loss_statements(&self) -> Vec<TokenStream> {
        let outputs = self.values(self.dag.output());
        let targets: Vec<_> = (0..outputs.len()).map(Self::target).collect();
        let errors: Vec<_> = (0..outputs.len()).map(Self::error).collect();
        let mut statements = vec![quote!(let [#(#targets),*] = *target;)];
        statements.extend(
            (outputs.iter().zip(&targets).zip(&errors))
                .map(|((y, t), e)| quote!(let #e = #y - #t;)),
        );
        let loss = match self.loss_form() {
            LossForm::SquaredError { scale, mean } => {
                let mut sum = quote!(#(#errors * #errors)+*);
                if mean && errors.len() > 1 {
                    let count = self.literal(errors.len() as f64);
                    sum = quote!((#sum) / #count);
                }
                if scale != 1.0 {
                    let scale = self.literal(scale);
                    sum = quote!(#scale * (#sum));
                }
                sum
            }
        };
        statements.push(quote!(let loss = #loss;));
        statements
    }

    /// The loss's form, from the loss node.
    pub(super) fn loss_form(&self) -> LossForm {
        match self.dag.graph[self.dag.loss].op {
            Op::Loss(loss) => loss.row().form,
            _ => crate::names::LOSSES[0].form,
        }
    }
}
