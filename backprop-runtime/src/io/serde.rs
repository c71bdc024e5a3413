//! Serde support (feature `serde`): networks and optimizer states serialize and
//! deserialize, whatever their size.
//!
//! A network serializes as the sequence of its parameters in canonical order (in JSON,
//! one array of numbers); an optimizer as a struct of its settings and its state, each
//! state array a sequence. serde implements arrays only up to 32 elements, so the
//! arrays go through [`serialize_params`] and [`deserialize_params`], which take any
//! length and build boxed storage in place.

use core::fmt;
use core::marker::PhantomData;

use ::serde::de::{self, IgnoredAny, SeqAccess, Visitor};
use ::serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Scalar, Storage};

/// Serializes `params` as a sequence.
///
/// # Errors
/// The serializer's.
pub fn serialize_params<T, S>(params: &[T], serializer: S) -> Result<S::Ok, S::Error>
where
    T: Scalar + Serialize,
    S: Serializer,
{
    serializer.collect_seq(params)
}

/// Deserializes a sequence of exactly `N` scalars into storage `P`, filling it in place.
///
/// # Errors
/// The deserializer's, and a length error for a sequence of another length.
pub fn deserialize_params<'de, T, const N: usize, P, D>(deserializer: D) -> Result<P, D::Error>
where
    T: Scalar + Deserialize<'de>,
    P: Storage<T, N>,
    D: Deserializer<'de>,
{
    deserializer.deserialize_seq(Params::<T, N, P>(PhantomData))
}

/// The visitor of [`deserialize_params`].
struct Params<T, const N: usize, P>(PhantomData<(T, P)>);

impl<'de, T, const N: usize, P> Visitor<'de> for Params<T, N, P>
where
    T: Scalar + Deserialize<'de>,
    P: Storage<T, N>,
{
    type Value = P;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a sequence of {N} numbers")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<P, A::Error> {
        let mut params = P::zeroed();
        for (index, slot) in params.as_array_mut().iter_mut().enumerate() {
            match seq.next_element()? {
                Some(value) => *slot = value,
                None => return Err(de::Error::invalid_length(index, &self)),
            }
        }
        let mut extra = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            extra += 1;
        }
        if extra > 0 {
            return Err(de::Error::invalid_length(N + extra, &self));
        }
        Ok(params)
    }
}

/// [`serialize_params`] and [`deserialize_params`] as a `#[serde(with = "…")]` module,
/// for fields of type [`Storage`].
pub mod storage {
    use super::*;

    /// Serializes the storage's scalars as a sequence.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<T, const N: usize, P, S>(value: &P, serializer: S) -> Result<S::Ok, S::Error>
    where
        T: Scalar + Serialize,
        P: Storage<T, N>,
        S: Serializer,
    {
        serialize_params(value.as_array(), serializer)
    }

    /// Deserializes a sequence of `N` scalars into the storage.
    ///
    /// # Errors
    /// The deserializer's, and a length error.
    pub fn deserialize<'de, T, const N: usize, P, D>(deserializer: D) -> Result<P, D::Error>
    where
        T: Scalar + Deserialize<'de>,
        P: Storage<T, N>,
        D: Deserializer<'de>,
    {
        deserialize_params::<T, N, P, D>(deserializer)
    }
}
