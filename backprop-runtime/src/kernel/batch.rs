//! The dense layer over `B` samples at once, for mini-batches.
//!
//! One sample at a time, a layer reads every weight once per sample, and for a layer
//! too large for the L1 cache that traffic is what a step costs. Over a block of
//! samples each weight is loaded once for all of them:
//!
//! - the forward pass, in `f32` with AVX, takes dot products of three rows with four
//!   samples at a time, each chunk of eight weights and of eight inputs loaded once
//!   for the block; otherwise (`f64`, or no AVX) it transposes the inputs a tile at a
//!   time and keeps each unit's sums over a group of samples in vectors, so each
//!   weight is broadcast once and multiplied into the group's samples;
//! - the weight gradient holds a strip of each of several rows in registers, as
//!   explicit vectors ([`crate::vector`]), while every sample's `dz·x` is added into
//!   it, then adds the strip into a gradient array (or, for plain SGD, scaled by
//!   `−lr`, into the weights) or hands it to an optimizer (`sink::Update`);
//! - the input gradient runs down the rows once for all samples.
//!
//! The register blocks are sized for the target: AVX's sixteen 256-bit registers or
//! SSE's sixteen 128-bit ones (`cfg!(target_feature = "avx")`), measured side by side
//! in `docs/benchmarks-log.md`. Samples are passed as an array of references, so a
//! batch of `(input, target)` pairs is used where it lies, without copying.

use crate::Scalar;
use crate::kernel::dense::dense_forward;
use crate::vector::{LANES, Vector};

/// Rows whose weight gradients are summed together: with AVX, six rows' strips are
/// twelve of the sixteen vector registers (784 × 128 over 32 samples: 76–82 GFLOP/s
/// against 69–72 for four rows); without AVX, four, as SSE's multiply and add need
/// registers of their own (six measured 20% slower on a W4 step).
const ROWS: usize = if cfg!(target_feature = "avx") { 6 } else { 4 };

/// [`ROWS`] for an element type twice as wide as `f32`: the same strip of a row is
/// twice the registers, so half the rows keep the block in registers (`f64`, W4's
/// shape, without AVX: 1.40 against 1.16–1.21 ms a step with all [`ROWS`]).
const WIDE_ROWS: usize = ROWS / 2;

/// Whether `T`'s gradient blocks take [`WIDE_ROWS`] rows rather than [`ROWS`].
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn is_wide<T>() -> bool {
    size_of::<T>() > 4
}

/// `W·x + b` for each of the `B` samples `xs`.
///
/// With AVX, as dot products of three rows with four samples at a time, each sample's
/// sums bit for bit those of [`dense_forward`]; without, as each weight broadcast into
/// a column of samples. Each form measured the faster on its target
/// (`docs/benchmarks-log.md`).
///
/// ```
/// use backprop_runtime::kernel::dense_forward_batch;
/// let w = [[1.0f32, 2.0], [3.0, 4.0]];
/// let z = dense_forward_batch(&w, &[0.5, -0.5], [&[1.0, 1.0], &[0.0, 1.0]]);
/// assert_eq!(z, [[3.5, 6.5], [2.5, 3.5]]);
/// ```
#[inline]
pub fn dense_forward_batch<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    weights: &[[T; IN]; OUT],
    biases: &[T; OUT],
    xs: [&[T; IN]; B],
) -> [[T; OUT]; B] {
    if IN * OUT >= OUT_OF_LINE {
        let mut z = [[T::ZERO; OUT]; B];
        forward_out_of_line(weights, biases, &xs, &mut z);
        z
    } else {
        forward(weights, biases, &xs)
    }
}

/// Weights from which [`dense_forward_batch`] runs out of line. Inlined, a large
/// layer's result was built in a temporary and copied into the caller's array (8 KiB
/// per block of 16 for 128 units, 13% of W4's inference in the benchmark); called,
/// it is written in place. Small layers stay inline, where a call measured slower
/// (W3 at batch 32, 64 × 32 and 32 × 10: 11.0 against 13.8 µs, x86-64-v3).
const OUT_OF_LINE: usize = 4096;

/// [`forward`] as a call of its own, for large layers, writing into `z`. Returned by
/// value, the sums were built in a temporary and copied out (16 KiB for W4's 128
/// units over 32 samples, 2.4% of its training step).
#[inline(never)]
fn forward_out_of_line<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    weights: &[[T; IN]; OUT],
    biases: &[T; OUT],
    xs: &[&[T; IN]; B],
    z: &mut [[T; OUT]; B],
) {
    if uses_dots::<T>() {
        for z in z.iter_mut() {
            *z = *biases;
        }
        add_dots::<T, IN, OUT, B, FORWARD_ROWS, FORWARD_SAMPLES>(weights, biases, xs, z);
    } else {
        *z = forward_tiles(weights, biases, xs);
    }
}

/// Whether [`forward`] takes the dot products ([`forward_dots`]) rather than the tiles.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn uses_dots<T>() -> bool {
    cfg!(target_feature = "avx") && size_of::<T>() <= 4
}

/// [`dense_forward_batch`]'s body: the form that is faster on the target and for the
/// element type. `f64` takes the tiles with AVX too: six units' sums over eight samples
/// are twelve 256-bit registers there (784 × 128 over 32 samples: 37 against 12
/// GFLOP/s for the dot products, whose blocks hold half as many sums in `f64`).
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn forward<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    weights: &[[T; IN]; OUT],
    biases: &[T; OUT],
    xs: &[&[T; IN]; B],
) -> [[T; OUT]; B] {
    if uses_dots::<T>() {
        forward_dots(weights, biases, xs)
    } else {
        forward_tiles(weights, biases, xs)
    }
}

/// `W·x + b` for each sample as `R × S` blocks of dot products ([`dot_block`]): no
/// transposition, each chunk of eight inputs loaded once per block.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn forward_dots<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    weights: &[[T; IN]; OUT],
    biases: &[T; OUT],
    xs: &[&[T; IN]; B],
) -> [[T; OUT]; B] {
    let mut z = [*biases; B];
    add_dots::<T, IN, OUT, B, FORWARD_ROWS, FORWARD_SAMPLES>(weights, biases, xs, &mut z);
    z
}

/// Rows whose dot products with [`FORWARD_SAMPLES`] samples [`forward_dots`] keeps
/// in registers together.
const FORWARD_ROWS: usize = 3;

/// Samples [`forward_dots`] takes together: three rows' dot products with four samples
/// are twelve of AVX's sixteen vector registers in `f32`, and each chunk of eight
/// inputs takes three row loads and four sample loads for twelve multiply-adds.
const FORWARD_SAMPLES: usize = 4;

/// Adds `W·xₛ` into `z[s]` for each sample: `R` rows × `S` samples at a time; a
/// sample left over takes the one-sample kernel, whose sums these equal.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn add_dots<
    T: Scalar,
    const IN: usize,
    const OUT: usize,
    const B: usize,
    const R: usize,
    const S: usize,
>(
    weights: &[[T; IN]; OUT],
    biases: &[T; OUT],
    xs: &[&[T; IN]; B],
    z: &mut [[T; OUT]; B],
) {
    let (groups, xs_left) = xs.as_chunks::<S>();
    let (z_groups, z_left) = z.as_chunks_mut::<S>();
    for (xs, z) in groups.iter().zip(z_groups) {
        add_group_dots::<T, IN, OUT, R, S>(weights, *xs, z);
    }
    for (&x, z) in xs_left.iter().zip(z_left) {
        *z = dense_forward(weights, biases, x);
    }
}

/// [`add_dots`] for one group of `S` samples, `R` rows at a time. The rows left over
/// make one more block, padded by repeating the last of them: a few multiply-adds
/// thrown away rather than a smaller block, which LLVM compiled to scalar code with
/// spills (a 784 × 128 layer's two leftover rows took a fifth of its time).
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
pub(crate) fn add_group_dots<
    T: Scalar,
    const IN: usize,
    const OUT: usize,
    const R: usize,
    const S: usize,
>(
    weights: &[[T; IN]; OUT],
    xs: [&[T; IN]; S],
    z: &mut [[T; OUT]; S],
) {
    let (blocks, rows_left) = weights.as_chunks::<R>();
    for (block, rows) in blocks.iter().enumerate() {
        add_rows_dots(rows.each_ref(), block * R, R, xs, z);
    }
    if let Some(last) = rows_left.last() {
        let rows: [&[T; IN]; R] = core::array::from_fn(|r| rows_left.get(r).unwrap_or(last));
        add_rows_dots(rows, blocks.len() * R, rows_left.len(), xs, z);
    }
}

/// Adds the dot products of the first `count` of `rows`, the rows from `first`, with
/// each sample into `z`.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn add_rows_dots<T: Scalar, const IN: usize, const OUT: usize, const R: usize, const S: usize>(
    rows: [&[T; IN]; R],
    first: usize,
    count: usize,
    xs: [&[T; IN]; S],
    z: &mut [[T; OUT]; S],
) {
    let dots = dot_block(rows, xs);
    for (r, dots) in dots.iter().enumerate().take(count) {
        for (z, &dot) in z.iter_mut().zip(dots) {
            if let Some(z) = z.get_mut(first + r) {
                *z += dot;
            }
        }
    }
}

/// The dot product of each of `R` rows with each of `S` inputs, as `R × S` sums of
/// [`LANES`] lanes: each chunk of a row is loaded once for all the inputs and each
/// chunk of an input once for all the rows, and none of the multiply-adds waits on
/// another. Its lanes and their sums are those of the one-sample kernel
/// (`dense_forward`), so each sample's sums are bit for bit what that kernel gives.
///
/// The lanes are explicit vectors ([`crate::vector`]): over scalars, LLVM kept them in
/// registers only for some forms of this loop, and with one input and a short row it
/// vectorized across the rows instead (64 × 32 at batch 1: 3.3× slower). Over
/// vectors, W3's step at batch 1 took 341–344 against 378–439 ns and W2's 604–646
/// against 715–944 ns (x86-64-v3; on the default target 645–681 against 681–696 and
/// 724–753 against 746–792), and W4's forward pass is unchanged. Each sum's lanes
/// are added in registers ([`Vector::sum_lanes`]) rather than stored and added one by
/// one: W3's step at batch 1 320–337 against 343–370 ns, at batch 32 8.5–9.0 against
/// 9.2 µs (x86-64-v3, alternating processes).
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
pub(crate) fn dot_block<T: Scalar, const IN: usize, const R: usize, const S: usize>(
    rows: [&[T; IN]; R],
    xs: [&[T; IN]; S],
) -> [[T; S]; R] {
    let mut vectors = [[T::Vector::splat(T::ZERO); S]; R];
    let row_chunks = rows.map(|row| row.as_chunks::<LANES>().0);
    let x_chunks = xs.map(|x| x.as_chunks::<LANES>().0);
    let zero = [T::ZERO; LANES];
    // Every index is below a constant bound (`as_chunks` of an `[T; IN]` gives
    // `IN / LANES` chunks), so none can panic. Each input's chunk is loaded once for
    // the rows and each row's chunk is the multiply-add's memory operand: twelve sums,
    // one input and one scratch register, where loading all four inputs first spilled
    // two sums (W4's forward pass: 160 against 81 µs).
    #[allow(clippy::needless_range_loop)]
    for chunk in 0..IN / LANES {
        for s in 0..S {
            let x = T::Vector::load(&x_chunks[s][chunk]);
            for r in 0..R {
                let w = T::Vector::load(row_chunks[r].get(chunk).unwrap_or(&zero));
                vectors[r][s] = w.mul_add(x, vectors[r][s]);
            }
        }
    }
    let mut sums = [[T::ZERO; S]; R];
    for ((sums, vectors), row) in sums.iter_mut().zip(&vectors).zip(rows) {
        for ((sum, vector), x) in sums.iter_mut().zip(vectors).zip(xs) {
            let mut tail = T::ZERO;
            for (&w, &x) in row
                .as_chunks::<LANES>()
                .1
                .iter()
                .zip(x.as_chunks::<LANES>().1)
            {
                tail = w.mul_add(x, tail);
            }
            *sum = tail + vector.sum_lanes();
        }
    }
    sums
}

/// `W·x + b` for each sample, the inputs transposed a tile at a time so that each
/// weight is broadcast once into a column of [`TILE_SAMPLES`] samples.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn forward_tiles<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    weights: &[[T; IN]; OUT],
    biases: &[T; OUT],
    xs: &[&[T; IN]; B],
) -> [[T; OUT]; B] {
    if B <= TILE_SAMPLES {
        return forward_group(weights, biases, xs);
    }
    // A block larger than the register block runs as groups of it, then single
    // samples for what is left.
    let mut z = [[T::ZERO; OUT]; B];
    let (groups, singles) = xs.as_chunks::<TILE_SAMPLES>();
    let (z_groups, z_singles) = z.as_chunks_mut::<TILE_SAMPLES>();
    for (xs, z) in groups.iter().zip(z_groups) {
        *z = forward_group(weights, biases, xs);
    }
    for (x, z) in singles.iter().zip(z_singles) {
        [*z] = forward_group(weights, biases, &[*x]);
    }
    z
}

/// Samples whose sums [`forward_tiles`] keeps in registers together, with
/// [`TILE_ROWS`] units' sums: two 128-bit vectors per unit in `f32` without AVX, two
/// 256-bit vectors in `f64` with it.
const TILE_SAMPLES: usize = 8;

/// [`forward_tiles`] for a group of at most [`TILE_SAMPLES`] samples.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn forward_group<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    weights: &[[T; IN]; OUT],
    biases: &[T; OUT],
    xs: &[&[T; IN]; B],
) -> [[T; OUT]; B] {
    // The sums are kept transposed, `[unit][sample]`, so that one unit's sums over the
    // group are one vector; the inputs are transposed a tile at a time to match.
    let mut sums: [[T; B]; OUT] = core::array::from_fn(|unit| [biases[unit]; B]);
    // Whole tiles, then tiles of eight, then single columns, so that narrow layers
    // still run in long passes.
    let mut first = 0;
    while first + TILE <= IN {
        add_tile::<T, IN, OUT, B, TILE>(weights, xs, first, &mut sums);
        first += TILE;
    }
    while first + 8 <= IN {
        add_tile::<T, IN, OUT, B, 8>(weights, xs, first, &mut sums);
        first += 8;
    }
    while first < IN {
        add_tile::<T, IN, OUT, B, 1>(weights, xs, first, &mut sums);
        first += 1;
    }
    core::array::from_fn(|s| core::array::from_fn(|unit| sums[unit][s]))
}

/// Inputs per tile of [`forward_tiles`]: a tile of `TILE × B` inputs (2 KiB for `f32`
/// and eight samples) stays in the L1 cache while every row block passes over it.
const TILE: usize = 64;

/// Units whose sums [`forward_tiles`] keeps in registers together: six units over
/// groups of eight samples are twelve of the sixteen vector registers.
const TILE_ROWS: usize = 6;

/// `tile[k][s] = xs[s][first + k]`.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn transpose_tile<T: Scalar, const IN: usize, const B: usize, const K: usize>(
    xs: &[&[T; IN]; B],
    first: usize,
    tile: &mut [[T; B]; K],
) {
    for (s, x) in xs.iter().enumerate() {
        if let Some(inputs) = x.get(first..first + K) {
            for (column, &value) in tile.iter_mut().zip(inputs) {
                column[s] = value;
            }
        }
    }
}

/// Adds `W[:, first..first + K] · X[first..first + K]` into `sums`: the inputs'
/// columns are transposed into a tile, then [`TILE_ROWS`] units at a time pass
/// over it.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn add_tile<T: Scalar, const IN: usize, const OUT: usize, const B: usize, const K: usize>(
    weights: &[[T; IN]; OUT],
    xs: &[&[T; IN]; B],
    first: usize,
    sums: &mut [[T; B]; OUT],
) {
    let mut tile = [[T::ZERO; B]; K];
    transpose_tile(xs, first, &mut tile);
    let tile = &tile;
    let (row_blocks, rows_left) = weights.as_chunks::<TILE_ROWS>();
    let (sum_blocks, sums_left) = sums.as_chunks_mut::<TILE_ROWS>();
    for (rows, block) in row_blocks.iter().zip(sum_blocks) {
        if let Some(w) = columns(rows, first) {
            add_tile_rows(w, tile, block);
        }
    }
    for (row, sums) in rows_left.iter().zip(sums_left) {
        if let Some(w) = columns(core::array::from_ref(row), first) {
            add_tile_rows(w, tile, core::array::from_mut(sums));
        }
    }
}

/// Columns `first..first + K` of each of the `R` rows (`None` past the end).
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn columns<T, const IN: usize, const R: usize, const K: usize>(
    rows: &[[T; IN]; R],
    first: usize,
) -> Option<[&[T; K]; R]> {
    fn slice<T, const IN: usize, const K: usize>(row: &[T; IN], first: usize) -> Option<&[T; K]> {
        row.get(first..)?.first_chunk::<K>()
    }
    let mut columns = [slice(rows.first()?, first)?; R];
    for (column, row) in columns.iter_mut().zip(rows) {
        *column = slice(row, first)?;
    }
    Some(columns)
}

/// The register block: `sums[r] += w[r] · tile`, each weight broadcast once and
/// multiplied into a whole column of samples.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn add_tile_rows<T: Scalar, const B: usize, const K: usize, const R: usize>(
    w: [&[T; K]; R],
    tile: &[[T; B]; K],
    sums: &mut [[T; B]; R],
) {
    let mut acc = *sums;
    for (k, column) in tile.iter().enumerate() {
        for (acc, w) in acc.iter_mut().zip(&w) {
            let w = w[k];
            for (acc, &x) in acc.iter_mut().zip(column) {
                *acc = w.mul_add(x, *acc);
            }
        }
    }
    *sums = acc;
}

/// The backward pass of [`dense_forward_batch`] for the parameters: adds
/// `Σₛ dzₛ·xₛᵀ` into `dw` and `Σₛ dzₛ` into `db`. Six rows at a time with AVX (four
/// without, half as many for `f64`), a strip of each held in registers while every
/// sample passes, so each strip of an input is loaded once for all the rows.
#[inline]
pub fn dense_backward_params_batch<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    xs: [&[T; IN]; B],
    dzs: &[[T; OUT]; B],
    dw: &mut [[T; IN]; OUT],
    db: &mut [T; OUT],
) {
    add_params_gradient(&xs, dzs, T::ONE, dw, db);
}

/// Adds `scale` times the parameters' gradient over the block into `dw` and `db`:
/// [`dense_backward_params_batch`] for a gradient scaled as it is added (the mean
/// over a batch, or plain SGD's `−lr` with the weights as `dw`). `dz` is scaled as
/// the kernel gathers it, so that no scaled copy of the block's `dz` is made.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
pub(crate) fn add_params_gradient<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    xs: &[&[T; IN]; B],
    dzs: &[[T; OUT]; B],
    scale: T,
    dw: &mut [[T; IN]; OUT],
    db: &mut [T; OUT],
) {
    add_weight_gradient(xs, dzs, scale, dw);
    for (db, sum) in db.iter_mut().zip(bias_gradient(dzs)) {
        *db = scale.mul_add(sum, *db);
    }
}

/// The `len` weights of row `unit` from `column` on (`None` past the end).
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
pub(crate) fn row_strip<T, const IN: usize, const OUT: usize>(
    weights: &mut [[T; IN]; OUT],
    unit: usize,
    column: usize,
    len: usize,
) -> Option<&mut [T]> {
    weights.get_mut(unit)?.get_mut(column..column + len)
}

/// `Σₛ dzₛ`: the biases' gradient over the block.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
pub(crate) fn bias_gradient<T: Scalar, const OUT: usize, const B: usize>(
    dzs: &[[T; OUT]; B],
) -> [T; OUT] {
    let mut sums = [T::ZERO; OUT];
    for dz in dzs {
        for (sum, &d) in sums.iter_mut().zip(dz) {
            *sum += d;
        }
    }
    sums
}

/// The weight gradient `scale · Σₛ dzₛ·xₛᵀ`, handed over a strip at a time:
/// `take(unit, column, sums)` receives the sums for the weights of row `unit` from
/// `column` on, each exactly once: for an optimizer's `update` (the `Update` sink),
/// which needs no gradient array.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
pub(crate) fn weight_gradient<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    xs: &[&[T; IN]; B],
    dzs: &[[T; OUT]; B],
    scale: T,
    take: impl FnMut(usize, usize, &[T]),
) {
    gradient_strips(xs, dzs, scale, &mut Take(take));
}

/// Adds `scale · Σₛ dzₛ·xₛᵀ` into `dst`, each strip of sums as it is made. `dst` is a
/// gradient array, or (with `scale` times `−lr`) the weights themselves, for plain
/// SGD.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
pub(crate) fn add_weight_gradient<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    xs: &[&[T; IN]; B],
    dzs: &[[T; OUT]; B],
    scale: T,
    dst: &mut [[T; IN]; OUT],
) {
    gradient_strips(xs, dzs, scale, &mut AddInto(dst));
}

/// What the weight-gradient kernel does with each strip of sums it makes.
trait StripSink<T: Scalar> {
    /// Takes the sums for the [`GRADIENT_STRIP`] weights of row `unit` from `column`.
    fn strip(&mut self, unit: usize, column: usize, sums: &[T::Vector; STRIP_VECTORS]);
    /// Takes the sums for the weights of row `unit` from `column` to the row's end,
    /// fewer than a strip.
    fn tail(&mut self, unit: usize, column: usize, sums: &[T]);
}

/// Hands each strip to a closure, as values.
struct Take<F>(F);

impl<T: Scalar, F: FnMut(usize, usize, &[T])> StripSink<T> for Take<F> {
    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn strip(&mut self, unit: usize, column: usize, sums: &[T::Vector; STRIP_VECTORS]) {
        // The sums go out as a copy: were the accumulators themselves lent to an
        // optimizer's `update`, they could not stay in registers (measured: 30×
        // slower).
        let mut values = [T::ZERO; GRADIENT_STRIP];
        for (values, sum) in values.as_chunks_mut::<LANES>().0.iter_mut().zip(sums) {
            sum.store(values);
        }
        (self.0)(unit, column, &values);
    }

    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn tail(&mut self, unit: usize, column: usize, sums: &[T]) {
        (self.0)(unit, column, sums);
    }
}

/// Adds each strip into an array of rows.
struct AddInto<'a, T, const IN: usize, const OUT: usize>(&'a mut [[T; IN]; OUT]);

impl<T: Scalar, const IN: usize, const OUT: usize> StripSink<T> for AddInto<'_, T, IN, OUT> {
    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn strip(&mut self, unit: usize, column: usize, sums: &[T::Vector; STRIP_VECTORS]) {
        let Some(strip) = row_strip(self.0, unit, column, GRADIENT_STRIP) else {
            return;
        };
        for (values, &sum) in strip.as_chunks_mut::<LANES>().0.iter_mut().zip(sums) {
            (T::Vector::load(values) + sum).store(values);
        }
    }

    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn tail(&mut self, unit: usize, column: usize, sums: &[T]) {
        let row = row_strip(self.0, unit, column, sums.len());
        for (w, &sum) in row.unwrap_or_default().iter_mut().zip(sums) {
            *w += sum;
        }
    }
}

/// The weight gradient `scale · Σₛ dzₛ·xₛᵀ`, made a strip at a time and handed to
/// `sink`: [`ROWS`] rows at a time ([`WIDE_ROWS`] for `f64`), then two and one.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn gradient_strips<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    xs: &[&[T; IN]; B],
    dzs: &[[T; OUT]; B],
    scale: T,
    sink: &mut impl StripSink<T>,
) {
    if is_wide::<T>() {
        gradient_strips_in::<T, IN, OUT, B, WIDE_ROWS>(xs, dzs, scale, sink);
    } else {
        gradient_strips_in::<T, IN, OUT, B, ROWS>(xs, dzs, scale, sink);
    }
}

/// [`gradient_strips`] `R` rows at a time, then two and one.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn gradient_strips_in<
    T: Scalar,
    const IN: usize,
    const OUT: usize,
    const B: usize,
    const R: usize,
>(
    xs: &[&[T; IN]; B],
    dzs: &[[T; OUT]; B],
    scale: T,
    sink: &mut impl StripSink<T>,
) {
    let mut first = 0;
    while first + R <= OUT {
        rows_gradient::<T, IN, OUT, B, R>(first, xs, dzs, scale, sink);
        first += R;
    }
    while first + 2 <= OUT {
        rows_gradient::<T, IN, OUT, B, 2>(first, xs, dzs, scale, sink);
        first += 2;
    }
    if first < OUT {
        rows_gradient::<T, IN, OUT, B, 1>(first, xs, dzs, scale, sink);
    }
}

/// [`gradient_strips`] for the `R` rows from `first`. The loops over the rows have `R`
/// steps, a constant, so that the sums stay in registers.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn rows_gradient<T: Scalar, const IN: usize, const OUT: usize, const B: usize, const R: usize>(
    first: usize,
    xs: &[&[T; IN]; B],
    dzs: &[[T; OUT]; B],
    scale: T,
    sink: &mut impl StripSink<T>,
) {
    let rows = dzs_of_rows::<T, OUT, B, R>(first, dzs, scale);
    let strips = IN / GRADIENT_STRIP;
    for strip in 0..strips {
        let sums = strip_sums(xs, &rows, strip);
        for (r, sums) in sums.iter().enumerate() {
            sink.strip(first + r, strip * GRADIENT_STRIP, sums);
        }
    }
    let done = strips * GRADIENT_STRIP;
    if done == IN {
        return;
    }
    for r in 0..R {
        let sums = tail_sums(xs, &rows, r, done);
        sink.tail(first + r, done, sums.get(..IN - done).unwrap_or_default());
    }
}

/// Vectors in one row's strip of [`GRADIENT_STRIP`] weights.
const STRIP_VECTORS: usize = GRADIENT_STRIP / LANES;

/// `Σₛ rows[s][r] · xₛ[strip]` for each of the `R` rows: the register block of the
/// weight gradient. Each sample's strip of input is loaded once for all the rows and
/// each `dz` broadcast once for the strip; the sums are vectors, so that they stay in
/// registers however the caller is compiled (see [`crate::vector`]).
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn strip_sums<T: Scalar, const IN: usize, const B: usize, const R: usize>(
    xs: &[&[T; IN]; B],
    rows: &[[T; R]; B],
    strip: usize,
) -> [[T::Vector; STRIP_VECTORS]; R] {
    let zero = T::Vector::splat(T::ZERO);
    let mut sums = [[zero; STRIP_VECTORS]; R];
    for (x, dz) in xs.iter().zip(rows) {
        let Some(x) = x.as_chunks::<GRADIENT_STRIP>().0.get(strip) else {
            continue;
        };
        let x = x.as_chunks::<LANES>().0;
        let x: [T::Vector; STRIP_VECTORS] =
            core::array::from_fn(|v| x.get(v).map_or(zero, T::Vector::load));
        for (sums, &d) in sums.iter_mut().zip(dz) {
            let d = T::Vector::splat(d);
            for (sum, &x) in sums.iter_mut().zip(&x) {
                *sum = d.mul_add(x, *sum);
            }
        }
    }
    sums
}

/// `Σₛ rows[s][r] · xₛ[done..]`: row `r`'s sums for the inputs past the last whole
/// strip (fewer than [`GRADIENT_STRIP`]; the rest of the array is zero).
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn tail_sums<T: Scalar, const IN: usize, const B: usize, const R: usize>(
    xs: &[&[T; IN]; B],
    rows: &[[T; R]; B],
    r: usize,
    done: usize,
) -> [T; GRADIENT_STRIP] {
    let mut sums = [T::ZERO; GRADIENT_STRIP];
    for (x, dz) in xs.iter().zip(rows) {
        let d = dz.get(r).copied().unwrap_or(T::ZERO);
        for (sum, &x) in sums.iter_mut().zip(x.get(done..).unwrap_or_default()) {
            *sum = d.mul_add(x, *sum);
        }
    }
    sums
}

/// `scale · dzₛ[first..first + R]` for each sample (zero past the last row, where the
/// callers never reach): the rows' gradients, gathered once so that the kernel's inner
/// loops index nothing, and scaled as they are gathered.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn dzs_of_rows<T: Scalar, const OUT: usize, const B: usize, const R: usize>(
    first: usize,
    dzs: &[[T; OUT]; B],
    scale: T,
) -> [[T; R]; B] {
    let mut rows = [[T::ZERO; R]; B];
    for (row, dz) in rows.iter_mut().zip(dzs) {
        for (d, &value) in row.iter_mut().zip(dz.get(first..).unwrap_or_default()) {
            *d = scale * value;
        }
    }
    rows
}

/// Weights of one row the weight-gradient kernel keeps in registers at a time: two
/// 256-bit vectors of `f32` with AVX; one 128-bit vector's worth twice over without
/// (more spills the sixteen SSE registers: measured 28 against 19 GFLOP/s).
pub(crate) const GRADIENT_STRIP: usize = if cfg!(target_feature = "avx") { 16 } else { 8 };

/// The input gradients `Wᵀ·dzₛ` of the `B` samples.
#[inline]
pub fn dense_input_gradient_batch<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    weights: &[[T; IN]; OUT],
    dzs: &[[T; OUT]; B],
) -> [[T; IN]; B] {
    let mut dx = [[T::ZERO; IN]; B];
    for (unit, row) in weights.iter().enumerate() {
        for (dx, dz) in dx.iter_mut().zip(dzs) {
            let d = dz[unit];
            for (dx, &w) in dx.iter_mut().zip(row) {
                *dx = d.mul_add(w, *dx);
            }
        }
    }
    dx
}

/// References to each row of `rows`: the form the batch kernels take their inputs in.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
pub fn rows<T, const N: usize, const B: usize>(rows: &[[T; N]; B]) -> [&[T; N]; B] {
    rows.each_ref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::dense::{dense_backward, dense_forward};

    use crate::kernel::test_fill as fill;

    /// The batch kernels against the one-sample kernels, sample by sample, over
    /// shapes around every blocking boundary.
    fn check<const IN: usize, const OUT: usize, const B: usize>() {
        let w: [[f64; IN]; OUT] = core::array::from_fn(|o| fill(o as u32 * 31 + 1));
        let b: [f64; OUT] = fill(2);
        let xs: [[f64; IN]; B] = core::array::from_fn(|s| fill(s as u32 * 17 + 3));
        let dzs: [[f64; OUT]; B] = core::array::from_fn(|s| fill(s as u32 * 13 + 5));
        let z = dense_forward_batch(&w, &b, rows(&xs));
        // Both forms of the forward kernel, whichever the target picks.
        let z_dots = forward_dots(&w, &b, &rows(&xs));
        let z_tiles = forward_tiles(&w, &b, &rows(&xs));
        let dx = dense_input_gradient_batch(&w, &dzs);
        let (mut dw, mut db) = ([[0.5; IN]; OUT], [0.25; OUT]);
        dense_backward_params_batch(rows(&xs), &dzs, &mut dw, &mut db);
        let (mut dw_one, mut db_one) = ([[0.5; IN]; OUT], [0.25; OUT]);
        for s in 0..B {
            let z_one = dense_forward(&w, &b, &xs[s]);
            let dx_one = dense_backward(&w, &xs[s], &dzs[s], &mut dw_one, &mut db_one);
            // The dot form sums exactly as the one-sample kernel does.
            assert_eq!(z_dots[s], z_one, "{IN}→{OUT}×{B}: dots, sample {s}");
            for o in 0..OUT {
                assert!(
                    (z[s][o] - z_one[o]).abs() < 1e-12,
                    "{IN}→{OUT}×{B}: z[{s}][{o}]"
                );
                assert!(
                    (z_tiles[s][o] - z_one[o]).abs() < 1e-12,
                    "{IN}→{OUT}×{B}: tiles, z[{s}][{o}]"
                );
            }
            for i in 0..IN {
                assert!((dx[s][i] - dx_one[i]).abs() < 1e-12, "dx[{s}][{i}]");
            }
        }
        for o in 0..OUT {
            assert!((db[o] - db_one[o]).abs() < 1e-12);
            for i in 0..IN {
                assert!((dw[o][i] - dw_one[o][i]).abs() < 1e-12, "dw[{o}][{i}]");
            }
        }
    }

    /// The dot form in f32, whose register block is twice f64's: bit for bit the
    /// one-sample kernel, over leftover rows (pairs and singles), samples and inputs.
    fn check_dots_f32<const IN: usize, const OUT: usize, const B: usize>() {
        let narrow = |v: f64| v as f32;
        let w: [[f32; IN]; OUT] = core::array::from_fn(|o| fill(o as u32 * 31 + 1).map(narrow));
        let b: [f32; OUT] = fill(2).map(narrow);
        let xs: [[f32; IN]; B] = core::array::from_fn(|s| fill(s as u32 * 17 + 3).map(narrow));
        let z = forward_dots(&w, &b, &rows(&xs));
        for (s, x) in xs.iter().enumerate() {
            assert_eq!(z[s], dense_forward(&w, &b, x), "{IN}→{OUT}×{B}: sample {s}");
        }
    }

    /// The weight gradient in f32, whose vectors and register blocks differ from
    /// f64's: against the one-sample kernel, which adds each sample's `dz·x` in turn,
    /// so the two round differently; and `scale` applied as `dz` is gathered.
    fn check_gradient_f32<const IN: usize, const OUT: usize, const B: usize>() {
        let narrow = |v: f64| v as f32;
        let xs: [[f32; IN]; B] = core::array::from_fn(|s| fill(s as u32 * 17 + 3).map(narrow));
        let dzs: [[f32; OUT]; B] = core::array::from_fn(|s| fill(s as u32 * 13 + 5).map(narrow));
        let (mut dw, mut db) = ([[0.5f32; IN]; OUT], [0.25f32; OUT]);
        add_params_gradient(&rows(&xs), &dzs, -0.5, &mut dw, &mut db);
        let (mut dw_one, mut db_one) = ([[0.0f32; IN]; OUT], [0.0f32; OUT]);
        for (x, dz) in xs.iter().zip(&dzs) {
            crate::kernel::dense_backward_params(x, dz, &mut dw_one, &mut db_one);
        }
        let close = |a: f32, b: f32| (a - b).abs() <= 1e-5 * (1.0 + b.abs()) * B as f32;
        for o in 0..OUT {
            assert!(
                close(db[o], 0.25 - 0.5 * db_one[o]),
                "{IN}→{OUT}×{B}: db[{o}]"
            );
            for i in 0..IN {
                let want = 0.5 - 0.5 * dw_one[o][i];
                assert!(close(dw[o][i], want), "{IN}→{OUT}×{B}: dw[{o}][{i}]");
            }
        }
    }

    #[test]
    fn weight_gradient_in_f32_matches_the_one_sample_kernel() {
        // Whole blocks of rows, pairs and a single row left over; whole strips and a
        // tail of inputs; one sample and many.
        check_gradient_f32::<37, 13, 32>();
        check_gradient_f32::<16, 6, 1>();
        check_gradient_f32::<8, 1, 5>();
        check_gradient_f32::<70, 11, 3>();
        check_gradient_f32::<5, 3, 2>();
    }

    #[test]
    fn dot_form_sums_as_the_one_sample_kernel_in_f32() {
        check_dots_f32::<37, 7, 32>();
        check_dots_f32::<8, 8, 5>();
        check_dots_f32::<3, 2, 1>();
        check_dots_f32::<70, 11, 6>();
    }

    #[test]
    fn batch_kernels_equal_the_one_sample_kernels() {
        check::<1, 1, 1>();
        check::<3, 5, 3>();
        check::<8, 4, 2>();
        check::<17, 13, 5>();
        check::<64, 10, 8>();
        check::<20, 7, 1>();
        // Past one tile of 64 columns: whole tiles, tiles of eight, single columns.
        check::<137, 19, 8>();
        check::<72, 9, 3>();
        check::<200, 17, 16>();
        // Blocks larger than the register block: whole groups, then eights and singles.
        check::<70, 9, 32>();
        check::<19, 6, 41>();
    }
}
