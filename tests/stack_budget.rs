//! `TRAIN_STACK_BYTES` is an upper bound: `train_step` and `backward` run on a thread
//! whose whole stack is that budget plus a fixed allowance for the thread itself, for
//! a network whose parameters (536 KiB) would not fit in such a stack. If the budget
//! were too small, the thread would overflow its stack and abort the test.

use backprop::mlp;
use backprop::optim::Adam;
use backprop::storage::Boxed;
use backprop::{Network, Scalar, Storage};

#[path = "support/stack.rs"]
mod stack;
use stack::{THREAD_ALLOWANCE, every_batch_method, on_a_stack_of, samples};

mlp!(Wide<256 => relu 256 => relu 256 => identity 10; loss mse>);

backprop::graph!(WideGraph<
    input x[256];
    input y[256];
    h = dense(x, 256) |> relu;
    g = dense(y, 256) |> relu;
    r = add(h, concat(slice(g, 0..128), slice(h, 128..256)));
    s = dense(r, 256) |> relu;
    out = dense(s, 10);
    loss mse(out);
>);

/// The same bound for a `graph!` network: two inputs, a residual sum, slices.
#[test]
fn graph_train_step_fits_in_its_stack_budget() {
    const _: () = assert!(WideGraph::TRAIN_STACK_BYTES < 96 * 1024);
    const _: () = assert!(WideGraph::PARAM_BYTES > 8 * WideGraph::TRAIN_STACK_BYTES);
    let mut net = WideGraph::new_boxed(3);
    let mut opt = Adam::new_boxed(1e-3);
    let mut grads: Box<[f32; WideGraph::PARAMS]> = Storage::zeroed();
    let input = WideGraphInput {
        x: [0.25; 256],
        y: [-0.25; 256],
    };
    let target = WideGraphOutput { out: [0.5; 10] };
    let before = net.loss(&input, &target).total;
    let after = on_a_stack_of(WideGraph::TRAIN_STACK_BYTES + THREAD_ALLOWANCE, move || {
        for _ in 0..20 {
            net.train_step(&input, &target, &mut opt);
        }
        net.backward(&input, &target, &mut grads);
        net.loss(&input, &target).total
    });
    assert!(after < before, "{after} !< {before}");
}

#[test]
fn train_step_fits_in_its_stack_budget() {
    const _: () = assert!(Wide::TRAIN_STACK_BYTES < 64 * 1024);
    const _: () = assert!(Wide::PARAM_BYTES > 8 * Wide::TRAIN_STACK_BYTES);
    // Built by value, a network and an Adam this size need more stack than the test
    // harness's thread has in an unoptimized build: build them on the heap.
    let mut net = Wide::new_boxed(3);
    let mut opt = Adam::new_boxed(1e-3);
    let mut grads: Box<[f32; Wide::PARAMS]> = Storage::zeroed();
    let x = [0.25f32; 256];
    let t = [0.5f32; 10];
    let before = net.loss(&x, &t);
    let after = on_a_stack_of(Wide::TRAIN_STACK_BYTES + THREAD_ALLOWANCE, move || {
        for _ in 0..20 {
            net.train_step(&x, &t, &mut opt);
        }
        net.backward(&x, &t, &mut grads);
        net.loss(&x, &t)
    });
    assert!(after < before, "{after} !< {before}");
}

#[test]
fn optimizer_state_is_counted_at_compile_time() {
    use backprop::optim::Sgd;
    mlp!(Seed<2 => relu 2 => sigmoid 1; loss mse>);
    // Two moment arrays for Adam, one momentum array for SGD, plus their settings.
    const _: () = assert!(Adam::<f32, { Seed::PARAMS }>::STATE_BYTES >= 2 * Seed::PARAM_BYTES);
    const _: () = assert!(Sgd::<f32, { Seed::PARAMS }>::STATE_BYTES >= Seed::PARAM_BYTES);
    assert_eq!(Seed::PARAM_BYTES, 9 * 4);
    const _: () = assert!(Adam::<f32, { Seed::PARAMS }>::STATE_BYTES < 2 * Seed::PARAM_BYTES + 64);
}

mlp!(Million<1024 => relu 1024 => identity 1; loss mse>);

/// A network of a million parameters (4.2 MB) is built and trains with Adam (8.4 MB of
/// state) on a thread with Rust's default 2 MiB stack: `new_boxed` builds both in place
/// on the heap.
#[test]
fn a_million_parameters_build_and_train_on_a_default_stack() {
    const _: () = assert!(Million::PARAMS > 1_000_000);
    const _: () = assert!(Million::TRAIN_STACK_BYTES < 128 * 1024);
    let x: [f32; 1024] = core::array::from_fn(|i| (i % 7) as f32 / 7.0 - 0.4);
    let (before, after) = on_a_stack_of(2 << 20, move || {
        let mut net = Million::new_boxed(5);
        let mut opt = Adam::new_boxed(1e-4);
        let before = net.loss(&x, &[0.5]);
        for _ in 0..3 {
            net.train_step(&x, &[0.5], &mut opt);
        }
        (before, net.loss(&x, &[0.5]))
    });
    assert!(after < before, "{after} !< {before}");
}

/// Its weights go to a safetensors file and come back on that stack too, loaded into a
/// boxed network as `load_safetensors` makes it.
#[test]
fn a_million_parameters_save_and_load_on_a_default_stack() {
    use backprop::io::{load_safetensors, save_safetensors};
    let path = std::env::temp_dir().join(format!(
        "backprop-stack-budget-{}-million.safetensors",
        std::process::id()
    ));
    let file = path.clone();
    let same = on_a_stack_of(2 << 20, move || {
        let net = Million::new_boxed(6);
        save_safetensors(&net, &file).expect("the file is written");
        let back: Million<Boxed<f32, { Million::PARAMS }>> =
            load_safetensors(&file).expect("the file is read");
        back.params() == net.params()
    });
    std::fs::remove_file(&path).expect("the file is removed");
    assert!(same, "the loaded parameters differ from the saved ones");
}

backprop::graph!(MillionGraph<
    input x[1024];
    h = dense(x, 1024) |> relu;
    r = add(h, x);
    y = dense(r, 1);
    loss mse(y);
>);

/// The same for a `graph!` network: a residual block of a million parameters.
#[test]
fn a_million_parameter_graph_builds_and_trains_on_a_default_stack() {
    const _: () = assert!(MillionGraph::PARAMS > 1_000_000);
    let x: [f32; 1024] = core::array::from_fn(|i| (i % 7) as f32 / 7.0 - 0.4);
    let (before, after) = on_a_stack_of(2 << 20, move || {
        let mut net = MillionGraph::new_boxed(5);
        let mut opt = Adam::new_boxed(1e-4);
        let (input, target) = (MillionGraphInput { x }, MillionGraphOutput { y: [0.5] });
        let before = net.loss(&input, &target).total;
        for _ in 0..3 {
            net.train_step(&input, &target, &mut opt);
        }
        (before, net.loss(&input, &target).total)
    });
    assert!(after < before, "{after} !< {before}");
    // Built in place, it is the network `new` builds.
    let small_graph = |seed| {
        backprop::graph!(G< input x[3]; h = dense(x, 4) |> tanh; y = dense(h, 2); loss mse(y); >);
        (*G::new(seed).params(), *G::new_boxed(seed).params())
    };
    let (inline, boxed) = small_graph(8);
    assert_eq!(inline, boxed);
}

/// Boxed and inline networks are the same network: same parameters from the same seed,
/// same outputs, same training trajectory, through the inherent API and the trait.
#[test]
fn boxed_networks_equal_inline_ones() {
    use backprop::optim::Sgd;
    mlp!(Small<3 => tanh 4 => sigmoid 2; loss mse>);
    let mut inline = Small::new(11);
    let mut boxed = Small::new_boxed(11);
    assert_eq!(inline.params(), boxed.params());
    let mut via_trait: Small<Box<[f32; Small::PARAMS]>> = Network::new(11);
    assert_eq!(via_trait.params(), inline.params());
    let (mut sgd_a, mut sgd_b, mut sgd_c) = (Sgd::new(0.1), Sgd::new_boxed(0.1), Sgd::new(0.1));
    let (x, t) = ([0.5, -1.0, 2.0], [0.25, 0.75]);
    for _ in 0..5 {
        let a = inline.train_step(&x, &t, &mut sgd_a);
        let b = boxed.train_step(&x, &t, &mut sgd_b);
        let c = Network::train_step(&mut via_trait, &x, &t, &mut sgd_c);
        assert_eq!(a, b);
        assert_eq!(a, c);
    }
    assert_eq!(inline.params(), boxed.params());
    assert_eq!(inline.forward(&x), boxed.forward(&x));
    let copied: Small<Box<_>> = Network::from_params(*inline.params());
    assert_eq!(copied.params(), inline.params());
}

mlp!(Seed<2 => relu 2 => sigmoid 1; loss mse>);
// Wide layers from narrow inputs: the blocks' arrays of a million-parameter network's,
// with few parameters, so that debug kernels get through them quickly.
mlp!(Wide2048<8 => relu 2048 => softmax 10; loss cross_entropy>);
backprop::graph!(WideResidual<
    input x[8];
    h = dense(x, 1536) |> relu;
    g = dense(x, 1536) |> tanh;
    r = add(h, g);
    y = dense(r, 1);
    loss mse(y);
>);
mlp!(Broad<12 => tanh 350 => identity 3; loss mse; scalar f64>);
mlp!(Deep<8 => relu 8 => relu 8 => relu 8 => relu 8 => relu 8 => relu 8 => relu 8 => relu 8 => relu 8 => relu 8 => sigmoid 4; loss mse>);

/// Samples for the batch methods of networks whose blocks are 32: 49 take every path,
/// a block of 32, one of 16 and one sample with AVX; six blocks of 8 and one sample
/// without.
const BATCH: usize = 49;

/// Samples for wide networks, whose block methods run a block of 32 as several smaller
/// ones: one such block and one sample, and fewer samples through slow debug kernels.
const WIDE_BATCH: usize = 33;

/// Every batch method of `net` on `batch`, on a thread whose whole stack is `budget`
/// (the network's `BATCH_STACK_BYTES`) plus the thread's allowance: `accumulate`,
/// `backward_batch`, `backward_batch_classes`, `forward_batch` and `train_batch_with`;
/// then `train_batch`, with `PARAM_BYTES` more for its gradient array; then, with the
/// `rayon` feature, a step of each `ParallelTrainer` on two parts, on a pool whose
/// threads have that stack. The mean loss over `batch` must fall.
fn batch_methods_within<N, O>(budget: usize, net: N, opt: O, batch: Vec<(N::Input, N::Output)>)
where
    N: Network<Input: Send + Sync, Output: Send + Sync, Params: Send + Sync, Scalar: Send + Sync>
        + Send
        + Sync
        + 'static,
    O: backprop::Optimizer<N::Params> + Send + 'static,
{
    let mean_loss = |net: &N, batch: &[(N::Input, N::Output)]| {
        let total = batch
            .iter()
            .fold(N::Scalar::ZERO, |sum, (x, t)| sum + net.loss(x, t));
        total.to_f64() / batch.len() as f64
    };
    let before = mean_loss(&net, &batch);
    let (net, opt, batch) = on_a_stack_of(budget + THREAD_ALLOWANCE, move || {
        let (mut net, mut opt) = (net, opt);
        let mut grads = <N::Params as backprop::Array<N::Scalar>>::boxed_zeros();
        every_batch_method(&mut net, &mut opt, &mut grads, &batch);
        (net, opt, batch)
    });
    let stepped = budget + N::PARAMS * core::mem::size_of::<N::Scalar>();
    let (net, opt, batch) = on_a_stack_of(stepped + THREAD_ALLOWANCE, move || {
        let (mut net, mut opt) = (net, opt);
        net.train_batch(&batch, &mut opt);
        (net, opt, batch)
    });
    #[cfg(feature = "rayon")]
    let (net, batch) = {
        let (mut net, mut opt) = (net, opt);
        let parts: Vec<_> = batch
            .iter()
            .cycle()
            .take(backprop::PARALLEL_PART + 1)
            .copied()
            .collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .stack_size(budget + THREAD_ALLOWANCE)
            .build()
            .expect("the pool starts");
        for mut trainer in [
            backprop::ParallelTrainer::new(),
            backprop::ParallelTrainer::per_thread(),
        ] {
            pool.install(|| trainer.train_batch(&mut net, &parts, &mut opt));
        }
        (net, batch)
    };
    #[cfg(not(feature = "rayon"))]
    let _ = opt;
    let after = mean_loss(&net, &batch);
    assert!(after < before, "{after} !< {before}");
}

/// [`batch_methods_within`] `$net`'s `BATCH_STACK_BYTES`, for `$net::new_boxed($seed)`
/// stepped by `$opt`, on `$count` samples whose input `j` of sample `s` is
/// `$element(s, j)`.
macro_rules! within_budget {
    ($net:ident($seed:expr), $opt:expr, $count:expr, $element:expr) => {
        batch_methods_within(
            $net::BATCH_STACK_BYTES,
            $net::new_boxed($seed),
            $opt,
            samples::<$net>($count, |s| core::array::from_fn(|j| $element(s, j))),
        )
    };
}

/// `BATCH_STACK_BYTES` is an upper bound: every batch method runs within it, on
/// networks from the seed's six units to a 2,048-wide layer and eleven layers deep,
/// `f32` and `f64`, `mlp!` and `graph!`, in whichever build the tests run.
#[test]
fn batch_methods_fit_in_their_stack_budget() {
    use backprop::optim::Sgd;
    // In debug and release builds a spawned thread's default 2 MiB holds every one of
    // them; these take smaller blocks. A build without debug assertions that does not
    // optimize keeps release blocks and counts its bigger frames, past that.
    const PROFILE_BUILD: bool = cfg!(debug_assertions) || backprop::kernel::KERNELS_INLINED;
    const _: () = assert!(!PROFILE_BUILD || Wide2048::BATCH_STACK_BYTES < 2 << 20);
    const _: () = assert!(<Wide2048 as Network>::BLOCK_SAMPLES < 32);
    const _: () = assert!(!PROFILE_BUILD || WideResidual::BATCH_STACK_BYTES < 2 << 20);
    const _: () = assert!(<WideResidual as Network>::BLOCK_SAMPLES < 32);
    const _: () = assert!(!PROFILE_BUILD || Million::BATCH_STACK_BYTES < 2 << 20);
    let wave = |s: usize, j: usize| ((s * 7 + j) % 11) as f32 / 11.0 - 0.4;
    within_budget!(Seed(1), Sgd::new_boxed(0.5), BATCH, wave);
    // Eleven layers: while the batch kernels were forced inline in debug builds too,
    // their frames added up, and this network took 743 KiB (x86-64-v3), twice its
    // bound.
    within_budget!(Deep(2), Sgd::new_boxed(0.5), BATCH, wave);
    let wave_f64 = |s, j| f64::from(wave(s, j));
    within_budget!(Broad(2), Sgd::new_boxed(0.01), BATCH, wave_f64);
    within_budget!(Wide(3), Sgd::new_boxed(0.01), BATCH, wave);
    within_budget!(WideResidual(4), Sgd::new_boxed(0.001), WIDE_BATCH, wave);
    let positive = |s, j| wave(s, j) + 0.4;
    within_budget!(Wide2048(5), Sgd::new_boxed(0.01), WIDE_BATCH, positive);
    within_budget!(Million(6), Adam::new_boxed(1e-4), WIDE_BATCH, wave);
}
