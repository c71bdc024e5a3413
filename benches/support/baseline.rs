//! The hand-written baselines the benchmarks compare the generated code with: what a
//! careful engineer writes for an MLP without a library. Weights as `[[f32; IN]; OUT]`,
//! dot products over eight independent accumulators, the standard library's `exp` and
//! `tanh`, and plain SGD fused into the backward pass at batch 1.

/// An activation as the baselines apply it: the function and its derivative, given
/// the pre-activation `z` and the activation `a`.
pub trait Act {
    fn f(z: f32) -> f32;
    fn df(z: f32, a: f32) -> f32;
}

#[derive(Clone)]
pub struct Relu;
#[derive(Clone)]
pub struct Tanh;
#[derive(Clone)]
pub struct Sigmoid;

impl Act for Relu {
    fn f(z: f32) -> f32 {
        z.max(0.0)
    }
    fn df(z: f32, _: f32) -> f32 {
        if z > 0.0 { 1.0 } else { 0.0 }
    }
}

impl Act for Tanh {
    fn f(z: f32) -> f32 {
        z.tanh()
    }
    fn df(_: f32, a: f32) -> f32 {
        1.0 - a * a
    }
}

impl Act for Sigmoid {
    fn f(z: f32) -> f32 {
        1.0 / (1.0 + (-z).exp())
    }
    fn df(_: f32, a: f32) -> f32 {
        a * (1.0 - a)
    }
}

/// `Σ aᵢ·bᵢ` over eight independent accumulators.
#[inline(always)]
#[allow(clippy::needless_range_loop)]
fn dot<const N: usize>(a: &[f32; N], b: &[f32; N]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (a_chunks, a_tail) = a.as_chunks::<8>();
    let (b_chunks, b_tail) = b.as_chunks::<8>();
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut sum = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
    for (x, y) in a_tail.iter().zip(b_tail) {
        sum += x * y;
    }
    sum
}

/// One dense layer.
#[derive(Clone)]
pub struct Layer<const IN: usize, const OUT: usize> {
    pub w: [[f32; IN]; OUT],
    pub b: [f32; OUT],
}

impl<const IN: usize, const OUT: usize> Layer<IN, OUT> {
    /// The layer from `params` in canonical order (weights row-major, then biases);
    /// returns the rest.
    pub fn take(params: &[f32]) -> (Self, &[f32]) {
        let mut layer = Layer {
            w: [[0.0; IN]; OUT],
            b: [0.0; OUT],
        };
        let (weights, rest) = params.split_at(IN * OUT);
        for (row, chunk) in layer.w.iter_mut().zip(weights.chunks(IN)) {
            row.copy_from_slice(chunk);
        }
        let (biases, rest) = rest.split_at(OUT);
        layer.b.copy_from_slice(biases);
        (layer, rest)
    }

    pub fn zeros() -> Self {
        Layer {
            w: [[0.0; IN]; OUT],
            b: [0.0; OUT],
        }
    }

    #[inline]
    pub fn forward(&self, x: &[f32; IN]) -> [f32; OUT] {
        let mut z = self.b;
        for (z, row) in z.iter_mut().zip(&self.w) {
            *z += dot(row, x);
        }
        z
    }

    /// Returns `∂L/∂x` from the weights before the update, and updates in place.
    #[inline]
    pub fn backward_sgd(&mut self, x: &[f32; IN], dz: &[f32; OUT], lr: f32) -> [f32; IN] {
        let mut dx = [0.0; IN];
        for ((row, b), &d) in self.w.iter_mut().zip(&mut self.b).zip(dz) {
            for ((dx, w), &x) in dx.iter_mut().zip(row.iter_mut()).zip(x) {
                *dx += d * *w;
                *w -= lr * d * x;
            }
            *b -= lr * d;
        }
        dx
    }

    /// Updates in place, for a first layer whose input needs no gradient.
    #[inline]
    pub fn update_sgd(&mut self, x: &[f32; IN], dz: &[f32; OUT], lr: f32) {
        for ((row, b), &d) in self.w.iter_mut().zip(&mut self.b).zip(dz) {
            for (w, &x) in row.iter_mut().zip(x) {
                *w -= lr * d * x;
            }
            *b -= lr * d;
        }
    }

    /// Returns `∂L/∂x` and adds the parameter gradients into `grads`.
    #[inline]
    pub fn backward_into(&self, x: &[f32; IN], dz: &[f32; OUT], grads: &mut Self) -> [f32; IN] {
        let mut dx = [0.0; IN];
        for (((row, g_row), g_b), &d) in self.w.iter().zip(&mut grads.w).zip(&mut grads.b).zip(dz) {
            for (((dx, &w), g), &x) in dx.iter_mut().zip(row).zip(g_row.iter_mut()).zip(x) {
                *dx += d * w;
                *g += d * x;
            }
            *g_b += d;
        }
        dx
    }

    /// `θ ← θ − lr·g`.
    pub fn apply(&mut self, grads: &Self, lr: f32) {
        for (row, g_row) in self.w.iter_mut().zip(&grads.w) {
            for (w, g) in row.iter_mut().zip(g_row) {
                *w -= lr * g;
            }
        }
        for (b, g) in self.b.iter_mut().zip(&grads.b) {
            *b -= lr * g;
        }
    }
}

/// `f` applied to every element.
#[inline(always)]
pub fn activate<A: Act, const N: usize>(z: &[f32; N]) -> [f32; N] {
    let mut a = [0.0; N];
    for (a, &z) in a.iter_mut().zip(z) {
        *a = A::f(z);
    }
    a
}

/// `∂L/∂z` from `∂L/∂a`.
#[inline(always)]
pub fn through<A: Act, const N: usize>(da: &[f32; N], z: &[f32; N], a: &[f32; N]) -> [f32; N] {
    let mut dz = [0.0; N];
    for (((dz, &da), &z), &a) in dz.iter_mut().zip(da).zip(z).zip(a) {
        *dz = da * A::df(z, a);
    }
    dz
}

/// The mean squared error and its gradient `2(y − t)/N`.
#[inline(always)]
pub fn mse<const N: usize>(y: &[f32; N], t: &[f32; N]) -> (f32, [f32; N]) {
    let mut dy = [0.0; N];
    let mut loss = 0.0;
    for ((dy, &y), &t) in dy.iter_mut().zip(y).zip(t) {
        let e = y - t;
        loss += e * e;
        *dy = 2.0 * e / N as f32;
    }
    (loss / N as f32, dy)
}

/// How an output layer turns its pre-activation into the output, and the loss and
/// its gradient with respect to the pre-activation.
pub trait Head<const N: usize> {
    fn output(z: &[f32; N]) -> [f32; N];
    fn loss(z: &[f32; N], a: &[f32; N], t: &[f32; N]) -> (f32, [f32; N]);
}

/// Softmax and cross-entropy, fused as a careful engineer writes them: the loss by
/// log-sum-exp from the logits, the gradient `p − t`.
#[derive(Clone)]
pub struct SoftmaxCrossEntropy;

impl<const N: usize> Head<N> for SoftmaxCrossEntropy {
    #[inline(always)]
    fn output(z: &[f32; N]) -> [f32; N] {
        let max = z.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let mut p = [0.0; N];
        let mut sum = 0.0;
        for (p, &z) in p.iter_mut().zip(z) {
            *p = (z - max).exp();
            sum += *p;
        }
        for p in &mut p {
            *p /= sum;
        }
        p
    }

    #[inline(always)]
    fn loss(z: &[f32; N], p: &[f32; N], t: &[f32; N]) -> (f32, [f32; N]) {
        let max = z.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let lse = max + z.iter().map(|&v| (v - max).exp()).sum::<f32>().ln();
        let mut loss = 0.0;
        let mut total = 0.0;
        for (&z, &t) in z.iter().zip(t) {
            loss += t * (lse - z);
            total += t;
        }
        let mut dz = [0.0; N];
        for ((dz, &p), &t) in dz.iter_mut().zip(p).zip(t) {
            *dz = p * total - t;
        }
        (loss, dz)
    }
}

/// A two-layer MLP, `IN → A H → OUT` with the output layer and loss of `B` (a
/// [`Head`]).
#[derive(Clone)]
pub struct Mlp2<const IN: usize, const H: usize, const OUT: usize, A, B> {
    pub l1: Layer<IN, H>,
    pub l2: Layer<H, OUT>,
    pub acts: core::marker::PhantomData<(A, B)>,
}

impl<const IN: usize, const H: usize, const OUT: usize, A: Act, B: Head<OUT>>
    Mlp2<IN, H, OUT, A, B>
{
    pub fn from_params(params: &[f32]) -> Self {
        let (l1, rest) = Layer::take(params);
        let (l2, _) = Layer::take(rest);
        Mlp2 {
            l1,
            l2,
            acts: core::marker::PhantomData,
        }
    }

    pub fn forward(&self, x: &[f32; IN]) -> [f32; OUT] {
        let a1 = activate::<A, H>(&self.l1.forward(x));
        B::output(&self.l2.forward(&a1))
    }

    pub fn train_step(&mut self, x: &[f32; IN], t: &[f32; OUT], lr: f32) -> f32 {
        let z1 = self.l1.forward(x);
        let a1 = activate::<A, H>(&z1);
        let z2 = self.l2.forward(&a1);
        let a2 = B::output(&z2);
        let (loss, dz2) = B::loss(&z2, &a2, t);
        let da1 = self.l2.backward_sgd(&a1, &dz2, lr);
        let dz1 = through::<A, H>(&da1, &z1, &a1);
        self.l1.update_sgd(x, &dz1, lr);
        loss
    }

    /// One SGD step on the mean gradient of `batch`.
    pub fn train_batch(&mut self, batch: &[([f32; IN], [f32; OUT])], lr: f32) -> f32 {
        let (mut g1, mut g2) = (Layer::<IN, H>::zeros(), Layer::<H, OUT>::zeros());
        let mut total = 0.0;
        for (x, t) in batch {
            let z1 = self.l1.forward(x);
            let a1 = activate::<A, H>(&z1);
            let z2 = self.l2.forward(&a1);
            let a2 = B::output(&z2);
            let (loss, dz2) = B::loss(&z2, &a2, t);
            total += loss;
            let da1 = self.l2.backward_into(&a1, &dz2, &mut g2);
            let dz1 = through::<A, H>(&da1, &z1, &a1);
            self.l1.backward_into(x, &dz1, &mut g1);
        }
        let rate = lr / batch.len() as f32;
        self.l1.apply(&g1, rate);
        self.l2.apply(&g2, rate);
        total / batch.len() as f32
    }
}

/// A three-layer MLP, `IN → A H1 → B H2 → C OUT`, trained on the mean squared error.
#[derive(Clone)]
pub struct Mlp3<const IN: usize, const H1: usize, const H2: usize, const OUT: usize, A, B, C> {
    pub l1: Layer<IN, H1>,
    pub l2: Layer<H1, H2>,
    pub l3: Layer<H2, OUT>,
    pub acts: core::marker::PhantomData<(A, B, C)>,
}

impl<const IN: usize, const H1: usize, const H2: usize, const OUT: usize, A: Act, B: Act, C: Act>
    Mlp3<IN, H1, H2, OUT, A, B, C>
{
    pub fn from_params(params: &[f32]) -> Self {
        let (l1, rest) = Layer::take(params);
        let (l2, rest) = Layer::take(rest);
        let (l3, _) = Layer::take(rest);
        Mlp3 {
            l1,
            l2,
            l3,
            acts: core::marker::PhantomData,
        }
    }

    pub fn train_step(&mut self, x: &[f32; IN], t: &[f32; OUT], lr: f32) -> f32 {
        let z1 = self.l1.forward(x);
        let a1 = activate::<A, H1>(&z1);
        let z2 = self.l2.forward(&a1);
        let a2 = activate::<B, H2>(&z2);
        let z3 = self.l3.forward(&a2);
        let a3 = activate::<C, OUT>(&z3);
        let (loss, da3) = mse(&a3, t);
        let dz3 = through::<C, OUT>(&da3, &z3, &a3);
        let da2 = self.l3.backward_sgd(&a2, &dz3, lr);
        let dz2 = through::<B, H2>(&da2, &z2, &a2);
        let da1 = self.l2.backward_sgd(&a1, &dz2, lr);
        let dz1 = through::<A, H1>(&da1, &z1, &a1);
        self.l1.update_sgd(x, &dz1, lr);
        loss
    }
}
