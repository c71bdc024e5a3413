//! The back end for any DAG: the network's struct, its input, output and loss structs,
//! and a forward and reverse-mode backward pass over every value as an array: small
//! dense layers written out as scalar sums (under `mlp!`'s unroll threshold), every
//! other op a kernel call.
//!
//! The DAG's ops, in topological order, are the steps (`h = dense(x, 8) |> tanh` was
//! lowered to the nodes `h_0`, the dense op, and `h`, its tanh). The backward pass
//! visits the steps in reverse. Each consumer binds what it sends back to
//! each input as its own local (`dh_from_r`); a step's gradient is the sum of those, so
//! the sums happen exactly where the graph fans out, and a dense layer whose weights
//! are shared adds both uses' gradients into the same parameters.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Attribute, Visibility};

use crate::graph::{Dag, NodeId, Op};
use crate::names::{Activation, ActivationFn, Codegen, DerivativeOf, LossFn, LossForm};
use crate::plan::Budget;

/// What the user wrote around the graph.
pub struct Header {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: syn::Ident,
}

/// Where a step's argument comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ref {
    Input(usize),
    Step(usize),
}

/// One op of the DAG, with its arguments resolved.
#[derive(Debug)]
struct Step {
    /// The array local holding its result.
    name: String,
    op: Op,
    args: Vec<Ref>,
    width: usize,
}

/// What the generated pass computes on: one sample, or a block of `B` samples (every
/// value then `[[T; WIDTH]; B]`, every op its batch kernel).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Sample,
    Block,
}

/// One of the network's inputs.
struct Input {
    name: String,
    width: usize,
}

/// One loss term: its weight, its loss, and the step it scores.
struct Term {
    weight: f64,
    loss: LossFn,
    value: usize,
}

/// A dense layer's parameters: offset of the weights, inputs, units.
#[derive(Clone, Copy, Debug)]
struct DenseParams {
    offset: usize,
    inputs: usize,
    units: usize,
}

struct Graph<'a> {
    dag: &'a Dag,
    header: &'a Header,
    inputs: Vec<Input>,
    /// The ops in topological order.
    steps: Vec<Step>,
    /// By step: the dense layer's parameters, for dense steps.
    dense: Vec<Option<DenseParams>>,
    losses: Vec<Term>,
    /// The `backprop::Layer` entries, in parameter order.
    layers: Vec<(DenseParams, &'static str, &'static str)>,
    params: usize,
    /// The FLOP counts and the stack bound, as `mlp!` counts them.
    budget: Budget,
}

/// The network's items, or the graph error that prevents them.
pub fn emit(header: &Header, dag: &Dag) -> syn::Result<TokenStream> {
    let order = dag.order().map_err(|e| e.into_syn())?;
    Ok(Graph::new(header, dag, &order).items())
}

impl<'a> Graph<'a> {
    fn new(header: &'a Header, dag: &'a Dag, order: &[NodeId]) -> Self {
        let mut graph = Graph {
            dag,
            header,
            inputs: Vec::new(),
            steps: Vec::new(),
            dense: Vec::new(),
            losses: Vec::new(),
            layers: Vec::new(),
            params: dag.params,
            budget: Budget::default(),
        };
        let mut refs: Vec<Option<Ref>> = vec![None; dag.graph.node_count()];
        for &id in &dag.inputs {
            let node = &dag.graph[id];
            refs[id.index()] = Some(Ref::Input(graph.inputs.len()));
            graph.inputs.push(Input {
                name: node.name.clone(),
                width: node.width,
            });
        }
        let resolve = |refs: &[Option<Ref>], id: NodeId| refs[id.index()].unwrap_or(Ref::Input(0));
        for &id in order {
            let node = &dag.graph[id];
            let args: Vec<Ref> = dag.inputs(id).iter().map(|&p| resolve(&refs, p)).collect();
            if matches!(node.op, Op::Input | Op::Loss(_)) {
                continue;
            }
            let dense = match node.op {
                Op::Dense(dense) => {
                    let params = DenseParams {
                        offset: dense.weights,
                        inputs: dense.inputs,
                        units: node.width,
                    };
                    if !dense.shared {
                        let activation = dag.activation_after(id).unwrap_or(ActivationFn {
                            kind: Activation::Identity,
                            param: None,
                        });
                        graph
                            .layers
                            .push((params, activation.row().name, dense.init.variant()));
                    }
                    Some(params)
                }
                _ => None,
            };
            refs[id.index()] = Some(Ref::Step(graph.steps.len()));
            graph.steps.push(Step {
                name: node.name.clone(),
                op: node.op,
                args,
                width: node.width,
            });
            graph.dense.push(dense);
        }
        // In the order the loss is written, which the losses struct's fields follow.
        for term in &dag.losses {
            let Op::Loss(loss) = dag.graph[term.node].op else {
                continue;
            };
            let value = match resolve(&refs, dag.output_of(term.node)) {
                Ref::Step(s) => s,
                Ref::Input(_) => 0,
            };
            graph.losses.push(Term {
                weight: term.weight,
                loss,
                value,
            });
        }
        // A network that shares weights sums its gradient in an array in `train_step`.
        let shares = graph
            .steps
            .iter()
            .any(|step| matches!(step.op, Op::Dense(dense) if dense.shared));
        let extra = if shares { dag.params } else { 0 };
        let needs = dag.needs_gradient(order);
        let unrolled = |node: NodeId| match dag.graph[node].op {
            Op::Dense(dense) => graph.unrolled(DenseParams {
                offset: dense.weights,
                inputs: dense.inputs,
                units: dag.graph[node].width,
            }),
            _ => false,
        };
        graph.budget = crate::plan::budget(dag, &needs, unrolled, extra);
        graph
    }

    fn width(&self, reference: Ref) -> usize {
        match reference {
            Ref::Input(i) => self.inputs[i].width,
            Ref::Step(s) => self.steps[s].width,
        }
    }

    fn scalar(&self) -> TokenStream {
        crate::codegen::scalar_type(self.dag.scalar)
    }

    fn literal(&self, value: f64) -> TokenStream {
        crate::codegen::scalar_literal(self.dag.scalar, value)
    }

    /// The parameters of dense step `s` (all zero for another op, which never asks).
    fn dense_params(&self, s: usize) -> DenseParams {
        self.dense[s].unwrap_or(DenseParams {
            offset: 0,
            inputs: 0,
            units: 0,
        })
    }

    fn array_type(&self, len: usize) -> TokenStream {
        let scalar = self.scalar();
        let len = Literal::usize_unsuffixed(len);
        quote!([#scalar; #len])
    }

    fn local(&self, reference: Ref) -> Ident {
        match reference {
            Ref::Input(i) => ident(&self.inputs[i].name),
            Ref::Step(s) => ident(&self.steps[s].name),
        }
    }

    fn suffixed(&self, suffix: &str) -> Ident {
        format_ident!(
            "{}{}",
            self.header.name,
            suffix,
            span = self.header.name.span()
        )
    }

    /// The field names of the loss struct: each term's value, numbered if a value has
    /// several terms.
    fn loss_fields(&self) -> Vec<Ident> {
        let names: Vec<&str> = self
            .losses
            .iter()
            .map(|term| self.steps[term.value].name.as_str())
            .collect();
        names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                if names.iter().filter(|n| *n == name).count() > 1 {
                    format_ident!("{}_{}", name, i)
                } else {
                    ident(name)
                }
            })
            .collect()
    }

    /// The outputs: every value a loss applies to, once, in loss order.
    fn outputs(&self) -> Vec<usize> {
        let mut outputs = Vec::new();
        for term in &self.losses {
            if !outputs.contains(&term.value) {
                outputs.push(term.value);
            }
        }
        outputs
    }

    fn items(&self) -> TokenStream {
        let Header { attrs, vis, name } = self.header;
        let input_struct = self.suffixed("Input");
        let output_struct = self.suffixed("Output");
        let losses_struct = self.suffixed("Losses");
        let trace_struct = self.suffixed("Trace");
        let trace_fields = self.steps.iter().map(|step| {
            let field = ident(&step.name);
            let ty = self.array_type(step.width);
            let doc = format!(" The values of `{}`.", step.name);
            quote!(#[doc = #doc] pub #field: #ty,)
        });
        let trace_values = self.steps.iter().map(|step| {
            let field = ident(&step.name);
            quote!(#field,)
        });
        let trace_doc = format!(
            " Every value of one forward pass of [`{name}`], each op's result (`h_0` is `h` before the ops piped after it)."
        );
        let scalar = self.scalar();
        let count = Literal::usize_unsuffixed(self.params);
        let params = self.array_type(self.params);
        let input_fields = self.inputs.iter().map(|input| {
            let field = ident(&input.name);
            let ty = self.array_type(input.width);
            let doc = format!(" Input `{}`, {} values.", input.name, input.width);
            quote!(#[doc = #doc] pub #field: #ty,)
        });
        let outputs = self.outputs();
        let output_fields = outputs.iter().map(|&v| {
            let value = &self.steps[v];
            let field = ident(&value.name);
            let ty = self.array_type(value.width);
            let doc = format!(" Output `{}`, {} values.", value.name, value.width);
            quote!(#[doc = #doc] pub #field: #ty,)
        });
        let loss_fields = self.loss_fields();
        let loss_field_docs = self.losses.iter().map(|term| {
            format!(
                " The `{}` term on `{}`, before its weight ({}).",
                term.loss.row().name,
                self.steps[term.value].name,
                term.weight
            )
        });
        let layers = self.layers.iter().map(|(p, activation, init)| {
            let (inputs, outputs) = (
                Literal::usize_unsuffixed(p.inputs),
                Literal::usize_unsuffixed(p.units),
            );
            let weights = Literal::usize_unsuffixed(p.offset);
            let biases = Literal::usize_unsuffixed(p.offset + p.inputs * p.units);
            let init = ident(init);
            quote! {
                ::backprop::Layer {
                    inputs: #inputs, outputs: #outputs, activation: #activation,
                    init: ::backprop::init::Init::#init, weights: #weights, biases: #biases,
                }
            }
        });
        let zero = self.literal(0.0);
        let allowed = crate::codegen::lint_allows();
        let dot = crate::dot::of_dag(self.dag);
        let forward = self.forward_statements(Form::Sample);
        let block_forward = self.forward_statements(Form::Block);
        let output_values = outputs.iter().map(|&v| {
            let field = ident(&self.steps[v].name);
            quote!(#field,)
        });
        let loss_plain = self.loss_statements(false, Form::Sample);
        let loss_seeded = self.loss_statements(true, Form::Sample);
        let block_loss = self.loss_statements(true, Form::Block);
        let backward = self.backward_statements(Form::Sample);
        let block_backward = self.backward_statements(Form::Block);
        let output_fields_block: Vec<Ident> = outputs
            .iter()
            .map(|&v| ident(&self.steps[v].name))
            .collect();
        let total = self.total();
        let loss_locals = loss_fields.iter().map(|f| format_ident!("loss_{}", f));
        let losses_value =
            quote!(#losses_struct { total: #total, #(#loss_fields: #loss_locals,)* });
        let shares = self.shares_weights();
        let train_doc = if shares {
            " One optimization step on one sample. Returns the losses before it. The \
             network shares weights, whose two gradients must be summed before the \
             update: the step sums the gradient in a network-sized array on the stack \
             (`PARAM_BYTES`); for a network too large for that, `backward` into a boxed \
             gradient and call `Optimizer::step`."
        } else {
            " One optimization step on one sample, the update fused into the backward \
             pass (each layer's parameters updated as soon as their gradient is known). \
             Returns the losses before it."
        };
        let train = if shares {
            // Shared weights get two gradients in one step: sum them first, then update.
            quote! {
                let mut grads = [#zero; #count];
                let losses = self.backward(inputs, targets, &mut grads);
                opt.step(self.params_mut(), &grads);
                losses
            }
        } else {
            quote! {
                opt.begin_step();
                let mut sink = ::backprop::kernel::Update::new(self.params_mut(), opt);
                #name::backward_into(&mut sink, inputs, targets)
            }
        };
        let summary = format!(
            " Graph network: inputs {}; outputs {}; {} parameters.",
            self.inputs
                .iter()
                .map(|i| format!("`{}[{}]`", i.name, i.width))
                .collect::<Vec<_>>()
                .join(", "),
            outputs
                .iter()
                .map(|&v| format!("`{}`", self.steps[v].name))
                .collect::<Vec<_>>()
                .join(", "),
            self.params
        );
        let input_doc = format!(" The inputs of [`{name}`], one field per `input`.");
        let output_doc = format!(
            " The outputs of [`{name}`] (and their targets), one field per value a loss applies to."
        );
        let losses_doc = format!(" The loss of [`{name}`]: the weighted total and each term.");
        let network = self.network_impl();
        let flops_inference = Literal::u64_unsuffixed(self.budget.flops_inference);
        let flops_train = Literal::u64_unsuffixed(self.budget.flops_train);
        let train_stack_bytes = lit(self.budget.train_stack_bytes);
        let batch_stack = crate::codegen::batch_stack_const(&self.budget);
        let boxed = crate::codegen::boxed_constructor(name, &scalar, self.params);
        let (from_le_bytes, le_bytes) =
            crate::codegen::le_bytes_methods(&zero, self.params, self.dag.scalar.row().bytes);
        let storage = crate::codegen::storage_methods(name, &params, &le_bytes);
        let serde = crate::codegen::serde_impls(name, &scalar, self.params);
        quote! {
            #(#attrs)*
            #[doc = ""]
            #[doc = #summary]
            #[doc = ""]
            #[doc = " Generated by `backprop::graph!`."]
            #[derive(Clone, Debug, PartialEq)]
            #[allow(clippy::derive_partial_eq_without_eq)]
            #vis struct #name<P = #params> {
                params: P,
            }

            #[doc = #input_doc]
            #[derive(Clone, Copy, Debug, PartialEq)]
            #vis struct #input_struct {
                #(#input_fields)*
            }

            #[doc = #output_doc]
            #[derive(Clone, Copy, Debug, PartialEq)]
            #vis struct #output_struct {
                #(#output_fields)*
            }

            #[doc = #trace_doc]
            #[derive(Clone, Copy, Debug, PartialEq)]
            #[allow(dead_code)]
            #vis struct #trace_struct {
                #(#trace_fields)*
            }

            #[doc = #losses_doc]
            #[derive(Clone, Copy, Debug, PartialEq)]
            #vis struct #losses_struct {
                /// The weighted sum of the terms: what training minimizes.
                pub total: #scalar,
                #(#[doc = #loss_field_docs] pub #loss_fields: #scalar,)*
            }

            #allowed
            impl #name {
                /// The number of parameters: every dense layer's weights and biases.
                pub const PARAMS: usize = #count;
                /// Bytes of the parameters (and of a gradient array for `backward`).
                pub const PARAM_BYTES: usize = Self::PARAMS * ::core::mem::size_of::<#scalar>();
                /// Floating-point operations of one `forward`: `Σ 2·inputs·units` over the
                /// dense ops, a shared layer once per use (the other ops, activations and
                /// losses are not counted).
                pub const FLOPS_INFERENCE: u64 = #flops_inference;
                /// Floating-point operations of one `train_step` with plain SGD: the
                /// forward pass, `2·inputs·units` per dense op for the weight gradients
                /// and again for its input's gradient where one is needed, and `2` per
                /// parameter for the update.
                pub const FLOPS_TRAIN: u64 = #flops_train;
                /// An upper bound on the stack `train_step` and `backward` use, in bytes,
                /// in debug and release builds: every array and local of one pass, three
                /// times over, plus 4 KiB. Optimizer state is the optimizer's own (see its
                /// `STATE_BYTES`).
                pub const TRAIN_STACK_BYTES: usize = #train_stack_bytes;
                #batch_stack
                /// The dense layers in parameter order (a shared layer once), with
                /// their parameters' offsets.
                pub const LAYERS: &'static [::backprop::Layer] = &[#(#layers),*];
                /// The computation graph the code was generated from, as Graphviz DOT
                /// (written at compile time by petgraph): `dot -Tsvg` draws it.
                pub const DOT: &'static str = #dot;

                /// A network with parameters drawn deterministically from `seed`.
                pub fn new(seed: u64) -> Self {
                    Self::new_in(seed)
                }

                /// A network with the given parameters, in canonical order: dense layers
                /// in the order they are defined, each its weights row-major
                /// (`[units][inputs]`) then its biases.
                pub const fn from_params(params: #params) -> Self {
                    Self { params }
                }

                #from_le_bytes

                /// The forward and backward pass for `x` against `target`, sending every
                /// parameter gradient to `sink`. Returns the losses.
                pub fn backward_into<S: ::backprop::kernel::GradientSink<#scalar, #count>>(
                    sink: &mut S,
                    inputs: &#input_struct,
                    targets: &#output_struct,
                ) -> #losses_struct {
                    let params = sink.params();
                    #(#forward)*
                    #(#loss_seeded)*
                    #(#backward)*
                    #losses_value
                }

                /// The summed total loss of `B` samples, sending the sum of their
                /// parameter gradients to `sink` (an [`::backprop::kernel::Accumulate`],
                /// or an [`::backprop::kernel::Update`] where no weights are shared).
                /// Every op runs over the `B` samples at once through the batch kernels,
                /// so each weight is read once per block.
                pub fn backward_block_into<S: ::backprop::kernel::GradientSink<#scalar, #count>, const B: usize>(
                    sink: &mut S,
                    inputs: [&#input_struct; B],
                    targets: [&#output_struct; B],
                ) -> #scalar {
                    let params = sink.params();
                    #(#block_forward)*
                    #(#block_loss)*
                    #(#block_backward)*
                    #total
                }
            }

            #boxed

            #allowed
            impl<P: ::backprop::Storage<#scalar, #count>> #name<P> {
                #storage

                /// The outputs for `x`.
                pub fn forward(&self, inputs: &#input_struct) -> #output_struct {
                    let params = self.params();
                    #(#forward)*
                    #output_struct { #(#output_values)* }
                }

                /// The outputs for `B` samples at once, every op over the block through the
                /// batch kernels.
                pub fn forward_block<const B: usize>(&self, inputs: [&#input_struct; B]) -> [#output_struct; B] {
                    let params = self.params();
                    #(#block_forward)*
                    ::core::array::from_fn(|sample| #output_struct { #(#output_fields_block: #output_fields_block[sample],)* })
                }

                /// The forward pass for `inputs`, keeping every op's result.
                pub fn forward_trace(&self, inputs: &#input_struct) -> #trace_struct {
                    let params = self.params();
                    #(#forward)*
                    #trace_struct { #(#trace_values)* }
                }

                /// The losses for `x` against `target`.
                pub fn loss(&self, inputs: &#input_struct, targets: &#output_struct) -> #losses_struct {
                    let params = self.params();
                    #(#forward)*
                    #(#loss_plain)*
                    #losses_value
                }

                /// Returns the losses for `x` against `target` and adds the gradient of
                /// the total with respect to every parameter into `grads`.
                pub fn backward(
                    &self,
                    inputs: &#input_struct,
                    targets: &#output_struct,
                    grads: &mut #params,
                ) -> #losses_struct {
                    let mut sink = ::backprop::kernel::Accumulate::new(self.params(), grads);
                    #name::backward_into(&mut sink, inputs, targets)
                }

                #[doc = #train_doc]
                pub fn train_step<O: ::backprop::Optimizer<#params>>(
                    &mut self,
                    inputs: &#input_struct,
                    targets: &#output_struct,
                    opt: &mut O,
                ) -> #losses_struct {
                    #train
                }
            }

            #network

            #serde
        }
    }

    /// Whether a dense layer is written out: under `mlp!`'s measured threshold
    /// (`plan::UNROLL_MAX_WEIGHTS`), where a kernel call's loops cost more than the
    /// arithmetic, unless the spec says `codegen kernels`.
    fn unrolled(&self, p: DenseParams) -> bool {
        self.dag.codegen.0 != Codegen::Kernels
            && p.inputs * p.units <= crate::plan::UNROLL_MAX_WEIGHTS
    }

    /// Whether a dense layer's weights are used more than once.
    fn shares_weights(&self) -> bool {
        self.steps
            .iter()
            .any(|step| matches!(step.op, Op::Dense(dense) if dense.shared))
    }

    /// `backprop::Network` (and `backprop::Trace` for the trace), for a graph with one
    /// input and one loss term: its arrays are the trait's input and output, and the
    /// trait's loss is the total. A graph with more has no single input or output, and
    /// no impl.
    fn network_impl(&self) -> TokenStream {
        let ([input], [term]) = (&self.inputs[..], &self.losses[..]) else {
            return TokenStream::new();
        };
        let name = &self.header.name;
        let (input_struct, output_struct) = (self.suffixed("Input"), self.suffixed("Output"));
        let trace = self.suffixed("Trace");
        let scalar = self.scalar();
        let (x, y) = (ident(&input.name), ident(&self.steps[term.value].name));
        let (input_ty, output_ty) = (
            self.array_type(input.width),
            self.array_type(self.steps[term.value].width),
        );
        let (inputs, outputs) = (lit(input.width), lit(self.steps[term.value].width));
        let params = self.array_type(self.params);
        let count = lit(self.params);
        let storage_methods = crate::codegen::network_storage_methods(name, &params);
        // The trait's inputs and targets are arrays; the inherent methods take structs.
        let block_methods = crate::codegen::network_block_methods(
            name,
            self.budget.block_samples,
            [&input_ty, &output_ty, &params, &scalar],
            self.steps[term.value].width,
            |xs, targets| {
                quote! {{
                    let (xs, targets) = (#xs, #targets);
                    let (inputs, targets) = (xs.map(|x| #input_struct { #x: *x }), targets.map(|t| #output_struct { #y: *t }));
                    #name::backward_block_into(&mut sink, inputs.each_ref(), targets.each_ref())
                }}
            },
            |xs| {
                quote! {{
                    let xs = #xs;
                    let inputs = xs.map(|x| #input_struct { #x: *x });
                    #name::forward_block(self, inputs.each_ref()).map(|outputs| outputs.#y)
                }}
            },
        );
        // Shared weights get a gradient from each use, which an optimizer must not see
        // apart: those networks keep the trait's summing `step_block`.
        let step_block = (!self.shares_weights()).then(|| {
            quote! {
                fn step_block<const B: usize, O: ::backprop::Optimizer<#params>>(
                    &mut self,
                    xs: [&#input_ty; B],
                    targets: [&#output_ty; B],
                    opt: &mut O,
                    scale: #scalar,
                    earlier: ::core::option::Option<&#params>,
                ) -> #scalar {
                    let (inputs, targets) = (xs.map(|x| #input_struct { #x: *x }), targets.map(|t| #output_struct { #y: *t }));
                    opt.begin_step();
                    let mut sink = ::backprop::kernel::Update::with_earlier(#name::params_mut(self), opt, scale, earlier);
                    #name::backward_block_into(&mut sink, inputs.each_ref(), targets.each_ref())
                }
            }
        });
        // Layer k of the trace: its dense step (the first use of a shared one), and
        // the activation step right after it, if only that consumes it.
        let mut trace_layers = Vec::new();
        for (p, _, _) in &self.layers {
            let Some(s) = (0..self.steps.len()).find(|&s| {
                matches!(self.steps[s].op, Op::Dense(_))
                    && self.dense[s].is_some_and(|d| d.offset == p.offset)
            }) else {
                continue;
            };
            let mut consumers =
                (0..self.steps.len()).filter(|&c| self.steps[c].args.contains(&Ref::Step(s)));
            let after = match (consumers.next(), consumers.next()) {
                (Some(c), None) if matches!(self.steps[c].op, Op::Activation(_)) => c,
                _ => s,
            };
            trace_layers.push((ident(&self.steps[s].name), ident(&self.steps[after].name)));
        }
        let trace_impl = crate::codegen::trace_impl(&trace, &scalar, &trace_layers);
        quote! {
            #trace_impl

            impl<P: ::backprop::Storage<#scalar, #count>> ::backprop::Network for #name<P> {
                type Scalar = #scalar;
                type Input = #input_ty;
                type Output = #output_ty;
                type Params = #params;
                type Trace = #trace;
                const INPUTS: usize = #inputs;
                const OUTPUTS: usize = #outputs;
                const PARAMS: usize = #count;

                #storage_methods
                fn forward(&self, x: &#input_ty) -> #output_ty {
                    #name::forward(self, &#input_struct { #x: *x }).#y
                }
                fn forward_trace(&self, x: &#input_ty) -> #trace {
                    #name::forward_trace(self, &#input_struct { #x: *x })
                }
                fn loss(&self, x: &#input_ty, target: &#output_ty) -> #scalar {
                    #name::loss(self, &#input_struct { #x: *x }, &#output_struct { #y: *target }).total
                }
                fn backward(&self, x: &#input_ty, target: &#output_ty, grads: &mut #params) -> #scalar {
                    #name::backward(self, &#input_struct { #x: *x }, &#output_struct { #y: *target }, grads).total
                }
                #block_methods
                #step_block
                fn train_step<O: ::backprop::Optimizer<#params>>(
                    &mut self,
                    x: &#input_ty,
                    target: &#output_ty,
                    opt: &mut O,
                ) -> #scalar {
                    #name::train_step(self, &#input_struct { #x: *x }, &#output_struct { #y: *target }, opt).total
                }
            }
        }
    }

    /// The weighted total: `1f32 * loss_pi + 0.5f32 * loss_v`, written without the
    /// weights that are 1.
    fn total(&self) -> TokenStream {
        let terms = self
            .loss_fields()
            .into_iter()
            .zip(&self.losses)
            .map(|(field, term)| {
                let field = format_ident!("loss_{}", field);
                if term.weight == 1.0 {
                    quote!(#field)
                } else {
                    let weight = self.literal(term.weight);
                    quote!(#weight * #field)
                }
            });
        quote!(#(#terms)+*)
    }

    fn forward_statements(&self, form: Form) -> Vec<TokenStream> {
        let mut statements: Vec<TokenStream> = self
            .inputs
            .iter()
            .map(|input| {
                let name = ident(&input.name);
                match form {
                    Form::Sample => quote!(let #name = inputs.#name;),
                    Form::Block => quote!(let #name = inputs.map(|sample| sample.#name);),
                }
            })
            .collect();
        let block = form == Form::Block;
        for (s, step) in self.steps.iter().enumerate() {
            let out = ident(&step.name);
            let args: Vec<Ident> = step.args.iter().map(|a| self.local(*a)).collect();
            // The element-wise ops over a block: each sample's row through the same kernel.
            let zip = |function: TokenStream| {
                let (a, b) = (&args[0], &args[1]);
                if block {
                    quote!(::backprop::kernel::zip_rows(&#a, &#b, #function))
                } else {
                    quote!(#function(&#a, &#b))
                }
            };
            let each = |function: TokenStream| {
                let a = &args[0];
                if block {
                    quote!(::backprop::kernel::each_row(&#a, #function))
                } else {
                    quote!(#function(&#a))
                }
            };
            let statement = match &step.op {
                Op::Dense(_) => {
                    let p = self.dense_params(s);
                    let (offset, inputs, units) = (lit(p.offset), lit(p.inputs), lit(p.units));
                    let a = &args[0];
                    if block {
                        quote! {
                            let #out = {
                                let (weights, biases) = ::backprop::kernel::layer::<#offset, #inputs, #units, _, _>(params);
                                ::backprop::kernel::dense_forward_batch(weights, biases, ::backprop::kernel::rows(&#a))
                            };
                        }
                    } else if self.unrolled(p) {
                        let body = unrolled_forward(p, a);
                        quote!(let #out = #body;)
                    } else {
                        quote! {
                            let #out = {
                                let (weights, biases) = ::backprop::kernel::layer::<#offset, #inputs, #units, _, _>(params);
                                ::backprop::kernel::dense_forward(weights, biases, &#a)
                            };
                        }
                    }
                }
                Op::Add => {
                    let value = zip(quote!(::backprop::kernel::add));
                    quote!(let #out = #value;)
                }
                Op::Sub => {
                    let value = zip(quote!(::backprop::kernel::sub));
                    quote!(let #out = #value;)
                }
                Op::Mul => {
                    let value = zip(quote!(::backprop::kernel::mul));
                    quote!(let #out = #value;)
                }
                Op::Scale(factor) => {
                    let (a, factor) = (&args[0], self.literal(*factor));
                    if block {
                        quote!(let #out = ::backprop::kernel::scaled_rows(&#a, #factor);)
                    } else {
                        quote!(let #out = ::backprop::kernel::scaled(&#a, #factor);)
                    }
                }
                Op::Concat => {
                    let value = zip(quote!(::backprop::kernel::concat));
                    let ty = self.array_type(step.width);
                    if block {
                        quote!(let #out: [#ty; B] = #value;)
                    } else {
                        quote!(let #out: #ty = #value;)
                    }
                }
                Op::Slice { start, end } => {
                    let (start, len, n) =
                        (lit(*start), lit(end - start), lit(self.width(step.args[0])));
                    let value = each(quote!(::backprop::kernel::slice::<#start, #len, #n, _>));
                    quote!(let #out = #value;)
                }
                // Steps hold neither inputs nor losses.
                Op::StopGradient | Op::Input | Op::Loss(_) => {
                    let a = &args[0];
                    quote!(let #out = #a;)
                }
                Op::Activation(activation) => {
                    let a = &args[0];
                    // After a written-out layer, the values come one at a time, where
                    // some exact functions are the faster ones (as in `mlp!`).
                    let small = !block
                        && matches!(step.args[0], Ref::Step(p) if self.dense[p].is_some_and(|d| self.unrolled(d)));
                    self.activation(*activation, &out, a, small, form)
                }
            };
            statements.push(statement);
        }
        statements
    }

    fn activation(
        &self,
        activation: ActivationFn,
        out: &Ident,
        input: &Ident,
        small: bool,
        form: Form,
    ) -> TokenStream {
        let block = form == Form::Block;
        if activation.kind == Activation::Softmax {
            return if block {
                quote!(let #out = ::backprop::kernel::softmax_rows(&#input);)
            } else {
                quote!(let #out = ::backprop::kernel::softmax(&#input);)
            };
        }
        let Some((function, _, _)) = activation.row().functions else {
            return quote!(let #out = #input;);
        };
        let row = activation.row();
        let exact = row.has_exact
            && (self.dag.math == crate::names::Math::Exact || (small && row.exact_when_unrolled));
        let function = ident(function);
        let path = if exact {
            quote!(::backprop::activation::exact::#function)
        } else {
            quote!(::backprop::activation::#function)
        };
        let f = self.with_param(path, activation.param);
        if block {
            quote!(let #out = ::backprop::kernel::map_rows(&#input, #f);)
        } else {
            quote!(let #out = ::backprop::kernel::map(&#input, #f);)
        }
    }

    /// A function for `map` or `chain`: the path, or a closure passing the parameter.
    fn with_param(&self, path: TokenStream, param: Option<f64>) -> TokenStream {
        self.closure_with_param(path, param, quote!(v))
    }

    /// [`with_param`](Self::with_param) for a gate, which takes the upstream gradient
    /// too: `|u, v| gate(u, v, 0.5f32)`.
    fn gate_with_param(&self, path: TokenStream, param: Option<f64>) -> TokenStream {
        self.closure_with_param(path, param, quote!(u, v))
    }

    /// `path` itself, or a closure over `arguments` that passes the parameter.
    fn closure_with_param(
        &self,
        path: TokenStream,
        param: Option<f64>,
        arguments: TokenStream,
    ) -> TokenStream {
        match param {
            None => path,
            Some(param) => {
                let param = self.literal(param);
                quote!(|#arguments| #path(#arguments, #param))
            }
        }
    }

    /// Where each loss term's gradient goes: the logits (the argument of the final
    /// softmax or sigmoid) for a fused loss, the value otherwise.
    fn loss_target(&self, value: usize, fused: bool) -> Ref {
        let last = value;
        if fused {
            self.steps[last]
                .args
                .first()
                .copied()
                .unwrap_or(Ref::Step(last))
        } else {
            Ref::Step(last)
        }
    }

    fn loss_statements(&self, seed: bool, form: Form) -> Vec<TokenStream> {
        let block = form == Form::Block;
        let needs = self.needs_gradient();
        let fields = self.loss_fields();
        self.losses
            .iter()
            .zip(&fields)
            .map(|(term, field)| {
                let row = term.loss.row();
                let value = ident(&self.steps[term.value].name);
                let (args, fused) = match row.form {
                    LossForm::Kernel { fused: Some(_), .. } => {
                        let logits = self.local(self.loss_target(term.value, true));
                        (quote!(&#logits, &#value), true)
                    }
                    _ => (quote!(&#value), false),
                };
                let target = self.loss_target(term.value, fused);
                let gradient = match target {
                    Ref::Step(s) if seed && needs[s] => {
                        let g = format_ident!("d{}_from_{}", self.steps[s].name, field);
                        quote!(#g)
                    }
                    _ => quote!(_),
                };
                let param = term.loss.param.map(|p| {
                    let p = self.literal(p);
                    quote!(, #p)
                });
                // The targets: one sample's, or each sample's row of the block.
                let targets = if block {
                    quote!(targets.map(|sample| &sample.#value))
                } else {
                    quote!(&targets.#value)
                };
                let call = match row.form {
                    LossForm::Kernel { function, .. } => {
                        let function = if block {
                            format_ident!("{}_rows", function)
                        } else {
                            ident(function)
                        };
                        quote!(::backprop::kernel::#function(#args, #targets #param))
                    }
                    LossForm::SquaredError { scale, mean } => {
                        // (loss, gradient) as the kernels give them.
                        let n = self.steps[term.value].width as f64;
                        let divisor = if mean { n } else { 1.0 };
                        let factor = self.literal(2.0 * scale / divisor);
                        let sum = if block {
                            quote!(::backprop::kernel::sum_of_squares_rows(&error))
                        } else {
                            quote!(::backprop::kernel::sum_of_squares(&error))
                        };
                        let loss = if scale / divisor == 1.0 {
                            sum
                        } else {
                            let scale = self.literal(scale / divisor);
                            quote!(#scale * #sum)
                        };
                        if block {
                            quote! {{
                                let error = ::backprop::kernel::sub_rows(&#value, #targets);
                                (#loss, ::backprop::kernel::scaled_rows(&error, #factor))
                            }}
                        } else {
                            quote! {{
                                let error = ::backprop::kernel::sub(&#value, #targets);
                                (#loss, ::backprop::kernel::scaled(&error, #factor))
                            }}
                        }
                    }
                };
                let weighted = if seed && term.weight != 1.0 && gradient.to_string() != "_" {
                    let weight = self.literal(term.weight);
                    let scaled = if block {
                        quote!(::backprop::kernel::scaled_rows)
                    } else {
                        quote!(::backprop::kernel::scaled)
                    };
                    quote!(let #gradient = #scaled(&#gradient, #weight);)
                } else {
                    quote!()
                };
                let local = format_ident!("loss_{}", field);
                quote! {
                    let (#local, #gradient) = #call;
                    #weighted
                }
            })
            .collect()
    }

    /// By step: whether its gradient is needed, that is whether it depends on a dense
    /// layer's parameters through ops other than `stop_gradient`.
    fn needs_gradient(&self) -> Vec<bool> {
        let mut needs = vec![false; self.steps.len()];
        for (s, step) in self.steps.iter().enumerate() {
            needs[s] = match step.op {
                Op::StopGradient => false,
                Op::Dense(_) => true,
                _ => step
                    .args
                    .iter()
                    .any(|a| matches!(a, Ref::Step(p) if needs[*p])),
            };
        }
        needs
    }

    fn backward_statements(&self, form: Form) -> Vec<TokenStream> {
        let block = form == Form::Block;
        // The batch kernel of an element-wise function, or the function itself.
        let zip = |function: TokenStream, a: &dyn quote::ToTokens, b: &dyn quote::ToTokens| {
            if block {
                quote!(::backprop::kernel::zip_rows(&#a, &#b, #function))
            } else {
                quote!(#function(&#a, &#b))
            }
        };
        let each = |function: TokenStream, a: &dyn quote::ToTokens| {
            if block {
                quote!(::backprop::kernel::each_row(&#a, #function))
            } else {
                quote!(#function(&#a))
            }
        };
        let scaled = |a: &dyn quote::ToTokens, factor: TokenStream| {
            if block {
                quote!(::backprop::kernel::scaled_rows(&#a, #factor))
            } else {
                quote!(::backprop::kernel::scaled(&#a, #factor))
            }
        };
        let needs = self.needs_gradient();
        // By step: the locals its consumers bind for it.
        let mut received: Vec<Vec<Ident>> = vec![Vec::new(); self.steps.len()];
        let fields = self.loss_fields();
        for (term, field) in self.losses.iter().zip(&fields) {
            let fused = matches!(
                term.loss.row().form,
                LossForm::Kernel { fused: Some(_), .. }
            );
            if let Ref::Step(s) = self.loss_target(term.value, fused)
                && needs[s]
            {
                received[s].push(format_ident!("d{}_from_{}", self.steps[s].name, field));
            }
        }
        let mut statements = Vec::new();
        for s in (0..self.steps.len()).rev() {
            let parts = std::mem::take(&mut received[s]);
            if !needs[s] || parts.is_empty() {
                continue;
            }
            let step = &self.steps[s];
            let gradient = format_ident!("d{}", step.name);
            statements.push(match &parts[..] {
                [one] => quote!(let #gradient = #one;),
                [first, rest @ ..] => {
                    let mut sum = quote!(#first);
                    for part in rest {
                        sum = zip(quote!(::backprop::kernel::add), &sum, part);
                    }
                    quote!(let #gradient = #sum;)
                }
                [] => continue,
            });
            // What this step sends back to each argument that needs a gradient.
            let mut sent: Vec<(usize, TokenStream)> = Vec::new();
            let wants = |slot: usize| match step.args.get(slot) {
                Some(Ref::Step(p)) if needs[*p] => Some(*p),
                _ => None,
            };
            let arg = |slot: usize| self.local(step.args[slot]);
            match &step.op {
                Op::Dense(_) => {
                    let p = self.dense_params(s);
                    let (offset, inputs, units) = (lit(p.offset), lit(p.inputs), lit(p.units));
                    let x = arg(0);
                    if block {
                        // `{ B }`, not `B`: a type `B` in the user's module would
                        // shadow the block's const parameter in a generic argument.
                        let rows = quote!(::backprop::kernel::rows(&#x));
                        match wants(0) {
                            Some(p) => sent.push((
                                p,
                                quote!(sink.dense_batch::<#offset, #inputs, #units, { B }>(#rows, &#gradient)),
                            )),
                            None => statements.push(quote! {
                                sink.dense_params_batch::<#offset, #inputs, #units, { B }>(#rows, &#gradient);
                            }),
                        }
                    } else if self.unrolled(p) {
                        let one = self.literal(1.0);
                        let body = unrolled_backward(p, &x, &gradient, wants(0).is_some(), &one);
                        match wants(0) {
                            Some(p) => sent.push((p, body)),
                            None => statements.push(quote!(#body;)),
                        }
                    } else {
                        match wants(0) {
                        Some(p) => sent.push((
                            p,
                            quote!(sink.dense::<#offset, #inputs, #units>(&#x, &#gradient)),
                        )),
                        None => statements.push(
                            quote!(sink.dense_params::<#offset, #inputs, #units>(&#x, &#gradient);),
                        ),
                    }
                    }
                }
                Op::Add => {
                    for slot in 0..step.args.len() {
                        if let Some(p) = wants(slot) {
                            sent.push((p, quote!(#gradient)));
                        }
                    }
                }
                Op::Sub => {
                    if let Some(p) = wants(0) {
                        sent.push((p, quote!(#gradient)));
                    }
                    if let Some(p) = wants(1) {
                        let minus = self.literal(-1.0);
                        sent.push((p, scaled(&gradient, minus)));
                    }
                }
                Op::Mul => {
                    let (a, b) = (arg(0), arg(1));
                    if let Some(p) = wants(0) {
                        sent.push((p, zip(quote!(::backprop::kernel::mul), &gradient, &b)));
                    }
                    if let Some(p) = wants(1) {
                        sent.push((p, zip(quote!(::backprop::kernel::mul), &gradient, &a)));
                    }
                }
                Op::Scale(factor) => {
                    if let Some(p) = wants(0) {
                        let factor = self.literal(*factor);
                        sent.push((p, scaled(&gradient, factor)));
                    }
                }
                Op::Concat => {
                    let (a, c) = (self.width(step.args[0]), step.width);
                    if let Some(p) = wants(0) {
                        let (start, len, n) = (lit(0), lit(a), lit(c));
                        let slice = quote!(::backprop::kernel::slice::<#start, #len, #n, _>);
                        sent.push((p, each(slice, &gradient)));
                    }
                    if let Some(p) = wants(1) {
                        let (start, len, n) = (lit(a), lit(c - a), lit(c));
                        let slice = quote!(::backprop::kernel::slice::<#start, #len, #n, _>);
                        sent.push((p, each(slice, &gradient)));
                    }
                }
                Op::Slice { start, end } => {
                    if let Some(p) = wants(0) {
                        let (start, len, n) =
                            (lit(*start), lit(end - start), lit(self.width(step.args[0])));
                        let pad = quote!(::backprop::kernel::pad::<#start, #len, #n, _>);
                        sent.push((p, each(pad, &gradient)));
                    }
                }
                // Steps hold neither inputs nor losses.
                Op::StopGradient | Op::Input | Op::Loss(_) => {}
                Op::Activation(activation) => {
                    if let Some(p) = wants(0) {
                        let out = ident(&step.name);
                        let back = if activation.kind == Activation::Softmax {
                            zip(
                                quote!(::backprop::kernel::softmax_backward),
                                &gradient,
                                &out,
                            )
                        } else if let Some((_, derivative, of)) = activation.row().functions {
                            let at = match of {
                                DerivativeOf::Input | DerivativeOf::Gate => arg(0),
                                DerivativeOf::Output => out,
                            };
                            let derivative = ident(derivative);
                            let path = quote!(::backprop::activation::#derivative);
                            let (f, chain) = if of == DerivativeOf::Gate {
                                (self.gate_with_param(path, activation.param), "chain_gate")
                            } else {
                                (self.with_param(path, activation.param), "chain")
                            };
                            let chain = if block {
                                format_ident!("{chain}_rows")
                            } else {
                                format_ident!("{chain}")
                            };
                            quote!(::backprop::kernel::#chain(&#gradient, &#at, #f))
                        } else {
                            quote!(#gradient)
                        };
                        sent.push((p, back));
                    }
                }
            }
            for (k, (p, expression)) in sent.into_iter().enumerate() {
                let mut local = format_ident!("d{}_from_{}", self.steps[p].name, step.name);
                if received[p].contains(&local) {
                    local = format_ident!("d{}_from_{}_{}", self.steps[p].name, step.name, k);
                }
                statements.push(quote!(let #local = #expression;));
                received[p].push(local);
            }
        }
        statements
    }
}

/// The layer's parameters bound one by one: `w_0_0, …, b_0, …`.
fn parameter_names(p: DenseParams) -> (Vec<Vec<Ident>>, Vec<Ident>) {
    let weights = (0..p.units)
        .map(|to| {
            (0..p.inputs)
                .map(|from| format_ident!("w_{}_{}", to, from))
                .collect()
        })
        .collect();
    let biases = (0..p.units).map(|to| format_ident!("b_{}", to)).collect();
    (weights, biases)
}

/// A small dense layer written out: its input and parameters bound element by element,
/// one sum per unit, packed into the layer's array.
fn unrolled_forward(p: DenseParams, input: &Ident) -> TokenStream {
    let xs: Vec<Ident> = (0..p.inputs).map(|i| format_ident!("in_{}", i)).collect();
    let (weights, biases) = parameter_names(p);
    let all = weights.iter().flatten().chain(&biases);
    let (offset, len) = (lit(p.offset), lit(p.inputs * p.units + p.units));
    let sums = weights
        .iter()
        .zip(&biases)
        .map(|(row, b)| quote!(#(#row * #xs)+* + #b));
    quote! {{
        let [#(#xs),*] = #input;
        let [#(#all),*] = *::backprop::kernel::segment::<#offset, #len, _, _>(params);
        [#(#sums),*]
    }}
}

/// The backward pass of a small dense layer written out: its parameter gradients handed
/// to the sink as products, a `dz` times an input (weights row-major, then biases,
/// whose input is `one`), and, if `input_gradient`, the input's gradient `Σⱼ dzⱼ·wⱼᵢ`
/// as the block's value.
fn unrolled_backward(
    p: DenseParams,
    input: &Ident,
    gradient: &Ident,
    input_gradient: bool,
    one: &TokenStream,
) -> TokenStream {
    let xs: Vec<Ident> = (0..p.inputs).map(|i| format_ident!("in_{}", i)).collect();
    let dzs: Vec<Ident> = (0..p.units).map(|j| format_ident!("dz_{}", j)).collect();
    let (weights, biases) = parameter_names(p);
    let (offset, len) = (lit(p.offset), lit(p.inputs * p.units + p.units));
    let factors = dzs
        .iter()
        .flat_map(|dz| xs.iter().map(move |_| dz))
        .chain(&dzs);
    let inputs = dzs
        .iter()
        .flat_map(|_| xs.iter().map(|x| quote!(#x)))
        .chain(dzs.iter().map(|_| one.clone()));
    let accept = quote! {
        sink.accept_products::<#offset, #len>(&[#(#factors),*], &[#(#inputs),*]);
    };
    if !input_gradient {
        return quote! {{
            let [#(#xs),*] = #input;
            let [#(#dzs),*] = #gradient;
            #accept
        }};
    }
    // The biases take no part in the input's gradient.
    let unused = biases.iter().map(|_| quote!(_));
    let all = weights.iter().flatten().map(|w| quote!(#w)).chain(unused);
    let sums = (0..p.inputs).map(|i| {
        let terms = dzs.iter().zip(&weights).map(|(dz, row)| {
            let w = &row[i];
            quote!(#dz * #w)
        });
        quote!(#(#terms)+*)
    });
    quote! {{
        let [#(#xs),*] = #input;
        let [#(#dzs),*] = #gradient;
        let [#(#all),*] = *::backprop::kernel::segment::<#offset, #len, _, _>(sink.params());
        #accept
        [#(#sums),*]
    }}
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

fn lit(value: usize) -> Literal {
    Literal::usize_unsuffixed(value)
}
