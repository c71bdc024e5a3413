//! `TRAIN_STACK_BYTES` is an upper bound: `train_step` and `backward` run on a thread
//! whose whole stack is that budget plus a fixed allowance for the thread itself, for
//! a network whose parameters (536 KiB) would not fit in such a stack. If the budget
//! were too small, the thread would overflow its stack and abort the test.

use backprop::mlp;
use backprop::optim::Adam;
use backprop::storage::Boxed;
use backprop::{Network, Storage};

mlp!(Wide<256 => relu 256 => relu 256 => identity 10; loss mse>);

/// What a thread needs before it runs any of our code: its start-up and the closure.
const THREAD_ALLOWANCE: usize = 32 * 1024;

/// Runs `work` on a thread whose whole stack is `bytes`: if `work` needs more, the
/// thread overflows its stack and the test aborts.
fn on_a_stack_of<R: Send + 'static>(bytes: usize, work: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(bytes)
        .spawn(work)
        .expect("the thread starts")
        .join()
        .expect("the thread finishes")
}

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

/// Two steps of `train_batch_with` on `batch`, on a thread with Rust's default 2 MiB
/// stack, with the network, the optimizer and the gradient array boxed: the mean loss
/// before and after.
fn train_on_a_default_stack<N, O>(
    make: impl FnOnce() -> (N, O) + Send + 'static,
    batch: Vec<(N::Input, N::Output)>,
) -> (f32, f32)
where
    N: Network<Scalar = f32> + 'static,
    N::Input: Send,
    N::Output: Send,
    O: backprop::Optimizer<N::Params>,
{
    on_a_stack_of(2 << 20, move || {
        let (mut net, mut opt) = make();
        let mut grads = <N::Params as backprop::Array<f32>>::boxed_zeros();
        let mean_loss =
            |net: &N| batch.iter().map(|(x, t)| net.loss(x, t)).sum::<f32>() / batch.len() as f32;
        let before = mean_loss(&net);
        for _ in 0..2 {
            net.train_batch_with(&batch, &mut opt, &mut grads);
        }
        (before, mean_loss(&net))
    })
}

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

/// The same network trains on mini-batches on that stack: `train_batch_with` sums
/// into a boxed gradient array where `train_batch` would put one on the stack. Forty
/// samples: with AVX, a block summed into the array, then the fused last 32 (a batch
/// of exactly 32 needs no array at all); without, every sample summed into it.
#[test]
fn a_million_parameters_train_on_mini_batches_on_a_default_stack() {
    let batch: Vec<([f32; 1024], [f32; 1])> = (0..40)
        .map(|i| {
            let x = core::array::from_fn(|j| ((i + j) % 7) as f32 / 7.0 - 0.4);
            (x, [(i % 3) as f32 / 2.0])
        })
        .collect();
    let (before, after) =
        train_on_a_default_stack(|| (Million::new_boxed(5), Adam::new_boxed(1e-4)), batch);
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

mlp!(Wide2048<784 => relu 2048 => softmax 10; loss cross_entropy>);

/// A network whose 2,048-wide layer is too wide for blocks of 32 samples on a 2 MiB
/// stack trains on batches on one: its block methods run them as blocks of 8 in a debug
/// build, 16 in release (with blocks of 32 it needed 2.9 MiB in a debug build with AVX,
/// BENCHMARKS.md).
#[test]
fn a_wide_network_trains_on_mini_batches_on_a_default_stack() {
    use backprop::optim::Sgd;
    const _: () = assert!(
        <Wide2048 as Network>::BLOCK_SAMPLES == if cfg!(debug_assertions) { 8 } else { 16 }
    );
    let batch: Vec<([f32; 784], [f32; 10])> = (0..40)
        .map(|i| {
            let x = core::array::from_fn(|j| ((i + j) % 5) as f32 / 5.0);
            (x, backprop::one_hot(i % 10).expect("a class below 10"))
        })
        .collect();
    let (before, after) =
        train_on_a_default_stack(|| (Wide2048::new_boxed(7), Sgd::new_boxed(0.05)), batch);
    assert!(after < before, "{after} !< {before}");
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
