"""draw(root): the graph behind a tensor as a graphviz.Digraph.

One box per op output and per leaf, arrows in the direction of the forward pass (input to
op), each box labelled with the op, the shape, the value, the op's local derivative and, once
backward() has run, the gradient. Leaves that want a gradient (weights, x) are blue, inputs
that do not are grey, ops yellow, the root outlined. A Sequential's fused run is drawn as its
layers inside a frame. Graphs larger than max_nodes are drawn near the root and summarised
beyond it, so drawing never takes long.
"""
import html
import shutil
import warnings
from pathlib import Path

import graphviz

from . import fmt, trace
from .graph import COUNT_CAP, DEFAULT_MAX_NODES, build, grad_of
from .names import check_params, name_nodes
from .optable import forward_formula, local_formula, argument_name, title

SHOW = ("value", "grad")
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
COLORS = {"param": "#dbe9f6", "input": "#eeeeee", "op": "#fff4d6", "more": "#ffffff"}


def has_dot():
    """Whether Graphviz's `dot` program is on PATH (needed to render, not to draw)."""
    return shutil.which("dot") is not None


class Drawing(graphviz.Digraph):
    """A graphviz.Digraph that also shows itself without Graphviz's `dot` (as DOT source) and
    saves to a file by the file's suffix."""

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        if has_dot():
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        return {"text/plain": self.source}

    def _repr_html_(self):
        """The drawing as inline SVG (DOT source without dot), for HTML front ends such as
        sphinx-gallery."""
        if has_dot():
            return self.pipe(format="svg", encoding="utf-8")
        return f"<pre>{html.escape(self.source)}</pre>"

    def save(self, path):
        """Writes the drawing to path: SVG, PNG or PDF by its suffix when `dot` is installed;
        without it, or for a .dot/.gv suffix, the DOT source (to path with suffix .dot, with a
        warning, when an image was asked for). Returns the path written."""
        path = Path(path)
        fmt_name = FORMATS.get(path.suffix.lower())
        if fmt_name is None:
            if path.suffix.lower() not in (".dot", ".gv"):
                raise ValueError(f"path: expected a .svg, .png, .pdf, .dot or .gv file, got "
                                 f"{path.name!r}")
            path.write_text(self.source)
            return path
        if not has_dot():
            dot_path = path.with_suffix(".dot")
            warnings.warn(f"Graphviz's dot is not installed, so {path.name} cannot be rendered; "
                          f"wrote the DOT source to {dot_path} (install graphviz, e.g. "
                          "apt-get install graphviz, to render)", RuntimeWarning, stacklevel=2)
            dot_path.write_text(self.source)
            return dot_path
        path.write_bytes(self.pipe(format=fmt_name))
        return path


def _parse_show(show):
    parts = {p.strip() for p in str(show).split(",") if p.strip()} - {"none"}
    unknown = parts - set(SHOW)
    if unknown:
        raise ValueError(f"show must name some of {', '.join(SHOW)} (comma-separated), got "
                         f"{show!r}")
    return parts


def draw(root, params=None, show="value,grad", max_nodes=DEFAULT_MAX_NODES):
    """The graph behind `root` as a graphviz.Digraph (a Drawing: `.source` is the DOT text,
    `.save("graph.svg")` renders it, and Jupyter shows it inline).

    params: names for tensors ({name: tensor}), as torchviz takes
    dict(model.named_parameters()). show: which numbers to write in each box, "value",
    "grad" or both, comma-separated ("" for neither). The gradient appears once backward()
    has run: a leaf's .grad, and for the other nodes the gradient the backward pass gives
    them, when the graph still holds its saved values (backward(retain_graph=True)).
    max_nodes: the nodes drawn at most; the rest of a larger graph is one summary box.
    """
    wanted = _parse_show(show)
    names = check_params(params)
    graph = build(root, max_nodes)
    name = name_nodes(graph, names)
    grads = _gradients(graph) if "grad" in wanted else {}

    dot = Drawing(name="fastgrad", graph_attr={"rankdir": "LR", "fontname": "Helvetica"},
                  node_attr={"shape": "plaintext", "fontname": "Helvetica", "fontsize": "11"},
                  edge_attr={"color": "#555555"})
    clusters = {g: [] for g in graph.groups}
    for node in graph.nodes:
        label = _label(node, name[node.index], wanted, grads.get(node.index),
                       named=node.tensor is not None and id(node.tensor) in names,
                       root=node is graph.root)
        if node.group is not None:
            clusters[node.group].append((node, label))
        else:
            dot.node(f"n{node.index}", label=label)
    for group, members in clusters.items():
        with dot.subgraph(name=f"cluster_{group}") as c:
            c.attr(label=f"fused run of {graph.groups[group]} dense layer(s), one node "
                   "in the engine", style="dashed", color="#888888", fontsize="10")
            for node, label in members:
                c.node(f"n{node.index}", label=label)
    for node in graph.nodes:
        for inp, _ in node.inputs:
            dot.edge(f"n{inp.index}", f"n{node.index}")
    if graph.truncated:
        more = f"{graph.hidden:,} more tensors" + (" (at least)" if graph.hidden >= COUNT_CAP
                                                   else "")
        dot.node("more", label=f"<<i>… {more} not drawn<br/>(draw(..., max_nodes=N) "
                 "draws more)</i>>", shape="box", style="dashed")
        for node in graph.nodes:
            if node.cut:
                dot.edge("more", f"n{node.index}", style="dashed")
    return dot


def _gradients(graph):
    """Each node's gradient where one is known: a leaf's .grad (or a retained one), and once
    backward() has run (some leaf has a .grad), the others' from a walk of the graph when it
    still holds its saved values."""
    grads = {}
    for node in graph.nodes:
        if node.tensor is not None:
            g = grad_of(node.tensor)
            if g is not None:
                grads[node.index] = g
    ran = any(node.is_leaf and node.index in grads for node in graph.nodes)
    if ran and not graph.truncated and not graph.released and not graph.root.is_leaf:
        walked = trace.run(graph).grads
        for index, g in walked.items():
            grads.setdefault(index, g)
    return grads


def _label(node, name, wanted, grad, named, root):
    """An HTML-like label: a title row, then shape, value, local derivatives, gradient."""
    e = html.escape
    value = node.value
    if node.is_leaf:
        kind = "param" if node.requires_grad else "input"
        head = f"<b>{e(name)}</b>" if named or node.requires_grad else f"<b>{e(name)}</b> (input)"
    else:
        kind = "op"
        head = f"<b>{e(title(node.op))}</b> → {e(name)}"
        formula = forward_formula(node.op)
        if formula:
            head += f"<br/>{e(name)} = {e(formula)}"
    rows = [head, f"shape {e(fmt.shape_text(value.shape))}"]
    if "value" in wanted:
        rows.append(f"value {e(fmt.array(value))}")
    if not node.is_leaf:
        for inp, pos in node.inputs:
            local = local_formula(node.op, pos)
            if local is not None:
                rows.append(f"<i>∂/∂{e(argument_name(node.op, pos))}: {e(local)}</i>")
    if "grad" in wanted and grad is not None:
        rows.append(f"<b>grad</b> {e(fmt.array(grad))}")
    border = ' border="2"' if root else ' border="1"'
    cells = "".join(f"<tr><td>{r}</td></tr>" for r in rows)
    return (f'<<table{border} cellborder="0" cellspacing="0" cellpadding="3" '
            f'bgcolor="{COLORS[kind]}">{cells}</table>>')
