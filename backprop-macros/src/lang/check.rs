//! The graph language's meaning: [`GraphAst`] → [`GraphSpec`], every name, width and
//! loss resolved, every error collected and reported at its token.
//!
//! Values are defined before they are used, so the definition order is a topological
//! order and a value that names itself (or one defined later) is the only way to write
//! a cycle; both are reported as such.

use std::collections::HashMap;

use proc_macro2::Span;
use syn::Ident;

use super::parse::{CallAst, ExprAst, GraphAst, ItemAst, OpArg, TermAst};
use crate::check::{Clauses, param};
use crate::error::{Errors, expected};
use crate::names::{
    self, Activation, ActivationFn, Codegen, DEFAULT_SCALAR, Init, LossFn, LossForm, Math,
    ScalarType,
};
use crate::parse::ClauseAst;

/// A checked graph network.
#[derive(Debug)]
pub struct GraphSpec {
    pub inputs: Vec<InputSpec>,
    /// In definition order, which is a topological order.
    pub values: Vec<ValueSpec>,
    pub losses: Vec<LossTerm>,
    pub scalar: ScalarType,
    pub math: Math,
    pub init: Option<Init>,
    /// How dense layers are written out, and where that was said.
    pub codegen: (Codegen, Span),
}

/// `input NAME[WIDTH]`.
#[derive(Debug)]
pub struct InputSpec {
    pub name: String,
    pub width: usize,
    pub span: Span,
}

/// Where an op's argument comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Input(usize),
    Value(usize),
}

/// What a value's call computes, before its piped activations.
#[derive(Clone, Debug, PartialEq)]
pub enum GraphOp {
    /// `dense(x, units)`, its own weights or (`shared = NAME`) those of the dense value
    /// `NAME`.
    Dense {
        units: usize,
        shared: Option<usize>,
    },
    Add,
    Sub,
    /// Elementwise product.
    Mul,
    /// Times a constant.
    Scale(f64),
    Concat,
    /// Elements `start..end`.
    Slice {
        start: usize,
        end: usize,
    },
    /// The value forward, no gradient backward.
    StopGradient,
    /// An activation called as an op: `tanh(z)`.
    Activation(ActivationFn),
    /// The value itself, renamed.
    Alias,
}

/// `NAME = CALL |> ACTIVATION ...`.
#[derive(Debug)]
pub struct ValueSpec {
    pub name: String,
    pub span: Span,
    pub op: GraphOp,
    pub args: Vec<Source>,
    /// Applied after the op, in order; `stop_gradient` may be piped too.
    pub then: Vec<GraphOp>,
    pub width: usize,
}

/// `WEIGHT * LOSS(VALUE)`.
#[derive(Debug)]
pub struct LossTerm {
    pub weight: f64,
    pub loss: LossFn,
    pub value: usize,
    /// The loss's name, for errors.
    pub span: Span,
}

/// The ops a call may name, besides the activations.
pub(crate) const OPS: &[&str] = &[
    "dense",
    "add",
    "sub",
    "mul",
    "scale",
    "concat",
    "slice",
    "stop_gradient",
];

/// Resolves `ast`, or reports every problem in it.
pub fn check(ast: &GraphAst) -> syn::Result<GraphSpec> {
    let everywhere = ast
        .items
        .iter()
        .filter_map(|item| match item {
            ItemAst::Input { name, .. } | ItemAst::Value { name, .. } => Some(name.to_string()),
            _ => None,
        })
        .collect();
    let mut checker = Checker {
        everywhere,
        ..Checker::default()
    };
    let mut clauses: Vec<ClauseAst> = Vec::new();
    let mut loss_items = Vec::new();
    for item in &ast.items {
        match item {
            ItemAst::Input { name, width } => checker.input(name, width),
            ItemAst::Value { name, expr } => checker.value(name, &expr.call, &expr.activations),
            ItemAst::Loss { keyword, terms } => loss_items.push((*keyword, terms)),
            ItemAst::Clause(clause) => clauses.push(ClauseAst {
                keyword: clause.keyword.clone(),
                value: clause.value.clone(),
                args: None,
            }),
        }
    }
    let resolved = Clauses::resolve(&clauses, &mut checker.errors);
    if let Some((Codegen::Unrolled, span)) = resolved.codegen {
        checker.errors.push(
            span,
            "`graph!` writes out small dense layers and calls kernels for the rest, one call \
             per op; `codegen unrolled` is for `mlp!` chains (`codegen kernels` makes every \
             dense layer a kernel call)",
        );
    }
    match &loss_items[..] {
        [] => checker.errors.push(
            ast.close,
            "missing loss: add `loss mse(y);` for an output `y` before this `>`",
        ),
        [(_, terms)] => checker.losses(terms),
        [_, (second, _), ..] => checker.errors.push(
            *second,
            "the loss is given twice; write one `loss` with its terms added: \
             `loss cross_entropy(pi) + 0.5 * mse(v);`",
        ),
    }
    // Whether a value is used is a question about the whole graph: asked once every
    // name and loss resolved, so that one misspelling does not make its value "unused".
    if checker.errors.is_empty() {
        checker.unused();
    }
    let Checker {
        inputs,
        values,
        losses,
        errors,
        ..
    } = checker;
    errors.finish(GraphSpec {
        inputs,
        values,
        losses,
        scalar: resolved.scalar.unwrap_or(DEFAULT_SCALAR),
        math: resolved.math.unwrap_or(Math::Fast),
        init: resolved.init,
        codegen: resolved.codegen.unwrap_or((Codegen::Auto, ast.close)),
    })
}

#[derive(Default)]
struct Checker {
    inputs: Vec<InputSpec>,
    values: Vec<ValueSpec>,
    losses: Vec<LossTerm>,
    /// Every name defined so far.
    defined: HashMap<String, Source>,
    /// Every name the whole graph defines, to tell "used before it is defined" from
    /// "unknown".
    used: Vec<bool>,
    /// Every name the graph defines, anywhere.
    everywhere: Vec<String>,
    /// The values being defined, outermost first: a nested call inside one of them
    /// that names it is a cycle.
    defining: Vec<String>,
    errors: Errors,
}

impl Checker {
    fn input(&mut self, name: &Ident, width: &syn::LitInt) {
        let value = match width.base10_parse::<usize>() {
            Ok(0) | Err(_) => {
                self.errors.push(
                    width.span(),
                    format!("the width of input `{name}` must be a positive whole number"),
                );
                1
            }
            Ok(value) => value,
        };
        if self.define(name, Source::Input(self.inputs.len())) {
            self.inputs.push(InputSpec {
                name: name.to_string(),
                width: value,
                span: name.span(),
            });
        }
    }

    /// Records `name`; false (and an error) if it is taken, reserved, or would read
    /// as one of the generated code's names for another value.
    fn define(&mut self, name: &Ident, source: Source) -> bool {
        let key = name.to_string();
        if key.starts_with("r#") {
            self.errors.push(
                name.span(),
                format!("`{key}`: a raw identifier cannot name a value; give it a plain name"),
            );
            return false;
        }
        if is_keyword(&key) {
            self.errors.push(
                name.span(),
                format!("`{key}` is a Rust keyword, which cannot name a local; give this value another name"),
            );
        } else if matches!(source, Source::Value(_)) && is_keyword(&format!("d{key}")) {
            self.errors.push(
                name.span(),
                format!(
                    "the generated code names this value's gradient `d{key}`, a Rust keyword; \
                     give this value another name"
                ),
            );
        }
        if RESERVED.contains(&key.as_str()) || key.starts_with("loss_") || key.contains("_from_") {
            self.errors.push(
                name.span(),
                format!(
                    "`{key}` is a name the generated code uses; give this value another name \
                     (reserved: {}, and names starting `loss_` or containing `_from_`)",
                    RESERVED.join(", ")
                ),
            );
        }
        if let Some(other) = self.defined.keys().find(|other| clash(&key, other)) {
            self.errors.push(
                name.span(),
                format!(
                    "`{key}` would read as a name the generated code derives from `{other}` \
                     (its gradient `d{other}`, or a step `{other}_0`); give it another name"
                ),
            );
        }
        if self.defined.contains_key(&key) {
            self.errors.push(
                name.span(),
                format!("`{key}` is defined twice; give this value another name"),
            );
            return false;
        }
        self.defined.insert(key, source);
        self.used.push(false);
        true
    }

    /// The value `name` refers to, marking it used, or an error.
    fn resolve(&mut self, name: &Ident, defining: &str) -> Option<(Source, usize)> {
        let key = name.to_string();
        if key == defining || self.defining.contains(&key) {
            self.errors.push(
                name.span(),
                format!("`{key}` depends on itself: a graph has no cycles"),
            );
            return None;
        }
        let Some(&source) = self.defined.get(&key) else {
            if self.everywhere.contains(&key) {
                self.errors.push(
                    name.span(),
                    format!(
                        "`{key}` is used before its definition below; define each value \
                         before the values that use it"
                    ),
                );
                return None;
            }
            let known: Vec<&str> = self.defined.keys().map(String::as_str).collect();
            let hint = match crate::error::closest(&key, &known) {
                Some(best) => format!("; did you mean `{best}`?"),
                None => String::new(),
            };
            self.errors.push(
                name.span(),
                format!("`{key}` is not defined before this use{hint}"),
            );
            return None;
        };
        let index = match source {
            Source::Input(i) => i,
            Source::Value(v) => self.inputs.len() + v,
        };
        if let Some(used) = self.used.get_mut(index) {
            *used = true;
        }
        Some((source, self.width(source)))
    }

    fn width(&self, source: Source) -> usize {
        match source {
            Source::Input(i) => self.inputs.get(i).map_or(1, |input| input.width),
            Source::Value(v) => self.values.get(v).map_or(1, |value| value.width),
        }
    }

    fn value(
        &mut self,
        name: &Ident,
        call: &CallAst,
        then: &[(Ident, Option<crate::parse::ArgsAst>)],
    ) {
        let defining = name.to_string();
        self.defining.push(defining.clone());
        let call = self.call(call, &defining);
        self.defining.pop();
        let (op, args, width) = call.unwrap_or((GraphOp::Alias, Vec::new(), 1));
        let mut piped = Vec::new();
        for (activation, args) in then {
            if activation == "stop_gradient" {
                piped.push(GraphOp::StopGradient);
            } else if let Some(activation) = self.activation(activation, args.as_ref()) {
                piped.push(GraphOp::Activation(activation));
            }
        }
        let index = self.values.len();
        if self.define(name, Source::Value(index)) {
            self.values.push(ValueSpec {
                name: defining,
                span: name.span(),
                op,
                args,
                then: piped,
                width,
            });
        }
    }

    /// A call nested as argument `slot` of `defining`'s op: a value of its own, named
    /// `{defining}_in{slot}` (in the trace, and in the code), defined just before.
    fn nested(&mut self, expr: &ExprAst, defining: &str, slot: usize) -> Option<(Source, usize)> {
        let span = match &expr.call {
            CallAst::Op { name, .. } | CallAst::Value(name) => name.span(),
        };
        let name = format!("{defining}_in{slot}");
        if self.everywhere.contains(&name) {
            self.errors.push(
                span,
                format!(
                    "this nested call's value is named `{name}`, which the graph defines too; \
                     rename that value, or give this call a name of its own"
                ),
            );
            return None;
        }
        let ident = Ident::new(&name, span);
        let index = self.values.len();
        self.value(&ident, &expr.call, &expr.activations);
        if self.values.len() == index {
            return None;
        }
        self.resolve(&ident, defining)
    }

    fn activation(
        &mut self,
        name: &Ident,
        args: Option<&crate::parse::ArgsAst>,
    ) -> Option<ActivationFn> {
        let word = name.to_string();
        let Some(kind) = names::activation(&word) else {
            let hint = expected(&word, &names::activation_names());
            self.errors
                .push(name.span(), format!("unknown activation '{word}'; {hint}"));
            return None;
        };
        let param = param(&word, kind.row().param.as_ref(), args, &mut self.errors);
        Some(ActivationFn { kind, param })
    }

    /// The op, its sources and its width.
    fn call(&mut self, call: &CallAst, defining: &str) -> Option<(GraphOp, Vec<Source>, usize)> {
        let (name, args) = match call {
            CallAst::Value(name) => {
                let (source, width) = self.resolve(name, defining)?;
                return Some((GraphOp::Alias, vec![source], width));
            }
            CallAst::Op { name, args } => (name, args),
        };
        let op = name.to_string();
        let span = name.span();
        let mut values = Vec::new();
        let mut numbers = Vec::new();
        let mut ranges = Vec::new();
        let mut shared = None;
        for (slot, arg) in args.iter().enumerate() {
            match arg {
                OpArg::Value(value) => values.push(self.resolve(value, defining)),
                OpArg::Call(expr) => values.push(self.nested(expr, defining, slot)),
                OpArg::Number(number) => numbers.push(number),
                OpArg::Range { start, end, span } => ranges.push((start, end, *span)),
                OpArg::Named { name, value } if name == "shared" => shared = Some(value),
                OpArg::Named { name, .. } => self.errors.push(
                    name.span(),
                    format!("`{op}` takes no `{name} = ...`; `dense` takes `shared = NAME`"),
                ),
            }
        }
        // A value that did not resolve was reported already.
        let values: Vec<(Source, usize)> = values.into_iter().collect::<Option<_>>()?;
        let sources: Vec<Source> = values.iter().map(|(s, _)| *s).collect();
        let widths: Vec<usize> = values.iter().map(|(_, w)| *w).collect();
        let shape = |expected: &str, ok: bool, errors: &mut Errors| {
            if !ok {
                errors.push(span, format!("`{op}` takes {expected}"));
            }
            ok
        };
        match op.as_str() {
            "dense" => {
                let ok = values.len() == 1 && numbers.len() == 1 && ranges.is_empty();
                if !shape(
                    "one value and a width: `dense(x, 64)`",
                    ok,
                    &mut self.errors,
                ) {
                    return None;
                }
                let units = self.units(numbers[0])?;
                let shared = match shared {
                    None => None,
                    Some(owner) => self.shared(owner, widths[0], units),
                };
                Some((GraphOp::Dense { units, shared }, sources, units))
            }
            "add" | "sub" | "mul" => {
                let ok = values.len() == 2 && numbers.is_empty() && ranges.is_empty();
                if !shape("two values of one width: `add(a, b)`", ok, &mut self.errors) {
                    return None;
                }
                if widths[0] != widths[1] {
                    self.errors.push(
                        span,
                        format!(
                            "`{op}` needs two values of one width: `{}` has {}, `{}` has {}",
                            arg_name(args, 0),
                            widths[0],
                            arg_name(args, 1),
                            widths[1]
                        ),
                    );
                    return None;
                }
                let op = match op.as_str() {
                    "add" => GraphOp::Add,
                    "sub" => GraphOp::Sub,
                    _ => GraphOp::Mul,
                };
                Some((op, sources, widths[0]))
            }
            "scale" => {
                let ok = values.len() == 1 && numbers.len() == 1 && ranges.is_empty();
                if !shape(
                    "one value and a constant: `scale(x, 0.5)`",
                    ok,
                    &mut self.errors,
                ) {
                    return None;
                }
                let factor = numbers[0];
                if !factor.value.is_finite() {
                    self.errors
                        .push(factor.span, "`scale` needs a finite factor");
                    return None;
                }
                Some((GraphOp::Scale(factor.value), sources, widths[0]))
            }
            "concat" => {
                let ok = values.len() >= 2 && numbers.is_empty() && ranges.is_empty();
                if !shape("two or more values: `concat(a, b)`", ok, &mut self.errors) {
                    return None;
                }
                Some((GraphOp::Concat, sources, widths.iter().sum()))
            }
            "slice" => {
                let ok = values.len() == 1 && ranges.len() == 1 && numbers.is_empty();
                if !shape(
                    "one value and a range: `slice(x, 0..4)`",
                    ok,
                    &mut self.errors,
                ) {
                    return None;
                }
                let (start, end, range_span) = ranges[0];
                let (start, end) = (start.base10_parse().ok()?, end.base10_parse().ok()?);
                if start >= end || end > widths[0] {
                    self.errors.push(
                        range_span,
                        format!(
                            "`slice` needs a non-empty range within the value's {} elements, \
                             not {start}..{end}",
                            widths[0]
                        ),
                    );
                    return None;
                }
                Some((GraphOp::Slice { start, end }, sources, end - start))
            }
            "stop_gradient" => {
                let ok = values.len() == 1 && numbers.is_empty() && ranges.is_empty();
                if !shape("one value: `stop_gradient(x)`", ok, &mut self.errors) {
                    return None;
                }
                Some((GraphOp::StopGradient, sources, widths[0]))
            }
            _ => {
                if names::activation(&op).is_none() {
                    let mut all: Vec<&str> = OPS.to_vec();
                    all.extend(names::activation_names());
                    let hint = expected(&op, &all);
                    self.errors.push(span, format!("unknown op '{op}'; {hint}"));
                    return None;
                }
                let ok = values.len() == 1 && ranges.is_empty() && numbers.len() <= 1;
                if !shape("one value: `tanh(z)`", ok, &mut self.errors) {
                    return None;
                }
                let args = numbers.first().map(|n| crate::parse::ArgsAst {
                    span: n.span,
                    values: vec![crate::parse::ArgAst {
                        span: n.span,
                        value: n.value,
                    }],
                });
                let activation = self.activation(name, args.as_ref())?;
                Some((GraphOp::Activation(activation), sources, widths[0]))
            }
        }
    }

    fn units(&mut self, number: &crate::parse::ArgAst) -> Option<usize> {
        let units = number.value;
        if units.fract() != 0.0 || units < 1.0 || units > u32::MAX as f64 {
            self.errors.push(
                number.span,
                format!("a dense layer's width must be a positive whole number, not {units}"),
            );
            return None;
        }
        Some(units as usize)
    }

    /// The dense value whose weights `owner` names, if its shape is `inputs → units`.
    fn shared(&mut self, owner: &Ident, inputs: usize, units: usize) -> Option<usize> {
        let key = owner.to_string();
        let Some(&Source::Value(index)) = self.defined.get(&key) else {
            self.errors.push(
                owner.span(),
                format!("`shared = {key}` must name a dense value defined before this one"),
            );
            return None;
        };
        let value = self.values.get(index)?;
        let GraphOp::Dense {
            units: theirs,
            shared,
        } = value.op
        else {
            self.errors.push(
                owner.span(),
                format!("`{key}` is not a dense value: it has no weights to share"),
            );
            return None;
        };
        let their_inputs = value.args.first().map_or(0, |s| self.width(*s));
        if (their_inputs, theirs) != (inputs, units) {
            self.errors.push(
                owner.span(),
                format!(
                    "this dense layer is {inputs} → {units}, but `{key}`, whose weights it \
                     shares, is {their_inputs} → {theirs}"
                ),
            );
            return None;
        }
        Some(shared.unwrap_or(index))
    }

    fn losses(&mut self, terms: &[TermAst]) {
        for term in terms {
            let word = term.loss.to_string();
            let Some(kind) = names::loss(&word) else {
                let hint = expected(&word, &names::loss_names());
                self.errors
                    .push(term.loss.span(), format!("unknown loss '{word}'; {hint}"));
                continue;
            };
            let param = param(
                &word,
                kind.row().param.as_ref(),
                term.param.as_ref(),
                &mut self.errors,
            );
            let weight = term.weight.as_ref().map_or(1.0, |w| w.value);
            if !weight.is_finite() || weight <= 0.0 {
                let span = term.weight.as_ref().map_or(term.loss.span(), |w| w.span);
                self.errors.push(
                    span,
                    format!("a loss's weight must be a finite number greater than 0, not {weight}"),
                );
            }
            let Some((Source::Value(value), _)) = self.resolve(&term.value, "") else {
                if let Some(Source::Input(_)) = self.defined.get(&term.value.to_string()) {
                    self.errors.push(
                        term.value.span(),
                        "a loss applies to a computed value, not an input",
                    );
                }
                continue;
            };
            if let LossForm::Kernel {
                fused: Some(needed),
                ..
            } = kind.row().form
            {
                let last =
                    self.values
                        .get(value)
                        .and_then(|v| match v.then.last().or(Some(&v.op)) {
                            Some(GraphOp::Activation(a)) => Some(a.kind),
                            _ => None,
                        });
                if last != Some(needed) {
                    self.errors.push(
                        term.value.span(),
                        format!(
                            "`{word}` needs a value that ends in `{}`, which it is computed \
                             with from the logits: write `{} = ... |> {}`",
                            needed.row().name,
                            term.value,
                            needed.row().name
                        ),
                    );
                }
            }
            self.losses.push(LossTerm {
                weight,
                loss: LossFn { kind, param },
                value,
                span: term.loss.span(),
            });
        }
    }

    /// Reports inputs and values nothing uses: they cannot affect the loss.
    fn unused(&mut self) {
        for (index, input) in self.inputs.iter().enumerate() {
            if !self.used.get(index).copied().unwrap_or(true) {
                self.errors.push(
                    input.span,
                    format!("input `{}` is not used: no value depends on it", input.name),
                );
            }
        }
        for (index, value) in self.values.iter().enumerate() {
            if !self
                .used
                .get(self.inputs.len() + index)
                .copied()
                .unwrap_or(true)
            {
                self.errors.push(
                    value.span,
                    format!(
                        "`{}` is not used: nothing depends on it and no loss applies to it, \
                         so it cannot be trained; use it, or add a loss term for it",
                        value.name
                    ),
                );
            }
        }
        // softmax makes a distribution for its loss; feeding it on is almost always a slip.
        for value in &self.values {
            let ends_in_softmax = matches!(
                value.then.last().or(Some(&value.op)),
                Some(GraphOp::Activation(a)) if a.kind == Activation::Softmax
            );
            let index = self.values.iter().position(|v| v.name == value.name);
            let consumed = self
                .values
                .iter()
                .any(|v| v.args.iter().any(|s| Some(*s) == index.map(Source::Value)));
            if ends_in_softmax && consumed {
                self.errors.push(
                    value.span,
                    format!(
                        "`{}` ends in `softmax`, which is for output values, but other values \
                         use it",
                        value.name
                    ),
                );
            }
        }
    }
}

/// Names the generated code gives its own locals and arguments.
const RESERVED: &[&str] = &[
    "inputs", "targets", "params", "sink", "grads", "opt", "losses", "weights", "biases", "error",
    "total",
];

/// Whether `word` is a Rust keyword (strict or reserved, in any edition), which no
/// generated local may be named.
fn is_keyword(word: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn",
        "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
        "return", "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe",
        "use", "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do",
        "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
        "gen", "_",
    ];
    KEYWORDS.contains(&word)
}

/// Whether one of two value names is a name the generated code derives from the other:
/// the gradient `dh` of `h`, or a step `h_0` / `h_part2` of `h`.
fn clash(a: &str, b: &str) -> bool {
    let derived = |derived: &str, base: &str| {
        derived.strip_prefix('d') == Some(base)
            || derived
                .strip_prefix(base)
                .and_then(|rest| rest.strip_prefix('_'))
                .is_some_and(|rest| {
                    let digits = rest.strip_prefix("part").unwrap_or(rest);
                    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
                })
    };
    derived(a, b) || derived(b, a)
}

/// The name of op argument `index` if it is a value, for messages.
fn arg_name(args: &[OpArg], index: usize) -> String {
    args.iter()
        .filter_map(|arg| match arg {
            OpArg::Value(name) => Some(name.to_string()),
            OpArg::Call(expr) => Some(match &expr.call {
                CallAst::Op { name, .. } => format!("{name}(…)"),
                CallAst::Value(name) => format!("{name} |> …"),
            }),
            _ => None,
        })
        .nth(index)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn check_tokens(tokens: proc_macro2::TokenStream) -> syn::Result<GraphSpec> {
        check(&syn::parse2(tokens).unwrap())
    }

    fn messages(tokens: proc_macro2::TokenStream) -> Vec<String> {
        let error = check_tokens(tokens).unwrap_err();
        error.into_iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn resolves_the_actor_critic() {
        let spec = check_tokens(quote! {
            ActorCritic<
                input obs[8];
                h   = dense(obs, 64) |> tanh;
                h2  = dense(h, 64) |> tanh;
                r   = add(h, h2);
                pi  = dense(r, 4) |> softmax;
                ro  = concat(r, obs);
                v   = dense(ro, 1);
                loss cross_entropy(pi) + 0.5 * mse(v);
            >
        })
        .unwrap();
        assert_eq!(spec.inputs[0].width, 8);
        let widths: Vec<(&str, usize)> = spec
            .values
            .iter()
            .map(|v| (v.name.as_str(), v.width))
            .collect();
        assert_eq!(
            widths,
            [
                ("h", 64),
                ("h2", 64),
                ("r", 64),
                ("pi", 4),
                ("ro", 72),
                ("v", 1)
            ]
        );
        assert_eq!(spec.values[2].args, [Source::Value(0), Source::Value(1)]);
        assert_eq!(spec.values[4].args, [Source::Value(2), Source::Input(0)]);
        assert_eq!(spec.losses.len(), 2);
        assert_eq!((spec.losses[1].weight, spec.losses[1].value), (0.5, 5));
    }

    #[test]
    fn shares_weights_of_the_same_shape() {
        let spec = check_tokens(quote! {
            Siamese<
                input a[4]; input b[4];
                ea = dense(a, 3) |> tanh;
                eb = dense(b, 3, shared = ea) |> tanh;
                d = sub(ea, eb);
                y = dense(d, 1) |> sigmoid;
                loss bce(y);
            >
        })
        .unwrap();
        assert_eq!(
            spec.values[1].op,
            GraphOp::Dense {
                units: 3,
                shared: Some(0)
            }
        );
        assert_eq!(
            messages(quote! {
                Bad< input a[4]; input b[5];
                     ea = dense(a, 3); eb = dense(b, 3, shared = ea);
                     y = add(ea, eb); loss mse(y); >
            }),
            ["this dense layer is 5 → 3, but `ea`, whose weights it shares, is 4 → 3"]
        );
    }

    #[test]
    fn every_mistake_is_reported_at_its_token() {
        let all = messages(quote! {
            Bad<
                input x[4]; input unused[2];
                h = dense(x, 8) |> rellu;
                g = add(h, x);
                k = dense(hh, 2);
                m = dense(later, 2);
                later = tanh(h);
                s = slice(h, 6..10);
                self_ref = add(self_ref, h);
                loss cross_entropy(h) + mes(g);
            >
        });
        let expected = [
            "unknown activation 'rellu'; did you mean 'relu'?",
            "`add` needs two values of one width: `h` has 8, `x` has 4",
            "`hh` is not defined before this use; did you mean `h`?",
            "`later` is used before its definition below; define each value before the \
             values that use it",
            "`slice` needs a non-empty range within the value's 8 elements, not 6..10",
            "`self_ref` depends on itself: a graph has no cycles",
            "`cross_entropy` needs a value that ends in `softmax`, which it is computed with \
             from the logits: write `h = ... |> softmax`",
            "unknown loss 'mes'; did you mean 'mse'?",
        ];
        assert_eq!(
            all, expected,
            "every mistake, in source order, and nothing else"
        );
    }

    #[test]
    fn names_the_generated_code_uses_are_refused() {
        let all = messages(quote! {
            Net< input inputs[2]; input x[2]; dx = dense(x, 2); x_0 = dense(x, 2);
                 y = add(dx, x_0); loss mse(y); >
        });
        assert_eq!(all.len(), 3, "{all:#?}");
        assert!(all[0].starts_with("`inputs` is a name the generated code uses"));
        assert!(
            all[1].starts_with("`dx` would read as a name the generated code derives from `x`")
        );
        assert!(all[2].starts_with("`x_0` would read as"));
    }

    #[test]
    fn keywords_cannot_name_values_or_their_gradients() {
        assert_eq!(
            messages(quote!(Net< input fn[2]; o = dense(fn, 1); loss mse(o); >)),
            [
                "`fn` is a Rust keyword, which cannot name a local; give this value another name",
                "the generated code names this value's gradient `do`, a Rust keyword; give \
                 this value another name",
            ]
        );
        assert!(
            messages(quote!(Net< input x[2]; yn = dense(x, 1); loss mse(yn); >))[0]
                .contains("`dyn`")
        );
    }

    #[test]
    fn nested_calls_are_values_of_their_own() {
        let ast = syn::parse2(quote!(Net< input x[2]; h = dense(x, 3);
            y = dense(concat(h, x |> tanh), 1); loss mse(y); >));
        let spec = check(&ast.unwrap()).unwrap();
        let names: Vec<&str> = spec.values.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["h", "y_in0_in1", "y_in0", "y"]);
        assert_eq!(spec.values[2].width, 5);
        assert_eq!(spec.values[3].args, [Source::Value(2)]);
        assert_eq!(
            messages(quote!(Net< input x[2]; y = dense(concat(y, x), 1); loss mse(y); >)),
            ["`y` depends on itself: a graph has no cycles"]
        );
        assert_eq!(
            messages(quote!(Net< input x[2]; y_in0 = dense(x, 2);
                y = dense(add(y_in0, x), 1); loss mse(y); >)),
            [
                "this nested call's value is named `y_in0`, which the graph defines too; \
              rename that value, or give this call a name of its own"
            ]
        );
        assert_eq!(
            messages(quote!(Net< input x[2]; y = dense(add(x, dense(x, 3)), 1); loss mse(y); >)),
            ["`add` needs two values of one width: `x` has 2, `dense(…)` has 3"]
        );
    }

    #[test]
    fn unused_values_and_missing_losses_are_errors() {
        assert_eq!(
            messages(quote!(Net< input x[2]; input spare[3]; y = dense(x, 1); loss mse(y); >)),
            ["input `spare` is not used: no value depends on it"]
        );
        assert_eq!(
            messages(quote!(Net< input x[2]; y = dense(x, 1); z = dense(x, 3); loss mse(y); >)),
            [
                "`z` is not used: nothing depends on it and no loss applies to it, so it cannot \
              be trained; use it, or add a loss term for it"
            ]
        );
        assert_eq!(
            messages(quote!(Net< input x[2]; y = dense(x, 1); >)),
            ["missing loss: add `loss mse(y);` for an output `y` before this `>`"]
        );
        assert_eq!(
            messages(
                quote!(Net< input x[2]; y = dense(x, 2) |> softmax; z = dense(y, 1);
                                 loss mse(z); >)
            ),
            ["`y` ends in `softmax`, which is for output values, but other values use it"]
        );
        assert_eq!(
            messages(quote!(Net< input x[2]; y = frobnicate(x); loss mse(y); >)),
            [
                "unknown op 'frobnicate'; expected one of: dense, add, sub, mul, scale, concat, \
              slice, stop_gradient, identity, linear, relu, leaky_relu, elu, selu, gelu, \
              gelu_tanh, silu, swish, softplus, softsign, hard_sigmoid, hard_tanh, sigmoid, \
              tanh, softmax"
            ]
        );
    }
}
