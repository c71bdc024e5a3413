//! `mlp!` as sugar: its chain rewritten into the graph language's spec,
//! `x → z1 = dense(x) → a1 = f(z1) → … → loss`, which [`lower()`] turns into the DAG.

use super::{Dag, lower};
use crate::check::Spec;
use crate::lang::check::{GraphOp, GraphSpec, InputSpec, LossTerm, Source, ValueSpec};

/// The DAG of `spec`'s network, through the graph language: every dense layer's
/// parameter offsets assigned in canonical order (layer by layer: weights row-major,
/// then biases).
pub fn build(spec: &Spec) -> Dag {
    lower(&desugar(spec))
}

/// `spec` as the graph spec of `input x[IN]; z1 = dense(x, N1); a1 = f1(z1); …;
/// loss LOSS(aL);`. The names are the ones the generated code uses for the values.
pub fn desugar(spec: &Spec) -> GraphSpec {
    let mut values = Vec::with_capacity(2 * spec.layers.len());
    let mut previous = Source::Input(0);
    for (index, layer) in spec.layers.iter().enumerate() {
        let number = index + 1;
        let width = layer.width.value;
        values.push(ValueSpec {
            name: format!("z{number}"),
            span: layer.width.span,
            op: GraphOp::Dense {
                units: width,
                shared: None,
            },
            args: vec![previous],
            then: Vec::new(),
            width,
        });
        values.push(ValueSpec {
            name: format!("a{number}"),
            span: layer.activation_span,
            op: GraphOp::Activation(layer.activation),
            args: vec![Source::Value(values.len() - 1)],
            then: Vec::new(),
            width,
        });
        previous = Source::Value(values.len() - 1);
    }
    GraphSpec {
        inputs: vec![InputSpec {
            name: "x".to_owned(),
            width: spec.input.value,
            span: spec.input.span,
        }],
        losses: vec![LossTerm {
            weight: 1.0,
            loss: spec.loss,
            value: values.len().saturating_sub(1),
            span: spec.loss_span,
        }],
        values,
        scalar: spec.scalar,
        math: spec.math,
        init: spec.init,
        codegen: spec.codegen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Edge, Op};
    use crate::names::{Activation, Init, Loss, LossFn};
    use quote::quote;

    fn dag(tokens: proc_macro2::TokenStream) -> Dag {
        build(&crate::check::check(&syn::parse2(tokens).unwrap()).unwrap())
    }

    fn describe(dag: &Dag) -> Vec<String> {
        let order = dag.order().unwrap();
        order
            .iter()
            .map(|&id| {
                let node = &dag.graph[id];
                let inputs: Vec<String> = dag
                    .inputs(id)
                    .iter()
                    .map(|&p| dag.graph[p].name.clone())
                    .collect();
                format!(
                    "{}[{}] = {:?}({})",
                    node.name,
                    node.width,
                    node.op,
                    inputs.join(", ")
                )
            })
            .collect()
    }

    #[test]
    fn lowers_the_seed_network_to_a_chain_with_canonical_offsets() {
        let dag = dag(quote!(Xor<2 => relu 2 => sigmoid 1; loss half_sse>));
        let dense1 = "Dense(Dense { layer: 1, inputs: 2, weights: 0, biases: 4, init: HeUniform, shared: false })";
        let dense2 = "Dense(Dense { layer: 2, inputs: 2, weights: 6, biases: 8, init: GlorotUniform, shared: false })";
        assert_eq!(
            describe(&dag),
            [
                "x[2] = Input()".to_owned(),
                format!("z1[2] = {dense1}(x)"),
                "a1[2] = Activation(ActivationFn { kind: Relu, param: None })(z1)".to_owned(),
                format!("z2[1] = {dense2}(a1)"),
                "a2[1] = Activation(ActivationFn { kind: Sigmoid, param: None })(z2)".to_owned(),
                "loss[1] = Loss(LossFn { kind: HalfSse, param: None })(a2)".to_owned(),
            ]
        );
        assert_eq!(dag.params, 9);
        assert_eq!(dag.graph[dag.output()].name, "a2");
        assert_eq!(
            dag.activation_after(dag.dense_layers()[0].0)
                .map(|a| a.kind),
            Some(Activation::Relu)
        );
        assert_eq!(dag.dense_layers()[1].1.init, Init::GlorotUniform);
    }

    #[test]
    fn an_mlp_lowers_to_the_dag_of_the_graph_it_desugars_to() {
        let mlp =
            dag(quote!(N<3 => tanh 4 => leaky_relu(0.1) 2; loss huber(0.5); init glorot_normal>));
        let ast = syn::parse2(quote! {
            N<
                input x[3];
                z1 = dense(x, 4);
                a1 = tanh(z1);
                z2 = dense(a1, 2);
                a2 = leaky_relu(z2, 0.1);
                loss huber(a2, 0.5);
                init glorot_normal;
            >
        });
        let graph = lower(&crate::lang::check::check(&ast.unwrap()).unwrap());
        assert_eq!(describe(&mlp), describe(&graph));
        assert_eq!(
            (mlp.params, mlp.scalar, mlp.math),
            (graph.params, graph.scalar, graph.math)
        );
        assert!(mlp.is_chain() && graph.is_chain());
    }

    #[test]
    fn gradients_are_needed_from_the_first_dense_node_on() {
        let dag = dag(quote!(N<3 => tanh 4 => tanh 4 => linear 2; loss mse>));
        let order = dag.order().unwrap();
        let needs = dag.needs_gradient(&order);
        let flags: Vec<(String, bool)> = order
            .iter()
            .map(|&id| (dag.graph[id].name.clone(), needs[id.index()]))
            .collect();
        assert_eq!(flags[0], ("x".to_owned(), false));
        assert!(flags[1..].iter().all(|(_, needed)| *needed));
        assert_eq!(dag.params, 3 * 4 + 4 + 4 * 4 + 4 + 4 * 2 + 2);
    }

    #[test]
    fn reports_a_width_mismatch_and_a_cycle_at_their_nodes() {
        let mut broken = dag(quote!(N<3 => relu 4 => relu 2; loss mse>));
        let (z2, _) = broken.dense_layers()[1];
        if let Op::Dense(dense) = &mut broken.graph[z2].op {
            dense.inputs = 5;
        }
        let message = broken.order().unwrap_err().into_syn().to_string();
        assert_eq!(message, "this layer takes 5 inputs but is fed 4");

        let mut cyclic = dag(quote!(N<1 => relu 1; loss mse>));
        let (z1, _) = cyclic.dense_layers()[0];
        let a1 = cyclic.consumers(z1)[0].0;
        cyclic.graph.add_edge(a1, z1, Edge { slot: 1 });
        assert!(matches!(
            cyclic.order(),
            Err(super::super::GraphError::Cycle(_))
        ));
        assert_eq!(
            cyclic.graph[cyclic.loss()].op,
            Op::Loss(LossFn::default_of(Loss::Mse))
        );
    }

    #[test]
    fn reports_a_value_nothing_uses() {
        let mut dangling = dag(quote!(N<2 => relu 3; loss mse>));
        let (z1, _) = dangling.dense_layers()[0];
        let a1 = dangling.consumers(z1)[0].0;
        let node = super::super::Node {
            name: "z9".to_owned(),
            ..dangling.graph[z1].clone()
        };
        let z9 = dangling.graph.add_node(node);
        if let Op::Dense(dense) = &mut dangling.graph[z9].op {
            dense.inputs = 3;
        }
        dangling.graph.add_edge(a1, z9, Edge { slot: 0 });
        let message = dangling.order().unwrap_err().into_syn().to_string();
        assert_eq!(
            message,
            "this value is never used, so it cannot affect the loss"
        );
    }
}
