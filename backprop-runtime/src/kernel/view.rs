//! Borrowing one layer's parameters out of the flat parameter array.
//!
//! A network keeps its parameters in one `[T; N]` in canonical order: per layer the
//! weights row-major (`[outputs][inputs]`), then the biases. These functions hand out a
//! layer's part as typed arrays. The offsets and sizes are const generic parameters, so
//! the bounds are checked when the network compiles: a layout that does not fit the
//! array is a compile error, and the run-time code has no failure path left.

/// The `LEN` parameters starting at `OFFSET`, as an array reference.
///
/// ```
/// use backprop_runtime::kernel::segment;
/// let params = [1.0f32, 2.0, 3.0, 4.0, 5.0];
/// assert_eq!(segment::<1, 3, _, _>(&params), &[2.0, 3.0, 4.0]);
/// ```
#[inline(always)]
pub fn segment<const OFFSET: usize, const LEN: usize, T, const N: usize>(
    params: &[T; N],
) -> &[T; LEN] {
    const { assert!(OFFSET + LEN <= N, "segment out of the parameter array") };
    match params[OFFSET..].first_chunk::<LEN>() {
        Some(segment) => segment,
        None => unreachable!("OFFSET + LEN <= N is asserted at compile time; qed"),
    }
}

/// [`segment`], mutably.
#[inline(always)]
pub fn segment_mut<const OFFSET: usize, const LEN: usize, T, const N: usize>(
    params: &mut [T; N],
) -> &mut [T; LEN] {
    const { assert!(OFFSET + LEN <= N, "segment out of the parameter array") };
    match params[OFFSET..].first_chunk_mut::<LEN>() {
        Some(segment) => segment,
        None => unreachable!("OFFSET + LEN <= N is asserted at compile time; qed"),
    }
}

/// The weights (`[OUT][IN]`, row-major) and biases of a dense layer whose weights start
/// at `OFFSET` and whose biases follow them, as canonical order lays them out.
///
/// ```
/// use backprop_runtime::kernel::layer;
/// // a 2 → 1 layer after 1 unrelated parameter: w = [[2, 3]], b = [4]
/// let params = [9.0f32, 2.0, 3.0, 4.0];
/// let (w, b) = layer::<1, 2, 1, _, _>(&params);
/// assert_eq!((w, b), (&[[2.0, 3.0]], &[4.0]));
/// ```
#[inline(always)]
pub fn layer<const OFFSET: usize, const IN: usize, const OUT: usize, T, const N: usize>(
    params: &[T; N],
) -> (&[[T; IN]; OUT], &[T; OUT]) {
    const {
        assert!(
            IN > 0 && OUT > 0,
            "a layer has at least one input and one unit"
        )
    };
    const {
        assert!(
            OFFSET + IN * OUT + OUT <= N,
            "layer out of the parameter array"
        )
    };
    let (weights, rest) = params[OFFSET..].split_at(IN * OUT);
    let (rows, _) = weights.as_chunks::<IN>();
    match (rows.try_into(), rest.first_chunk::<OUT>()) {
        (Ok(weights), Some(biases)) => (weights, biases),
        _ => unreachable!("the layout is asserted at compile time; qed"),
    }
}

/// [`layer`], mutably: where the backward pass adds a layer's gradients.
#[inline(always)]
pub fn layer_mut<const OFFSET: usize, const IN: usize, const OUT: usize, T, const N: usize>(
    params: &mut [T; N],
) -> (&mut [[T; IN]; OUT], &mut [T; OUT]) {
    const {
        assert!(
            IN > 0 && OUT > 0,
            "a layer has at least one input and one unit"
        )
    };
    const {
        assert!(
            OFFSET + IN * OUT + OUT <= N,
            "layer out of the parameter array"
        )
    };
    let (weights, rest) = params[OFFSET..].split_at_mut(IN * OUT);
    let (rows, _) = weights.as_chunks_mut::<IN>();
    match (rows.try_into(), rest.first_chunk_mut::<OUT>()) {
        (Ok(weights), Some(biases)) => (weights, biases),
        _ => unreachable!("the layout is asserted at compile time; qed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_follow_canonical_order() {
        let mut params: [f64; 11] = core::array::from_fn(|i| i as f64);
        // a 2 → 3 layer at 0 (weights 0..6, biases 6..9), then two more parameters
        let (w, b) = layer::<0, 2, 3, _, _>(&params);
        assert_eq!(w, &[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]);
        assert_eq!(b, &[6.0, 7.0, 8.0]);
        assert_eq!(segment::<9, 2, _, _>(&params), &[9.0, 10.0]);
        let (w, b) = layer_mut::<8, 1, 1, _, _>(&mut params);
        w[0][0] = -1.0;
        b[0] = -2.0;
        assert_eq!(params[8..], [-1.0, -2.0, 10.0]);
    }
}
