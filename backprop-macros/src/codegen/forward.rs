//! The forward pass: every node's vector in topological order, and the loss.
//!
//! An unrolled node is one scalar statement per element (`let z1_0 = …;`); a kernel
//! node is one array and one call (`let z1 = ::backprop::kernel::dense_forward(…);`).
//! Where a consumer takes the other form, the value is unpacked or packed once, right
//! after it is computed.

use proc_macro2::TokenStream;
use quote::quote;

use super::Codegen;
use crate::graph::{Dense, NodeId, Op};
use crate::names::{Activation, ActivationFn, LossForm, Math};
use crate::plan::Strategy;

impl Codegen<'_> {
    /// Computes every node from the input `x` and the parameters bound to `params`.
    pub(super) fn forward_statements(&self) -> Vec<TokenStream> {
        let mut statements = self.conversions_after(self.dag.input());
        for &node in &self.order {
            match self.dag.graph[node].op {
                Op::Dense(dense) => statements.extend(self.dense(node, &dense)),
                Op::Activation(activation) => statements.extend(self.activation(node, activation)),
                // Nothing to compute; a chain has none of the other ops (`emit` checks).
                _ => continue,
            }
            statements.extend(self.conversions_after(node));
        }
        statements
    }

    /// The other form of `node`'s value, if a consumer takes it: `let [a1_0, a1_1] = a1;`
    /// for an unrolled consumer of an array, `let a1 = [a1_0, a1_1];` the other way.
    fn conversions_after(&self, node: NodeId) -> Vec<TokenStream> {
        let form = self.plan.strategy(node);
        let consumers = self.dag.consumers(node);
        if consumers
            .iter()
            .all(|&(c, _)| self.plan.strategy(c) == form)
        {
            return Vec::new();
        }
        let values = self.values(node);
        let statement = match form {
            Strategy::Kernel => {
                let array = self.array_value(node);
                quote!(let [#(#values),*] = #array;)
            }
            Strategy::Unrolled => {
                let array = self.array(node);
                quote!(let #array = [#(#values),*];)
            }
        };
        vec![statement]
    }

    /// A dense node: `let z1_0 = w1_0_0 * x_0 + w1_0_1 * x_1 + b1_0;` per unit after
    /// binding the layer's parameters, or one kernel call.
    fn dense(&self, node: NodeId, dense: &Dense) -> Vec<TokenStream> {
        let producer = self.input_of(node);
        let units = self.dag.graph[node].width;
        match self.plan.strategy(node) {
            Strategy::Unrolled => {
                let params = self.layer_parameters(node, dense);
                let (offset, len) = (self.usize(dense.weights), self.usize(params.len()));
                let mut statements = vec![quote! {
                    let [#(#params),*] = *::backprop::kernel::segment::<#offset, #len, _, _>(params);
                }];
                let inputs = self.values(producer);
                statements.extend((0..units).map(|to| {
                    let z = self.value(node, to);
                    let weights = (0..dense.inputs).map(|from| Self::weight(dense, to, from));
                    let bias = Self::bias(dense, to);
                    quote!(let #z = #(#weights * #inputs)+* + #bias;)
                }));
                statements
            }
            Strategy::Kernel => {
                let (w, b) = (Self::weights_array(dense), Self::biases_array(dense));
                let shape = self.layer_shape(node, dense);
                let z = self.array(node);
                let input = self.array_ref(producer);
                vec![
                    quote!(let (#w, #b) = ::backprop::kernel::layer::<#shape, _, _>(params);),
                    quote!(let #z = ::backprop::kernel::dense_forward(#w, #b, #input);),
                ]
            }
        }
    }

    /// `let a1_0 = ::backprop::activation::relu(z1_0);` per unit, or one `map` over
    /// the layer (`a1 = z1` for the identity, `softmax(&z2)` for softmax).
    fn activation(&self, node: NodeId, activation: ActivationFn) -> Vec<TokenStream> {
        let producer = self.input_of(node);
        let row = activation.row();
        let unrolled = self.plan.strategy(node) == Strategy::Unrolled;
        let exact = self.dag.math == Math::Exact || (unrolled && row.exact_when_unrolled);
        let function = row
            .functions
            .map(|(function, _, _)| self.activation_path(activation, function, exact));
        match self.plan.strategy(node) {
            Strategy::Unrolled => (0..self.dag.graph[node].width)
                .map(|index| {
                    let a = self.value(node, index);
                    let z = self.value(producer, index);
                    match &function {
                        None => quote!(let #a = #z;),
                        Some(function) => {
                            let call = self.with_param(function, quote!(#z), activation.param);
                            quote!(let #a = #call;)
                        }
                    }
                })
                .collect(),
            Strategy::Kernel => {
                let (a, z) = (self.array(node), self.array(producer));
                vec![match function {
                    None if activation.kind == Activation::Softmax => {
                        quote!(let #a = ::backprop::kernel::softmax(&#z);)
                    }
                    None => quote!(let #a = #z;),
                    Some(function) => {
                        let f = self.elementwise(&function, activation.param);
                        quote!(let #a = ::backprop::kernel::map(&#z, #f);)
                    }
                }]
            }
        }
    }

    /// The path of one of an activation's functions: `::backprop::activation::tanh`,
    /// or its exact twin under `exact` when it has one.
    pub(super) fn activation_path(
        &self,
        activation: ActivationFn,
        function: &str,
        exact: bool,
    ) -> TokenStream {
        let function = super::ident(function.to_owned());
        if activation.row().has_exact && exact {
            quote!(::backprop::activation::exact::#function)
        } else {
            quote!(::backprop::activation::#function)
        }
    }

    /// `function(value)`, or `function(value, 0.2f32)` with the parameter.
    pub(super) fn with_param(
        &self,
        function: &TokenStream,
        value: TokenStream,
        param: Option<f64>,
    ) -> TokenStream {
        match param {
            None => quote!(#function(#value)),
            Some(param) => {
                let param = self.literal(param);
                quote!(#function(#value, #param))
            }
        }
    }

    /// A unit-by-unit function for the kernels: the path itself, or a closure that
    /// passes the parameter, `|z| ::backprop::activation::elu(z, 1f32)`.
    pub(super) fn elementwise(&self, function: &TokenStream, param: Option<f64>) -> TokenStream {
        self.closure_with_param(function, param, quote!(v))
    }

    /// A gate for the kernels ([`DerivativeOf::Gate`]), which takes the upstream
    /// gradient too: the path itself, or `|u, v| gate(u, v, 0.5f32)`.
    ///
    /// [`DerivativeOf::Gate`]: crate::names::DerivativeOf::Gate
    pub(super) fn gate(&self, function: &TokenStream, param: Option<f64>) -> TokenStream {
        self.closure_with_param(function, param, quote!(u, v))
    }

    /// `function` itself, or a closure over `arguments` that passes the parameter.
    fn closure_with_param(
        &self,
        function: &TokenStream,
        param: Option<f64>,
        arguments: TokenStream,
    ) -> TokenStream {
        match param {
            None => function.clone(),
            Some(_) => {
                let call = self.with_param(function, arguments.clone(), param);
                quote!(|#arguments| #call)
            }
        }
    }

    /// The output error `e = y − t` and `let loss = …;`: written out per output, or
    /// with kernels over the output array. For the other losses, one call that also
    /// binds the gradient it gives when `gradient` is set: `let (loss, dz2) =
    /// ::backprop::kernel::cross_entropy_with_logits(&z2, &a2, target);`.
    pub(super) fn loss_statements(&self, gradient: bool) -> Vec<TokenStream> {
        let output = self.dag.output();
        if let LossForm::Kernel { function, .. } = self.loss_form() {
            let function = super::ident(function.to_owned());
            let args = self.loss_inputs();
            let bound = match (gradient, self.loss_gradient_target()) {
                (true, Some(target)) => {
                    let array = self.gradient_array(target);
                    quote!(#array)
                }
                _ => quote!(_),
            };
            let call = self.with_param(
                &quote!(::backprop::kernel::#function),
                quote!(#(#args,)* target),
                self.loss_fn().param,
            );
            return vec![quote!(let (loss, #bound) = #call;)];
        }
        let count = self.dag.graph[output].width;
        let (mut statements, sum) = match self.plan.strategy(self.dag.loss()) {
            Strategy::Unrolled => {
                let outputs = self.values(output);
                let targets: Vec<_> = (0..count).map(Self::target).collect();
                let errors: Vec<_> = (0..count).map(Self::error).collect();
                let mut statements = vec![quote!(let [#(#targets),*] = *target;)];
                statements.extend(
                    (outputs.iter().zip(&targets).zip(&errors))
                        .map(|((y, t), e)| quote!(let #e = #y - #t;)),
                );
                (statements, quote!(#(#errors * #errors)+*))
            }
            Strategy::Kernel => {
                let y = self.array(output);
                let statements = vec![quote!(let e = ::backprop::kernel::sub(&#y, target);)];
                (statements, quote!(::backprop::kernel::sum_of_squares(&e)))
            }
        };
        let loss = self.scaled_loss(sum);
        statements.push(quote!(let loss = #loss;));
        statements
    }

    /// What a kernel loss is given before the target: `&a2`, or for a fused loss the
    /// logits and the activation, `&z2, &a2`.
    pub(super) fn loss_inputs(&self) -> Vec<TokenStream> {
        let output = self.dag.output();
        let y = self.array(output);
        if self.fused_loss() {
            let z = self.array(self.input_of(output));
            vec![quote!(&#z), quote!(&#y)]
        } else {
            vec![quote!(&#y)]
        }
    }

    /// The loss from `sum`, the sum of squared errors: divided by the output count for
    /// a mean, times the loss's scale (`½` for `half_sse`).
    pub(super) fn scaled_loss(&self, mut sum: TokenStream) -> TokenStream {
        let LossForm::SquaredError { scale, mean } = self.loss_form() else {
            return sum;
        };
        let count = self.dag.graph[self.dag.output()].width;
        if mean && count > 1 {
            let count = self.literal(count as f64);
            sum = quote!((#sum) / #count);
        }
        if scale != 1.0 {
            let scale = self.literal(scale);
            sum = quote!(#scale * (#sum));
        }
        sum
    }

    /// The loss as the spec gives it.
    pub(super) fn loss_fn(&self) -> crate::names::LossFn {
        match self.dag.graph[self.dag.loss()].op {
            Op::Loss(loss) => loss,
            _ => crate::names::LossFn::default_of(crate::names::Loss::Mse),
        }
    }

    /// The loss's form, from the loss node.
    pub(super) fn loss_form(&self) -> LossForm {
        self.loss_fn().row().form
    }

    /// Whether the loss is computed together with the output activation from the
    /// logits (`bce`, `cross_entropy`), which the backward pass then skips.
    pub(super) fn fused_loss(&self) -> bool {
        matches!(self.loss_form(), LossForm::Kernel { fused: Some(_), .. })
    }

    /// The node whose gradient a kernel loss gives directly: the logits for a fused
    /// loss, the output otherwise; `None` for the squared errors, whose gradient is
    /// formed from `e`.
    pub(super) fn loss_gradient_target(&self) -> Option<crate::graph::NodeId> {
        let output = self.dag.output();
        match self.loss_form() {
            LossForm::SquaredError { .. } => None,
            LossForm::Kernel { fused: Some(_), .. } => Some(self.input_of(output)),
            LossForm::Kernel { fused: None, .. } => Some(output),
        }
    }
}
