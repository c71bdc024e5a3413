//! The network's computation graph as Graphviz DOT, written by petgraph's DOT writer at
//! compile time: what `Net::DOT` holds (`dot -Tsvg` draws it).

use petgraph::dot::{Config, Dot, RankDir};
use petgraph::graph::DiGraph;

use crate::graph::{Dag, Op};

/// The DOT of a network's DAG, for either macro: each node labelled with what it
/// computes and its width (`z1 = W1·x + b1 [3]`, `r = add(h, h2) [4]`), each loss term
/// with its weight.
pub fn of_dag(dag: &Dag) -> String {
    let graph = &dag.graph;
    let labels: Vec<String> = graph
        .node_indices()
        .map(|id| {
            let node = &graph[id];
            let args: Vec<&str> = dag
                .inputs(id)
                .iter()
                .map(|&p| graph[p].name.as_str())
                .collect();
            let args = args.join(", ");
            let (name, width) = (&node.name, node.width);
            let what = match node.op {
                Op::Input => return format!("{name} [{width}]"),
                Op::Dense(dense) => format!("W{l}·{args} + b{l}", l = dense.layer),
                Op::Activation(activation) => format!("{}({args})", activation.row().name),
                Op::Add => format!("add({args})"),
                Op::Sub => format!("sub({args})"),
                Op::Mul => format!("mul({args})"),
                Op::Scale(factor) => format!("scale({args}, {factor})"),
                Op::Concat => format!("concat({args})"),
                Op::Slice { start, end } => format!("slice({args}, {start}..{end})"),
                Op::StopGradient => format!("stop_gradient({args})"),
                Op::Loss(loss) => {
                    let weight = dag
                        .losses
                        .iter()
                        .find(|term| term.node == id)
                        .map_or(1.0, |term| term.weight);
                    let loss = loss.row().name;
                    return if weight == 1.0 {
                        format!("{name} = {loss}({args})")
                    } else {
                        format!("{name} = {weight} · {loss}({args})")
                    };
                }
            };
            format!("{name} = {what} [{width}]")
        })
        .collect();
    let edges: Vec<(usize, usize)> = graph
        .edge_indices()
        .filter_map(|e| graph.edge_endpoints(e))
        .map(|(a, b)| (a.index(), b.index()))
        .collect();
    render(&labels, &edges)
}

/// DOT for nodes labelled `labels` and edges `(from, to)` between them, left to right.
fn render(labels: &[String], edges: &[(usize, usize)]) -> String {
    let mut graph: DiGraph<&str, &str> = DiGraph::new();
    let ids: Vec<_> = labels
        .iter()
        .map(|label| graph.add_node(label.as_str()))
        .collect();
    for &(from, to) in edges {
        if let (Some(&from), Some(&to)) = (ids.get(from), ids.get(to)) {
            graph.add_edge(from, to, "");
        }
    }
    let config = [
        Config::EdgeNoLabel,
        Config::NodeNoLabel,
        Config::RankDir(RankDir::LR),
    ];
    let dot = Dot::with_attr_getters(&graph, &config, &|_, _| String::new(), &|_, (_, label)| {
        format!("label = {label:?}, shape = box")
    });
    format!("{dot}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_labelled_nodes_and_edges() {
        let dot = render(&["x [2]".into(), "z1 = W1·x + b1 [3]".into()], &[(0, 1)]);
        assert!(dot.starts_with("digraph {"), "{dot}");
        assert!(dot.contains("rankdir=\"LR\""), "{dot}");
        assert!(dot.contains("label = \"z1 = W1·x + b1 [3]\""), "{dot}");
        assert!(dot.contains("0 -> 1"), "{dot}");
    }
}
