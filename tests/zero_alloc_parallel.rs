//! A `ParallelTrainer`, either split, allocates its buffers on its first step and
//! nothing after it, on any thread, in a training loop that runs on rayon's threads: a
//! counting global allocator watches the whole process while steps run. This file
//! holds one test, so that no other test's thread can allocate while it counts.
//!
//! The loop runs inside `ThreadPool::install`, as the trainer's docs advise: a step
//! called from a thread outside the pool is handed to it through rayon's queue, which
//! allocates a block for every 63 hand-overs.
#![cfg(feature = "rayon")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use backprop::optim::Adam;
use backprop::{ParallelTrainer, mlp};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static COUNTING: AtomicBool = AtomicBool::new(false);

// SAFETY: every call is passed on to the system allocator unchanged; counting only
// reads and bumps atomics, neither of which allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

mlp!(Net<40 => relu 32 => softmax 5; loss cross_entropy>);

#[test]
fn a_trainer_allocates_on_its_first_step_only() {
    let batch: Vec<([f32; 40], [f32; 5])> = (0..200)
        .map(|i| {
            let x = core::array::from_fn(|j| ((i * 7 + j * 3) % 17) as f32 / 17.0 - 0.5);
            (x, backprop::one_hot(i % 5).unwrap_or_default())
        })
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("the pool starts");
    for mut trainer in [ParallelTrainer::new(), ParallelTrainer::per_thread()] {
        let (first, last) = pool.install(|| {
            let mut net = Net::new(1);
            let mut opt = Adam::new(1e-3);
            // The first step allocates the buffers.
            let first = trainer.train_batch(&mut net, &batch, &mut opt);

            COUNTING.store(true, Ordering::SeqCst);
            let mut last = first;
            // More steps than the 63 hand-overs after which rayon's queue would
            // allocate, were they handed over.
            for round in 0..200 {
                // Smaller batches reuse the first buffers.
                let len = batch.len() - round % 50;
                last = trainer.train_batch(&mut net, &batch[..len], &mut opt);
            }
            COUNTING.store(false, Ordering::SeqCst);
            (first, last)
        });
        assert_eq!(ALLOCATIONS.load(Ordering::SeqCst), 0, "{trainer:?}");
        assert!(last < first, "{last} !< {first}");
    }
}
