//! Safetensors files with PyTorch's names (feature `std`).
//!
//! A network `784 => relu 128 => softmax 10` is, in PyTorch, the `nn.Sequential` of
//! `Linear(784, 128)`, `ReLU()`, `Linear(128, 10)`, `Softmax()`: modules numbered from 0,
//! an activation module after each layer but an identity one. Its `state_dict` names
//! the parameters `0.weight` (shape `[128, 784]`: `[out, in]`, row-major, the same
//! layout as ours), `0.bias` (`[128]`), `2.weight`, `2.bias`. The files written here use
//! exactly those names, shapes and the network's scalar type (`F32` or `F64`), so
//! `model.load_state_dict(safetensors.torch.load_file(path))` reads them, and files
//! saved from such a model load here.

use std::fmt;
use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;
use std::{format, vec};

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

use crate::{Layer, Network, Scalar};

/// Why a safetensors file could not be written or read into a network. Nothing is
/// loaded when any of these is returned.
#[derive(Debug)]
pub enum SafetensorsError {
    /// The file could not be read or written.
    Io(std::io::Error),
    /// The bytes are not a safetensors file.
    Format(safetensors::SafeTensorError),
    /// A tensor the network needs is not in the file.
    Missing {
        /// Its name, such as `2.weight`.
        name: String,
    },
    /// A tensor is in the file that the network has no place for.
    Unexpected {
        /// Its name.
        name: String,
    },
    /// A tensor has another shape than the network's.
    Shape {
        /// Its name.
        name: String,
        /// The network's shape for it.
        expected: Vec<usize>,
        /// The file's.
        found: Vec<usize>,
    },
    /// A tensor has another element type than the network's scalar.
    Dtype {
        /// Its name.
        name: String,
        /// The network's: `F32` or `F64`.
        expected: &'static str,
        /// The file's.
        found: String,
    },
}

impl fmt::Display for SafetensorsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SafetensorsError::Io(error) => write!(f, "cannot access the weights file: {error}"),
            SafetensorsError::Format(error) => write!(f, "not a safetensors file: {error}"),
            SafetensorsError::Missing { name } => {
                write!(f, "tensor `{name}` is missing from the file")
            }
            SafetensorsError::Unexpected { name } => write!(
                f,
                "tensor `{name}` is in the file but not in the network; is it another network's?"
            ),
            SafetensorsError::Shape {
                name,
                expected,
                found,
            } => write!(
                f,
                "tensor `{name}` has shape {found:?}; the network's is {expected:?}"
            ),
            SafetensorsError::Dtype {
                name,
                expected,
                found,
            } => write!(
                f,
                "tensor `{name}` holds {found}; the network's scalar is {expected}"
            ),
        }
    }
}

impl std::error::Error for SafetensorsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SafetensorsError::Io(error) => Some(error),
            SafetensorsError::Format(error) => Some(error),
            _ => None,
        }
    }
}

impl From<std::io::Error> for SafetensorsError {
    fn from(error: std::io::Error) -> Self {
        SafetensorsError::Io(error)
    }
}

impl From<safetensors::SafeTensorError> for SafetensorsError {
    fn from(error: safetensors::SafeTensorError) -> Self {
        SafetensorsError::Format(error)
    }
}

/// One tensor of the network: its name, shape and place in the parameter array.
struct Entry {
    name: String,
    shape: Vec<usize>,
    start: usize,
    len: usize,
}

/// The PyTorch `nn.Sequential` names of each layer's weight and bias, in order:
/// `("0.weight", "0.bias")`, then `"2.weight"` after an activation module, or
/// `"1.weight"` after an identity layer, which has none.
pub fn tensor_names(layers: &[Layer]) -> Vec<(String, String)> {
    let mut module = 0;
    let mut names = Vec::with_capacity(layers.len());
    for layer in layers {
        names.push((format!("{module}.weight"), format!("{module}.bias")));
        module += if layer.activation == "identity" { 1 } else { 2 };
    }
    names
}

fn entries(layers: &[Layer]) -> Vec<Entry> {
    let mut entries = Vec::with_capacity(2 * layers.len());
    for (layer, (weight, bias)) in layers.iter().zip(tensor_names(layers)) {
        entries.push(Entry {
            name: weight,
            shape: vec![layer.outputs, layer.inputs],
            start: layer.weights,
            len: layer.outputs * layer.inputs,
        });
        entries.push(Entry {
            name: bias,
            shape: vec![layer.outputs],
            start: layer.biases,
            len: layer.outputs,
        });
    }
    entries
}

fn dtype<T: Scalar>() -> Dtype {
    if T::DTYPE == "F64" {
        Dtype::F64
    } else {
        Dtype::F32
    }
}

/// The network's parameters as the bytes of a safetensors file.
///
/// # Errors
/// [`SafetensorsError::Format`] if the safetensors crate cannot lay the file out.
pub fn to_safetensors_bytes<N: Network>(net: &N) -> Result<Vec<u8>, SafetensorsError> {
    let params = net.params().as_ref();
    let entries = entries(N::layers());
    let mut buffers = Vec::with_capacity(entries.len());
    for entry in &entries {
        let values = params
            .get(entry.start..entry.start + entry.len)
            .unwrap_or(&[]);
        let mut bytes = vec![0u8; values.len() * N::Scalar::BYTES];
        super::write_le_bytes(values, &mut bytes).map_err(|_| missing(entry))?;
        buffers.push(bytes);
    }
    let mut views = Vec::with_capacity(entries.len());
    for (entry, bytes) in entries.iter().zip(&buffers) {
        let view = TensorView::new(dtype::<N::Scalar>(), entry.shape.clone(), bytes)?;
        views.push((entry.name.clone(), view));
    }
    Ok(safetensors::serialize(views, None)?)
}

fn missing(entry: &Entry) -> SafetensorsError {
    SafetensorsError::Missing {
        name: entry.name.clone(),
    }
}

/// Writes the network's parameters to `path` as a safetensors file with PyTorch's
/// names (see [`crate::io`]).
///
/// # Errors
/// [`SafetensorsError::Io`] if the file cannot be written.
pub fn save_safetensors<N: Network>(
    net: &N,
    path: impl AsRef<Path>,
) -> Result<(), SafetensorsError> {
    std::fs::write(path, to_safetensors_bytes(net)?)?;
    Ok(())
}

/// Reads a safetensors file's bytes into `net`'s parameters. Every tensor is checked
/// (names, shapes, element type, nothing extra) before any parameter is written.
///
/// # Errors
/// A [`SafetensorsError`] naming the tensor at fault; `net` is unchanged then.
pub fn from_safetensors_bytes<N: Network>(
    bytes: &[u8],
    net: &mut N,
) -> Result<(), SafetensorsError> {
    let file = SafeTensors::deserialize(bytes)?;
    let entries = entries(N::layers());
    if let Some(name) = file
        .names()
        .into_iter()
        .find(|name| !entries.iter().any(|e| e.name == **name))
    {
        return Err(SafetensorsError::Unexpected {
            name: name.to_string(),
        });
    }
    let mut views = Vec::with_capacity(entries.len());
    for entry in &entries {
        let view = file.tensor(&entry.name).map_err(|_| missing(entry))?;
        if view.dtype() != dtype::<N::Scalar>() {
            return Err(SafetensorsError::Dtype {
                name: entry.name.clone(),
                expected: N::Scalar::DTYPE,
                found: view.dtype().to_string(),
            });
        }
        if view.shape() != entry.shape.as_slice() {
            return Err(SafetensorsError::Shape {
                name: entry.name.clone(),
                expected: entry.shape.clone(),
                found: view.shape().to_vec(),
            });
        }
        views.push(view);
    }
    let params = net.params_mut().as_mut();
    for (entry, view) in entries.iter().zip(views) {
        if let Some(values) = params.get_mut(entry.start..entry.start + entry.len) {
            // Shape and dtype are checked, so the lengths agree.
            super::read_le_bytes(view.data(), values).map_err(|_| missing(entry))?;
        }
    }
    Ok(())
}

/// Reads the safetensors file at `path` into `net`, in place: for networks built with
/// `new_boxed`, whose parameters should not pass through the stack.
///
/// # Errors
/// A [`SafetensorsError`]; `net` is unchanged then.
pub fn load_safetensors_into<N: Network>(
    path: impl AsRef<Path>,
    net: &mut N,
) -> Result<(), SafetensorsError> {
    let bytes = std::fs::read(path)?;
    from_safetensors_bytes(&bytes, net)
}

/// A network with the parameters of the safetensors file at `path`. A boxed network
/// type (`Net<Boxed<f32, { Net::PARAMS }>>`, see [`crate::storage`]) is built on the
/// heap and filled there, so a network too big for the thread's stack loads too.
///
/// # Errors
/// A [`SafetensorsError`] naming what does not match.
pub fn load_safetensors<N: Network>(path: impl AsRef<Path>) -> Result<N, SafetensorsError> {
    // Built where its storage keeps it (in place on the heap, for a boxed network) and
    // then overwritten: `from_params` of an array of zeros would pass the whole array
    // through the stack, more than a thread's 2 MiB for a million parameters.
    let mut net = N::new(0);
    load_safetensors_into(path, &mut net)?;
    Ok(net)
}
