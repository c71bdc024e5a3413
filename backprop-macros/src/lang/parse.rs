//! The graph language's syntax: tokens → [`GraphAst`], every token's span kept.
//!
//! ```text
//! graph  := ATTRIBUTE* VISIBILITY? NAME '<' (item ';')* item? '>'
//! item   := 'input' NAME '[' WIDTH ']'
//!         | NAME '=' expr
//!         | 'loss' term ('+' term)*
//!         | CLAUSE VALUE args?                       (scalar, codegen, math, init)
//! expr   := call ('|>' ACTIVATION args?)*
//! call   := OP '(' arg (',' arg)* ')' | NAME
//! arg    := NAME | NUMBER | INT '..' INT | NAME '=' NAME
//! term   := (NUMBER '*')? LOSS '(' NAME (',' NUMBER)? ')'
//! ```
//!
//! As with `mlp!`, only syntax is checked here; `lang::check` resolves names and widths.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, Ident, LitFloat, LitInt, Token, Visibility};

use crate::parse::{ArgAst, ArgsAst};

/// The example syntax messages point to.
pub const EXAMPLE: &str = "graph!(pub Net< input x[4]; h = dense(x, 8) |> relu; \
                           y = dense(h, 2); loss mse(y); >)";

/// A graph network as written.
pub struct GraphAst {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub items: Vec<ItemAst>,
    /// The closing `>`, where a missing loss is reported.
    pub close: Span,
}

/// One `;`-separated item.
pub enum ItemAst {
    /// `input NAME[WIDTH]`.
    Input { name: Ident, width: LitInt },
    /// `NAME = expr`.
    Value { name: Ident, expr: ExprAst },
    /// `loss term + term ...`, with the `loss` keyword's span.
    Loss { keyword: Span, terms: Vec<TermAst> },
    /// `scalar f64`, `codegen kernels`, ...
    Clause(crate::parse::ClauseAst),
}

/// A call and the activations piped after it: `dense(h, 64) |> tanh`.
pub struct ExprAst {
    pub call: CallAst,
    pub activations: Vec<(Ident, Option<ArgsAst>)>,
}

/// An op applied to its arguments, or a plain value.
pub enum CallAst {
    /// `dense(h, 64)`, `add(a, b)`, `tanh(z)`: the name is resolved by `check`.
    Op { name: Ident, args: Vec<OpArg> },
    /// `h`: the value itself.
    Value(Ident),
}

/// One argument of an op.
pub enum OpArg {
    /// A value's name.
    Value(Ident),
    /// A number: a width, a scale factor.
    Number(ArgAst),
    /// `START..END`, for `slice`.
    Range {
        start: LitInt,
        end: LitInt,
        span: Span,
    },
    /// `name = value`, as in `shared = h1`.
    Named { name: Ident, value: Ident },
    /// A nested expression, `concat(r, obs)` in `dense(concat(r, obs), 1)`: a value of
    /// its own, without a name.
    Call(Box<ExprAst>),
}

/// One term of the loss: `0.5 * mse(v)`, `huber(v, 0.5)`.
pub struct TermAst {
    pub weight: Option<ArgAst>,
    pub loss: Ident,
    pub value: Ident,
    /// The loss's parameter, as `mlp!`'s `huber(0.5)` takes it.
    pub param: Option<ArgsAst>,
}

impl Parse for GraphAst {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        if !input.peek(Ident) {
            return Err(input.error(format!("expected the network's name, as in `{EXAMPLE}`")));
        }
        let name: Ident = input.parse()?;
        if !input.peek(Token![<]) {
            return Err(input.error(format!(
                "expected `<` after the network's name, as in `{EXAMPLE}`"
            )));
        }
        input.parse::<Token![<]>()?;
        let mut items = Vec::new();
        while !input.peek(Token![>]) {
            if input.is_empty() {
                return Err(input.error("expected the closing `>` of the graph"));
            }
            items.push(input.parse()?);
            if input.peek(Token![;]) {
                input.parse::<Token![;]>()?;
            } else if !input.peek(Token![>]) {
                return Err(input.error("expected `;` after the item, or the closing `>`"));
            }
        }
        let close = input.parse::<Token![>]>()?.span;
        if !input.is_empty() {
            return Err(input.error(
                "unexpected tokens after the graph's closing `>`; one `graph!` defines one network",
            ));
        }
        Ok(GraphAst {
            attrs,
            vis,
            name,
            items,
            close,
        })
    }
}

impl Parse for ItemAst {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !input.peek(Ident::peek_any) {
            return Err(input.error(
                "expected an item: `input NAME[WIDTH]`, `NAME = OP(...)` or `loss LOSS(NAME)`",
            ));
        }
        let word = input.call(Ident::parse_any)?;
        if input.peek(Token![=]) && !input.peek(Token![==]) {
            input.parse::<Token![=]>()?;
            let expr = input.parse()?;
            return Ok(ItemAst::Value { name: word, expr });
        }
        match word.to_string().as_str() {
            "input" => {
                let name: Ident = input.call(Ident::parse_any)?;
                if !input.peek(syn::token::Bracket) {
                    return Err(input.error(format!(
                        "expected the width of input `{name}` in brackets, as in `{name}[8]`"
                    )));
                }
                let content;
                syn::bracketed!(content in input);
                if !content.peek(LitInt) {
                    return Err(content.error(format!(
                        "expected the width of input `{name}`: a whole number, as in `{name}[8]`"
                    )));
                }
                let width = content.parse()?;
                Ok(ItemAst::Input { name, width })
            }
            "loss" => {
                let mut terms = vec![input.parse()?];
                while input.peek(Token![+]) {
                    input.parse::<Token![+]>()?;
                    terms.push(input.parse()?);
                }
                Ok(ItemAst::Loss {
                    keyword: word.span(),
                    terms,
                })
            }
            _ => {
                if !input.peek(Ident::peek_any) {
                    return Err(syn::Error::new(
                        word.span(),
                        format!(
                            "expected `{word} = ...` to define a value, or a clause such as \
                             `scalar f64`"
                        ),
                    ));
                }
                let value = input.call(Ident::parse_any)?;
                let args = parse_args(input)?;
                Ok(ItemAst::Clause(crate::parse::ClauseAst {
                    keyword: word,
                    value,
                    args,
                }))
            }
        }
    }
}

impl Parse for ExprAst {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let call = input.parse()?;
        let mut activations = Vec::new();
        while input.peek(Token![|]) && input.peek2(Token![>]) {
            input.parse::<Token![|]>()?;
            input.parse::<Token![>]>()?;
            if !input.peek(Ident::peek_any) {
                return Err(input.error("expected an activation after `|>`, as in `|> relu`"));
            }
            let activation = input.call(Ident::parse_any)?;
            let args = parse_args(input)?;
            activations.push((activation, args));
        }
        Ok(ExprAst { call, activations })
    }
}

impl Parse for CallAst {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !input.peek(Ident::peek_any) {
            return Err(input.error("expected an op such as `dense(x, 8)` or a value's name"));
        }
        let name = input.call(Ident::parse_any)?;
        if !input.peek(syn::token::Paren) {
            return Ok(CallAst::Value(name));
        }
        let content;
        syn::parenthesized!(content in input);
        let mut args = Vec::new();
        while !content.is_empty() {
            args.push(content.parse()?);
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
        Ok(CallAst::Op { name, args })
    }
}

impl Parse for OpArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(LitInt) && input.peek2(Token![..]) {
            let start: LitInt = input.parse()?;
            let dots = input.parse::<Token![..]>()?;
            if !input.peek(LitInt) {
                return Err(input.error("expected the end of the range, as in `0..4`"));
            }
            let end: LitInt = input.parse()?;
            let span = start.span().join(end.span()).unwrap_or(dots.span());
            return Ok(OpArg::Range { start, end, span });
        }
        let nested = input.peek(Ident::peek_any)
            && (input.peek2(syn::token::Paren)
                || (input.peek2(Token![|]) && is_pipe_after_name(input)));
        if nested && !is_number_word(input) {
            return Ok(OpArg::Call(Box::new(input.parse()?)));
        }
        if input.peek(Ident::peek_any) && !is_number_word(input) {
            let name = input.call(Ident::parse_any)?;
            if input.peek(Token![=]) {
                input.parse::<Token![=]>()?;
                let value = input.call(Ident::parse_any)?;
                return Ok(OpArg::Named { name, value });
            }
            return Ok(OpArg::Value(name));
        }
        Ok(OpArg::Number(crate::parse::parse_number(input)?))
    }
}

/// Whether a name is followed by `|>`: `h |> tanh` as an argument.
fn is_pipe_after_name(input: ParseStream) -> bool {
    let fork = input.fork();
    fork.call(Ident::parse_any).is_ok() && fork.peek(Token![|]) && fork.peek2(Token![>])
}

/// Whether the next token is `nan` or `inf`, which are numbers, not names.
fn is_number_word(input: ParseStream) -> bool {
    input.fork().call(Ident::parse_any).is_ok_and(|word| {
        matches!(
            word.to_string().to_ascii_lowercase().as_str(),
            "nan" | "inf" | "infinity"
        )
    })
}

impl Parse for TermAst {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let weight = if input.peek(LitFloat) || input.peek(LitInt) || input.peek(Token![-]) {
            let weight = crate::parse::parse_number(input)?;
            if !input.peek(Token![*]) {
                return Err(
                    input.error("expected `*` after the loss's weight, as in `0.5 * mse(v)`")
                );
            }
            input.parse::<Token![*]>()?;
            Some(weight)
        } else {
            None
        };
        if !input.peek(Ident::peek_any) {
            return Err(input.error("expected a loss applied to a value, as in `mse(y)`"));
        }
        let loss = input.call(Ident::parse_any)?;
        if !input.peek(syn::token::Paren) {
            return Err(syn::Error::new(
                loss.span(),
                format!("expected the value `{loss}` applies to, as in `{loss}(y)`"),
            ));
        }
        let content;
        let parens = syn::parenthesized!(content in input);
        if !content.peek(Ident::peek_any) {
            return Err(content.error(format!("expected the value `{loss}` applies to")));
        }
        let value = content.call(Ident::parse_any)?;
        let param = if content.peek(Token![,]) {
            content.parse::<Token![,]>()?;
            let number = crate::parse::parse_number(&content)?;
            Some(ArgsAst {
                span: number.span,
                values: vec![number],
            })
        } else {
            None
        };
        if !content.is_empty() {
            return Err(syn::Error::new(
                parens.span.join(),
                format!("`{loss}` takes the value and at most one parameter: `{loss}(y)`"),
            ));
        }
        Ok(TermAst {
            weight,
            loss,
            value,
            param,
        })
    }
}

/// `(NUMBER, ...)` after an activation, as `mlp!` parses it.
fn parse_args(input: ParseStream) -> syn::Result<Option<ArgsAst>> {
    crate::parse::parse_args(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(tokens: proc_macro2::TokenStream) -> syn::Result<GraphAst> {
        syn::parse2(tokens)
    }

    fn error(tokens: proc_macro2::TokenStream) -> String {
        parse(tokens).map(|_| ()).unwrap_err().to_string()
    }

    #[test]
    fn parses_the_actor_critic_of_the_issue() {
        let ast = parse(quote! {
            /// A policy and a value head on one trunk.
            pub ActorCritic<
                input obs[8];
                h   = dense(obs, 64) |> tanh;
                h2  = dense(h, 64) |> tanh;
                r   = add(h, h2);
                pi  = dense(r, 4) |> softmax;
                v   = dense(concat(r, obs), 1);
                loss cross_entropy(pi) + 0.5 * mse(v);
            >
        });
        // `concat(r, obs)` is an argument of its own: a nested call.
        let ast = ast.unwrap();
        let ItemAst::Value { expr, .. } = &ast.items[5] else {
            panic!("the value head is a value");
        };
        let CallAst::Op { name, args } = &expr.call else {
            panic!("`dense(…)` is a call");
        };
        assert_eq!(name, "dense");
        assert!(
            matches!(&args[0], OpArg::Call(inner) if matches!(&inner.call, CallAst::Op { name, .. } if name == "concat"))
        );
        let ast = parse(quote! {
            pub ActorCritic<
                input obs[8];
                h   = dense(obs, 64) |> tanh;
                h2  = dense(h, 64) |> tanh;
                r   = add(h, h2);
                pi  = dense(r, 4) |> softmax;
                ro  = concat(r, obs);
                v   = dense(ro, 1);
                s   = slice(h, 0..4) |> leaky_relu(0.2) |> stop_gradient;
                t   = dense(obs, 64, shared = h);
                loss cross_entropy(pi) + 0.5 * mse(v) + huber(s, 0.5);
                scalar f64;
            >
        })
        .unwrap();
        assert_eq!(ast.name, "ActorCritic");
        assert_eq!(ast.items.len(), 11);
        let ItemAst::Input { name, width } = &ast.items[0] else {
            panic!("an input first")
        };
        assert_eq!(
            (name.to_string(), width.to_string()),
            ("obs".into(), "8".into())
        );
        let ItemAst::Value { name, expr } = &ast.items[1] else {
            panic!("a value second")
        };
        assert_eq!(name, "h");
        assert_eq!(expr.activations[0].0, "tanh");
        let ItemAst::Value { expr, .. } = &ast.items[7] else {
            panic!("the slice")
        };
        assert_eq!(expr.activations.len(), 2);
        let CallAst::Op { args, .. } = &expr.call else {
            panic!("slice is an op")
        };
        assert!(matches!(args[1], OpArg::Range { .. }));
        let ItemAst::Loss { terms, .. } = &ast.items[9] else {
            panic!("the loss")
        };
        assert_eq!(terms.len(), 3);
        assert_eq!(terms[1].weight.as_ref().map(|w| w.value), Some(0.5));
        assert_eq!(
            terms[2].param.as_ref().map(|p| p.values[0].value),
            Some(0.5)
        );
        assert!(matches!(ast.items[10], ItemAst::Clause(_)));
    }

    #[test]
    fn syntax_errors_say_what_was_expected() {
        assert!(error(quote!(Net(input x[2]))).starts_with("expected `<` after"));
        assert!(error(quote!(Net<input x; >)).contains("in brackets, as in `x[8]`"));
        assert!(error(quote!(Net<input x[two]; >)).starts_with("expected the width of input `x`"));
        assert!(error(quote!(Net<input x[2] y = x; >)).starts_with("expected `;` after the item"));
        assert!(error(quote!(Net<input x[2]; y = x |> ; >)).starts_with("expected an activation"));
        assert!(error(quote!(Net<input x[2]; loss 2 mse(x); >)).starts_with("expected `*`"));
        assert!(error(quote!(Net<input x[2]; loss mse; >)).starts_with("expected the value `mse`"));
        assert!(error(quote!(Net<input x[2]; >extra)).starts_with("unexpected tokens"));
        let range = error(quote!(Net<input x[2]; y = slice(x, 0..) >));
        assert!(range.contains("expected the end of the range"), "{range}");
    }
}
