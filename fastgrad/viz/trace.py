"""The backward pass, walked edge by edge and kept: what explain() prints and draw() labels.

The walk is the engine's (fastgrad/_engine.pyx, run_backward): from the root, whose gradient
is 1, each node's backward turns the gradient of its output into one per input, and a node
reached along several paths gets their sum. Each node's backward is the op's own, so the
numbers are the ones `Tensor.backward()` computes; unlike it, this walk writes no .grad and
runs no hooks, and it keeps every edge's numbers:

    Edge: d root/d input += (d root/d out) · (d out/d input)
          upstream           local derivative           product
"""
import numpy as np

from .graph import Graph


class Edge:
    """One edge of the backward pass: `product` (what flows into `node`) is `upstream` (the
    gradient of `out`) times the local derivative d out / d node (`local`: a number when
    both are scalars, else None, the formula table tells it)."""

    __slots__ = ("out", "node", "position", "upstream", "local", "product")

    def __init__(self, out, node, position, upstream, local, product):
        self.out, self.node, self.position = out, node, position
        self.upstream, self.local, self.product = upstream, local, product


class Trace:
    """The edges in the order the walk met them, and every node's gradient (by node index)."""

    def __init__(self, graph, edges, grads):
        self.graph = graph
        self.edges = edges
        self.grads = grads


def run(graph: Graph, gradient=None):
    """Walks the backward pass over `graph` from its root (whose gradient is `gradient`, by
    default ones, as backward() uses for a scalar)."""
    if graph.truncated:
        raise ValueError("the graph is larger than the nodes read from it (max_nodes); "
                         "pass a larger max_nodes to walk it whole")
    if graph.released:
        raise RuntimeError("this graph's saved values were freed by backward(); call it "
                           "before backward(), or run backward(retain_graph=True) first")
    root = graph.root
    if gradient is None:
        gradient = np.ones_like(root.value)
    grads = {root.index: np.asarray(gradient, dtype=root.value.dtype)}
    edges = []
    for node in graph.topological():
        g = grads.get(node.index)
        if g is None or node.is_leaf or not node.inputs:
            continue
        input_grads = node.backward(g)
        local_grads = None
        for inp, pos in node.inputs:
            pg = input_grads[pos] if pos < len(input_grads) else None
            if pg is None or not inp.requires_grad:
                continue
            local = None
            if g.size == 1 and inp.value.size == 1:
                # d out / d input, itself a number: the op's backward with 1 from above
                if local_grads is None:
                    local_grads = node.backward(np.ones_like(g))
                local = local_grads[pos]
            edges.append(Edge(node, inp, pos, g, local, pg))
            prev = grads.get(inp.index)
            grads[inp.index] = pg if prev is None else prev + pg  # sum over every path
    return Trace(graph, edges, grads)
