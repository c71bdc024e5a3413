//! Stage 4, plan: a checked [`Dag`] → [`Plan`]: how codegen writes out each node, and
//! the budgets (FLOPs, bytes) the network reports as consts.
//!
//! Codegen decides nothing: it emits the strategy chosen here. The choice is one cost
//! model, [`dense_strategy`], with its threshold measured (see `BENCHMARKS.md`).

use proc_macro2::Span;

use crate::graph::{Dag, NodeId, Op};
use crate::names::{Activation, Codegen, LossForm, ScalarType};

/// The largest dense layer, in weights (`inputs × units`), that `codegen auto` writes
/// out as scalar statements. Measured (`cargo bench --bench cost_model`, two runs in
/// `BENCHMARKS.md`): up to 64 weights the two forms are within this machine's
/// run-to-run noise of each other (an 8 → tanh 8 step was 18% faster unrolled in one
/// run and 31% slower in the other); from 128 weights the kernels win in nearly every
/// reading, and at 1,024 they are 2.5 to 4.5 times faster, while unrolled code also
/// grows slow to build. Small layers stay unrolled, where it costs nothing measurable
/// and gives the most readable code.
pub const UNROLL_MAX_WEIGHTS: usize = 64;

/// The most weights, over the whole network, that `codegen unrolled` writes out. rustc's
/// time grows faster than the code: measured (`BENCHMARKS.md`, Build time), 2,048 unrolled
/// weights take 3.3 s to build in release and 8,192 take 23 s; past that, debug builds have
/// crashed rustc (LLVM recursing through one debug-info scope per `let`).
pub const UNROLLED_LIMIT: usize = 1 << 13;

/// Bytes reserved in [`Budget::train_stack_bytes`] for what is not an array of the
/// network's: return addresses, saved registers, the kernels' accumulators.
const STACK_SLACK_BYTES: usize = 4096;

/// The most stack the batch methods (`train_batch_with`, `accumulate`, `forward_batch`,
/// `backward_batch`, and the block methods of the `Network` impl they call) may take
/// by [`Budget::batch_stack_bytes`]: 1.75 MiB, so that training on batches fits on any
/// spawned thread's default 2 MiB, rayon's workers included, with 256 KiB to spare for
/// the caller's own frames.
const BATCH_STACK_LIMIT: usize = 1792 * 1024;

/// Copies of each node's values that one sample of a block keeps on the stack, at most,
/// in a debug build and in a release build: its values and gradient, and temporaries.
/// Measured on thirteen networks (every batch method on 57 samples, the thread's stack
/// halved until it overflowed, default target and x86-64-v3; BENCHMARKS.md, Memory): up
/// to 7.7 in debug builds (1,500- and 2,048-wide layers in blocks of 8, default target)
/// and 3.3 in release ones (a 350-wide `f64` layer in blocks of 32, x86-64-v3).
const BLOCK_COPIES: PerBuild = PerBuild {
    debug: 10,
    release: 4,
};

/// What the batch methods take besides the block's arrays and one sample's pass: the
/// runtime's loops and the kernels' own frames. Measured: under 100 KiB in debug builds
/// and under 16 KiB in release ones, beyond the thread's own.
const BATCH_FIXED_BYTES: PerBuild = PerBuild {
    debug: 128 * 1024,
    release: 32 * 1024,
};

/// The most samples the block methods take at once: the runtime's blocks (32 with AVX).
pub const MAX_BLOCK_SAMPLES: usize = 32;

/// A number for each kind of build: `cfg(debug_assertions)` or not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerBuild {
    pub debug: usize,
    pub release: usize,
}

/// How one node is written out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// One named scalar local per element (`z1_0`) and one statement per value.
    Unrolled,
    /// One array local per vector (`z1`) and calls to `::backprop::kernel`.
    Kernel,
}

/// Every node's strategy, and the network's budgets.
#[derive(Debug)]
pub struct Plan {
    /// By node index.
    strategies: Vec<Strategy>,
    pub budget: Budget,
}

/// What one step costs, counted from the shapes: the figures behind the generated
/// `FLOPS_*` and `*_BYTES` consts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    /// `Σ 2·inputs·units` over the dense layers: one multiply and one add per weight.
    pub flops_inference: u64,
    /// The forward pass, the weight gradients (`2·inputs·units` per layer), the input
    /// gradients of every layer whose input needs one (all but the first of a chain,
    /// `2·inputs·units`), and an SGD update (`2` per parameter).
    pub flops_train: u64,
    /// An upper bound on the stack `train_step` and `backward` use, in bytes.
    pub train_stack_bytes: usize,
    /// The most samples the block methods run through the layers at once, in debug and
    /// in release builds: a block of more is run as blocks of this many, so that
    /// [`Self::batch_stack_bytes`] stays within [`BATCH_STACK_LIMIT`]. 32 for all but
    /// wide networks.
    pub block_samples: PerBuild,
    /// An upper bound on the stack the batch methods use, in bytes, in debug and in
    /// release builds: a block of [`Self::block_samples`], one sample's pass
    /// ([`Self::train_stack_bytes`]) and [`BATCH_FIXED_BYTES`].
    pub batch_stack_bytes: PerBuild,
    /// The same bound for a build without debug assertions that does not optimize:
    /// a release build's block, with a debug build's copies and fixed bytes. May pass
    /// [`BATCH_STACK_LIMIT`]; such builds are rare, and the bound is kept honest rather
    /// than the release blocks small.
    pub unoptimized_batch_stack_bytes: usize,
}

/// A plan that cannot be carried out, with the spec token to blame.
#[derive(Clone, Copy, Debug)]
pub enum PlanError {
    /// `codegen unrolled` on a network whose unrolled weights, up to and including this
    /// layer's, pass [`UNROLLED_LIMIT`].
    TooLargeToUnroll { span: Span, weights: usize },
    /// A kernel layer whose input also feeds other nodes: the kernels return a whole
    /// gradient, which only a single consumer can give (every `mlp!` chain has one).
    SharedKernelInput(Span),
}

/// Plans `dag`, whose nodes in topological order are `order`.
pub fn plan(dag: &Dag, order: &[NodeId]) -> Result<Plan, PlanError> {
    let mut strategies = vec![Strategy::Kernel; dag.graph.node_count()];
    let mut unrolled_weights = 0;
    for &node in order {
        strategies[node.index()] = match dag.graph[node].op {
            Op::Dense(dense) => {
                let weights = dense.inputs * dag.graph[node].width;
                let strategy = if needs_kernels(dag, node) {
                    Strategy::Kernel
                } else {
                    dense_strategy(dag.codegen.0, weights)
                };
                if strategy == Strategy::Unrolled {
                    unrolled_weights += weights;
                }
                if unrolled_weights > UNROLLED_LIMIT {
                    let span = dag.graph[node].span;
                    let weights = unrolled_weights;
                    return Err(PlanError::TooLargeToUnroll { span, weights });
                }
                strategy
            }
            // An activation or a loss takes its producer's form, so that a layer's
            // values never change form between its dense step and its activation.
            Op::Activation(_) | Op::Loss(_) => dag
                .inputs(node)
                .first()
                .map_or(Strategy::Kernel, |p| strategies[p.index()]),
            // The input arrives as an array; unrolled consumers unpack it. The other
            // ops are `graph!`'s, whose back end writes every one as a kernel call.
            _ => Strategy::Kernel,
        };
    }
    for &node in order {
        let is_kernel_dense = matches!(dag.graph[node].op, Op::Dense(_))
            && strategies[node.index()] == Strategy::Kernel;
        let Some(&producer) = dag.inputs(node).first() else {
            continue;
        };
        if is_kernel_dense && dag.consumers(producer).len() > 1 {
            return Err(PlanError::SharedKernelInput(dag.graph[node].span));
        }
    }
    let needs = dag.needs_gradient(order);
    let budget = budget(
        dag,
        &needs,
        |node| strategies[node.index()] == Strategy::Unrolled,
        0,
    );
    Ok(Plan { strategies, budget })
}

/// Whether a dense layer must be kernel calls whatever its size: softmax and the losses
/// beyond the squared errors act on the layer as a whole, through the runtime's
/// kernels, so the layer ahead of them is an array too.
fn needs_kernels(dag: &Dag, dense: NodeId) -> bool {
    let Some(activation) = dag.activation_after(dense) else {
        return false;
    };
    if activation.kind == Activation::Softmax {
        return true;
    }
    let is_output = dag
        .consumers(dense)
        .iter()
        .any(|&(a, _)| dag.consumers(a).iter().any(|&(c, _)| c == dag.loss()));
    let kernel_loss = match dag.graph[dag.loss()].op {
        Op::Loss(loss) => matches!(loss.row().form, LossForm::Kernel { .. }),
        _ => false,
    };
    is_output && kernel_loss
}

/// The cost model: a dense layer of `weights` weights is unrolled when that is at least
/// as fast as the kernels and cheap to compile, unless the spec says otherwise.
pub fn dense_strategy(codegen: Codegen, weights: usize) -> Strategy {
    match codegen {
        Codegen::Auto if weights <= UNROLL_MAX_WEIGHTS => Strategy::Unrolled,
        Codegen::Auto | Codegen::Kernels => Strategy::Kernel,
        Codegen::Unrolled => Strategy::Unrolled,
    }
}

impl Plan {
    /// How `node` is written out.
    pub fn strategy(&self, node: NodeId) -> Strategy {
        self.strategies[node.index()]
    }
}

/// The budgets of `dag` under `strategies`.
pub fn budget(
    dag: &Dag,
    needs_gradient: &[bool],
    unrolled: impl Fn(NodeId) -> bool,
    extra_elements: usize,
) -> Budget {
    let mut flops_inference: u64 = 0;
    let mut flops_train: u64 = 0;
    // Elements of every array and local the backward pass keeps: each vector's values
    // and gradient, the inputs, targets and errors, the copies written-out layers make
    // of their parameters, the gradients they hand over and the products between (in
    // debug builds each its own slot), one kernel chunk, and what the caller adds (a
    // gradient array its `train_step` sums in).
    let mut elements: usize = extra_elements;
    for node in dag.graph.node_indices() {
        let width = dag.graph[node].width;
        elements += 2 * width;
        let Op::Dense(dense) = dag.graph[node].op else {
            continue;
        };
        let weights = (dense.inputs * width) as u64;
        flops_inference += 2 * weights;
        flops_train += 4 * weights;
        // The input's gradient, where one is needed (never for a network input).
        let producer = dag.inputs(node).first().copied();
        if producer.is_some_and(|p| needs_gradient.get(p.index()).copied().unwrap_or(false)) {
            flops_train += 2 * weights;
        }
        if unrolled(node) {
            elements += 3 * (dense.inputs * width + width);
        }
    }
    flops_train += 2 * dag.params as u64;
    for term in &dag.losses {
        elements += 2 * dag.graph[dag.output_of(term.node)].width;
    }
    elements += 64;
    let scalar_bytes = match dag.scalar {
        ScalarType::F32 => 4,
        ScalarType::F64 => 8,
    };
    // Unoptimized builds keep every temporary in its own slot, and each kernel's frame
    // holds its own copy of what it returns: three copies of everything bounds both.
    let train_stack_bytes = 3 * elements * scalar_bytes + STACK_SLACK_BYTES;
    let units = non_input_units(dag);
    let block_bytes = |samples: usize, copies: usize, fixed: usize| {
        samples * units * copies * scalar_bytes + fixed + train_stack_bytes
    };
    let block_samples = |copies: usize, fixed: usize| {
        let mut samples = MAX_BLOCK_SAMPLES;
        while samples > 1 && block_bytes(samples, copies, fixed) > BATCH_STACK_LIMIT {
            samples /= 2;
        }
        samples
    };
    let debug = block_samples(BLOCK_COPIES.debug, BATCH_FIXED_BYTES.debug);
    let release = block_samples(BLOCK_COPIES.release, BATCH_FIXED_BYTES.release);
    Budget {
        flops_inference,
        flops_train,
        train_stack_bytes,
        block_samples: PerBuild { debug, release },
        batch_stack_bytes: PerBuild {
            debug: block_bytes(debug, BLOCK_COPIES.debug, BATCH_FIXED_BYTES.debug),
            release: block_bytes(release, BLOCK_COPIES.release, BATCH_FIXED_BYTES.release),
        },
        unoptimized_batch_stack_bytes: block_bytes(
            release,
            BLOCK_COPIES.debug,
            BATCH_FIXED_BYTES.debug,
        ),
    }
}

/// The values one sample of a block keeps, one per unit of every node but the inputs
/// (which a block borrows); at least one.
fn non_input_units(dag: &Dag) -> usize {
    let units: usize = dag
        .graph
        .node_weights()
        .filter(|node| node.op != Op::Input)
        .map(|node| node.width)
        .sum();
    units.max(1)
}

impl PlanError {
    /// The error as the user sees it, at the spec token to blame.
    pub fn into_syn(self) -> syn::Error {
        match self {
            PlanError::TooLargeToUnroll { span, weights } => syn::Error::new(
                span,
                format!(
                    "too large to unroll: with this layer the network has {weights} \
                     weights to write out, past the {UNROLLED_LIMIT} that `codegen \
                     unrolled` allows; remove the clause to call kernels for large layers"
                ),
            ),
            PlanError::SharedKernelInput(span) => syn::Error::new(
                span,
                "this layer's input feeds other values too, which kernel layers cannot \
                 take yet; write `codegen unrolled`",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn planned(tokens: proc_macro2::TokenStream) -> (Dag, Result<Plan, PlanError>) {
        let spec = crate::check::check(&syn::parse2(tokens).unwrap()).unwrap();
        let dag = crate::graph::build(&spec);
        let order = dag.order().unwrap();
        let plan = plan(&dag, &order);
        (dag, plan)
    }

    /// Each node as `name: Strategy`, in node order.
    fn strategies(tokens: proc_macro2::TokenStream) -> Vec<String> {
        let (dag, plan) = planned(tokens);
        let plan = plan.unwrap();
        dag.graph
            .node_indices()
            .map(|id| format!("{}: {:?}", dag.graph[id].name, plan.strategy(id)))
            .collect()
    }

    #[test]
    fn small_layers_unroll_and_large_ones_call_kernels() {
        assert_eq!(
            strategies(quote!(N<64 => relu 32 => identity 2; loss mse>)),
            [
                "x: Kernel",
                "z1: Kernel",
                "a1: Kernel",
                "z2: Unrolled",
                "a2: Unrolled",
                "loss: Unrolled"
            ]
        );
        assert!(
            strategies(quote!(N<2 => relu 2 => sigmoid 1; loss mse>))[1..]
                .iter()
                .all(|s| s.ends_with("Unrolled"))
        );
        assert!(
            strategies(quote!(N<2 => relu 2 => sigmoid 1; loss mse; codegen kernels>))
                .iter()
                .all(|s| s.ends_with("Kernel"))
        );
        let forced = strategies(quote!(N<64 => relu 32 => identity 2; loss mse; codegen unrolled>));
        assert_eq!(forced[1], "z1: Unrolled");
    }

    #[test]
    fn the_threshold_is_inclusive() {
        let at = strategies(quote!(N<8 => relu 8; loss mse>));
        assert_eq!(at[1], "z1: Unrolled");
        let past = strategies(quote!(N<65 => relu 1; loss mse>));
        assert_eq!(past[1], "z1: Kernel");
    }

    #[test]
    fn refuses_to_unroll_past_the_limit_over_the_whole_network() {
        let fits = quote!(N<64 => relu 64 => identity 64; loss mse; codegen unrolled>);
        assert!(planned(fits).1.is_ok());
        let past = quote!(N<64 => relu 64 => identity 65; loss mse; codegen unrolled>);
        let message = planned(past).1.unwrap_err().into_syn().to_string();
        assert!(
            message.starts_with("too large to unroll: with this layer the network has 8256"),
            "{message}"
        );
    }

    #[test]
    fn counts_flops_from_the_shapes() {
        // 784·128 + 128·10 = 101,632 weights; 101,770 parameters.
        let (_, plan) = planned(quote!(N<784 => relu 128 => sigmoid 10; loss mse>));
        let budget = plan.unwrap().budget;
        assert_eq!(budget.flops_inference, 2 * 101_632);
        assert_eq!(
            budget.flops_train,
            2 * 101_632 + 2 * 101_632 + 2 * 1280 + 2 * 101_770
        );
        // The seed network: 6 weights, 9 parameters.
        let (_, seed) = planned(quote!(N<2 => relu 2 => sigmoid 1; loss mse>));
        let budget = seed.unwrap().budget;
        assert_eq!(budget.flops_inference, 12);
        assert_eq!(budget.flops_train, 12 + 12 + 4 + 18);
        assert!(budget.train_stack_bytes < 8 * 1024);
    }

    #[test]
    fn wide_networks_take_smaller_blocks() {
        let samples = |spec| {
            let PerBuild { debug, release } = planned(spec).1.unwrap().budget.block_samples;
            (debug, release)
        };
        let cases = [
            // The workloads keep the runtime's 32: W4 and a 256-wide net.
            (
                quote!(N<784 => relu 128 => softmax 10; loss cross_entropy>),
                (32, 32),
            ),
            (
                quote!(N<256 => relu 256 => relu 256 => identity 10; loss mse>),
                (32, 32),
            ),
            // 2,050 units of f32: 82 KB a sample in debug builds (ten copies), 16 within
            // the limit with the rest; 33 KB in release (four), 32. Twice that in f64.
            (
                quote!(N<1024 => relu 1024 => identity 1; loss mse>),
                (16, 32),
            ),
            (
                quote!(N<1024 => relu 1024 => identity 1; loss mse; scalar f64>),
                (8, 16),
            ),
            (
                quote!(N<784 => relu 2048 => softmax 10; loss cross_entropy>),
                (8, 16),
            ),
            // Never fewer than one, however wide.
            (
                quote!(N<4 => relu 65536 => relu 65536 => identity 1; loss mse>),
                (1, 1),
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(samples(spec.clone()), want, "{spec}");
        }
    }

    #[test]
    fn the_batch_stack_bound_counts_a_block_a_pass_and_the_loops() {
        let budget = |spec| planned(spec).1.unwrap().budget;
        // W4: 128 + 128 + 10 + 10 units of f32 and the loss's 10 errors, blocks of 32
        // in both builds.
        let w4 = budget(quote!(N<784 => relu 128 => softmax 10; loss cross_entropy>));
        let block = 32 * 286 * 4;
        assert_eq!(
            w4.batch_stack_bytes,
            PerBuild {
                debug: 10 * block + 128 * 1024 + w4.train_stack_bytes,
                release: 4 * block + 32 * 1024 + w4.train_stack_bytes,
            }
        );
        // Without debug assertions but unoptimized: the release block, a debug build's
        // frames. For a 1,500-wide layer, 1500 + 1500 + 2 + 2 units and the loss's 2
        // errors, in blocks of 8 and of 32.
        assert_eq!(w4.unoptimized_batch_stack_bytes, w4.batch_stack_bytes.debug);
        let wide = budget(quote!(N<8 => relu 1500 => identity 2; loss mse>));
        assert_eq!(
            (wide.block_samples.debug, wide.block_samples.release),
            (8, 32)
        );
        assert_eq!(
            wide.unoptimized_batch_stack_bytes,
            32 * 3006 * 10 * 4 + 128 * 1024 + wide.train_stack_bytes
        );
        // Within the limit, for any width, unless a block is one sample.
        for width in [1, 64, 500, 1000, 1500, 2048, 3000, 5000, 65536] {
            let units = proc_macro2::Literal::usize_unsuffixed(width);
            let wide = budget(quote!(N<16 => relu #units => identity 4; loss mse>));
            let pairs = [
                (wide.block_samples.debug, wide.batch_stack_bytes.debug),
                (wide.block_samples.release, wide.batch_stack_bytes.release),
            ];
            for (samples, bytes) in pairs {
                assert!(
                    samples == 1 || bytes <= BATCH_STACK_LIMIT,
                    "{width}: {samples}, {bytes}"
                );
                assert!(bytes > wide.train_stack_bytes, "{width}");
            }
            // A debug build's frames are bigger: never more samples at once.
            assert!(
                wide.block_samples.debug <= wide.block_samples.release,
                "{width}"
            );
        }
    }
}
