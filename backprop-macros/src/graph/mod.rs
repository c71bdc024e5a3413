//! The graph IR both macros compile through: [`Dag`], the network as a petgraph DAG
//! whose nodes are vector-valued operations and whose edges are data dependencies.
//!
//! `graph!`'s checked spec is lowered to it by [`lower()`]; `mlp!` is sugar: its chain is
//! first rewritten into the same graph spec ([`build()`]) and lowered by the same code.
//! The back ends walk the DAG in topological order for the forward pass and in reverse
//! for the backward pass: a node may feed several consumers (its gradient is then the
//! sum of what each sends back) and an op may take several inputs (edges carry the
//! input slot).

mod build;
mod lower;

pub use build::build;
pub use lower::lower;

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
    /// The network's inputs, in the order they are declared (`mlp!`'s one is `x`).
    pub inputs: Vec<NodeId>,
    /// The loss terms, in the order they are written; the input of each is an output.
    pub losses: Vec<Term>,
    pub scalar: ScalarType,
    /// The total number of parameters, over all dense nodes.
    pub params: usize,
    /// How the spec asks for the layers to be written out, and where it asked.
    pub codegen: (Codegen, Span),
    /// Which `exp` and `tanh` the activations use.
    pub math: Math,
}

/// One weighted term of the loss.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Term {
    /// The [`Op::Loss`] node.
    pub node: NodeId,
    /// What the term is multiplied by in the total.
    pub weight: f64,
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
    /// One of the network's input vectors.
    Input,
    /// `z = W·x + b` with its parameters.
    Dense(Dense),
    /// `a = f(z)`, unit by unit (softmax: over the vector).
    Activation(ActivationFn),
    /// Elementwise `a + b`.
    Add,
    /// Elementwise `a − b`.
    Sub,
    /// Elementwise `a · b`.
    Mul,
    /// `c · a` for a constant `c`.
    Scale(f64),
    /// `a` followed by `b`.
    Concat,
    /// Elements `start..end` of its input.
    Slice { start: usize, end: usize },
    /// Its input forward; no gradient backward.
    StopGradient,
    /// The scalar loss of its input against that output's target.
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
    /// Whether the parameters are those of an earlier dense node (the same `layer`),
    /// so that both uses add their gradients into them.
    pub shared: bool,
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
        let mut order = petgraph::algo::toposort(&self.graph, None)
            .map_err(|cycle| GraphError::Cycle(self.graph[cycle.node_id()].span))?;
        // The order the nodes were added in, when it is one (lowering adds them as the
        // spec defines them): the generated code then reads in the spec's order.
        let edges = self.graph.edge_references();
        if edges.into_iter().all(|edge| edge.source() < edge.target()) {
            order = self.graph.node_indices().collect();
        }
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

    /// The first input: a chain's only one, `x`.
    pub fn input(&self) -> NodeId {
        self.inputs.first().copied().unwrap_or_default()
    }

    /// The first loss node: a chain's only one.
    pub fn loss(&self) -> NodeId {
        self.losses
            .first()
            .map(|term| term.node)
            .unwrap_or_default()
    }

    /// Whether the graph is a chain, what `mlp!`'s back end compiles: one input, then
    /// dense and activation nodes each feeding the next, one loss of weight 1.
    pub fn is_chain(&self) -> bool {
        let simple = |id: NodeId| {
            matches!(
                self.graph[id].op,
                Op::Input | Op::Loss(_) | Op::Activation(_)
            ) || matches!(self.graph[id].op, Op::Dense(dense) if !dense.shared)
        };
        self.inputs.len() == 1
            && matches!(self.losses[..], [Term { weight, .. }] if weight == 1.0)
            && self
                .graph
                .node_indices()
                .all(|id| simple(id) && self.consumers(id).len() <= 1 && self.inputs(id).len() <= 1)
    }

    /// The node whose vector is the network's output: the loss's input.
    pub fn output(&self) -> NodeId {
        self.output_of(self.loss())
    }

    /// The vector loss node `loss` scores.
    pub fn output_of(&self, loss: NodeId) -> NodeId {
        self.inputs(loss).first().copied().unwrap_or(self.input())
    }

    /// The dense nodes that own their parameters, in layer order.
    pub fn dense_layers(&self) -> Vec<(NodeId, Dense)> {
        let mut layers: Vec<_> = self
            .graph
            .node_indices()
            .filter_map(|id| match self.graph[id].op {
                Op::Dense(dense) if !dense.shared => Some((id, dense)),
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
    /// vector is needed: true where parameters lie at or upstream of it, through ops
    /// other than `stop_gradient`. The inputs' gradients are never needed, so nothing is
    /// computed for them.
    pub fn needs_gradient(&self, order: &[NodeId]) -> Vec<bool> {
        let mut needs = vec![false; self.graph.node_count()];
        for &node in order {
            needs[node.index()] = match self.graph[node].op {
                Op::Dense(_) => true,
                Op::StopGradient => false,
                _ => self
                    .inputs(node)
                    .iter()
                    .any(|producer| needs[producer.index()]),
            };
        }
        needs
    }

    /// Checks that `node` has as many inputs as its op takes, of the widths it expects,
    /// and that its value is used (the backward pass sums over its consumers).
    fn check_node(&self, node: NodeId) -> Result<(), GraphError> {
        let this = &self.graph[node];
        let is_loss = matches!(this.op, Op::Loss(_));
        if !is_loss && self.consumers(node).is_empty() {
            return Err(GraphError::Unused(this.span));
        }
        let inputs = self.inputs(node);
        let arity = match this.op {
            Op::Input => 0,
            Op::Add | Op::Sub | Op::Mul | Op::Concat => 2,
            _ => 1,
        };
        if inputs.len() != arity {
            return Err(GraphError::Arity {
                span: this.span,
                expected: arity,
                found: inputs.len(),
            });
        }
        let widths: Vec<usize> = inputs.iter().map(|&p| self.graph[p].width).collect();
        // What the inputs' widths must be, and what they are, compared as one number.
        let (expected, found) = match this.op {
            Op::Input => return Ok(()),
            Op::Dense(dense) => (dense.inputs, widths[0]),
            Op::Concat => (this.width, widths.iter().sum()),
            Op::Slice { end, .. } => (end.max(widths[0]), widths[0]),
            Op::Add | Op::Sub | Op::Mul => {
                let other = widths.iter().copied().find(|&w| w != this.width);
                (this.width, other.unwrap_or(this.width))
            }
            _ => (this.width, widths[0]),
        };
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
