//! The vocabulary of specs: every activation, loss and scalar type, one row each.
//!
//! Adding an activation is a row here plus its function pair in
//! `backprop_runtime::activation`; adding a scalar type, a row here plus an impl of
//! `backprop_runtime::Scalar`.

/// An activation function, applied unit by unit after a dense layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Identity,
    Relu,
    Sigmoid,
    Tanh,
}

/// Which value an activation's derivative is computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DerivativeOf {
    /// The pre-activation `z` (relu: `z > 0`).
    Input,
    /// The activation `a = f(z)` (sigmoid: `a(1 − a)`, tanh: `1 − a²`).
    Output,
}

/// How the weights of the layer ahead of an activation are initialized; mirrors
/// `backprop_runtime::init::Init`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    HeUniform,
    GlorotUniform,
}

/// Everything the compiler knows about one activation.
#[derive(Debug)]
pub struct ActivationRow {
    pub activation: Activation,
    /// The canonical spelling; `aliases` are accepted too.
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// The function in `::backprop::activation` that applies it and the one that
    /// gives its derivative, or `None` for the identity (`a = z`, `dz = da`).
    pub functions: Option<(&'static str, &'static str, DerivativeOf)>,
    /// Whether `::backprop::activation::exact` has an exact twin of the function, for
    /// `; math exact` (the activations built on `exp` or `tanh`).
    pub has_exact: bool,
    /// Whether unrolled code, one value at a time, calls the exact twin even under
    /// `; math fast`, because it is the faster one there: measured, the platform's
    /// scalar `expf` beats the fast `exp` (sigmoid), while its `tanhf` is slower than
    /// the fast `tanh`.
    pub exact_when_unrolled: bool,
    pub init: Init,
}

pub const ACTIVATIONS: &[ActivationRow] = &[
    ActivationRow {
        activation: Activation::Identity,
        name: "identity",
        aliases: &["linear"],
        functions: None,
        has_exact: false,
        exact_when_unrolled: false,
        init: Init::GlorotUniform,
    },
    ActivationRow {
        activation: Activation::Relu,
        name: "relu",
        aliases: &[],
        functions: Some(("relu", "relu_derivative", DerivativeOf::Input)),
        has_exact: false,
        exact_when_unrolled: false,
        init: Init::HeUniform,
    },
    ActivationRow {
        activation: Activation::Sigmoid,
        name: "sigmoid",
        aliases: &[],
        functions: Some(("sigmoid", "sigmoid_derivative", DerivativeOf::Output)),
        has_exact: true,
        exact_when_unrolled: true,
        init: Init::GlorotUniform,
    },
    ActivationRow {
        activation: Activation::Tanh,
        name: "tanh",
        aliases: &[],
        functions: Some(("tanh", "tanh_derivative", DerivativeOf::Output)),
        has_exact: true,
        exact_when_unrolled: false,
        init: Init::GlorotUniform,
    },
];

/// A loss function comparing the network's output `y` with a target `t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    Mse,
    HalfSse,
}

/// How a loss is computed, in terms codegen can write out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LossForm {
    /// `L = scale · Σⱼ (yⱼ − tⱼ)²`, so `∂L/∂yⱼ = 2 · scale · (yⱼ − tⱼ)`.
    SquaredError { scale: f64, mean: bool },
}

/// Everything the compiler knows about one loss.
#[derive(Debug)]
pub struct LossRow {
    pub loss: Loss,
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub form: LossForm,
}

pub const LOSSES: &[LossRow] = &[
    // Mean over outputs of (y − t)²: PyTorch's `MSELoss` and Keras's convention.
    LossRow {
        loss: Loss::Mse,
        name: "mse",
        aliases: &[],
        form: LossForm::SquaredError {
            scale: 1.0,
            mean: true,
        },
    },
    // ½·Σ(y − t)²: the textbook form, whose gradient is just y − t.
    LossRow {
        loss: Loss::HalfSse,
        name: "half_sse",
        aliases: &[],
        form: LossForm::SquaredError {
            scale: 0.5,
            mean: false,
        },
    },
];

/// The element type a network computes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarType {
    F32,
    F64,
}

/// Everything the compiler knows about one scalar type.
#[derive(Debug)]
pub struct ScalarRow {
    pub scalar: ScalarType,
    pub name: &'static str,
}

pub const SCALARS: &[ScalarRow] = &[
    ScalarRow {
        scalar: ScalarType::F32,
        name: "f32",
    },
    ScalarRow {
        scalar: ScalarType::F64,
        name: "f64",
    },
];

/// How the code generator writes the network's layers out (the `codegen` clause).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codegen {
    /// Each layer as the cost model in `plan` chooses: small layers unrolled, large
    /// ones as kernel calls. The default.
    Auto,
    /// Every layer unrolled into scalar statements, as far as that is practical.
    Unrolled,
    /// Every layer as calls to the runtime's kernels.
    Kernels,
}

/// Every accepted `codegen` value, in the order messages list them.
pub const CODEGENS: &[(&str, Codegen)] = &[
    ("auto", Codegen::Auto),
    ("unrolled", Codegen::Unrolled),
    ("kernels", Codegen::Kernels),
];

/// The codegen choice spelled `name`, if any.
pub fn codegen(name: &str) -> Option<Codegen> {
    CODEGENS.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// Every accepted `codegen` value.
pub fn codegen_names() -> Vec<&'static str> {
    CODEGENS.iter().map(|(name, _)| *name).collect()
}

/// Which `exp` and `tanh` activations use (the `math` clause).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Math {
    /// The fastest functions for each form, within a few ulp (the default): the
    /// runtime's vectorizable approximations in kernel layers, and in unrolled ones
    /// whichever is faster one value at a time (see `exact_when_unrolled`).
    Fast,
    /// The platform's or libm's functions.
    Exact,
}

/// Every accepted `math` value.
pub const MATHS: &[(&str, Math)] = &[("fast", Math::Fast), ("exact", Math::Exact)];

/// The math choice spelled `name`, if any.
pub fn math(name: &str) -> Option<Math> {
    MATHS.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
}

/// Every accepted `math` value.
pub fn math_names() -> Vec<&'static str> {
    MATHS.iter().map(|(name, _)| *name).collect()
}

/// The scalar type of a spec without a `scalar` clause.
pub const DEFAULT_SCALAR: ScalarType = ScalarType::F32;

impl Activation {
    pub fn row(self) -> &'static ActivationRow {
        let row = ACTIVATIONS.iter().find(|row| row.activation == self);
        row.expect("every activation has a row in ACTIVATIONS; qed")
    }
}

impl Loss {
    pub fn row(self) -> &'static LossRow {
        let row = LOSSES.iter().find(|row| row.loss == self);
        row.expect("every loss has a row in LOSSES; qed")
    }
}

impl ScalarType {
    pub fn row(self) -> &'static ScalarRow {
        let row = SCALARS.iter().find(|row| row.scalar == self);
        row.expect("every scalar type has a row in SCALARS; qed")
    }
}

/// The activation spelled `name`, if any.
pub fn activation(name: &str) -> Option<Activation> {
    ACTIVATIONS
        .iter()
        .find(|row| row.name == name || row.aliases.contains(&name))
        .map(|row| row.activation)
}

/// The loss spelled `name`, if any.
pub fn loss(name: &str) -> Option<Loss> {
    LOSSES
        .iter()
        .find(|row| row.name == name || row.aliases.contains(&name))
        .map(|row| row.loss)
}

/// The scalar type spelled `name`, if any.
pub fn scalar(name: &str) -> Option<ScalarType> {
    SCALARS
        .iter()
        .find(|row| row.name == name)
        .map(|row| row.scalar)
}

/// Every accepted spelling of an activation, for messages and suggestions.
pub fn activation_names() -> Vec<&'static str> {
    ACTIVATIONS
        .iter()
        .flat_map(|row| core::iter::once(row.name).chain(row.aliases.iter().copied()))
        .collect()
}

/// Every accepted spelling of a loss.
pub fn loss_names() -> Vec<&'static str> {
    LOSSES
        .iter()
        .flat_map(|row| core::iter::once(row.name).chain(row.aliases.iter().copied()))
        .collect()
}

/// Every accepted scalar type.
pub fn scalar_names() -> Vec<&'static str> {
    SCALARS.iter().map(|row| row.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_own_row() {
        for act in [
            Activation::Identity,
            Activation::Relu,
            Activation::Sigmoid,
            Activation::Tanh,
        ] {
            assert_eq!(act.row().activation, act);
            assert_eq!(activation(act.row().name), Some(act));
        }
        for loss_kind in [Loss::Mse, Loss::HalfSse] {
            assert_eq!(loss_kind.row().loss, loss_kind);
            assert_eq!(loss(loss_kind.row().name), Some(loss_kind));
        }
        for s in [ScalarType::F32, ScalarType::F64] {
            assert_eq!(s.row().scalar, s);
            assert_eq!(scalar(s.row().name), Some(s));
        }
    }

    #[test]
    fn aliases_resolve_and_unknown_names_do_not() {
        assert_eq!(activation("linear"), Some(Activation::Identity));
        assert_eq!(activation("rellu"), None);
        assert_eq!(loss("half_sse"), Some(Loss::HalfSse));
        assert_eq!(loss("MSE"), None);
        assert_eq!(scalar("f16"), None);
        assert_eq!(
            activation_names(),
            ["identity", "linear", "relu", "sigmoid", "tanh"]
        );
    }

    #[test]
    fn names_are_unique_across_rows() {
        let mut all = activation_names();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), activation_names().len());
    }
}
