//! The network's computation graph as Graphviz DOT, written by petgraph's DOT writer at
//! compile time: what `Net::DOT` holds (`dot -Tsvg` draws it).

use petgraph::dot::{Config, Dot, RankDir};
use petgraph::graph::DiGraph;

/// DOT for nodes labelled `labels` and edges `(from, to)` between them, left to right.
pub fn render(labels: &[String], edges: &[(usize, usize)]) -> String {
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
