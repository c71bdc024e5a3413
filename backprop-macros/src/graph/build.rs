//! Lowers a validated [`Spec`] to a [`Dag`]: input → (dense → activation)* → loss.

use petgraph::graph::DiGraph;

use super::{Dag, Dense, Edge, Node, Op};
use crate::check::Spec;

/// The DAG of `spec`'s network, with every dense layer's parameter offsets assigned in
/// canonical order (layer by layer: weights row-major, then biases).
pub fn build(spec: &Spec) -> Dag {
    let mut graph = DiGraph::new();
    let input = graph.add_node(Node {
        op: Op::Input,
        width: spec.input.value,
        name: "x".to_owned(),
        span: spec.input.span,
    });
    let (mut previous, mut fan_in, mut offset) = (input, spec.input.value, 0usize);
    for (index, layer) in spec.layers.iter().enumerate() {
        let number = index + 1;
        let width = layer.width.value;
        // `check` bounds the total so that its bytes fit in memory: none of this overflows.
        let biases = offset.saturating_add(fan_in.saturating_mul(width));
        let dense = Dense {
            layer: number,
            inputs: fan_in,
            weights: offset,
            biases,
            init: spec.init.unwrap_or(layer.activation.row().init),
        };
        let z = graph.add_node(Node {
            op: Op::Dense(dense),
            width,
            name: format!("z{number}"),
            span: layer.width.span,
        });
        graph.add_edge(previous, z, Edge { slot: 0 });
        let a = graph.add_node(Node {
            op: Op::Activation(layer.activation),
            width,
            name: format!("a{number}"),
            span: layer.activation_span,
        });
        graph.add_edge(z, a, Edge { slot: 0 });
        (previous, fan_in, offset) = (a, width, biases.saturating_add(width));
    }
    let loss = graph.add_node(Node {
        op: Op::Loss(spec.loss),
        width: fan_in,
        name: "loss".to_owned(),
        span: spec.loss_span,
    });
    graph.add_edge(previous, loss, Edge { slot: 0 });
    Dag {
        graph,
        input,
        loss,
        scalar: spec.scalar,
        params: offset,
        codegen: spec.codegen,
        math: spec.math,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let dense1 = "Dense(Dense { layer: 1, inputs: 2, weights: 0, biases: 4, init: HeUniform })";
        let dense2 =
            "Dense(Dense { layer: 2, inputs: 2, weights: 6, biases: 8, init: GlorotUniform })";
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
            cyclic.graph[cyclic.loss].op,
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
