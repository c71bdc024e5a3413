//! Lowers a checked graph spec to the [`Dag`]: one node per op (a value's call, then
//! each op piped after it), an edge per argument, a loss node per term, and every dense
//! layer's parameters placed in canonical order.

use petgraph::graph::DiGraph;

use super::{Dag, Dense, Edge, Node, NodeId, Op, Term};
use crate::lang::check::{GraphOp, GraphSpec, Source, ValueSpec};
use crate::names::{Activation, ActivationFn};

/// The DAG of `spec`. A value `h = dense(x, 8) |> tanh` becomes the nodes `h_0` (the
/// dense op) and `h` (its last op); `concat(a, b, c)` becomes binary concatenations
/// left to right. Dense layers are numbered and their parameters placed in the order
/// they are defined (weights row-major, then biases); a `shared` dense reuses its
/// owner's.
pub fn lower(spec: &GraphSpec) -> Dag {
    let mut graph = DiGraph::new();
    let inputs: Vec<NodeId> = spec
        .inputs
        .iter()
        .map(|input| {
            graph.add_node(Node {
                op: Op::Input,
                width: input.width,
                name: input.name.clone(),
                span: input.span,
            })
        })
        .collect();
    let mut lowering = Lowering {
        spec,
        graph,
        inputs,
        values: Vec::new(),
        owners: Vec::new(),
        layers: 0,
        params: 0,
    };
    for (index, value) in spec.values.iter().enumerate() {
        lowering.value(index, value);
    }
    let Lowering {
        mut graph,
        inputs,
        values,
        params,
        ..
    } = lowering;
    let single = spec.losses.len() == 1;
    let losses = spec
        .losses
        .iter()
        .enumerate()
        .map(|(index, term)| {
            let output = values
                .get(term.value)
                .copied()
                .or(inputs.first().copied())
                .unwrap_or_default();
            let node = graph.add_node(Node {
                op: Op::Loss(term.loss),
                width: graph[output].width,
                name: if single {
                    "loss".to_owned()
                } else {
                    format!("loss{}", index + 1)
                },
                span: term.span,
            });
            graph.add_edge(output, node, Edge { slot: 0 });
            Term {
                node,
                weight: term.weight,
            }
        })
        .collect();
    Dag {
        graph,
        inputs,
        losses,
        scalar: spec.scalar,
        params,
        codegen: spec.codegen,
        math: spec.math,
    }
}

/// The DAG as it grows.
struct Lowering<'a> {
    spec: &'a GraphSpec,
    graph: DiGraph<Node, Edge>,
    inputs: Vec<NodeId>,
    /// By value: its last node.
    values: Vec<NodeId>,
    /// By value: the parameters of its dense op, for `shared = NAME`.
    owners: Vec<Option<Dense>>,
    layers: usize,
    params: usize,
}

impl Lowering<'_> {
    fn value(&mut self, index: usize, value: &ValueSpec) {
        let mut args: Vec<NodeId> = value.args.iter().map(|&s| self.node_of(s)).collect();
        let ops: Vec<&GraphOp> = core::iter::once(&value.op).chain(&value.then).collect();
        let last = ops.len() - 1;
        let mut owner = None;
        for (k, op) in ops.into_iter().enumerate() {
            let name = if k == last {
                value.name.clone()
            } else {
                format!("{}_{k}", value.name)
            };
            if *op == GraphOp::Concat {
                while args.len() > 2 {
                    let width = self.width(args[0]) + self.width(args[1]);
                    let part = format!("{name}_part{}", args.len());
                    let node = self.add(part, Op::Concat, &args[..2], width, value);
                    args.splice(0..2, [node]);
                }
            }
            let first_width = args.first().map_or(value.width, |&a| self.width(a));
            let (op, width) = match *op {
                GraphOp::Dense { units, shared } => {
                    let dense = match shared.and_then(|o| self.owners.get(o).copied().flatten()) {
                        Some(owned) => Dense {
                            shared: true,
                            ..owned
                        },
                        None => self.new_dense(index, value, first_width, units),
                    };
                    owner = Some(dense);
                    (Op::Dense(dense), units)
                }
                GraphOp::Add => (Op::Add, first_width),
                GraphOp::Sub => (Op::Sub, first_width),
                GraphOp::Mul => (Op::Mul, first_width),
                GraphOp::Scale(factor) => (Op::Scale(factor), first_width),
                GraphOp::Concat => (Op::Concat, args.iter().map(|&a| self.width(a)).sum()),
                GraphOp::Slice { start, end } => (Op::Slice { start, end }, end - start),
                GraphOp::StopGradient => (Op::StopGradient, first_width),
                GraphOp::Activation(activation) => (Op::Activation(activation), first_width),
                // A renaming is the identity, which costs nothing.
                GraphOp::Alias => (Op::Activation(identity()), first_width),
            };
            let node = self.add(name, op, &args, width, value);
            args = vec![node];
        }
        self.owners.push(owner);
        self.values.push(args.first().copied().unwrap_or_default());
    }

    /// The parameters of a new dense layer, after all earlier ones. Its init scheme is
    /// the spec's, or else the one for the activation right after it (piped, or the op
    /// of its one consumer), so that `h = dense(x, 8) |> relu` and `z = dense(x, 8);
    /// h = relu(z)` start alike.
    fn new_dense(&mut self, index: usize, value: &ValueSpec, inputs: usize, units: usize) -> Dense {
        let next = value.then.first().or_else(|| {
            let mut consumers = self.spec.values[index + 1..]
                .iter()
                .filter(|v| v.args.contains(&Source::Value(index)));
            match (consumers.next(), consumers.next()) {
                (Some(only), None) => Some(&only.op),
                _ => None,
            }
        });
        let activation = match next {
            Some(GraphOp::Activation(activation)) => *activation,
            _ => identity(),
        };
        self.layers += 1;
        // `check` bounds every width so that the parameters' bytes fit in memory: none
        // of this overflows, and saturating keeps it so if that ever changes.
        let weights = self.params;
        let biases = weights.saturating_add(inputs.saturating_mul(units));
        self.params = biases.saturating_add(units);
        Dense {
            layer: self.layers,
            inputs,
            weights,
            biases,
            init: self.spec.init.unwrap_or(activation.row().init),
            shared: false,
        }
    }

    fn add(
        &mut self,
        name: String,
        op: Op,
        args: &[NodeId],
        width: usize,
        value: &ValueSpec,
    ) -> NodeId {
        let node = self.graph.add_node(Node {
            op,
            width,
            name,
            span: value.span,
        });
        for (slot, &arg) in args.iter().enumerate() {
            self.graph.add_edge(arg, node, Edge { slot });
        }
        node
    }

    fn node_of(&self, source: Source) -> NodeId {
        let node = match source {
            Source::Input(i) => self.inputs.get(i),
            Source::Value(v) => self.values.get(v),
        };
        node.copied().unwrap_or_default()
    }

    fn width(&self, node: NodeId) -> usize {
        self.graph[node].width
    }
}

fn identity() -> ActivationFn {
    ActivationFn {
        kind: Activation::Identity,
        param: None,
    }
}
