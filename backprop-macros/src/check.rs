//! Stage 2, check: [`SpecAst`] → [`Spec`], resolving every name and width.
//!
//! Every meaning error is collected and reported together: two misspelled activations
//! and a missing loss are three errors in one compile, each at its own token.

use proc_macro2::Span;
use syn::LitInt;

use crate::error::{Errors, closest, expected};
use crate::names::{
    self, Activation, ActivationFn, Codegen, DEFAULT_SCALAR, Init, Loss, LossFn, LossForm, Math,
    ParamRow, ScalarType,
};
use crate::parse::{ArgsAst, ClauseAst, SpecAst};

/// A validated spec: known names, positive widths, a size the compiler can handle.
#[derive(Debug)]
pub struct Spec {
    pub input: Width,
    pub layers: Vec<LayerSpec>,
    pub loss: LossFn,
    /// Where the loss was named (the closing `>` when it is missing).
    pub loss_span: Span,
    pub scalar: ScalarType,
    /// How the layers are to be written out, and where that was said.
    pub codegen: (Codegen, Span),
    /// Which `exp` and `tanh` the activations use.
    pub math: Math,
    /// The init scheme for every layer, when the spec overrides the per-activation one.
    pub init: Option<Init>,
}

/// A width and the literal that gave it.
#[derive(Clone, Copy, Debug)]
pub struct Width {
    pub value: usize,
    pub span: Span,
}

/// One dense layer and the activation after it.
#[derive(Clone, Copy, Debug)]
pub struct LayerSpec {
    pub activation: ActivationFn,
    pub activation_span: Span,
    pub width: Width,
}

/// Resolves `ast`, or reports every problem in it.
pub fn check(ast: &SpecAst) -> syn::Result<Spec> {
    let (spec, errors) = resolve(ast);
    errors.finish(spec)
}

/// A spec as close to `ast` as can be compiled, for a spec with errors: every name and
/// width that resolved is kept, and each one that did not is replaced by a harmless
/// stand-in (identity, one unit, `mse`). Generated next to the errors, it gives code
/// that uses the network the types and methods it expects, so that the spec's own
/// errors are the only ones reported.
pub fn fallback(ast: &SpecAst) -> Spec {
    let (mut spec, _) = resolve(ast);
    let mut size = Errors::default();
    check_size(spec.input, &spec.layers, &mut size);
    if size.finish(()).is_err() {
        for layer in &mut spec.layers {
            layer.width.value = 1;
        }
        spec.input.value = 1;
    }
    // Kernel calls build fastest, whatever the size.
    spec.codegen.0 = Codegen::Kernels;
    spec
}

/// `ast` resolved with stand-ins for whatever is wrong, and the errors found.
fn resolve(ast: &SpecAst) -> (Spec, Errors) {
    let mut errors = Errors::default();
    let input = width(
        &ast.input,
        "the input width",
        "a network needs at least one input",
        &mut errors,
    );
    let layers: Vec<LayerSpec> = ast
        .layers
        .iter()
        .map(|layer| {
            let name = layer.activation.to_string();
            let kind = names::activation(&name).unwrap_or_else(|| {
                let hint = expected(&name, &names::activation_names());
                errors.push(
                    layer.activation.span(),
                    format!("unknown activation '{name}'; {hint}"),
                );
                Activation::Identity
            });
            let param = param(
                &name,
                kind.row().param.as_ref(),
                layer.args.as_ref(),
                &mut errors,
            );
            let activation = ActivationFn { kind, param };
            let what = format!("the width of the `{name}` layer");
            let width = width(
                &layer.width,
                &what,
                "a layer needs at least one unit",
                &mut errors,
            );
            LayerSpec {
                activation,
                activation_span: layer.activation.span(),
                width,
            }
        })
        .collect();
    check_size(input, &layers, &mut errors);
    let clauses = Clauses::resolve(&ast.clauses, &mut errors);
    let (loss, loss_span) = clauses.loss.unwrap_or_else(|| {
        // The loss made for the output layer, if there is one.
        let suggestion = match layers.last().map(|layer| layer.activation.kind) {
            Some(Activation::Softmax) => "cross_entropy",
            Some(Activation::Sigmoid) => "bce",
            _ => "mse",
        };
        errors.push(
            ast.close,
            format!(
                "missing loss: add `; loss {suggestion}` before this `>` (the losses are {})",
                names::loss_names().join(", ")
            ),
        );
        (LossFn::default_of(Loss::Mse), ast.close)
    });
    check_output(&layers, loss, loss_span, &mut errors);
    let scalar = clauses.scalar.unwrap_or(DEFAULT_SCALAR);
    let codegen = clauses.codegen.unwrap_or((Codegen::Auto, ast.close));
    let math = clauses.math.unwrap_or(Math::Fast);
    let init = clauses.init;
    let spec = Spec {
        input,
        layers,
        loss,
        loss_span,
        scalar,
        codegen,
        math,
        init,
    };
    (spec, errors)
}

/// The value of an activation's or loss's parameter: the one written, checked, or the
/// default. `name` is the activation or loss as written.
pub(crate) fn param(
    name: &str,
    row: Option<&ParamRow>,
    args: Option<&ArgsAst>,
    errors: &mut Errors,
) -> Option<f64> {
    let Some(row) = row else {
        if let Some(args) = args {
            errors.push(
                args.span,
                format!("`{name}` takes no parameter; write `{name}` alone"),
            );
        }
        return None;
    };
    let Some(args) = args else {
        return Some(row.default);
    };
    let [arg] = &args.values[..] else {
        errors.push(
            args.span,
            format!(
                "`{name}` takes one parameter, {}: write `{name}({})`, or `{name}` for that default",
                row.name, row.default
            ),
        );
        return Some(row.default);
    };
    if let Err(what) = row.rule.check(arg.value) {
        errors.push(
            arg.span,
            format!("`{name}`'s {} must be {what}, not {}", row.name, arg.value),
        );
        return Some(row.default);
    }
    Some(arg.value)
}

/// Checks that softmax only ends the network and that the loss fits the output layer.
fn check_output(layers: &[LayerSpec], loss: LossFn, loss_span: Span, errors: &mut Errors) {
    let (last, hidden) = match layers.split_last() {
        Some(split) => split,
        None => return,
    };
    for layer in hidden {
        if layer.activation.kind == Activation::Softmax {
            errors.push(
                layer.activation_span,
                "`softmax` is for the output layer only: it makes the layer's values a \
                 distribution over classes; use another activation here",
            );
        }
    }
    let row = loss.row();
    if let LossForm::Kernel {
        fused: Some(needed),
        ..
    } = row.form
    {
        let output = last.activation.kind;
        if output != needed {
            errors.push(
                loss_span,
                format!(
                    "`{}` needs a `{}` output layer, which it is computed with from the \
                     logits; the last layer is `{}`: write `=> {} {}` last, or choose a \
                     loss for `{}` outputs such as `mse`",
                    row.name,
                    needed.row().name,
                    output.row().name,
                    needed.row().name,
                    last.width.value,
                    output.row().name,
                ),
            );
        }
    }
}

/// A width literal's value: a plain, positive integer that fits in `usize`. `what`
/// names the width in messages, `why_positive` says why 0 is wrong.
fn width(lit: &LitInt, what: &str, why_positive: &str, errors: &mut Errors) -> Width {
    let span = lit.span();
    let value = if !lit.suffix().is_empty() {
        let digits = lit.base10_digits();
        errors.push(
            span,
            format!("write {what} without a type suffix: `{digits}`, not `{lit}`"),
        );
        1
    } else {
        match lit.base10_parse::<usize>() {
            Ok(0) => {
                errors.push(span, format!("{what} is 0; {why_positive}"));
                1
            }
            Ok(value) => value,
            Err(_) => {
                errors.push(span, format!("{what} is too large: {lit} units"));
                1
            }
        }
    };
    Width { value, span }
}

/// The most bytes a network's parameter array may take: an array must fit in
/// `isize::MAX` bytes, with room for the 8-byte `f64`.
const MAX_PARAM_BYTES: usize = isize::MAX as usize;

/// Reports, at the first width that crosses it, a network whose parameters could not
/// be held in memory. There is no other limit on size: large layers become loops.
fn check_size(input: Width, layers: &[LayerSpec], errors: &mut Errors) {
    let mut fan_in = input.value;
    let mut total: usize = 0;
    for layer in layers {
        let outputs = layer.width.value;
        let params = fan_in
            .checked_mul(outputs)
            .and_then(|w| w.checked_add(outputs));
        match params.and_then(|p| total.checked_add(p)) {
            Some(sum) if sum.saturating_mul(8) <= MAX_PARAM_BYTES => total = sum,
            _ => {
                errors.push(
                    layer.width.span,
                    "network too large: with this layer its parameters no longer fit in memory",
                );
                return;
            }
        }
        fan_in = outputs;
    }
}

/// The `; keyword value` clauses, each given at most once.
#[derive(Default)]
pub(crate) struct Clauses {
    pub(crate) loss: Option<(LossFn, Span)>,
    pub(crate) scalar: Option<ScalarType>,
    pub(crate) codegen: Option<(Codegen, Span)>,
    pub(crate) math: Option<Math>,
    pub(crate) init: Option<Init>,
}

impl Clauses {
    const KEYWORDS: &'static [&'static str] = crate::parse::CLAUSES;

    pub(crate) fn resolve(clauses: &[ClauseAst], errors: &mut Errors) -> Clauses {
        let mut resolved = Clauses::default();
        let mut seen: Vec<String> = Vec::new();
        for clause in clauses {
            let keyword = clause.keyword.to_string();
            if seen.contains(&keyword) {
                errors.push(
                    clause.keyword.span(),
                    format!("`{keyword}` is given twice; keep one"),
                );
                continue;
            }
            seen.push(keyword.clone());
            let value = clause.value.to_string();
            let span = clause.value.span();
            if keyword != "loss"
                && let Some(args) = &clause.args
            {
                errors.push(
                    args.span,
                    format!("`{keyword} {value}` takes no parameter; write `; {keyword} {value}`"),
                );
            }
            match keyword.as_str() {
                "loss" => match names::loss(&value) {
                    Some(kind) => {
                        let row = kind.row().param.as_ref();
                        let param = param(&value, row, clause.args.as_ref(), errors);
                        resolved.loss = Some((LossFn { kind, param }, span));
                    }
                    None => {
                        let hint = expected(&value, &names::loss_names());
                        errors.push(span, format!("unknown loss '{value}'; {hint}"));
                        resolved.loss = Some((LossFn::default_of(Loss::Mse), span));
                    }
                },
                "init" => match names::init(&value) {
                    Some(init) => resolved.init = Some(init),
                    None => {
                        let hint = expected(&value, &names::init_names());
                        errors.push(span, format!("unknown init '{value}'; {hint}"));
                    }
                },
                "scalar" => match names::scalar(&value) {
                    Some(scalar) => resolved.scalar = Some(scalar),
                    None => {
                        let hint = expected(&value, &names::scalar_names());
                        errors.push(span, format!("unsupported scalar type '{value}'; {hint}"));
                    }
                },
                "codegen" => match names::codegen(&value) {
                    Some(codegen) => resolved.codegen = Some((codegen, span)),
                    None => {
                        let hint = expected(&value, &names::codegen_names());
                        errors.push(span, format!("unknown codegen '{value}'; {hint}"));
                    }
                },
                "math" => match names::math(&value) {
                    Some(math) => resolved.math = Some(math),
                    None => {
                        let hint = expected(&value, &names::math_names());
                        errors.push(span, format!("unknown math '{value}'; {hint}"));
                    }
                },
                _ => {
                    let hint = expected(&keyword, Self::KEYWORDS);
                    errors.push(
                        clause.keyword.span(),
                        format!("unknown clause '{keyword}'; {hint}"),
                    );
                    // A misspelled `loss` is the loss: fixing it must not leave a second
                    // error about a missing one.
                    if closest(&keyword, Self::KEYWORDS) == Some("loss") {
                        resolved
                            .loss
                            .get_or_insert((LossFn::default_of(Loss::Mse), span));
                    }
                }
            }
        }
        resolved
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn check_tokens(tokens: proc_macro2::TokenStream) -> syn::Result<Spec> {
        check(&syn::parse2(tokens).unwrap())
    }

    fn messages(tokens: proc_macro2::TokenStream) -> Vec<String> {
        let error = check_tokens(tokens).unwrap_err();
        error.into_iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn resolves_a_valid_spec() {
        let spec =
            check_tokens(quote!(X<2 => relu 4 => linear 1; loss half_sse; scalar f64>)).unwrap();
        assert_eq!(spec.input.value, 2);
        let layers: Vec<_> = spec
            .layers
            .iter()
            .map(|l| (l.activation.kind, l.width.value))
            .collect();
        assert_eq!(layers, [(Activation::Relu, 4), (Activation::Identity, 1)]);
        assert_eq!(spec.loss.kind, Loss::HalfSse);
        assert_eq!(spec.scalar, ScalarType::F64);
        let default = check_tokens(quote!(X<1 => sigmoid 1; loss mse>)).unwrap();
        assert_eq!(default.scalar, ScalarType::F32);
    }

    #[test]
    fn reports_every_error_at_once() {
        let all = messages(quote!(X<0 => rellu 2 => sigmod 0; lose mse; scalar f16>));
        assert_eq!(
            all,
            [
                "the input width is 0; a network needs at least one input",
                "unknown activation 'rellu'; did you mean 'relu'?",
                "unknown activation 'sigmod'; did you mean 'sigmoid'?",
                "the width of the `sigmod` layer is 0; a layer needs at least one unit",
                "unknown clause 'lose'; did you mean 'loss'?",
                "unsupported scalar type 'f16'; expected one of: f32, f64",
            ]
        );
    }

    #[test]
    fn rejects_suffixes_huge_widths_and_repeats() {
        let all = messages(quote!(X<2u8 => relu 99999999999999999999999 ; loss mse; loss mse>));
        assert_eq!(
            all[0],
            "write the input width without a type suffix: `2`, not `2u8`"
        );
        assert!(all[1].starts_with("the width of the `relu` layer is too large"));
        assert_eq!(all[2], "`loss` is given twice; keep one");
        assert_eq!(
            messages(quote!(X<2 => relu 1; loss foo>)),
            [
                "unknown loss 'foo'; expected one of: mse, half_sse, mae, l1, huber, bce, \
                 cross_entropy"
            ]
        );
    }

    #[test]
    fn a_missing_loss_is_reported_unless_a_clause_looks_like_it() {
        let missing = messages(quote!(X<2 => relu 1; scalar f64>));
        assert_eq!(
            missing,
            [
                "missing loss: add `; loss mse` before this `>` (the losses are mse, half_sse, \
                 mae, l1, huber, bce, cross_entropy)"
            ]
        );
        let classifier = messages(quote!(X<2 => relu 4 => softmax 3>));
        assert!(classifier[0].starts_with("missing loss: add `; loss cross_entropy`"));
        let misspelled = messages(quote!(X<2 => relu 1; los mse>));
        assert_eq!(misspelled, ["unknown clause 'los'; did you mean 'loss'?"]);
        let unrelated = messages(quote!(X<2 => relu 1; optimizer adam>));
        assert_eq!(unrelated.len(), 2);
    }

    #[test]
    fn sizes_are_unlimited_until_memory_runs_out() {
        let big = check_tokens(quote!(X<1024 => relu 1024 => relu 1024; loss mse>));
        assert!(big.is_ok());
        let huge = messages(quote!(X<4294967296 => relu 4294967296; loss mse>));
        assert_eq!(
            huge,
            ["network too large: with this layer its parameters no longer fit in memory"]
        );
        let overflow =
            messages(quote!(X<18446744073709551615 => relu 18446744073709551615; loss mse>));
        assert_eq!(overflow.len(), 1);
    }

    #[test]
    fn resolves_parameters_with_defaults_and_rules() {
        let spec = check_tokens(
            quote!(X<2 => leaky_relu(0.2) 3 => elu 3 => elu(0.5) 2; loss huber(0.25)>),
        )
        .unwrap();
        let params: Vec<_> = spec.layers.iter().map(|l| l.activation.param).collect();
        assert_eq!(params, [Some(0.2), Some(1.0), Some(0.5)]);
        assert_eq!(spec.loss.param, Some(0.25));
        assert_eq!(
            messages(quote!(X<2 => elu(-1.0) 3 => relu(2) 1; loss huber(0, 1)>)),
            [
                "`elu`'s α must be a finite number, 0 or more, not -1",
                "`relu` takes no parameter; write `relu` alone",
                "`huber` takes one parameter, δ: write `huber(1)`, or `huber` for that default",
            ]
        );
        assert_eq!(
            messages(quote!(X<2 => leaky_relu(nan) 3; loss huber(0)>)),
            [
                "`leaky_relu`'s slope must be a finite number, not NaN",
                "`huber`'s δ must be a finite number greater than 0, not 0",
            ]
        );
    }

    #[test]
    fn losses_must_fit_the_output_layer() {
        assert!(check_tokens(quote!(X<2 => relu 4 => softmax 3; loss cross_entropy>)).is_ok());
        assert!(check_tokens(quote!(X<2 => relu 4 => sigmoid 1; loss bce>)).is_ok());
        assert!(check_tokens(quote!(X<2 => relu 4 => softmax 3; loss mse>)).is_ok());
        assert_eq!(
            messages(quote!(X<2 => relu 4 => identity 3; loss cross_entropy>)),
            [
                "`cross_entropy` needs a `softmax` output layer, which it is computed with \
                 from the logits; the last layer is `identity`: write `=> softmax 3` last, \
                 or choose a loss for `identity` outputs such as `mse`"
            ]
        );
        assert!(
            messages(quote!(X<2 => tanh 4 => tanh 1; loss bce>))[0]
                .starts_with("`bce` needs a `sigmoid` output layer")
        );
        assert!(
            messages(quote!(X<2 => softmax 4 => sigmoid 1; loss mse>))[0]
                .starts_with("`softmax` is for the output layer only")
        );
    }

    #[test]
    fn resolves_the_init_clause() {
        let spec = check_tokens(quote!(X<2 => relu 1; loss mse; init lecun_normal>)).unwrap();
        assert_eq!(spec.init, Some(Init::LecunNormal));
        assert_eq!(
            messages(quote!(X<2 => relu 1; loss mse; init he>)),
            [
                "unknown init 'he'; expected one of: he_uniform, he_normal, glorot_uniform, \
              glorot_normal, lecun_normal, zeros"
            ]
        );
    }

    #[test]
    fn resolves_the_codegen_clause() {
        let spec = check_tokens(quote!(X<2 => relu 1; loss mse; codegen kernels>)).unwrap();
        assert_eq!(spec.codegen.0, Codegen::Kernels);
        let default = check_tokens(quote!(X<2 => relu 1; loss mse>)).unwrap();
        assert_eq!(default.codegen.0, Codegen::Auto);
        assert_eq!(
            messages(quote!(X<2 => relu 1; loss mse; codegen unroled>)),
            ["unknown codegen 'unroled'; did you mean 'unrolled'?"]
        );
        let exact = check_tokens(quote!(X<2 => tanh 1; loss mse; math exact>)).unwrap();
        assert_eq!((exact.math, default.math), (Math::Exact, Math::Fast));
        assert_eq!(
            messages(quote!(X<2 => relu 1; loss mse; math exakt>)),
            ["unknown math 'exakt'; did you mean 'exact'?"]
        );
    }
}
