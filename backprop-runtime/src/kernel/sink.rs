//! Where a backward pass sends each layer's gradient.
//!
//! A generated network writes its backward pass once, against [`GradientSink`], and
//! runs it with two sinks: [`Accumulate`] adds every gradient into a caller's array
//! (the network's `backward`), and [`Update`] hands each layer's gradient to an
//! optimizer as soon as it is known (the network's `train_step`), so that training
//! needs no gradient array the size of the network, and each weight is read and
//! written once per step.

use super::batch::{
    GRADIENT_STRIP, add_params_gradient, bias_gradient, dense_input_gradient_batch, row_strip,
    weight_gradient,
};
use super::dense::{dense_backward, dense_backward_params};
use super::view::{layer, layer_mut, segment_mut};
use crate::optim::descend;
use crate::{Optimizer, Scalar};

/// The destination of a backward pass's parameter gradients, for a network of `N`
/// parameters of type `T`.
///
/// The backward pass reads the parameters through [`params`](Self::params) before it
/// sends anything, and sends each parameter's gradient exactly once per pass.
pub trait GradientSink<T: Scalar, const N: usize> {
    /// The network's parameters, as they were before this pass.
    fn params(&self) -> &[T; N];

    /// Takes the gradient of the `LEN` parameters at `OFFSET`.
    fn accept<const OFFSET: usize, const LEN: usize>(&mut self, grads: &[T; LEN]);

    /// Takes the gradient `factors[i] · inputs[i]` of each of the `LEN` parameters at
    /// `OFFSET`: a dense layer's weight gradient is its unit's `dz` times its input, a
    /// bias's is its `dz` times one. Given as products, the gradient lets plain SGD
    /// fold its rate into the inputs, which are known before the backward pass
    /// begins, and so take one multiplication off the path from the loss to the
    /// updated weights that the next step starts from ([`Update`] does).
    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn accept_products<const OFFSET: usize, const LEN: usize>(
        &mut self,
        factors: &[T; LEN],
        inputs: &[T; LEN],
    ) {
        self.accept::<OFFSET, LEN>(&products(factors, inputs));
    }

    /// The backward pass of the dense layer `z = W·x + b` whose parameters start at
    /// `OFFSET`, given its input `x` and `dz = ∂L/∂z`: takes the layer's parameter
    /// gradients and returns `∂L/∂x`.
    fn dense<const OFFSET: usize, const IN: usize, const OUT: usize>(
        &mut self,
        x: &[T; IN],
        dz: &[T; OUT],
    ) -> [T; IN];

    /// [`dense`](Self::dense) for a layer whose input needs no gradient.
    fn dense_params<const OFFSET: usize, const IN: usize, const OUT: usize>(
        &mut self,
        x: &[T; IN],
        dz: &[T; OUT],
    );

    /// The backward pass of a dense layer at `OFFSET` over a block of `B` samples:
    /// takes the sum of the samples' parameter gradients and returns each sample's
    /// input gradient, from the weights as they were before this pass (computed before
    /// [`dense_params_batch`](Self::dense_params_batch) may change them).
    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn dense_batch<const OFFSET: usize, const IN: usize, const OUT: usize, const B: usize>(
        &mut self,
        xs: [&[T; IN]; B],
        dzs: &[[T; OUT]; B],
    ) -> [[T; IN]; B] {
        let (weights, _) = layer::<OFFSET, IN, OUT, T, N>(self.params());
        let dx = dense_input_gradient_batch(weights, dzs);
        self.dense_params_batch::<OFFSET, IN, OUT, B>(xs, dzs);
        dx
    }

    /// [`dense_batch`](Self::dense_batch) for a layer whose input needs no gradient.
    fn dense_params_batch<const OFFSET: usize, const IN: usize, const OUT: usize, const B: usize>(
        &mut self,
        xs: [&[T; IN]; B],
        dzs: &[[T; OUT]; B],
    );
}

/// Adds each gradient into `grads`, leaving the parameters alone.
pub struct Accumulate<'a, T, const N: usize> {
    params: &'a [T; N],
    grads: &'a mut [T; N],
    /// What every gradient is multiplied by before it is added: 1, or `1/n` for the
    /// gradient of a mean over `n` samples.
    scale: T,
}

impl<'a, T: Scalar, const N: usize> Accumulate<'a, T, N> {
    /// A sink adding the gradients of `params` into `grads`.
    pub fn new(params: &'a [T; N], grads: &'a mut [T; N]) -> Self {
        Self::scaled(params, grads, T::ONE)
    }

    /// A sink adding `scale` times the gradients of `params` into `grads`: with
    /// `scale = 1/n`, the gradient of a mean over `n` samples, without a second buffer.
    pub fn scaled(params: &'a [T; N], grads: &'a mut [T; N], scale: T) -> Self {
        Accumulate {
            params,
            grads,
            scale,
        }
    }

    /// The parameters the gradients are of, for as long as the sink borrows them.
    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    pub fn params(&self) -> &'a [T; N] {
        self.params
    }

    /// `dz` times the sink's scale, when that is not 1.
    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn scaled_gradient<const OUT: usize>(&self, dz: &[T; OUT]) -> [T; OUT] {
        dz.map(|d| d * self.scale)
    }
}

impl<T: Scalar, const N: usize> GradientSink<T, N> for Accumulate<'_, T, N> {
    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn params(&self) -> &[T; N] {
        self.params
    }

    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn accept<const OFFSET: usize, const LEN: usize>(&mut self, grads: &[T; LEN]) {
        let scale = self.scale;
        let sums = segment_mut::<OFFSET, LEN, T, N>(self.grads);
        if scale == T::ONE {
            for (sum, &grad) in sums.iter_mut().zip(grads) {
                *sum += grad;
            }
        } else {
            for (sum, &grad) in sums.iter_mut().zip(grads) {
                *sum += scale * grad;
            }
        }
    }

    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn dense<const OFFSET: usize, const IN: usize, const OUT: usize>(
        &mut self,
        x: &[T; IN],
        dz: &[T; OUT],
    ) -> [T; IN] {
        let (weights, _) = layer::<OFFSET, IN, OUT, T, N>(self.params);
        if self.scale == T::ONE {
            let (dw, db) = layer_mut::<OFFSET, IN, OUT, T, N>(self.grads);
            return dense_backward(weights, x, dz, dw, db);
        }
        let dx = dense_input_gradient_batch(weights, core::array::from_ref(dz));
        self.dense_params::<OFFSET, IN, OUT>(x, dz);
        let [dx] = dx;
        dx
    }

    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn dense_params<const OFFSET: usize, const IN: usize, const OUT: usize>(
        &mut self,
        x: &[T; IN],
        dz: &[T; OUT],
    ) {
        let dz = self.scaled_gradient(dz);
        let (dw, db) = layer_mut::<OFFSET, IN, OUT, T, N>(self.grads);
        dense_backward_params(x, &dz, dw, db);
    }

    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn dense_params_batch<
        const OFFSET: usize,
        const IN: usize,
        const OUT: usize,
        const B: usize,
    >(
        &mut self,
        xs: [&[T; IN]; B],
        dzs: &[[T; OUT]; B],
    ) {
        // The weight gradients are linear in dz: the kernel scales each dz as it
        // gathers them rather than scaling the IN·OUT gradients.
        let (dw, db) = layer_mut::<OFFSET, IN, OUT, T, N>(self.grads);
        add_params_gradient(&xs, dzs, self.scale, dw, db);
    }
}

/// Hands each gradient to an optimizer, which updates the parameters in place. The
/// caller starts the step ([`Optimizer::begin_step`]) before the backward pass.
///
/// Over a block of samples ([`with_earlier`](Self::with_earlier)) the optimizer gets
/// `earlier + scale · Σₛ gₛ` for each parameter: a mean over a mini-batch whose other
/// samples' gradients were summed into `earlier`, and a weight's gradient over the
/// block is summed in registers and handed over at once, so that the step needs no
/// gradient array when the block is the whole batch.
///
/// Plain SGD ([`Optimizer::plain_rate`]) steps the parameters in place rather than
/// through the optimizer, and takes the products of
/// [`accept_products`](GradientSink::accept_products) as `θ ← dz·(−lr·input) + θ`:
/// the same step up to rounding, one multiplication shorter after `dz`.
pub struct Update<'a, T, O, const N: usize> {
    params: &'a mut [T; N],
    optimizer: &'a mut O,
    /// What every gradient the pass sends is multiplied by: 1, or `1/n` for a mean.
    scale: T,
    /// Gradients already summed (and scaled) for samples outside this pass.
    earlier: Option<&'a [T; N]>,
}

impl<'a, T: Scalar, O, const N: usize> Update<'a, T, O, N> {
    /// A sink updating `params` with `optimizer`.
    pub fn new(params: &'a mut [T; N], optimizer: &'a mut O) -> Self {
        Self::with_earlier(params, optimizer, T::ONE, None)
    }

    /// A sink updating `params` with `optimizer` from the gradient
    /// `earlier + scale · g`, where `g` is what the backward pass sends: with
    /// `scale = 1/n` and `earlier` the scaled sum over the batch's other samples (see
    /// [`Accumulate::scaled`]), one step on the mean gradient of `n` samples.
    pub fn with_earlier(
        params: &'a mut [T; N],
        optimizer: &'a mut O,
        scale: T,
        earlier: Option<&'a [T; N]>,
    ) -> Self {
        Update {
            params,
            optimizer,
            scale,
            earlier,
        }
    }

    /// Whether the gradient the pass sends is the one the optimizer gets.
    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn is_plain(&self) -> bool {
        self.scale == T::ONE && self.earlier.is_none()
    }
}

impl<T: Scalar, O: Optimizer<[T; N]>, const N: usize> GradientSink<T, N> for Update<'_, T, O, N> {
    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn params(&self) -> &[T; N] {
        self.params
    }

    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn accept<const OFFSET: usize, const LEN: usize>(&mut self, grads: &[T; LEN]) {
        let params = segment_mut::<OFFSET, LEN, T, N>(self.params);
        update_from(
            self.optimizer,
            self.earlier,
            self.scale,
            OFFSET,
            params,
            grads,
        );
    }

    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn accept_products<const OFFSET: usize, const LEN: usize>(
        &mut self,
        factors: &[T; LEN],
        inputs: &[T; LEN],
    ) {
        if self.is_plain()
            && let Some(lr) = self.optimizer.plain_rate()
        {
            // `θ ← factor·(−lr·input) + θ`: `−lr·input` is ready before the factor
            // (a `dz`) is, so the factor's path to the weights is one multiply-add,
            // where `−lr·(factor·input) + θ` is a multiplication and a multiply-add.
            // That path runs from one step's loss to the next step's forward pass.
            let rate = -lr;
            let params = segment_mut::<OFFSET, LEN, T, N>(self.params);
            for ((theta, &factor), &input) in params.iter_mut().zip(factors).zip(inputs) {
                *theta = factor.mul_add(rate * input, *theta);
            }
            return;
        }
        self.accept::<OFFSET, LEN>(&products(factors, inputs));
    }

    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn dense<const OFFSET: usize, const IN: usize, const OUT: usize>(
        &mut self,
        x: &[T; IN],
        dz: &[T; OUT],
    ) -> [T; IN] {
        if !self.is_plain() {
            return self.dense_as_block::<OFFSET, IN, OUT>(x, dz);
        }
        let mut dx = [T::ZERO; IN];
        self.update_layer::<OFFSET, IN, OUT>(x, dz, Some(&mut dx));
        dx
    }

    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn dense_params<const OFFSET: usize, const IN: usize, const OUT: usize>(
        &mut self,
        x: &[T; IN],
        dz: &[T; OUT],
    ) {
        if !self.is_plain() {
            self.dense_as_block::<OFFSET, IN, OUT>(x, dz);
            return;
        }
        self.update_layer::<OFFSET, IN, OUT>(x, dz, None);
    }

    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn dense_params_batch<
        const OFFSET: usize,
        const IN: usize,
        const OUT: usize,
        const B: usize,
    >(
        &mut self,
        xs: [&[T; IN]; B],
        dzs: &[[T; OUT]; B],
    ) {
        let scale = self.scale;
        let (weights, biases) = layer_mut::<OFFSET, IN, OUT, T, N>(self.params);
        let (optimizer, earlier) = (&mut *self.optimizer, self.earlier);
        if let Some(lr) = optimizer.plain_rate() {
            // Plain SGD adds `(−lr·scale)·Σₛ dzₛ·xₛᵀ` straight into the weights, as a
            // gradient array would take it: no sums handed over strip by strip (W4's
            // step, 784 × 128 over 32 samples, x86-64-v3: 172.1 against 178.2 µs,
            // median of five alternating runs). `earlier`'s part of the step comes
            // first.
            let rate = -lr;
            if let Some(earlier) = earlier {
                let (earlier_weights, earlier_biases) = layer::<OFFSET, IN, OUT, T, N>(earlier);
                for (row, earlier) in weights.iter_mut().zip(earlier_weights) {
                    descend(rate, row, earlier);
                }
                descend(rate, biases, earlier_biases);
            }
            add_params_gradient(&xs, dzs, rate * scale, weights, biases);
            return;
        }
        // Linear in dz: the kernel scales each dz as it gathers them.
        weight_gradient(&xs, dzs, scale, |unit, column, sums| {
            let Some(row) = row_strip(weights, unit, column, sums.len()) else {
                return;
            };
            let offset = OFFSET + unit * IN + column;
            update_from(optimizer, earlier, T::ONE, offset, row, sums);
        });
        let db = bias_gradient(dzs).map(|sum| scale * sum);
        update_from(
            self.optimizer,
            earlier,
            T::ONE,
            OFFSET + IN * OUT,
            biases,
            &db,
        );
    }
}

/// Hands `optimizer` the gradient `earlier[offset..] + scale · grads` for `params`,
/// [`STRIP`] values at a time so that the stack stays small whatever the length; the
/// plain gradient, with plain SGD, is stepped in place.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn update_from<T: Scalar, O: Optimizer<[T; N]>, const N: usize>(
    optimizer: &mut O,
    earlier: Option<&[T; N]>,
    scale: T,
    offset: usize,
    params: &mut [T],
    grads: &[T],
) {
    if earlier.is_none() && scale == T::ONE {
        // Plain SGD steps in place here rather than through `update`, which LLVM may
        // leave out of line for its other optimizers' code: the seed network's
        // `accept::<0, 9>` then became a call, and W1 took 42 against 38 ns.
        match optimizer.plain_rate() {
            Some(lr) => descend(-lr, params, grads),
            None => optimizer.update(offset, params, grads),
        }
        return;
    }
    let earlier = earlier.and_then(|earlier| earlier.get(offset..));
    let mut gradient = [T::ZERO; STRIP];
    for (start, (params, grads)) in params
        .chunks_mut(STRIP)
        .zip(grads.chunks(STRIP))
        .enumerate()
    {
        let gradient = &mut gradient[..grads.len()];
        for (g, &grad) in gradient.iter_mut().zip(grads) {
            *g = scale * grad;
        }
        if let Some(earlier) = earlier.and_then(|earlier| earlier.get(start * STRIP..)) {
            for (g, &e) in gradient.iter_mut().zip(earlier) {
                *g += e;
            }
        }
        optimizer.update(offset + start * STRIP, params, gradient);
    }
}

/// `factors[i] · inputs[i]` for each `i`.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn products<T: Scalar, const LEN: usize>(factors: &[T; LEN], inputs: &[T; LEN]) -> [T; LEN] {
    let mut products = *factors;
    for (product, &input) in products.iter_mut().zip(inputs) {
        *product *= input;
    }
    products
}

/// Gradients [`update_from`] forms at a time: the weight-gradient kernel's strip.
const STRIP: usize = GRADIENT_STRIP;

impl<T: Scalar, O: Optimizer<[T; N]>, const N: usize> Update<'_, T, O, N> {
    /// One sample's dense layer through the block path, which scales and adds
    /// `earlier`. Out of line, so that `train_step`'s frame (this sink made by
    /// [`Update::new`], which never comes here) does not hold the block path's arrays.
    #[inline(never)]
    fn dense_as_block<const OFFSET: usize, const IN: usize, const OUT: usize>(
        &mut self,
        x: &[T; IN],
        dz: &[T; OUT],
    ) -> [T; IN] {
        let [dx] = self.dense_batch::<OFFSET, IN, OUT, 1>([x], core::array::from_ref(dz));
        dx
    }

    /// Updates the dense layer at `OFFSET` from its input `x` and `dz`, row by row,
    /// adding into `dx`, when given, the input's gradient from each row's weights as
    /// they were before this step's update; then the biases.
    #[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
    fn update_layer<const OFFSET: usize, const IN: usize, const OUT: usize>(
        &mut self,
        x: &[T; IN],
        dz: &[T; OUT],
        mut dx: Option<&mut [T; IN]>,
    ) {
        let (weights, biases) = layer_mut::<OFFSET, IN, OUT, T, N>(self.params);
        // Plain SGD is asked for once per layer, not once per row inside
        // `update_scaled`: W3's 42 rows spent 8% of a step on that check. Each row's
        // weights are read once for both the input's gradient and their update.
        if let Some(lr) = self.optimizer.plain_rate() {
            descend_layer(-lr, weights, biases, x, dz, dx);
            return;
        }
        for (unit, (row, &d)) in weights.iter_mut().zip(dz).enumerate() {
            if let Some(dx) = dx.as_deref_mut() {
                for (dx, &w) in dx.iter_mut().zip(row.iter()) {
                    *dx = d.mul_add(w, *dx);
                }
            }
            self.optimizer.update_scaled(OFFSET + unit * IN, row, d, x);
        }
        self.optimizer.update(OFFSET + IN * OUT, biases, dz);
    }
}

/// Rows per pass of the one-sample fused update. One row a pass loaded and stored the
/// input's gradient once per row; four cut W2's step from 468M to 439M instructions
/// (callgrind, default target) and eight did not cut more (446M).
const UPDATE_ROWS: usize = 4;

/// A dense layer's plain SGD step, `θ ← rate·g + θ`, from its input `x` and `dz`,
/// adding into `dx`, when given, the input's gradient from the weights before the step.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn descend_layer<T: Scalar, const IN: usize, const OUT: usize>(
    rate: T,
    weights: &mut [[T; IN]; OUT],
    biases: &mut [T; OUT],
    x: &[T; IN],
    dz: &[T; OUT],
    dx: Option<&mut [T; IN]>,
) {
    match dx {
        // `UPDATE_ROWS` rows per pass over `dx`: each chunk of `dx` and of `x` is loaded
        // and `dx` stored once for all of them, and `dx` still sums row by row.
        Some(dx) => {
            let (blocks, last) = weights.as_chunks_mut::<UPDATE_ROWS>();
            let (dz_blocks, dz_last) = dz.as_chunks::<UPDATE_ROWS>();
            for (rows, ds) in blocks.iter_mut().zip(dz_blocks) {
                update_rows(rows, ds, rate, x, dx);
            }
            for (row, &d) in last.iter_mut().zip(dz_last) {
                update_rows(core::array::from_mut(row), &[d], rate, x, dx);
            }
        }
        None => {
            for (row, &d) in weights.iter_mut().zip(dz) {
                descend(rate * d, row, x);
            }
        }
    }
    descend(rate, biases, dz);
}

/// Steps `R` rows of weights by plain SGD, `w ← (rate·d)·x + w`, adding each row's
/// `d·w` (the weights before the step) into `dx` in row order.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn update_rows<T: Scalar, const IN: usize, const R: usize>(
    rows: &mut [[T; IN]; R],
    d: &[T; R],
    rate: T,
    x: &[T; IN],
    dx: &mut [T; IN],
) {
    let steps = d.map(|d| rate * d);
    #[allow(clippy::needless_range_loop)]
    for i in 0..IN {
        let mut sum = dx[i];
        for r in 0..R {
            sum = d[r].mul_add(rows[r][i], sum);
            rows[r][i] = steps[r].mul_add(x[i], rows[r][i]);
        }
        dx[i] = sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::{Adam, Sgd};

    /// A 2-layer layout, 3 → 70 (short rows) and 70 → 2 (rows longer than a
    /// chunk), then 2 loose parameters, run through both sinks: updating through [`Update`] must equal
    /// accumulating with [`Accumulate`] and then stepping on the whole gradient.
    #[test]
    fn update_equals_accumulate_then_step() {
        const N: usize = 3 * 70 + 70 + 70 * 2 + 2 + 2;
        let params: [f64; N] = core::array::from_fn(|i| ((i * 37 % 101) as f64 - 50.0) / 70.0);
        let x: [f64; 3] = [0.3, -1.2, 0.7];
        let dz1: [f64; 70] = core::array::from_fn(|i| (i as f64 - 35.0) / 40.0);
        let a1: [f64; 70] = core::array::from_fn(|i| (i as f64 * 0.13).sin());
        let dz2 = [0.25, -0.5];
        let bias_grads = [0.5, 0.25];

        fn run<S: GradientSink<f64, N>>(
            sink: &mut S,
            x: &[f64; 3],
            a1: &[f64; 70],
            dz1: &[f64; 70],
            dz2: &[f64; 2],
            bias: &[f64; 2],
        ) -> [f64; 70] {
            let dx = sink.dense::<280, 70, 2>(a1, dz2);
            sink.dense_params::<0, 3, 70>(x, dz1);
            sink.accept::<422, 2>(bias);
            dx
        }

        let mut grads = [0.0; N];
        let dx_accumulated = run(
            &mut Accumulate::new(&params, &mut grads),
            &x,
            &a1,
            &dz1,
            &dz2,
            &bias_grads,
        );

        let mut stepped = params;
        let mut adam = Adam::<f64, N>::new(0.01);
        adam.step(&mut stepped, &grads);
        let mut fused = params;
        let mut adam_fused = Adam::<f64, N>::new(0.01);
        adam_fused.begin_step();
        let dx_fused = run(
            &mut Update::new(&mut fused, &mut adam_fused),
            &x,
            &a1,
            &dz1,
            &dz2,
            &bias_grads,
        );
        assert_eq!(dx_fused, dx_accumulated);
        assert_eq!(fused, stepped);

        let mut plain = params;
        let mut sgd = Sgd::<f64, N>::new(0.5);
        sgd.begin_step();
        run(
            &mut Update::new(&mut plain, &mut sgd),
            &x,
            &a1,
            &dz1,
            &dz2,
            &bias_grads,
        );
        let mut expected = params;
        Sgd::<f64, N>::new(0.5).step(&mut expected, &grads);
        if cfg!(target_feature = "fma") {
            // With FMA the fused step rounds `θ − (lr·dz)·x` once where the other
            // rounds `dz·x` first: equal to within an ulp or two, not bit for bit.
            for (a, b) in plain.iter().zip(&expected) {
                assert!(
                    (a - b).abs() <= 4.0 * f64::EPSILON * b.abs().max(1.0),
                    "{a} vs {b}"
                );
            }
        } else {
            assert_eq!(plain, expected);
        }
    }

    /// A 2 → 2 layer's gradients as products, `dz · input`, through each sink: the
    /// sum `Accumulate` adds, and the steps `Update` takes, must be those of the
    /// gradient handed over whole.
    #[test]
    fn products_take_the_step_of_their_gradient() {
        let params: [f32; 6] = [0.5, -0.25, 1.5, 2.0, 0.125, -1.0];
        let (x, dz) = ([0.3f32, -1.7], [0.9f32, -0.35]);
        let factors = [dz[0], dz[0], dz[1], dz[1], dz[0], dz[1]];
        let inputs = [x[0], x[1], x[0], x[1], 1.0, 1.0];
        let gradient: [f32; 6] = core::array::from_fn(|i| factors[i] * inputs[i]);

        let mut grads = [0.5f32; 6];
        Accumulate::new(&params, &mut grads).accept_products::<0, 6>(&factors, &inputs);
        assert_eq!(grads, gradient.map(|g| 0.5 + g));

        // Not plain SGD: the optimizer gets the gradient itself.
        let (mut fused, mut stepped) = (params, params);
        let (mut momentum, mut reference) = (
            Sgd::<f32, 6>::new(0.1).momentum(0.9),
            Sgd::<f32, 6>::new(0.1).momentum(0.9),
        );
        for _ in 0..2 {
            momentum.begin_step();
            Update::new(&mut fused, &mut momentum).accept_products::<0, 6>(&factors, &inputs);
            reference.step(&mut stepped, &gradient);
        }
        assert_eq!(fused, stepped);

        // Plain SGD folds the rate into the inputs: the same step up to rounding.
        let (mut fused, mut stepped) = (params, params);
        let mut sgd = Sgd::<f32, 6>::new(0.1);
        sgd.begin_step();
        Update::new(&mut fused, &mut sgd).accept_products::<0, 6>(&factors, &inputs);
        Sgd::<f32, 6>::new(0.1).step(&mut stepped, &gradient);
        for (a, b) in fused.iter().zip(&stepped) {
            assert!((a - b).abs() <= 2.0 * f32::EPSILON * b.abs(), "{a} vs {b}");
        }
        assert_ne!(fused, params);
    }
}
