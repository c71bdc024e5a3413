//! Stage 1, parse: tokens → [`SpecAst`], the spec's syntax with every token's span.
//!
//! Grammar (inside `mlp!( … )`, `mlp![ … ]` or `mlp!{ … }`):
//!
//! ```text
//! spec   := ATTRIBUTE* VISIBILITY? NAME '<' WIDTH layer+ (';' clause)* ';'? '>'
//! layer  := '=>' ACTIVATION args? WIDTH
//! clause := KEYWORD VALUE args?          (loss, scalar, codegen, math, init)
//! args   := '(' NUMBER (',' NUMBER)* ')' where NUMBER := '-'? (LITERAL | nan | inf)
//! ```
//!
//! Only syntax is checked here, and parsing stops at the first syntax error. Names are
//! kept as written: whether `rellu` is an activation is the `check` stage's question.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, LitFloat, LitInt, Token, Visibility};

/// The example every syntax message can point to.
pub const EXAMPLE: &str = "mlp!(pub Xor<2 => relu 2 => sigmoid 1; loss mse>)";

/// A network spec as written.
pub struct SpecAst {
    /// Attributes and doc comments before the name, for the generated struct.
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    /// The input width.
    pub input: LitInt,
    /// The layers, in order, each `=> ACTIVATION WIDTH`.
    pub layers: Vec<LayerAst>,
    /// The `; keyword value` clauses, in order.
    pub clauses: Vec<ClauseAst>,
    /// The closing `>`, where a missing clause is reported.
    pub close: Span,
}

/// One `=> ACTIVATION WIDTH`, or `=> ACTIVATION(ARGS) WIDTH`.
pub struct LayerAst {
    pub activation: Ident,
    pub args: Option<ArgsAst>,
    pub width: LitInt,
}

/// One `; KEYWORD VALUE` clause, such as `; loss mse` or `; loss huber(0.5)`.
pub struct ClauseAst {
    pub keyword: Ident,
    pub value: Ident,
    pub args: Option<ArgsAst>,
}

/// A parenthesized list of numbers after a name: `(0.2)`.
pub struct ArgsAst {
    /// The parentheses, where a wrong count is reported.
    pub span: Span,
    pub values: Vec<ArgAst>,
}

/// One number of an [`ArgsAst`], as written (`-0.5`, `1e-3`, `nan`).
pub struct ArgAst {
    pub span: Span,
    pub value: f64,
}

impl Parse for SpecAst {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let name = parse_name(input)?;
        if !input.peek(Token![<]) {
            return Err(input.error(format!(
                "expected `<` after the network's name, as in `{EXAMPLE}`"
            )));
        }
        input.parse::<Token![<]>()?;
        let width = parse_width(input, "the input width")?;
        let mut layers = Vec::new();
        while input.peek(Token![=>]) {
            input.parse::<Token![=>]>()?;
            layers.push(input.parse()?);
        }
        if layers.is_empty() {
            return Err(input.error(
                "expected a layer after the input width: `=> ACTIVATION WIDTH`, as in `2 => relu 4`",
            ));
        }
        let clauses = parse_clauses(input)?;
        if !input.peek(Token![>]) {
            return Err(
                input.error("expected `=> ACTIVATION WIDTH`, `; loss LOSS` or the closing `>`")
            );
        }
        let close = input.parse::<Token![>]>()?.span;
        if !input.is_empty() {
            return Err(input.error(
                "unexpected tokens after the spec's closing `>`; one `mlp!` defines one network",
            ));
        }
        Ok(SpecAst {
            attrs,
            vis,
            name,
            input: width,
            layers,
            clauses,
            close,
        })
    }
}

impl Parse for LayerAst {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(LitInt) {
            let width: LitInt = input.parse()?;
            return Err(syn::Error::new(
                width.span(),
                format!(
                    "missing activation before width {width}: write `=> relu {width}` \
                     (or identity, linear, sigmoid, tanh)"
                ),
            ));
        }
        if !input.peek(Ident::peek_any) {
            return Err(
                input.error("expected an activation and a width after `=>`, as in `=> relu 4`")
            );
        }
        let activation = input.call(Ident::parse_any)?;
        let args = parse_args(input)?;
        if input.peek(Token![-]) && (input.peek2(LitInt) || input.peek2(LitFloat)) {
            let minus = input.parse::<Token![-]>()?;
            let width: proc_macro2::TokenTree = input.parse()?;
            return Err(syn::Error::new_spanned(
                quote::quote!(#minus #width),
                format!(
                    "the width of the `{activation}` layer is negative: -{width}; \
                     a layer needs a positive number of units"
                ),
            ));
        }
        if !input.peek(LitInt) && !input.peek(LitFloat) {
            return Err(syn::Error::new(
                input.span(),
                format!(
                    "missing width after `{activation}`: write `=> {activation} 4` for 4 units"
                ),
            ));
        }
        let width = parse_width(input, &format!("the width of the `{activation}` layer"))?;
        Ok(LayerAst {
            activation,
            args,
            width,
        })
    }
}

/// The network's name, with a pointed message for the usual ways of leaving it out.
fn parse_name(input: ParseStream) -> syn::Result<Ident> {
    if input.peek(Token![struct]) {
        let token = input.parse::<Token![struct]>()?;
        return Err(syn::Error::new(
            token.span,
            format!("remove `struct`: the spec names the network directly, as in `{EXAMPLE}`"),
        ));
    }
    if input.peek(Ident) {
        return input.parse();
    }
    Err(input.error(format!("expected the network's name, as in `{EXAMPLE}`")))
}

/// A width literal. Its value is checked later; here it only has to be an integer.
fn parse_width(input: ParseStream, what: &str) -> syn::Result<LitInt> {
    if input.peek(LitInt) {
        return input.parse();
    }
    if input.peek(LitFloat) {
        let float: LitFloat = input.parse()?;
        return Err(syn::Error::new(
            float.span(),
            format!("{what} must be a whole number of units, not `{float}`"),
        ));
    }
    Err(input.error(format!(
        "expected {what}: a whole number of units, such as `4`"
    )))
}

/// The clause keywords, for messages; `check` resolves them.
pub const CLAUSES: &[&str] = &["loss", "scalar", "codegen", "math", "init"];

/// One example of each clause, in the order of [`CLAUSES`].
const CLAUSE_EXAMPLES: &[&str] = &[
    "loss mse",
    "scalar f64",
    "codegen auto",
    "math exact",
    "init he_normal",
];

/// `(NUMBER, …)` after a name, if there is one.
pub fn parse_args(input: ParseStream) -> syn::Result<Option<ArgsAst>> {
    if !input.peek(syn::token::Paren) {
        return Ok(None);
    }
    let content;
    let parens = syn::parenthesized!(content in input);
    let mut values = Vec::new();
    while !content.is_empty() {
        values.push(parse_number(&content)?);
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(Some(ArgsAst {
        span: parens.span.join(),
        values,
    }))
}

/// `-`? then a number literal, `nan` or `inf`: any value, checked later.
pub fn parse_number(input: ParseStream) -> syn::Result<ArgAst> {
    let minus = input.parse::<Option<Token![-]>>()?;
    let sign = if minus.is_some() { -1.0 } else { 1.0 };
    let (span, value) = if input.peek(LitFloat) {
        let lit: LitFloat = input.parse()?;
        (lit.span(), lit.base10_parse::<f64>()?)
    } else if input.peek(LitInt) {
        let lit: LitInt = input.parse()?;
        (lit.span(), lit.base10_parse::<f64>()?)
    } else if input.peek(Ident::peek_any) {
        let name = input.call(Ident::parse_any)?;
        let value = match name.to_string().to_ascii_lowercase().as_str() {
            "nan" => f64::NAN,
            "inf" | "infinity" => f64::INFINITY,
            _ => {
                return Err(syn::Error::new(
                    name.span(),
                    format!("expected a number, not `{name}`: write a literal such as `0.5`"),
                ));
            }
        };
        (name.span(), value)
    } else {
        return Err(input.error("expected a number, such as `0.5`"));
    };
    let span = minus.map_or(span, |m| m.span.join(span).unwrap_or(span));
    Ok(ArgAst {
        span,
        value: sign * value,
    })
}

/// Zero or more `; KEYWORD VALUE` clauses, allowing one trailing `;`.
fn parse_clauses(input: ParseStream) -> syn::Result<Vec<ClauseAst>> {
    let mut clauses = Vec::new();
    while input.peek(Token![;]) {
        input.parse::<Token![;]>()?;
        if input.peek(Token![>]) {
            break;
        }
        if !input.peek(Ident::peek_any) {
            return Err(input.error("expected a clause after `;`: `loss LOSS` or `scalar f64`"));
        }
        let keyword = input.call(Ident::parse_any)?;
        if !input.peek(Ident::peek_any) {
            if !CLAUSES.contains(&keyword.to_string().as_str()) {
                return Err(syn::Error::new(
                    keyword.span(),
                    format!(
                        "`{keyword}` is not a clause; the clauses are `; {}`",
                        CLAUSE_EXAMPLES.join("`, `; ")
                    ),
                ));
            }
            return Err(input.error(format!(
                "expected a name after `{keyword}`, as in `; {}`",
                CLAUSE_EXAMPLES
                    .iter()
                    .find(|example| example.starts_with(&keyword.to_string()))
                    .unwrap_or(&"loss mse")
            )));
        }
        let value = input.call(Ident::parse_any)?;
        let args = parse_args(input)?;
        clauses.push(ClauseAst {
            keyword,
            value,
            args,
        });
    }
    Ok(clauses)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(tokens: proc_macro2::TokenStream) -> syn::Result<SpecAst> {
        syn::parse2(tokens)
    }

    fn error(tokens: proc_macro2::TokenStream) -> String {
        parse(tokens).map(|_| ()).unwrap_err().to_string()
    }

    #[test]
    fn parses_the_seed_spec() {
        let spec = parse(quote!(pub Xor<2 => relu 2 => sigmoid 1; loss mse>)).unwrap();
        assert_eq!(spec.name, "Xor");
        assert!(matches!(spec.vis, Visibility::Public(_)));
        assert_eq!(spec.input.base10_digits(), "2");
        let layers: Vec<(String, String)> = spec
            .layers
            .iter()
            .map(|l| (l.activation.to_string(), l.width.to_string()))
            .collect();
        assert_eq!(
            layers,
            [("relu".into(), "2".into()), ("sigmoid".into(), "1".into())]
        );
        assert_eq!(spec.clauses.len(), 1);
        assert_eq!(spec.clauses[0].keyword, "loss");
        assert_eq!(spec.clauses[0].value, "mse");
    }

    #[test]
    fn keeps_attributes_and_accepts_clauses_in_any_order() {
        let spec = parse(quote! {
            /// A doc comment.
            #[derive(Default)]
            pub(crate) Net<3 => tanh 4 => linear 2; scalar f64; loss half_sse;>
        })
        .unwrap();
        assert_eq!(spec.attrs.len(), 2);
        assert!(matches!(spec.vis, Visibility::Restricted(_)));
        let clauses: Vec<String> = spec.clauses.iter().map(|c| c.keyword.to_string()).collect();
        assert_eq!(clauses, ["scalar", "loss"]);
    }

    #[test]
    fn parses_parameters_of_activations_and_losses() {
        let spec = parse(quote!(X<2 => leaky_relu(0.2) 3 => elu 1; loss huber(-0.5)>)).unwrap();
        let args = spec.layers[0].args.as_ref().unwrap();
        assert_eq!(
            args.values.iter().map(|a| a.value).collect::<Vec<_>>(),
            [0.2]
        );
        assert!(spec.layers[1].args.is_none());
        let loss = spec.clauses[0].args.as_ref().unwrap();
        assert_eq!(loss.values[0].value, -0.5);
        let nan = parse(quote!(X<2 => elu(NaN, 1) 3; loss mse>)).unwrap();
        let values = &nan.layers[0].args.as_ref().unwrap().values;
        assert!(values[0].value.is_nan() && values[1].value == 1.0);
    }

    #[test]
    fn leaves_names_and_values_to_the_check_stage() {
        let spec = parse(quote!(X<0 => rellu 0; lose mes>)).unwrap();
        assert_eq!(spec.layers[0].activation, "rellu");
        assert_eq!(spec.clauses[0].keyword, "lose");
    }

    #[test]
    fn syntax_errors_say_what_was_expected() {
        assert!(error(quote!(<2 => relu 1; loss mse>)).starts_with("expected the network's name"));
        assert!(error(quote!(struct X<2 => relu 1>)).starts_with("remove `struct`"));
        assert!(error(quote!(X(2 => relu 1))).starts_with("expected `<` after the network's name"));
        assert!(error(quote!(X<2>)).starts_with("expected a layer after the input width"));
        assert!(
            error(quote!(X<2 => 4; loss mse>)).starts_with("missing activation before width 4")
        );
        assert!(error(quote!(X<2 => relu; loss mse>)).starts_with("missing width after `relu`"));
        assert!(error(quote!(X<2 => relu 1.5>)).contains("`relu` layer must be a whole number"));
        assert!(error(quote!(X<2.0 => relu 1>)).contains("must be a whole number"));
        assert!(
            error(quote!(X<2 => relu 1; loss mse> extra)).starts_with("unexpected tokens after")
        );
        assert!(error(quote!(X<2 => relu 1 relu>)).starts_with("expected `=> ACTIVATION WIDTH`"));
        assert!(error(quote!(X<2 => relu 1; loss>)).starts_with("expected a name after `loss`"));
        assert_eq!(
            error(quote!(X<2 => relu 1; loss mse; lr 0.1>)),
            "`lr` is not a clause; the clauses are `; loss mse`, `; scalar f64`, \
             `; codegen auto`, `; math exact`, `; init he_normal`"
        );
        assert!(error(quote!(X<2 => relu -3; loss mse>)).starts_with(
            "the width of the `relu` layer is negative: -3; a layer needs a positive number"
        ));
        assert!(error(quote!(X<2 => elu(x) 3>)).starts_with("expected a number, not `x`"));
        assert!(error(quote!(X<2 => relu 1; 3>)).starts_with("expected a clause after `;`"));
        assert_eq!(
            error(quote!()),
            format!("unexpected end of input, expected the network's name, as in `{EXAMPLE}`")
        );
    }
}
