//! Stage 4, codegen, the back end for chains (every `mlp!` network): a chain-shaped
//! [`Dag`] → the network's struct, its inherent impl, its batch kernels and its
//! `backprop::Network` and `backprop::Chain` impls. (`graph!`'s DAGs go to
//! `lang::codegen`.)
//!
//! It emits the [`Plan`] and decides nothing. The code is written to be read in
//! `cargo expand`: locals are named after the math (`z1_0` is unit 0 of layer 1's
//! pre-activation, `dz1_0` the loss's gradient with respect to it, `w2_0_1` the weight
//! from unit 1 of layer 1 to unit 0 of layer 2; `z1`, `dz1` the same as arrays in
//! kernel layers), one statement computes one value, and there is no allocation and
//! no panicking path. Every path is absolute (`::backprop::…`, `::core::…`).

mod api;
mod backward;
mod batch;
mod forward;

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Attribute, Visibility};

use crate::graph::{Dag, Dense, NodeId, Op};
use crate::names::ScalarType;
use crate::plan::{self, Plan};

/// What the user wrote around the spec: it becomes the generated struct's.
pub struct Header {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
}

/// The network's code, or the graph or plan error that prevents it.
pub fn emit(header: &Header, dag: &Dag) -> syn::Result<TokenStream> {
    if !dag.is_chain() {
        let span = dag.graph[dag.output()].span;
        return Err(syn::Error::new(
            span,
            "`mlp!`'s back end compiles chains only; this network is a graph for `graph!`",
        ));
    }
    let order = dag.order().map_err(|e| e.into_syn())?;
    let plan = plan::plan(dag, &order).map_err(|e| e.into_syn())?;
    let needs_gradient = dag.needs_gradient(&order);
    let codegen = Codegen {
        header,
        dag,
        order,
        needs_gradient,
        plan,
    };
    Ok(codegen.network())
}

/// The scalar type's tokens, `f32` or `f64`, for either back end.
pub fn scalar_type(scalar: ScalarType) -> TokenStream {
    match scalar {
        ScalarType::F32 => quote!(f32),
        ScalarType::F64 => quote!(f64),
    }
}

/// A constant of the scalar type. Every literal either back end writes goes through
/// here, so a fixed-point scalar only has to change this function.
pub fn scalar_literal(scalar: ScalarType, value: f64) -> TokenStream {
    let literal = match scalar {
        ScalarType::F32 => Literal::f32_suffixed(value as f32),
        ScalarType::F64 => Literal::f64_suffixed(value),
    };
    quote!(#literal)
}

/// The lints generated impls opt out of, for `mlp!` and `graph!` alike: written-out
/// math has many similar short names, long bodies, unsuffixed literals at full precision
/// and `a * b + c` (which `mul_add` would only make slower without FMA); and a network
/// of more than 4,096 `f32` keeps its parameters, and a block its activations, in
/// arrays over clippy's 16 KiB (`large_stack_arrays`), by design: `new_boxed` is the
/// choice for networks too big for the stack, and `BLOCK_SAMPLES` bounds a block's.
pub fn lint_allows() -> TokenStream {
    quote! {
        #[allow(
            clippy::let_and_return,
            clippy::similar_names,
            clippy::many_single_char_names,
            clippy::too_many_lines,
            clippy::unreadable_literal,
            clippy::excessive_precision,
            clippy::suboptimal_flops,
            clippy::needless_borrow,
            clippy::redundant_locals,
            clippy::possible_missing_comma,
            clippy::large_stack_arrays
        )]
    }
}

/// The `Network` impl's `BLOCK_SAMPLES` and block methods, for either macro, each
/// build's block size from `samples`: `backward(xs, targets)` is one block's summed loss,
/// its gradients sent to `sink`, and `forward(xs)` its outputs. `types` are the input,
/// output, parameter and scalar types, `outputs` the output width.
pub fn network_block_methods(
    name: &Ident,
    samples: plan::PerBuild,
    types: [&TokenStream; 4],
    outputs: usize,
    backward: impl Fn(TokenStream, TokenStream) -> TokenStream + Copy,
    forward: impl Fn(TokenStream) -> TokenStream + Copy,
) -> TokenStream {
    let [input, output, params, scalar] = types;
    let zero = quote!(<#scalar as ::backprop::Scalar>::ZERO);
    let outputs = Literal::usize_unsuffixed(outputs);
    per_build(samples, |samples| {
        let block_samples = Literal::usize_unsuffixed(samples);
        let backward_block = block_loss_body(
            samples,
            &zero,
            &quote!(::backprop::kernel::Accumulate::new(#name::params(self), grads)),
            backward,
        );
        let backward_block_scaled = block_loss_body(
            samples,
            &zero,
            &quote!(::backprop::kernel::Accumulate::scaled(#name::params(self), grads, scale)),
            backward,
        );
        let forward_block = block_outputs_body(samples, &quote!([#zero; #outputs]), forward);
        vec![
            quote! {
                const BLOCK_SAMPLES: usize = #block_samples;
            },
            quote! {
                fn backward_block<const B: usize>(
                    &self,
                    xs: [&#input; B],
                    targets: [&#output; B],
                    grads: &mut #params,
                ) -> #scalar {
                    #backward_block
                }
            },
            quote! {
                fn backward_block_scaled<const B: usize>(
                    &self,
                    xs: [&#input; B],
                    targets: [&#output; B],
                    grads: &mut #params,
                    scale: #scalar,
                ) -> #scalar {
                    #backward_block_scaled
                }
            },
            quote! {
                fn forward_block<const B: usize>(&self, xs: [&#input; B]) -> [#output; B] {
                    #forward_block
                }
            },
        ]
    })
}

/// The `BATCH_STACK_BYTES` const of either macro's network: the plan's bound
/// ([`plan::Budget::batch_stack_bytes`]) for the kind of build it is compiled in: debug,
/// release, or without debug assertions but unoptimized, which the runtime tells
/// (`kernel::KERNELS_INLINED`).
pub fn batch_stack_const(budget: &plan::Budget) -> TokenStream {
    let (debug, release, unoptimized) = (
        Literal::usize_unsuffixed(budget.batch_stack_bytes.debug),
        Literal::usize_unsuffixed(budget.batch_stack_bytes.release),
        Literal::usize_unsuffixed(budget.unoptimized_batch_stack_bytes),
    );
    quote! {
        /// An upper bound on the stack the batch methods use, in bytes, in the kind of
        /// build this is compiled in: `train_batch_with`, `accumulate`, `forward_batch`,
        /// `backward_batch`, `backward_batch_classes`, and each thread of a
        /// `ParallelTrainer` step. A block of `BLOCK_SAMPLES` samples, ten copies of
        /// every value in debug builds and four in release ones, one sample's pass
        /// (`TRAIN_STACK_BYTES`), and the runtime's loops. `train_batch` takes
        /// `PARAM_BYTES` more for its gradient array, unless its batch is one block of
        /// 32 samples with the update fused (with AVX). Never more than 1.75 MiB unless
        /// the network's blocks are of one sample, or the build has no debug assertions
        /// and does not optimize (the last value: a release build's block with an
        /// unoptimized build's frames).
        pub const BATCH_STACK_BYTES: usize = if cfg!(debug_assertions) {
            #debug
        } else if ::backprop::kernel::KERNELS_INLINED {
            #release
        } else {
            #unoptimized
        };
    }
}

/// The items `emit(samples)` makes for the block size of each kind of build: once where
/// debug and release builds take the same, else each item under its
/// `cfg(debug_assertions)`.
pub fn per_build(samples: plan::PerBuild, emit: impl Fn(usize) -> Vec<TokenStream>) -> TokenStream {
    if samples.debug == samples.release {
        let items = emit(samples.release);
        return quote!(#(#items)*);
    }
    let (debug, release) = (emit(samples.debug), emit(samples.release));
    quote! {
        #(
            #[cfg(debug_assertions)]
            #debug
        )*
        #(
            #[cfg(not(debug_assertions))]
            #release
        )*
    }
}

/// The body of a `Network` impl's `backward_block` or `backward_block_scaled`, for
/// either macro: `run(xs, targets)` is one block's summed loss, its gradients sent to
/// `sink`. A network whose plan takes fewer samples at once than the runtime's blocks
/// ([`plan::Budget::block_samples`]) runs a bigger block as blocks of that many, then
/// one sample at a time, so that a block's arrays stay within the plan's stack bound.
pub fn block_loss_body(
    samples: usize,
    zero: &TokenStream,
    sink: &TokenStream,
    run: impl Fn(TokenStream, TokenStream) -> TokenStream,
) -> TokenStream {
    let whole = run(quote!(xs), quote!(targets));
    if samples >= plan::MAX_BLOCK_SAMPLES {
        return quote! {
            let mut sink = #sink;
            #whole
        };
    }
    let count = Literal::usize_unsuffixed(samples);
    let block = run(quote!(*xs), quote!(*targets));
    let one = run(quote!([*x]), quote!([*target]));
    quote! {
        let mut sink = #sink;
        if B <= #count {
            return #whole;
        }
        let (input_blocks, inputs_left) = xs.as_chunks::<#count>();
        let (target_blocks, targets_left) = targets.as_chunks::<#count>();
        let mut loss = #zero;
        for (xs, targets) in input_blocks.iter().zip(target_blocks) {
            loss += #block;
        }
        for (x, target) in inputs_left.iter().zip(targets_left) {
            loss += #one;
        }
        loss
    }
}

/// The body of a `Network` impl's `forward_block`, for either macro, as
/// [`block_loss_body`] splits blocks: `run(xs)` is one block's outputs, and `zero` an
/// output of zeros.
pub fn block_outputs_body(
    samples: usize,
    zero: &TokenStream,
    run: impl Fn(TokenStream) -> TokenStream,
) -> TokenStream {
    let whole = run(quote!(xs));
    if samples >= plan::MAX_BLOCK_SAMPLES {
        return whole;
    }
    let count = Literal::usize_unsuffixed(samples);
    let block = run(quote!(*xs));
    let one = run(quote!([*x]));
    quote! {
        if B <= #count {
            return #whole;
        }
        let mut outputs = [#zero; B];
        let (input_blocks, inputs_left) = xs.as_chunks::<#count>();
        let (output_blocks, outputs_left) = outputs.as_chunks_mut::<#count>();
        for (xs, outputs) in input_blocks.iter().zip(output_blocks) {
            *outputs = #block;
        }
        for (x, output) in inputs_left.iter().zip(outputs_left) {
            [*output] = #one;
        }
        outputs
    }
}

/// `backprop::Trace` for a trace struct, for either macro: layer `k` (from 1) is the
/// `k`-th pair of fields, its pre-activation and its activation.
pub fn trace_impl(trace: &Ident, scalar: &TokenStream, layers: &[(Ident, Ident)]) -> TokenStream {
    let count = Literal::usize_unsuffixed(layers.len());
    let numbers: Vec<Literal> = (1..=layers.len()).map(Literal::usize_unsuffixed).collect();
    let (pre, post): (Vec<&Ident>, Vec<&Ident>) = layers.iter().map(|(z, a)| (z, a)).unzip();
    quote! {
        impl ::backprop::Trace<#scalar> for #trace {
            const LAYERS: usize = #count;

            fn pre_activation(&self, layer: usize) -> ::core::option::Option<&[#scalar]> {
                match layer {
                    #(#numbers => ::core::option::Option::Some(&self.#pre),)*
                    _ => ::core::option::Option::None,
                }
            }

            fn activation(&self, layer: usize) -> ::core::option::Option<&[#scalar]> {
                match layer {
                    #(#numbers => ::core::option::Option::Some(&self.#post),)*
                    _ => ::core::option::Option::None,
                }
            }
        }
    }
}

/// The inherent methods over any storage `P`, the same for either macro: `new_in`, the
/// little-endian bytes (`le_bytes`, from [`le_bytes_methods`]), `params`, `params_mut`.
pub fn storage_methods(name: &Ident, params: &TokenStream, le_bytes: &TokenStream) -> TokenStream {
    quote! {
        /// A network as `new` builds it, its parameters in storage `P`, built in
        /// place: `let net: Net<MyStorage> = Net::new_in(seed);`.
        pub fn new_in(seed: u64) -> Self {
            let mut params = P::zeroed();
            ::backprop::init::init_params(params.as_array_mut(), #name::LAYERS, seed);
            Self { params }
        }

        #le_bytes

        /// The parameters, in canonical order.
        pub fn params(&self) -> &#params {
            self.params.as_array()
        }

        /// The parameters, in canonical order, for changing in place.
        pub fn params_mut(&mut self) -> &mut #params {
            self.params.as_array_mut()
        }
    }
}

/// The `backprop::Network` methods about the parameters and their storage, the same
/// for either macro: the trait delegates to the inherent ones.
pub fn network_storage_methods(name: &Ident, params: &TokenStream) -> TokenStream {
    quote! {
        fn layers() -> &'static [::backprop::Layer] {
            #name::LAYERS
        }
        fn new(seed: u64) -> Self {
            Self::new_in(seed)
        }
        fn from_params(params: #params) -> Self {
            Self { params: P::from_array(params) }
        }
        fn params(&self) -> &#params {
            #name::params(self)
        }
        fn params_mut(&mut self) -> &mut #params {
            #name::params_mut(self)
        }
    }
}

/// `new_boxed` under the `alloc` feature, for either macro: the network built in place
/// on the heap (through the generic `new_in`).
pub fn boxed_constructor(name: &Ident, scalar: &TokenStream, params: usize) -> TokenStream {
    let count = Literal::usize_unsuffixed(params);
    quote! {
        ::backprop::__with_alloc! {
            impl #name<::backprop::storage::Boxed<#scalar, #count>> {
                /// A network as `new` builds it, its parameters on the heap: they are
                /// allocated zeroed and initialized in place, never on the stack, so
                /// that a network of any size can be built on any thread.
                pub fn new_boxed(seed: u64) -> Self {
                    Self::new_in(seed)
                }
            }
        }
    }
}

/// The parameters as little-endian bytes, for either macro: `from_le_bytes` (for the
/// inherent impl of the array-backed network) and `to_le_bytes`, `write_le_bytes` and
/// `read_le_bytes` (for the impl generic over the storage).
pub fn le_bytes_methods(
    zero: &TokenStream,
    params: usize,
    scalar_bytes: usize,
) -> (TokenStream, TokenStream) {
    let count = Literal::usize_unsuffixed(params);
    let byte_count = Literal::usize_unsuffixed(params * scalar_bytes);
    let from = quote! {
        /// A network with the parameters `to_le_bytes` wrote: the canonical order,
        /// each value little-endian. No allocation, `no_std`.
        ///
        /// # Errors
        /// [`::backprop::io::BytesError`] if `bytes` is not `PARAM_BYTES` long.
        pub fn from_le_bytes(
            bytes: &[u8],
        ) -> ::core::result::Result<Self, ::backprop::io::BytesError> {
            let mut params = [#zero; #count];
            ::backprop::io::read_le_bytes(bytes, &mut params)?;
            ::core::result::Result::Ok(Self { params })
        }
    };
    let methods = quote! {
        /// The parameters as bytes, in canonical order, each value little-endian:
        /// what `from_le_bytes` reads, for flash on a microcontroller. For a large
        /// network, `write_le_bytes` into a buffer of your own instead.
        pub fn to_le_bytes(&self) -> [u8; #byte_count] {
            let mut bytes = [0u8; #byte_count];
            // The buffer is exactly the parameters' size: this cannot fail.
            let _ = ::backprop::io::write_le_bytes(self.params(), &mut bytes);
            bytes
        }

        /// Writes the parameters' little-endian bytes to `out`.
        ///
        /// # Errors
        /// [`::backprop::io::BytesError`] if `out` is not `PARAM_BYTES` long;
        /// nothing is written then.
        pub fn write_le_bytes(
            &self,
            out: &mut [u8],
        ) -> ::core::result::Result<(), ::backprop::io::BytesError> {
            ::backprop::io::write_le_bytes(self.params(), out)
        }

        /// Replaces the parameters with those whose bytes `to_le_bytes` wrote.
        ///
        /// # Errors
        /// [`::backprop::io::BytesError`] if `bytes` is not `PARAM_BYTES` long;
        /// the parameters are unchanged then.
        pub fn read_le_bytes(
            &mut self,
            bytes: &[u8],
        ) -> ::core::result::Result<(), ::backprop::io::BytesError> {
            ::backprop::io::read_le_bytes(bytes, self.params_mut())
        }
    };
    (from, methods)
}

/// `Serialize` and `Deserialize` under the `serde` feature, for either macro: the
/// parameters as one sequence, deserialized in place into the network's storage.
pub fn serde_impls(name: &Ident, scalar: &TokenStream, params: usize) -> TokenStream {
    let count = Literal::usize_unsuffixed(params);
    quote! {
        ::backprop::__with_serde! {
            impl<P: ::backprop::Storage<#scalar, #count>> ::backprop::__serde::Serialize for #name<P> {
                fn serialize<S: ::backprop::__serde::Serializer>(
                    &self,
                    serializer: S,
                ) -> ::core::result::Result<S::Ok, S::Error> {
                    ::backprop::io::serde::serialize_params(self.params(), serializer)
                }
            }

            impl<'de, P: ::backprop::Storage<#scalar, #count>> ::backprop::__serde::Deserialize<'de>
                for #name<P>
            {
                fn deserialize<D: ::backprop::__serde::Deserializer<'de>>(
                    deserializer: D,
                ) -> ::core::result::Result<Self, D::Error> {
                    let params =
                        ::backprop::io::serde::deserialize_params::<#scalar, #count, P, D>(deserializer)?;
                    ::core::result::Result::Ok(Self { params })
                }
            }
        }
    }
}

/// The generic parameters the generated impls declare and name the network beside
/// (storage `P`, optimizer `O`, block size `B`): a network of the same name would be
/// shadowed by them there. (`S` and `D` are declared too, where the network's name is
/// not used.)
const GENERIC_NAMES: &[&str] = &["P", "O", "B"];

/// An error at the network's name if the generated code cannot use it: one of the
/// generic parameters its impls declare.
pub fn name_error(name: &Ident) -> Option<syn::Error> {
    let word = name.to_string();
    GENERIC_NAMES.contains(&word.as_str()).then(|| {
        syn::Error::new(
            name.span(),
            format!(
                "`{word}` is also a generic parameter of the generated impls ({}); give the \
                 network a longer name",
                GENERIC_NAMES.join(", ")
            ),
        )
    })
}

/// A stub with the network's name, emitted next to errors so that uses of the type
/// do not add "cannot find type" errors to the real ones.
pub fn stub(header: &Header) -> TokenStream {
    let Header { attrs, vis, name } = header;
    quote! {
        #(#attrs)*
        #vis struct #name {}
    }
}

/// Everything the generators share: the graph, its order and the naming scheme.
struct Codegen<'a> {
    header: &'a Header,
    dag: &'a Dag,
    /// Topological order: producers before consumers.
    order: Vec<NodeId>,
    /// By node index: whether the loss's gradient with respect to the node is needed.
    needs_gradient: Vec<bool>,
    /// How each node is written out.
    plan: Plan,
}

impl Codegen<'_> {
    /// The scalar type's tokens, `f32` or `f64`.
    fn scalar(&self) -> TokenStream {
        scalar_type(self.dag.scalar)
    }

    /// A constant of the scalar type.
    fn literal(&self, value: f64) -> TokenStream {
        scalar_literal(self.dag.scalar, value)
    }

    /// The array types of the input, the output and the parameters: `[f32; 2]`, ….
    fn signature(&self) -> (TokenStream, TokenStream, TokenStream) {
        let width = |node: NodeId| self.dag.graph[node].width;
        (
            self.array_type(width(self.dag.input())),
            self.array_type(width(self.dag.output())),
            self.array_type(self.dag.params),
        )
    }

    /// `[f32; len]`.
    fn array_type(&self, len: usize) -> TokenStream {
        let scalar = self.scalar();
        let len = Literal::usize_unsuffixed(len);
        quote!([#scalar; #len])
    }

    /// Element `index` of a node's vector: `x_0`, `z1_0`, `a1_0`.
    fn value(&self, node: NodeId, index: usize) -> Ident {
        ident(format!("{}_{index}", self.dag.graph[node].name))
    }

    /// Every element of a node's vector.
    fn values(&self, node: NodeId) -> Vec<Ident> {
        (0..self.dag.graph[node].width)
            .map(|index| self.value(node, index))
            .collect()
    }

    /// The loss's gradient with respect to element `index` of a node: `dz1_0`, `da1_0`.
    fn gradient(&self, node: NodeId, index: usize) -> Ident {
        ident(format!("d{}_{index}", self.dag.graph[node].name))
    }

    /// The weight from input `from` to unit `to` of a dense layer: `w1_0_1`.
    fn weight(dense: &Dense, to: usize, from: usize) -> Ident {
        ident(format!("w{}_{to}_{from}", dense.layer))
    }

    /// The bias of unit `to` of a dense layer: `b1_0`.
    fn bias(dense: &Dense, to: usize) -> Ident {
        ident(format!("b{}_{to}", dense.layer))
    }

    /// Target element `index`: `t_0`.
    fn target(index: usize) -> Ident {
        ident(format!("t_{index}"))
    }

    /// Output error `y − t` of element `index`: `e_0`.
    fn error(index: usize) -> Ident {
        ident(format!("e_{index}"))
    }

    /// A dense layer's parameter names in canonical order: weights row-major, then
    /// biases.
    fn layer_parameters(&self, node: NodeId, dense: &Dense) -> Vec<Ident> {
        let units = self.dag.graph[node].width;
        let mut names = Vec::with_capacity(dense.inputs * units + units);
        for to in 0..units {
            names.extend((0..dense.inputs).map(|from| Self::weight(dense, to, from)));
        }
        names.extend((0..units).map(|to| Self::bias(dense, to)));
        names
    }

    /// A kernel layer's weight matrix: `w1`.
    fn weights_array(dense: &Dense) -> Ident {
        ident(format!("w{}", dense.layer))
    }

    /// A kernel layer's bias vector: `b1`.
    fn biases_array(dense: &Dense) -> Ident {
        ident(format!("b{}", dense.layer))
    }

    /// A kernel layer's place and shape as const generic arguments: `OFFSET, IN, OUT`.
    fn layer_shape(&self, node: NodeId, dense: &Dense) -> TokenStream {
        let offset = self.usize(dense.weights);
        let inputs = self.usize(dense.inputs);
        let units = self.usize(self.dag.graph[node].width);
        quote!(#offset, #inputs, #units)
    }

    /// A node's vector as one array local: `z1`, `a1`.
    fn array(&self, node: NodeId) -> Ident {
        ident(self.dag.graph[node].name.clone())
    }

    /// A node's vector as an array value: `*x` for the input, `z1` for the others.
    fn array_value(&self, node: NodeId) -> TokenStream {
        let array = self.array(node);
        if node == self.dag.input() {
            quote!(*#array)
        } else {
            quote!(#array)
        }
    }

    /// A reference to a node's array: `x` (already one) for the input, `&z1` otherwise.
    fn array_ref(&self, node: NodeId) -> TokenStream {
        let array = self.array(node);
        if node == self.dag.input() {
            quote!(#array)
        } else {
            quote!(&#array)
        }
    }

    /// The loss's gradient with respect to a node's whole vector: `dz1`, `da1`.
    fn gradient_array(&self, node: NodeId) -> Ident {
        ident(format!("d{}", self.dag.graph[node].name))
    }

    /// A `usize` literal, for const generic arguments and array lengths.
    fn usize(&self, value: usize) -> Literal {
        Literal::usize_unsuffixed(value)
    }

    /// The producer of a node's only input (every op so far has one).
    fn input_of(&self, node: NodeId) -> NodeId {
        self.dag
            .inputs(node)
            .first()
            .copied()
            .unwrap_or(self.dag.input())
    }

    /// The dense and activation nodes in order: the ones a trace records.
    fn traced(&self) -> Vec<NodeId> {
        let traced =
            |id: &&NodeId| matches!(self.dag.graph[**id].op, Op::Dense(_) | Op::Activation(_));
        self.order.iter().filter(traced).copied().collect()
    }
}

fn ident(name: String) -> Ident {
    Ident::new(&name, Span::call_site())
}

/// A name derived from the user's: `XorTrace` from `Xor`, at the user's span.
fn suffixed(name: &Ident, suffix: &str) -> Ident {
    format_ident!("{}{}", name, suffix, span = name.span())
}
