"""explain(root): the backward pass as arithmetic, one line per edge, in the lesson's notation.

For z = f(y), y = g(x) at x = 2 with g(x) = x² and f(y) = y/2 it reads

    dz/dy = 0.5
    dz/dx = dz/dy · dy/dx = 0.5 · 4 = 2

each line the chain rule for one edge: the gradient arriving from above times the op's local
derivative. A tensor reached along several paths gets one line per path and a line summing
them. The numbers are those of the op's own backward, the ones Tensor.backward() computes.
"""
import numpy as np

from . import fmt, trace
from .graph import DEFAULT_MAX_NODES, build
from .names import check_params, name_nodes
from .optable import rule, title


class Step:
    """One edge of the backward pass: d root/d `input` += d root/d `out` · d `out`/d `input`,
    as names and arrays (local is None where it is not a single number)."""

    __slots__ = ("out", "input", "upstream", "local", "product", "formula")

    def __init__(self, out, input, upstream, local, product, formula):
        self.out, self.input = out, input
        self.upstream, self.local, self.product, self.formula = upstream, local, product, formula


class Explanation:
    """What explain() returns: `steps` (one per edge), `lines` (the text, printed by print()
    and shown by the REPL), and `grad(tensor or name)`, the gradient the walk arrived at."""

    def __init__(self, root_name, steps, lines, grads_by_name, grads_by_id):
        self.root = root_name
        self.steps = steps
        self.lines = lines
        self._by_name = grads_by_name
        self._by_id = grads_by_id

    def grad(self, which):
        """d root / d which, for a tensor of the graph or a node's name (a NumPy array)."""
        if isinstance(which, str):
            if which not in self._by_name:
                raise KeyError(f"no node named {which!r} receives a gradient; names: "
                               f"{sorted(self._by_name)}")
            return self._by_name[which]
        if id(which) not in self._by_id:
            raise KeyError("that tensor receives no gradient from this root")
        return self._by_id[id(which)]

    def __str__(self):
        return "\n".join(self.lines)

    __repr__ = __str__


def explain(root, params=None, gradient=None, max_nodes=DEFAULT_MAX_NODES):
    """The backward pass from `root` as arithmetic, one line per edge (see the module).

    params: names for tensors of the graph ({name: tensor}, e.g. dict(model.named_parameters())
    or {"x": x, "y": y, "z": z}); others are named after their op. gradient: d out/d root,
    as backward(gradient) takes it (default ones, as backward() uses for a scalar). Reads the
    graph without changing it: call it before backward(), or after backward(retain_graph=True).
    max_nodes: graphs with more nodes are refused (explain is for graphs one can read).
    """
    names = check_params(params)
    graph = build(root, max_nodes, count_cap=0)  # refused when larger: no need to count
    if graph.truncated:
        raise ValueError(f"explain: the graph behind root has more than {max_nodes} nodes, too "
                         "many lines to read; draw() summarises it, or pass a larger max_nodes")
    if graph.root.is_leaf:
        raise ValueError("explain: root is a leaf (it was made by no op), so there is no "
                         "backward pass to show; build it from tensors with requires_grad=True")
    if gradient is not None:
        gradient = np.asarray(gradient)
        if gradient.shape != graph.root.value.shape:
            raise ValueError(f"explain: gradient shape {gradient.shape} does not match root "
                             f"shape {graph.root.value.shape}")
    walk = trace.run(graph, gradient)
    name = name_nodes(graph, names)
    r = name[graph.root.index]
    edges_into = {}
    for e in walk.edges:
        edges_into[e.node.index] = edges_into.get(e.node.index, 0) + 1

    start = "1" if gradient is None else f"{fmt.array(gradient)} (given)"
    lines = [f"backward pass from {r}: one line per edge, d{r}/d{r} = {start}"]
    steps, seen_into = [], {}
    for e in walk.edges:
        o, i = name[e.out.index], name[e.node.index]
        formula = rule(e.out.op, e.position)
        steps.append(Step(o, i, e.upstream, e.local, e.product, formula))
        lines.append(_edge_line(r, o, i, e, e.out is graph.root, formula))
        seen_into[e.node.index] = seen_into.get(e.node.index, 0) + 1
        n = edges_into[e.node.index]
        if n > 1 and seen_into[e.node.index] == n:
            parts = [fmt.array(s.product) for s in steps if s.input == i]
            lines.append(f"d{r}/d{i} = {' + '.join(parts)} = "
                         f"{fmt.array(walk.grads[e.node.index])}   (summed over {n} paths)")
    by_name = {name[k]: v for k, v in walk.grads.items()}
    by_id = {id(node.tensor): walk.grads[node.index] for node in graph.nodes
             if node.tensor is not None and node.index in walk.grads}
    return Explanation(r, steps, _aligned(lines), by_name, by_id)


def _edge_line(r, o, i, e, from_root, formula):
    """(arithmetic, rule): d r/d i = d r/d o · d o/d i = upstream · local = product, and the
    op's local derivative as a formula."""
    via = f" (via {o})" if e.node.consumers > 1 else ""
    rule = f"[{title(e.out.op)}: {formula}]" if formula else f"[{title(e.out.op)}]"
    if from_root:
        shown = e.local if e.local is not None else e.product
        return f"d{r}/d{i}{via} = {fmt.array(shown)}", rule
    head = f"d{r}/d{i}{via} = d{r}/d{o} · d{o}/d{i}"
    if e.local is not None:
        return (f"{head} = {fmt.array(e.upstream)} · {fmt.array(e.local)} = "
                f"{fmt.array(e.product)}"), rule
    return f"{head} = {fmt.array(e.product)}", rule


def _aligned(rows, widest=72):
    """Lines from (arithmetic, rule) rows, the rules in one column where the arithmetic is
    not wider than `widest`; plain strings pass through."""
    width = max((len(row[0]) for row in rows if isinstance(row, tuple)
                 and len(row[0]) <= widest), default=0)
    return [row if isinstance(row, str) else f"{row[0].ljust(width)}   {row[1]}"
            for row in rows]
