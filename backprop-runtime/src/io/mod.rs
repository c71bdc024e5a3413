//! Weights in and out: the parameters as little-endian bytes (for flash on a
//! microcontroller, `no_std` without an allocator), as safetensors files named as
//! PyTorch names them (feature `std`), and through serde (feature `serde`).
//!
//! # Safetensors names
//!
//! A network `784 => relu 128 => softmax 10` is, in PyTorch, the `nn.Sequential` of
//! `Linear(784, 128)`, `ReLU()`, `Linear(128, 10)`, `Softmax()`: modules numbered from 0,
//! an activation module after each layer but an identity one. Its `state_dict` names
//! the parameters `0.weight` (shape `[128, 784]`: `[out, in]`, row-major, the same
//! layout as ours), `0.bias` (`[128]`), `2.weight`, `2.bias`. [`save_safetensors`] writes
//! exactly those names and shapes, in the network's scalar type (`F32` or `F64`), so
//! `model.load_state_dict(safetensors.torch.load_file(path))` reads them, and
//! [`load_safetensors`] reads files saved from such a model. Every tensor is checked
//! (name, shape, element type, nothing extra) before any parameter is written.

#[cfg(feature = "std")]
mod safetensors;
#[cfg(feature = "serde")]
pub mod serde;

#[cfg(feature = "std")]
pub use self::safetensors::{
    SafetensorsError, from_safetensors_bytes, load_safetensors, load_safetensors_into,
    save_safetensors, tensor_names, to_safetensors_bytes,
};

use crate::Scalar;

/// A byte buffer whose length is not the parameters' size in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BytesError {
    /// The bytes the parameters take: their count times the scalar's size.
    pub expected: usize,
    /// The bytes given.
    pub found: usize,
}

impl core::fmt::Display for BytesError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "expected {} bytes of parameters, found {}",
            self.expected, self.found
        )
    }
}

impl core::error::Error for BytesError {}

/// Writes `params` to `out` as consecutive little-endian values, the layout of the
/// parameter array on a little-endian machine. `out` must be exactly
/// `params.len() · T::BYTES` long; otherwise nothing is written.
///
/// # Errors
/// [`BytesError`] when `out` has another length.
pub fn write_le_bytes<T: Scalar>(params: &[T], out: &mut [u8]) -> Result<(), BytesError> {
    check_length::<T>(params.len(), out.len())?;
    for (value, out) in params.iter().zip(out.chunks_exact_mut(T::BYTES)) {
        value.write_le(out);
    }
    Ok(())
}

/// Reads `params` from `bytes` as written by [`write_le_bytes`]. `bytes` must be
/// exactly `params.len() · T::BYTES` long; otherwise `params` is left as it was.
///
/// # Errors
/// [`BytesError`] when `bytes` has another length.
pub fn read_le_bytes<T: Scalar>(bytes: &[u8], params: &mut [T]) -> Result<(), BytesError> {
    check_length::<T>(params.len(), bytes.len())?;
    for (value, bytes) in params.iter_mut().zip(bytes.chunks_exact(T::BYTES)) {
        if let Some(read) = T::read_le(bytes) {
            *value = read;
        }
    }
    Ok(())
}

fn check_length<T: Scalar>(count: usize, found: usize) -> Result<(), BytesError> {
    let expected = count.saturating_mul(T::BYTES);
    if found == expected {
        Ok(())
    } else {
        Err(BytesError { expected, found })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_and_wrong_lengths_change_nothing() {
        let params = [1.5f32, -2.0, 0.1];
        let mut bytes = [0u8; 12];
        write_le_bytes(&params, &mut bytes).unwrap();
        assert_eq!(&bytes[..4], &1.5f32.to_le_bytes());
        let mut back = [0.0f32; 3];
        read_le_bytes(&bytes, &mut back).unwrap();
        assert_eq!(back, params);
        let mut short = [7u8; 11];
        assert_eq!(
            write_le_bytes(&params, &mut short),
            Err(BytesError {
                expected: 12,
                found: 11
            })
        );
        assert_eq!(short, [7u8; 11]);
        assert!(read_le_bytes(&bytes[..8], &mut back).is_err());
        assert_eq!(back, params);
    }
}
