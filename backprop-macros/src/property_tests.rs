//! Property tests of the whole compiler: whatever tokens come in, `expand` returns
//! valid Rust (the network, or `compile_error!`s with a stub) and never panics.
//!
//! Inputs are token streams built from the grammar's own tokens, numbers at the
//! limits and assorted garbage, both at random and as edits of valid specs. The seed
//! is fixed, so every run checks the same cases.

use std::str::FromStr;

use proc_macro2::TokenStream;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, RngSeed};

use crate::expand::{expand, expand_graph};

/// Tokens a spec is made of, tokens that look like them, and tokens it should never see.
const VOCABULARY: &[&str] = &[
    "pub",
    "pub(crate)",
    "pub(super)",
    "Xor",
    "Net",
    "λ",
    "r#loss",
    "<",
    ">",
    "=>",
    "=",
    ";",
    ",",
    ":",
    "::",
    "-",
    "relu",
    "rellu",
    "ReLU",
    "sigmoid",
    "sigmod",
    "tanh",
    "identity",
    "linear",
    "softmax",
    "loss",
    "lose",
    "mse",
    "mes",
    "half_sse",
    "scalar",
    "f32",
    "f64",
    "f16",
    "0",
    "1",
    "2",
    "3",
    "17",
    "128",
    "256",
    "16385",
    "65536",
    "18446744073709551615",
    "340282366920938463463374607431768211456",
    "1.5",
    "2u8",
    "0x10",
    "1e3",
    "#[doc = \"d\"]",
    "#[derive(Clone)]",
    "struct",
    "fn",
    "self",
    "_",
    "'a",
    "\"s\"",
    "'c'",
    "b\"x\"",
    "()",
    "[]",
    "{}",
    "(2 => relu 1)",
    "<>",
    "=>=>",
    ">>",
    "<<",
];

/// Valid specs, to be edited.
const SPECS: &[&str] = &[
    "pub Xor<2 => relu 2 => sigmoid 1; loss mse>",
    "Net<3 => tanh 4 => linear 2; loss half_sse; scalar f64>",
    "#[doc = \"d\"] pub(crate) N<1 => identity 1; scalar f32; loss mse;>",
    "Deep<4 => relu 8 => tanh 8 => sigmoid 8 => identity 3; loss mse>",
];

/// `graph!`'s own tokens besides its ops, added to [`VOCABULARY`] for its edits.
const GRAPH_VOCABULARY: &[&str] = &[
    "input",
    "x",
    "h",
    "y",
    "obs",
    "o",
    "yn",
    "fn",
    "[3]",
    "[0]",
    "shared",
    "(x, 2)",
    "(h, x)",
    "(h)",
    "(x, dense(x, 2))",
    "(concat(h, x), 1)",
    "(h, 0..2)",
    "(h, 2..1)",
    "|>",
    "|",
    "+",
    "*",
    "0.5",
    "-1",
    "nan",
    "cross_entropy",
    "bce",
    "huber",
    "codegen",
    "kernels",
    "unrolled",
];

/// Valid graphs, to be edited.
const GRAPHS: &[&str] = &[
    "pub N< input x[3]; h = dense(x, 4) |> tanh; y = dense(h, 2); loss mse(y); >",
    "N< input obs[3]; h = dense(obs, 4) |> tanh; h2 = dense(h, 4) |> tanh; r = add(h, h2); \
     pi = dense(r, 2) |> softmax; v = dense(concat(r, obs), 1); \
     loss cross_entropy(pi) + 0.5 * mse(v); >",
    "N< input a[2]; input b[2]; ea = dense(a, 3); eb = dense(b, 3, shared = ea); \
     d = sub(ea, eb) |> stop_gradient; s = slice(concat(d, a), 1..4); y = scale(mul(s, s), 2); \
     loss huber(y, 0.5); scalar f64; >",
];

/// Parses `source` as tokens, when its delimiters balance.
fn tokens(source: &str) -> Option<TokenStream> {
    TokenStream::from_str(source).ok()
}

/// Expands `input` and checks that the result is valid Rust.
fn expands_to_rust(input: TokenStream) -> Result<(), TestCaseError> {
    let output = expand(input.clone());
    let parsed = syn::parse2::<syn::File>(output.clone());
    prop_assert!(parsed.is_ok(), "invalid Rust from `{}`:\n{}", input, output);
    Ok(())
}

/// Expands `input` as a graph and checks that the result is valid Rust.
fn graph_expands_to_rust(input: TokenStream) -> Result<(), TestCaseError> {
    let output = expand_graph(input.clone());
    let parsed = syn::parse2::<syn::File>(output.clone());
    prop_assert!(parsed.is_ok(), "invalid Rust from `{}`:\n{}", input, output);
    Ok(())
}

/// One edit of a token list: delete, insert, replace, duplicate or swap at `at`.
fn edit(tokens: &mut Vec<String>, kind: u8, at: Index, word: &str) {
    if tokens.is_empty() {
        tokens.push(word.to_owned());
        return;
    }
    let i = at.index(tokens.len());
    match kind % 5 {
        0 => {
            tokens.remove(i);
        }
        1 => tokens.insert(i, word.to_owned()),
        2 => tokens[i] = word.to_owned(),
        3 => tokens.insert(i, tokens[i].clone()),
        _ => {
            let j = (i + 1) % tokens.len();
            tokens.swap(i, j);
        }
    }
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(2026),
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn random_token_soup_never_panics(words in prop::collection::vec(select(VOCABULARY), 0..24)) {
        if let Some(input) = tokens(&words.join(" ")) {
            expands_to_rust(input)?;
        }
    }

    #[test]
    fn edited_specs_never_panic(
        spec in select(SPECS),
        edits in prop::collection::vec((any::<u8>(), any::<Index>(), select(VOCABULARY)), 1..5),
    ) {
        let mut words: Vec<String> = spec.split(' ').map(str::to_owned).collect();
        for (kind, at, word) in edits {
            edit(&mut words, kind, at, word);
        }
        if let Some(input) = tokens(&words.join(" ")) {
            expands_to_rust(input)?;
        }
    }

    #[test]
    fn edited_graphs_never_panic(
        spec in select(GRAPHS),
        edits in prop::collection::vec(
            (any::<u8>(), any::<Index>(), select([VOCABULARY, GRAPH_VOCABULARY, crate::lang::check::OPS].concat())),
            1..5,
        ),
    ) {
        let mut words: Vec<String> = spec.split_whitespace().map(str::to_owned).collect();
        for (kind, at, word) in edits {
            edit(&mut words, kind, at, word);
        }
        if let Some(input) = tokens(&words.join(" ")) {
            graph_expands_to_rust(input)?;
        }
    }
}

proptest! {
    // Valid networks are the slow case (their whole code is generated and reparsed),
    // and the soups above already cover the parser; fewer, smaller ones suffice here.
    #![proptest_config(config(300))]

    #[test]
    fn valid_specs_of_any_width_compile_to_a_network(
        widths in prop::collection::vec(1usize..12, 2..6),
        activations in prop::collection::vec(select(&["relu", "sigmoid", "tanh", "linear"][..]), 5),
        loss in select(&["mse", "half_sse"][..]),
    ) {
        let mut spec = format!("Net<{}", widths[0]);
        for (width, activation) in widths[1..].iter().zip(&activations) {
            spec += &format!(" => {activation} {width}");
        }
        spec += &format!("; loss {loss}>");
        let output = expand(tokens(&spec).expect("a well-formed spec")).to_string();
        prop_assert!(!output.contains("compile_error"), "{spec} was rejected: {output}");
        expands_to_rust(tokens(&spec).expect("a well-formed spec"))?;
    }
}
