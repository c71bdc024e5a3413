//! The vocabulary of specs: every activation, loss and scalar type, one row each.
//!
//! Adding an activation is a row here plus its function pair in
//! `backprop_runtime::activation`; adding a scalar type, a row here plus an impl of
//! `backprop_runtime::Scalar`.

/// An activation function, applied unit by unit after a dense layer (softmax: over
/// the whole layer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Identity,
    Relu,
    LeakyRelu,
    Elu,
    Selu,
    Gelu,
    GeluTanh,
    Silu,
    Softplus,
    Softsign,
    HardSigmoid,
    HardTanh,
    Sigmoid,
    Tanh,
    Softmax,
}

/// An activation as a layer applies it: which one, and its parameter if it takes one
/// (the default filled in when the spec leaves it out).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ActivationFn {
    pub kind: Activation,
    pub param: Option<f64>,
}

/// Which value an activation's derivative is computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DerivativeOf {
    /// The pre-activation `z` (leaky_relu: `z > 0 ? 1 : slope`).
    Input,
    /// The activation `a = f(z)` (sigmoid: `a(1 − a)`, tanh: `1 − a²`).
    Output,
    /// A derivative of 1 or 0 by the pre-activation `z`, as a gate that takes the
    /// upstream gradient too and passes or stops it (relu: `relu_backward(da, z)`):
    /// a select where the others multiply, as PyTorch and JAX compute it.
    Gate,
}

/// How the weights of the layer ahead of an activation are initialized; mirrors
/// `backprop_runtime::init::Init`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    HeUniform,
    HeNormal,
    GlorotUniform,
    GlorotNormal,
    LecunNormal,
    Zeros,
}

/// Every accepted `init` value, with the runtime variant it names.
pub const INITS: &[(&str, Init, &str)] = &[
    ("he_uniform", Init::HeUniform, "HeUniform"),
    ("he_normal", Init::HeNormal, "HeNormal"),
    ("glorot_uniform", Init::GlorotUniform, "GlorotUniform"),
    ("glorot_normal", Init::GlorotNormal, "GlorotNormal"),
    ("lecun_normal", Init::LecunNormal, "LecunNormal"),
    ("zeros", Init::Zeros, "Zeros"),
];

impl Init {
    /// The name of the matching `backprop_runtime::init::Init` variant.
    pub fn variant(self) -> &'static str {
        INITS
            .iter()
            .find(|(_, init, _)| *init == self)
            .map_or("GlorotUniform", |(_, _, variant)| variant)
    }
}

/// The init scheme spelled `name`, if any.
pub fn init(name: &str) -> Option<Init> {
    INITS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, i, _)| *i)
}

/// Every accepted `init` value.
pub fn init_names() -> Vec<&'static str> {
    INITS.iter().map(|(name, _, _)| *name).collect()
}

/// A parameter an activation or loss takes, as in `leaky_relu(0.2)` or `huber(0.5)`.
#[derive(Debug)]
pub struct ParamRow {
    /// Its name in messages: `slope`, `α`, `δ`.
    pub name: &'static str,
    /// The value when the spec writes the bare name.
    pub default: f64,
    /// What values make sense.
    pub rule: ParamRule,
}

/// The values a parameter may take. NaN and infinities are never allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamRule {
    /// Any finite number.
    Finite,
    /// Zero or more.
    NonNegative,
    /// More than zero.
    Positive,
}

impl ParamRule {
    /// Whether `value` is allowed, and if not, what would be.
    pub fn check(self, value: f64) -> Result<(), &'static str> {
        let ok = value.is_finite()
            && match self {
                ParamRule::Finite => true,
                ParamRule::NonNegative => value >= 0.0,
                ParamRule::Positive => value > 0.0,
            };
        let what = match self {
            ParamRule::Finite => "a finite number",
            ParamRule::NonNegative => "a finite number, 0 or more",
            ParamRule::Positive => "a finite number greater than 0",
        };
        if ok { Ok(()) } else { Err(what) }
    }
}

/// Everything the compiler knows about one activation.
#[derive(Debug)]
pub struct ActivationRow {
    pub activation: Activation,
    /// The canonical spelling; `aliases` are accepted too.
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// The function in `::backprop::activation` that applies it and the one that
    /// gives its derivative, or `None` for the identity (`a = z`, `dz = da`) and for
    /// softmax, which acts on the whole layer (`::backprop::kernel::softmax`).
    pub functions: Option<(&'static str, &'static str, DerivativeOf)>,
    /// Whether `::backprop::activation::exact` has an exact twin of the function, for
    /// `; math exact` (the activations built on the fast `exp` or `tanh`).
    pub has_exact: bool,
    /// Whether unrolled code, one value at a time, calls the exact twin even under
    /// `; math fast`, because it is the faster one there: measured, the platform's
    /// scalar `expf` beats the fast `exp` (sigmoid), while its `tanhf` is slower than
    /// the fast `tanh`.
    pub exact_when_unrolled: bool,
    /// The init scheme of the layer ahead of it, unless the spec says otherwise.
    pub init: Init,
    /// Its parameter, passed after the value to both functions.
    pub param: Option<ParamRow>,
}

/// A row of [`ACTIVATIONS`] with the common defaults: no exact twin, no parameter.
const fn row(
    activation: Activation,
    name: &'static str,
    functions: Option<(&'static str, &'static str, DerivativeOf)>,
    init: Init,
) -> ActivationRow {
    ActivationRow {
        activation,
        name,
        aliases: &[],
        functions,
        has_exact: false,
        exact_when_unrolled: false,
        init,
        param: None,
    }
}

const fn of_input(
    function: &'static str,
    derivative: &'static str,
) -> Option<(&'static str, &'static str, DerivativeOf)> {
    Some((function, derivative, DerivativeOf::Input))
}

const fn gated(
    function: &'static str,
    gate: &'static str,
) -> Option<(&'static str, &'static str, DerivativeOf)> {
    Some((function, gate, DerivativeOf::Gate))
}

pub const ACTIVATIONS: &[ActivationRow] = &[
    ActivationRow {
        aliases: &["linear"],
        ..row(Activation::Identity, "identity", None, Init::GlorotUniform)
    },
    row(
        Activation::Relu,
        "relu",
        gated("relu", "relu_backward"),
        Init::HeUniform,
    ),
    ActivationRow {
        param: Some(ParamRow {
            name: "slope",
            default: 0.01,
            rule: ParamRule::Finite,
        }),
        ..row(
            Activation::LeakyRelu,
            "leaky_relu",
            of_input("leaky_relu", "leaky_relu_derivative"),
            Init::HeUniform,
        )
    },
    ActivationRow {
        param: Some(ParamRow {
            name: "α",
            default: 1.0,
            rule: ParamRule::NonNegative,
        }),
        ..row(
            Activation::Elu,
            "elu",
            of_input("elu", "elu_derivative"),
            Init::HeUniform,
        )
    },
    row(
        Activation::Selu,
        "selu",
        of_input("selu", "selu_derivative"),
        Init::LecunNormal,
    ),
    row(
        Activation::Gelu,
        "gelu",
        of_input("gelu", "gelu_derivative"),
        Init::HeUniform,
    ),
    ActivationRow {
        has_exact: true,
        ..row(
            Activation::GeluTanh,
            "gelu_tanh",
            of_input("gelu_tanh", "gelu_tanh_derivative"),
            Init::HeUniform,
        )
    },
    ActivationRow {
        aliases: &["swish"],
        has_exact: true,
        ..row(
            Activation::Silu,
            "silu",
            of_input("silu", "silu_derivative"),
            Init::HeUniform,
        )
    },
    row(
        Activation::Softplus,
        "softplus",
        of_input("softplus", "softplus_derivative"),
        Init::GlorotUniform,
    ),
    row(
        Activation::Softsign,
        "softsign",
        of_input("softsign", "softsign_derivative"),
        Init::GlorotUniform,
    ),
    row(
        Activation::HardSigmoid,
        "hard_sigmoid",
        of_input("hard_sigmoid", "hard_sigmoid_derivative"),
        Init::GlorotUniform,
    ),
    row(
        Activation::HardTanh,
        "hard_tanh",
        gated("hard_tanh", "hard_tanh_backward"),
        Init::GlorotUniform,
    ),
    ActivationRow {
        has_exact: true,
        exact_when_unrolled: true,
        ..row(
            Activation::Sigmoid,
            "sigmoid",
            Some(("sigmoid", "sigmoid_derivative", DerivativeOf::Output)),
            Init::GlorotUniform,
        )
    },
    ActivationRow {
        has_exact: true,
        ..row(
            Activation::Tanh,
            "tanh",
            Some(("tanh", "tanh_derivative", DerivativeOf::Output)),
            Init::GlorotUniform,
        )
    },
    row(Activation::Softmax, "softmax", None, Init::GlorotUniform),
];

/// A loss function comparing the network's output `y` with a target `t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    Mse,
    HalfSse,
    Mae,
    Huber,
    Bce,
    CrossEntropy,
}

/// A loss as a spec gives it: which one, and its parameter if it takes one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossFn {
    pub kind: Loss,
    pub param: Option<f64>,
}

/// How a loss is computed, in terms codegen can write out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LossForm {
    /// `L = scale · Σⱼ (yⱼ − tⱼ)²`, so `∂L/∂yⱼ = 2 · scale · (yⱼ − tⱼ)`.
    SquaredError { scale: f64, mean: bool },
    /// A call `::backprop::kernel::FUNCTION` returning the loss and its gradient (and
    /// `FUNCTION_rows` over a block). `fused` losses are made for the output
    /// activation named and take its input (the logits) and its output, and give
    /// the gradient with respect to the logits.
    Kernel {
        function: &'static str,
        fused: Option<Activation>,
    },
}

/// Everything the compiler knows about one loss.
#[derive(Debug)]
pub struct LossRow {
    pub loss: Loss,
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub form: LossForm,
    /// Its parameter, passed after the target.
    pub param: Option<ParamRow>,
    /// Its value for one sample of `N` outputs `y` and targets `t`, for docs.
    pub formula: &'static str,
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
        param: None,
        formula: "(1/N) Σ (yⱼ − tⱼ)²",
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
        param: None,
        formula: "½ Σ (yⱼ − tⱼ)²",
    },
    LossRow {
        loss: Loss::Mae,
        name: "mae",
        aliases: &["l1"],
        form: LossForm::Kernel {
            function: "mae",
            fused: None,
        },
        param: None,
        formula: "(1/N) Σ |yⱼ − tⱼ|",
    },
    LossRow {
        loss: Loss::Huber,
        name: "huber",
        aliases: &[],
        form: LossForm::Kernel {
            function: "huber",
            fused: None,
        },
        param: Some(ParamRow {
            name: "δ",
            default: 1.0,
            rule: ParamRule::Positive,
        }),
        formula: "(1/N) Σ hδ(yⱼ − tⱼ)",
    },
    LossRow {
        loss: Loss::Bce,
        name: "bce",
        aliases: &[],
        form: LossForm::Kernel {
            function: "bce_with_logits",
            fused: Some(Activation::Sigmoid),
        },
        param: None,
        formula: "(1/N) Σ −tⱼ ln yⱼ − (1 − tⱼ) ln(1 − yⱼ)",
    },
    LossRow {
        loss: Loss::CrossEntropy,
        name: "cross_entropy",
        aliases: &[],
        form: LossForm::Kernel {
            function: "cross_entropy_with_logits",
            fused: Some(Activation::Softmax),
        },
        param: None,
        formula: "−Σ tⱼ ln yⱼ",
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
    /// Bytes of one value.
    pub bytes: usize,
}

pub const SCALARS: &[ScalarRow] = &[
    ScalarRow {
        scalar: ScalarType::F32,
        name: "f32",
        bytes: 4,
    },
    ScalarRow {
        scalar: ScalarType::F64,
        name: "f64",
        bytes: 8,
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

impl ActivationFn {
    pub fn row(self) -> &'static ActivationRow {
        self.kind.row()
    }
}

impl Loss {
    pub fn row(self) -> &'static LossRow {
        let row = LOSSES.iter().find(|row| row.loss == self);
        row.expect("every loss has a row in LOSSES; qed")
    }
}

impl LossFn {
    /// The loss with no parameter, or its default one.
    pub fn default_of(kind: Loss) -> Self {
        let param = kind.row().param.as_ref().map(|p| p.default);
        LossFn { kind, param }
    }

    pub fn row(self) -> &'static LossRow {
        self.kind.row()
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
        for act in ACTIVATIONS.iter().map(|row| row.activation) {
            assert_eq!(act.row().activation, act);
            assert_eq!(activation(act.row().name), Some(act));
        }
        for loss_kind in LOSSES.iter().map(|row| row.loss) {
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
        assert_eq!(activation("swish"), Some(Activation::Silu));
        assert_eq!(loss("l1"), Some(Loss::Mae));
        assert_eq!(init("he_normal"), Some(Init::HeNormal));
        assert_eq!(Init::LecunNormal.variant(), "LecunNormal");
        assert_eq!(activation_names().len(), 17);
    }

    #[test]
    fn names_are_unique_across_rows() {
        let mut all = activation_names();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), activation_names().len());
    }
}
