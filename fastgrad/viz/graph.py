"""The graph behind a tensor, read into plain nodes that draw() and explain() share.

This is the one module of fastgrad.viz that reads the autograd engine's structures: a tensor's
`grad_fn` (the Context of the op that made it), the Context's `fn` (the op's Function class)
and `parents` (its input tensors, None for arguments that are not tensors). Everything else in
the package works on the `Node`s built here.

A node is one op output or one leaf. Each op node carries `backward(g)`, the op's own local
derivative times g, so a walk over these nodes multiplies exactly what `Tensor.backward()`
multiplies. A Sequential's fused run of dense layers (one DenseStackFunction node in the engine)
is read as its layers: one `Linear` node and one activation node per layer, their values
recomputed from the run's input and weights, so the drawing shows what the lesson describes.
"""
import numpy as np

from .. import _kernels
from .._grad_mode import no_grad
from ..tensor import Tensor
from .optable import activation_name

DEFAULT_MAX_NODES = 300
COUNT_CAP = 200_000  # tensors counted beyond a drawing at most, so a huge graph stays quick


class Node:
    """One op output or leaf of the graph.

    op: the op's name (the Function class's, or "Linear" / an activation name inside a fused
    run); None for a leaf. inputs: (node, argument position) per tensor input. tensor: the
    Tensor itself, None for a layer inside a fused run. backward(g): one gradient per argument
    position. group: the fused run a layer node belongs to (an int), else None.
    """

    __slots__ = ("index", "op", "value", "inputs", "tensor", "backward", "requires_grad",
                 "group", "param", "consumers", "cut")

    def __init__(self, index, op, value, tensor=None, backward=None, requires_grad=True,
                 group=None, param=0.0):
        self.index = index
        self.op = op
        self.value = value
        self.inputs = []
        self.tensor = tensor
        self.backward = backward
        self.requires_grad = requires_grad
        self.group = group
        self.param = param  # an activation's parameter (leaky_relu's slope, softplus's beta)
        self.consumers = 0
        self.cut = 0  # inputs left unread (past max_nodes)

    @property
    def is_leaf(self):
        return self.op is None


class Graph:
    """The nodes reachable from a root, root first; `truncated` when more nodes exist than
    max_nodes allowed (then `hidden` counts the tensors left out, up to a cap)."""

    def __init__(self, nodes, truncated, hidden, groups, released):
        self.nodes = nodes
        self.root = nodes[0]
        self.truncated = truncated
        self.hidden = hidden
        self.groups = groups  # group id -> number of layers of that fused run
        self.released = released  # some op's saved values were freed by backward()

    def topological(self):
        """The nodes with every node after all the nodes that consume it (root first)."""
        order, visited = [], set()
        stack = [(self.root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if node.index in visited:
                continue
            visited.add(node.index)
            stack.append((node, True))
            for inp, _ in reversed(node.inputs):
                if inp.index not in visited:
                    stack.append((inp, False))
        order.reverse()
        return order


def value_of(t):
    """A tensor's values as a NumPy array (no copy)."""
    return np.asarray(t)


def grad_of(t):
    """A tensor's .grad as a NumPy array, or None."""
    g = getattr(t, "grad", None)
    return None if g is None else np.asarray(g)


def _context(t):
    return t.grad_fn


def _op_name(ctx):
    fn = getattr(ctx, "fn", None)
    return getattr(fn, "__name__", type(ctx).__name__)


def _parents(ctx):
    return tuple(getattr(ctx, "parents", ()))


def _released(ctx):
    return bool(getattr(ctx, "_released", False))


def _as_tuple(grads):
    if isinstance(grads, tuple):
        return grads
    if isinstance(grads, list):
        return tuple(grads)
    return (grads,)


def _array_or_none(g):
    return None if g is None else np.asarray(g)


def _op_backward(ctx):
    """The op's own backward, called through its recorded context as the engine's walk calls
    it (so a user's Function gets what it expects), with no graph recorded."""

    def backward(g):
        with no_grad():
            return tuple(_array_or_none(x) for x in _as_tuple(ctx.backward(g)))
    return backward


def build(root, max_nodes=DEFAULT_MAX_NODES, count_cap=COUNT_CAP):
    """Reads the graph behind `root` into Nodes, breadth first from the root, stopping after
    max_nodes (the rest is counted, up to count_cap tensors, without being read)."""
    if not isinstance(root, Tensor):
        raise TypeError(f"root must be a fastgrad Tensor, got {type(root).__name__}")
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    nodes = []
    by_id = {}  # id(tensor) -> Node; the Graph keeps the tensors alive
    groups = {}
    released = False
    frontier = []  # tensors whose inputs are still to be read, in breadth-first order
    pending = []  # (tensor, consumer node, position) left unread past max_nodes

    def node_for(t):
        node = by_id.get(id(t))
        if node is None:
            ctx = _context(t)
            node = Node(len(nodes), None if ctx is None else _op_name(ctx), value_of(t),
                        tensor=t, requires_grad=bool(t.requires_grad))
            nodes.append(node)
            by_id[id(t)] = node
            if ctx is not None:
                frontier.append(node)
        return node

    node_for(root)
    head = 0
    while head < len(frontier):
        node = frontier[head]
        head += 1
        ctx = _context(node.tensor)
        released = released or _released(ctx)
        parents = _parents(ctx)
        if node.op == "DenseStackFunction":
            _read_dense_run(node, ctx, parents, nodes, node_for, groups)
            continue
        node.backward = _op_backward(ctx)
        if node.op == "ActivationFunction":
            node.op = activation_name(ctx.act)
            node.param = float(getattr(ctx, "param", 0.0))
        for pos, p in enumerate(parents):
            if p is None:
                continue
            if len(nodes) >= max_nodes and id(p) not in by_id:
                pending.append(p)
                node.cut += 1
                continue
            node.inputs.append((node_for(p), pos))
    for node in nodes:
        for inp, _ in node.inputs:
            inp.consumers += 1
    hidden = _count_unread(pending, by_id, count_cap) if pending else 0
    return Graph(nodes, bool(pending), hidden, groups, released)


def _count_unread(pending, seen_ids, cap):
    """How many tensors lie behind the ones left unread (each counted once, up to cap)."""
    seen = set(seen_ids)  # ids; the graph keeps every tensor alive while this runs
    start = len(seen)
    stack = list(pending)
    while stack and len(seen) - start < cap:
        t = stack.pop()
        if t is None or id(t) in seen:  # None: an argument that was not a tensor
            continue
        seen.add(id(t))
        ctx = t.grad_fn
        if ctx is not None:
            stack.extend(_parents(ctx))
    return len(seen) - start


# ---- a fused run of dense layers, read as its layers -------------------------------------------

def _read_dense_run(out, ctx, parents, nodes, node_for, groups):
    """Replaces the one DenseStackFunction node `out` by a Linear node and an activation node
    per layer: h_l = act_l(z_l), z_l = h_(l-1) W_l^T + b_l. `out` becomes the top layer's last
    node; the layers below it are new nodes with no tensor of their own."""
    x = parents[0]
    weights = parents[3:]
    Ws, bs = weights[0::2], weights[1::2]
    acts = list(ctx.acts)
    params = list(ctx.params)
    group = len(groups)
    groups[group] = len(Ws)
    x_node = node_for(x)
    W0 = value_of(Ws[0])
    x_value = value_of(x)
    h = np.ascontiguousarray(x_value.reshape(-1, x_value.shape[-1]), dtype=W0.dtype)
    h_node, h_pos = x_node, 0
    for layer, (W, b) in enumerate(zip(Ws, bs)):
        Wv = value_of(W)
        bv = None if b is None else value_of(b)
        z = h @ Wv.T
        if bv is not None:
            z = z + bv
        z = z.astype(Wv.dtype, copy=False)
        act, param = acts[layer], params[layer]
        top = layer == len(Ws) - 1
        last_is_linear = top and activation_name(act) == "none"
        lin = out if last_is_linear else Node(len(nodes), None, None, group=group)
        if not last_is_linear:
            nodes.append(lin)
        lin.op, lin.group = "Linear", group
        lin.value = z if not last_is_linear else value_of(out.tensor)
        x_shape = x_value.shape if layer == 0 else None
        lin.backward = _linear_backward(h, Wv, bv is not None, x_shape)
        lin.inputs = [(h_node, h_pos), (node_for(W), 1)]
        if b is not None:
            lin.inputs.append((node_for(b), 2))
        if last_is_linear:
            break
        y = np.empty_like(z)
        with no_grad():
            _kernels.act_forward(act, param, np.ascontiguousarray(z), y)
        act_node = out if top else Node(len(nodes), None, None, group=group)
        if not top:
            nodes.append(act_node)
        act_node.op, act_node.group, act_node.param = activation_name(act), group, float(param)
        act_node.value = value_of(out.tensor) if top else y
        act_node.backward = _activation_backward(act, param, z, y)
        act_node.inputs = [(lin, 0)]
        h, h_node, h_pos = y, act_node, 0


def _linear_backward(h, W, has_bias, x_shape):
    """z = h W^T + b: dh = g W, dW = g^T h, db = the batch's sum of g (x_shape: the run's input
    shape, for the first layer, to give dx in it)."""

    def backward(g):
        g = np.asarray(g).reshape(h.shape[0], W.shape[0]).astype(W.dtype, copy=False)
        dh = g @ W
        if x_shape is not None:
            dh = dh.reshape(x_shape)
        return dh, g.T @ h, (g.sum(axis=0) if has_bias else None)
    return backward


def _activation_backward(act, param, z, y):
    """y = act(z): dz = g * act'(z), by the same C kernel the fused run uses."""

    def backward(g):
        g = np.ascontiguousarray(np.asarray(g).reshape(y.shape), dtype=y.dtype)
        dz = np.empty_like(y)
        _kernels.act_backward(act, param, np.ascontiguousarray(z), y, g, dz)
        return (dz,)
    return backward
