//! Stage 3, graph: a validated spec → [`Dag`], the network as a petgraph DAG whose
//! nodes are vector-valued operations and whose edges are data dependencies.
//!
//! Codegen walks it in topological order for the forward pass and in reverse for the
//! backward pass. Nothing here assumes a chain: a node may feed several consumers
//! (its gradient is then the sum of what each sends back) and an op may take several
//! inputs (edges carry the input slot), which is what skip connections will need.

mod build;

pub use build::build;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use proc_macro2::Span;

use crate::names::{ActivationFn, Codegen, Init, LossFn, Math, ScalarType};

/// A node of the DAG.
pub type NodeId = NodeIndex;

/// The network as a graph of operations.
#[derive(Debug)]
pub struct Dag {
    pub graph: DiGraph<Node, Edge>,
    /// The network's input, `x`.
    pub input: NodeId,
    /// The loss; its input is the network's output.
    pub loss: NodeId,
    pub scalar: ScalarType,
    /// The total number of parameters, over all dense nodes.
    pub params: usize,
    /// How the spec asks for the layers to be written out, and where it asked.
    pub codegen: (Codegen, Span),
    /// Which `exp` and `tanh` the activations use.
    pub math: Math,
}

/// One operation and the vector it produces.
#[derive(Clone, Debug)]
pub struct Node {
    pub op: Op,
    /// The length of the vector this node produces.
    pub width: usize,
    /// The name of that vector in the generated code, after the math: `x`, `z1`, `a1`.
    pub name: String,
    /// The spec token this node comes from, for errors.
    pub span: Span,
}

/// What a node computes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// The network's input vector.
    Input,
    /// `z = W·x + b` with its parameters.
    Dense(Dense),
    /// `a = f(z)`, unit by unit.
    Activation(ActivationFn),
    /// The scalar loss of its input against the target.
    Loss(LossFn),
}

/// A dense layer's shape and where its parameters live.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dense {
    /// The 1-based layer number, as in `z1`, `W1`.
    pub layer: usize,
    /// The width of its input.
    pub inputs: usize,
    /// Offset of the weights (row-major `[outputs][inputs]`) in the parameter array.
    pub weights: usize,
    /// Offset of the biases in the parameter array.
    pub biases: usize,
    pub init: Init,
}

/// A data dependency: the producer's vector is the consumer's input number `slot`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    pub slot: usize,
}

/// A graph that cannot be compiled, with the spec token to blame.
#[derive(Clone, Copy, Debug)]
pub enum GraphError {
    /// A value depends on itself.
    Cycle(Span),
    /// A consumer expects another width than its producer gives.
    WidthMismatch {
        span: Span,
        expected: usize,
        found: usize,
    },
    /// An op has the wrong number of inputs.
    Arity {
        span: Span,
        expected: usize,
        found: usize,
    },
    /// A value that nothing consumes: it cannot affect the loss.
    Unused(Span),
}

impl Dag {
    /// The nodes in an order where every producer comes before its consumers, after
    /// checking the graph's shapes.
    pub fn order(&self) -> Result<Vec<NodeId>, GraphError> {
        let order = petgraph::algo::toposort(&self.graph, None)
            .map_err(|cycle| GraphError::Cycle(self.graph[cycle.node_id()].span))?;
        for &node in &order {
            self.check_node(node)?;
        }
        Ok(order)
    }

    /// The producers of `node`'s inputs, by slot.
    pub fn inputs(&self, node: NodeId) -> Vec<NodeId> {
        let mut edges: Vec<_> = self
            .graph
            .edges_directed(node, Direction::Incoming)
            .collect();
        edges.sort_by_key(|edge| edge.weight().slot);
        edges.into_iter().map(|edge| edge.source()).collect()
    }

    /// The consumers of `node`'s vector, with the slot it fills in each, in node order.
    pub fn consumers(&self, node: NodeId) -> Vec<(NodeId, usize)> {
        let edges = self.graph.edges_directed(node, Direction::Outgoing);
        let mut consumers: Vec<_> = edges
            .map(|edge| (edge.target(), edge.weight().slot))
            .collect();
        consumers.sort();
        consumers
    }

    /// The node whose vector is the network's output: the loss's input.
    pub fn output(&self) -> NodeId {
        self.inputs(self.loss)
            .first()
            .copied()
            .unwrap_or(self.input)
    }

    /// The dense nodes in layer order.
    pub fn dense_layers(&self) -> Vec<(NodeId, Dense)> {
        let mut layers: Vec<_> = self
            .graph
            .node_indices()
            .filter_map(|id| match self.graph[id].op {
                Op::Dense(dense) => Some((id, dense)),
                _ => None,
            })
            .collect();
        layers.sort_by_key(|(_, dense)| dense.layer);
        layers
    }

    /// The activation that consumes a dense node's output, if it has one.
    pub fn activation_after(&self, dense: NodeId) -> Option<ActivationFn> {
        self.consumers(dense)
            .into_iter()
            .find_map(|(id, _)| match self.graph[id].op {
                Op::Activation(activation) => Some(activation),
                _ => None,
            })
    }

    /// For each node (by index), whether the loss's gradient with respect to its
    /// vector is needed: true where parameters lie at or upstream of it. The input's
    /// gradient is never needed, so nothing is computed for it.
    pub fn needs_gradient(&self, order: &[NodeId]) -> Vec<bool> {
        let mut needs = vec![false; self.graph.node_count()];
        for &node in order {
            let has_params = matches!(self.graph[node].op, Op::Dense(_));
            let upstream = self
                .inputs(node)
                .iter()
                .any(|producer| needs[producer.index()]);
            needs[node.index()] = has_params || upstream;
        }
        needs
    }

    /// Checks that `node` has as many inputs as its op takes, of the widths it expects,
    /// and that its value is used (the backward pass sums over its consumers).
    fn check_node(&self, node: NodeId) -> Result<(), GraphError> {
        let this = &self.graph[node];
        if node != self.loss && self.consumers(node).is_empty() {
            return Err(GraphError::Unused(this.span));
        }
        let inputs = self.inputs(node);
        let arity = if this.op == Op::Input { 0 } else { 1 };
        if inputs.len() != arity {
            return Err(GraphError::Arity {
                span: this.span,
                expected: arity,
                found: inputs.len(),
            });
        }
        let Some(&producer) = inputs.first() else {
            return Ok(());
        };
        let expected = match this.op {
            Op::Dense(dense) => dense.inputs,
            _ => this.width,
        };
        let found = self.graph[producer].width;
        if expected != found {
            return Err(GraphError::WidthMismatch {
                span: this.span,
                expected,
                found,
            });
        }
        Ok(())
    }
}

impl GraphError {
    /// The error as the user sees it, at the spec token to blame.
    pub fn into_syn(self) -> syn::Error {
        match self {
            GraphError::Cycle(span) => syn::Error::new(
                span,
                "this value depends on itself; a network must be acyclic",
            ),
            GraphError::WidthMismatch {
                span,
                expected,
                found,
            } => syn::Error::new(
                span,
                format!("this layer takes {expected} inputs but is fed {found}"),
            ),
            GraphError::Arity {
                span,
                expected,
                found,
            } => syn::Error::new(
                span,
                format!("this operation takes {expected} inputs but is given {found}"),
            ),
            GraphError::Unused(span) => syn::Error::new(
                span,
                "this value is never used, so it cannot affect the loss",
            ),
        }
    }
}
