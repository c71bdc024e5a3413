//! The whole compiler in one place: parse → check → build → plan → emit.

use proc_macro2::TokenStream;

use crate::codegen::{self, Header};
use crate::parse::SpecAst;
use crate::{check, graph};

/// Compiles the tokens inside `mlp!( … )` into the network's items, or into
/// `compile_error!`s at the offending tokens. Never panics.
pub fn expand(input: TokenStream) -> TokenStream {
    let ast: SpecAst = match syn::parse2(input) {
        Ok(ast) => ast,
        Err(error) => return error.to_compile_error(),
    };
    let header = Header {
        attrs: ast.attrs.clone(),
        vis: ast.vis.clone(),
        name: ast.name.clone(),
    };
    if let Some(error) = codegen::name_error(&header.name) {
        let mut tokens = error.to_compile_error();
        tokens.extend(codegen::stub(&header));
        return tokens;
    }
    let generated = check::check(&ast)
        .map(|spec| graph::build(&spec))
        .and_then(|dag| codegen::emit(&header, &dag));
    match generated {
        Ok(tokens) => tokens,
        Err(error) => {
            let mut tokens = error.to_compile_error();
            let fallback = graph::build(&check::fallback(&ast));
            match codegen::emit(&header, &fallback) {
                Ok(network) => tokens.extend(network),
                Err(_) => tokens.extend(codegen::stub(&header)),
            }
            tokens
        }
    }
}

/// Compiles the tokens inside `graph!( … )` into the network's items, or into
/// `compile_error!`s at the offending tokens (with a stub of the type, so that uses of
/// it add nothing). Never panics.
pub fn expand_graph(input: TokenStream) -> TokenStream {
    let ast: crate::lang::parse::GraphAst = match syn::parse2(input) {
        Ok(ast) => ast,
        Err(error) => return error.to_compile_error(),
    };
    let header = crate::lang::codegen::Header {
        attrs: ast.attrs.clone(),
        vis: ast.vis.clone(),
        name: ast.name.clone(),
    };
    if let Some(error) = codegen::name_error(&header.name) {
        let mut tokens = error.to_compile_error();
        tokens.extend(codegen::stub(&Header {
            attrs: header.attrs,
            vis: header.vis,
            name: header.name,
        }));
        return tokens;
    }
    let generated = crate::lang::check::check(&ast)
        .map(|spec| graph::lower(&spec))
        .and_then(|dag| crate::lang::codegen::emit(&header, &dag));
    match generated {
        Ok(tokens) => tokens,
        Err(error) => {
            let mut tokens = error.to_compile_error();
            tokens.extend(codegen::stub(&Header {
                attrs: header.attrs,
                vis: header.vis,
                name: header.name,
            }));
            tokens
        }
    }
}

#[cfg(test)]
mod tests {
    use super::expand;
    use quote::quote;

    /// The expansion as `cargo expand` would print it.
    fn pretty(tokens: proc_macro2::TokenStream) -> String {
        let file: syn::File = syn::parse2(expand(tokens)).expect("expansion is valid Rust");
        prettyplease::unparse(&file)
    }

    #[test]
    fn seed_network_expansion() {
        insta::assert_snapshot!(pretty(quote! {
            /// The network of seed 003.
            pub Seed<2 => relu 2 => sigmoid 1; loss half_sse>
        }));
    }

    #[test]
    fn mse_f64_identity_expansion() {
        insta::assert_snapshot!(pretty(quote!(Line<1 => linear 2; loss mse; scalar f64>)));
    }

    #[test]
    fn kernel_layers_expansion() {
        // 20·16 = 320 weights: past the threshold, so layer 1 calls kernels; layer 2
        // (16·3 = 48 weights) is unrolled, and the two meet through a conversion.
        insta::assert_snapshot!(pretty(
            quote!(Mixed<20 => tanh 16 => sigmoid 3; loss half_sse>)
        ));
    }

    #[test]
    fn wide_network_expansion() {
        // 1,500 + 1,500 + 2 units: in a debug build, too wide for blocks of 32 samples
        // within the stack bound, so its `Network` block methods split bigger blocks
        // into 8 samples there; release builds take 32.
        insta::assert_snapshot!(pretty(
            quote!(Broad<8 => relu 1500 => identity 2; loss mse>)
        ));
    }

    #[test]
    fn actor_critic_graph_expansion() {
        let file: syn::File = syn::parse2(super::expand_graph(quote! {
            /// A policy and a value head on one trunk.
            pub ActorCritic<
                input obs[3];
                h  = dense(obs, 4) |> tanh;
                h2 = dense(h, 4) |> tanh;
                r  = add(h, h2);
                pi = dense(r, 2) |> softmax;
                ro = concat(r, obs);
                v  = dense(ro, 1);
                loss cross_entropy(pi) + 0.5 * mse(v);
            >
        }))
        .expect("expansion is valid Rust");
        insta::assert_snapshot!(prettyplease::unparse(&file));
    }

    #[test]
    fn graph_codegen_kernels_calls_a_kernel_for_every_dense_layer() {
        let graph = |clause: proc_macro2::TokenStream| {
            super::expand_graph(quote!(N< input x[3]; h = dense(x, 4) |> tanh;
                y = dense(h, 2); loss mse(y); #clause >))
            .to_string()
        };
        // The one-sample kernel; the block methods call `dense_forward_batch` either way.
        let one_sample = "dense_forward (";
        let written = graph(quote!());
        assert!(written.contains("segment"), "{written}");
        assert!(!written.contains(one_sample), "{written}");
        let kernels = graph(quote!(codegen kernels;));
        assert!(!kernels.contains("segment"), "{kernels}");
        // Two layers in each of `forward`, `forward_trace`, `loss` and `backward_into`.
        assert_eq!(kernels.matches(one_sample).count(), 2 * 4, "{kernels}");
    }

    #[test]
    fn classifier_expansion() {
        // A small classifier: the hidden layer (4·6 = 24 weights) is unrolled; the
        // softmax layer and its fused cross-entropy are kernel calls whatever the size.
        insta::assert_snapshot!(pretty(
            quote!(pub Classifier<4 => leaky_relu(0.1) 6 => softmax 3; loss cross_entropy>)
        ));
    }

    #[test]
    fn consecutive_written_out_layers_are_accepted_in_one_call() {
        // 2·3 + 3, 3·2 + 2 and 2·1 + 1 parameters: 20, all written out.
        let unrolled = expand(quote!(U<2 => relu 3 => relu 2 => sigmoid 1; loss mse>));
        let unrolled = unrolled.to_string();
        assert_eq!(
            unrolled.matches("sink . accept_products ::").count(),
            1,
            "{unrolled}"
        );
        assert!(
            unrolled.contains("sink . accept_products :: < 0 , 20 >"),
            "{unrolled}"
        );
        // A kernel layer between written-out ones splits them into two runs: 2·3 + 3
        // parameters at 0; 3·30 + 30 at 9 (a kernel layer); then 30·2 + 2 and 2·1 + 1
        // written out again, from 129.
        let split = quote!(S<2 => relu 3 => relu 30 => relu 2 => sigmoid 1; loss mse>);
        let split = expand(split).to_string();
        assert_eq!(
            split.matches("sink . accept_products ::").count(),
            2,
            "{split}"
        );
        assert!(
            split.contains("sink . accept_products :: < 0 , 9 >"),
            "{split}"
        );
        assert!(
            split.contains("sink . accept_products :: < 129 , 65 >"),
            "{split}"
        );
        assert!(split.contains("sink . dense :: < 9 , 3 , 30 >"), "{split}");
    }

    #[test]
    fn math_exact_calls_the_exact_functions() {
        let exact = expand(quote!(E<2 => tanh 2 => sigmoid 1; loss mse; math exact>)).to_string();
        assert!(
            exact.contains(":: backprop :: activation :: exact :: tanh"),
            "{exact}"
        );
        assert!(
            exact.contains(":: backprop :: activation :: exact :: sigmoid"),
            "{exact}"
        );
        let fast = quote!(E<2 => tanh 20 => sigmoid 1; loss mse; codegen kernels>);
        let fast = expand(fast).to_string();
        assert!(!fast.contains("exact"), "{fast}");
        // Unrolled layers call the exact sigmoid, faster one value at a time.
        let unrolled = expand(quote!(E<2 => tanh 2 => sigmoid 1; loss mse>)).to_string();
        assert!(unrolled.contains(":: backprop :: activation :: exact :: sigmoid"));
        assert!(unrolled.contains(":: backprop :: activation :: tanh"));
    }

    #[test]
    fn a_network_named_like_a_generic_parameter_is_an_error() {
        for name in ["P", "O", "B"] {
            let name = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
            let mlp = expand(quote!(#name<2 => relu 1; loss mse>)).to_string();
            let graph =
                super::expand_graph(quote!(#name< input x[2]; y = dense(x, 1); loss mse(y); >));
            for out in [mlp, graph.to_string()] {
                assert!(
                    out.contains("generic parameter of the generated impls"),
                    "{out}"
                );
                assert!(out.contains(&format!("struct {name} {{ }}")), "{out}");
            }
        }
        assert!(
            !expand(quote!(Pn<2 => relu 1; loss mse>))
                .to_string()
                .contains("compile_error")
        );
    }

    #[test]
    fn errors_come_with_the_closest_network_that_compiles() {
        // The misspelled activation becomes the identity; the widths are kept, so code
        // using `Bad` type-checks against the API it expects.
        let out = expand(quote!(pub Bad<2 => rellu 2 => tanh 3; loss mse>)).to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(
            out.contains("unknown activation 'rellu'; did you mean 'relu'?"),
            "{out}"
        );
        assert!(out.contains("pub struct Bad < P = [f32 ; 15] >"), "{out}");
        assert!(out.contains("pub fn forward (& self , x : & [f32 ; 2]) -> [f32 ; 3]"));
        // A network too large for memory falls back to one unit per layer.
        let huge = expand(quote!(pub Huge<4294967296 => relu 4294967296; loss mse>));
        assert!(
            huge.to_string()
                .contains("pub struct Huge < P = [f32 ; 2] >")
        );
        let syntax = expand(quote!(<2 => relu 2>)).to_string();
        assert!(syntax.starts_with(":: core :: compile_error !"), "{syntax}");
    }
}
