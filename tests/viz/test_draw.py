"""draw(): one node per op output and leaf, forward edges, labels with the numbers the tensors
and backward() hold; large graphs summarised quickly; rendering with and without dot."""
import re

import numpy as np
import pytest

import fastgrad as fg
from fastgrad import nn

graphviz = pytest.importorskip("graphviz")
from fastgrad.viz import draw  # noqa: E402
from fastgrad.viz import drawing  # noqa: E402


def nodes_and_edges(dot):
    src = dot.source
    nodes = re.findall(r"^\s*(n\d+) \[label=", src, flags=re.M)
    edges = re.findall(r"^\s*(n\d+) -> (n\d+)", src, flags=re.M)
    return nodes, edges


def label_of(dot, text):
    """The label line of the node whose label contains text."""
    lines = [line for line in dot.source.splitlines() if "[label=" in line and text in line]
    assert len(lines) == 1, (text, lines)
    return lines[0]


def test_nested_machines_drawn_forward_with_values_and_grads():
    x = fg.tensor(np.float64(2.0), requires_grad=True)
    y = x ** 2
    z = y * 0.5
    names = {"x": x, "y": y, "z": z}
    before = draw(z, names)
    nodes, edges = nodes_and_edges(before)
    assert len(nodes) == 3 and len(edges) == 2
    ids = {name: re.search(r"(n\d+) \[label", label_of(before, f"<b>{name}</b>") if name == "x"
                           else label_of(before, f"→ {name}")).group(1) for name in names}
    assert set(edges) == {(ids["x"], ids["y"]), (ids["y"], ids["z"])}  # forward direction
    assert "value 4" in label_of(before, "→ y") and "value 2" in label_of(before, "<b>x</b>")
    assert "b·a^(b−1)" in label_of(before, "→ y")
    assert "grad" not in label_of(before, "<b>x</b>")  # backward() has not run
    z.backward(retain_graph=True)
    after = draw(z, names)
    assert "<b>grad</b> 2<" in label_of(after, "<b>x</b>")  # x.grad
    assert "<b>grad</b> 0.5<" in label_of(after, "→ y")  # dz/dy, from the backward pass
    assert "value" not in draw(z, names, show="grad").source
    assert "<b>grad</b>" not in draw(z, names, show="value").source


def test_sequential_drawn_as_its_layers_with_parameter_names():
    fg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.Sigmoid())
    out = model(fg.randn(5, 3)).sum()
    dot = draw(out, dict(model.named_parameters()))
    src = dot.source
    assert src.count("<b>Linear</b>") == 2
    assert "<b>ReLU</b>" in src and "<b>Sigmoid</b>" in src and "cluster_0" in src
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert f"<b>{name}</b>" in src
    nodes, edges = nodes_and_edges(dot)
    # x, 4 parameters, Linear, ReLU, Linear, Sigmoid, Sum
    assert len(nodes) == 10 and len(edges) == 9
    out.backward()
    w = model[0].bias
    shown = label_of(draw(out, dict(model.named_parameters())), "<b>0.bias</b>")
    expected = np.array2string(np.asarray(w.grad), precision=4, separator=", ",
                               formatter={"float_kind": drawing.fmt.number})
    assert f"<b>grad</b> {expected}" in shown


def test_large_graph_summarised():
    # A graph too large to read is cut at 300 nodes and says how much it left out.
    x = fg.tensor(np.float64(1.0), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    dot = draw(y)
    nodes, _ = nodes_and_edges(dot)
    assert len(nodes) == 300
    assert "99,701 more tensors not drawn" in dot.source  # 100,001 tensors in all


def test_leaf_and_bad_arguments():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    nodes, edges = nodes_and_edges(draw(x))
    assert len(nodes) == 1 and not edges
    with pytest.raises(TypeError, match="root must be a fastgrad Tensor"):
        draw([1.0])
    with pytest.raises(ValueError, match="show"):
        draw(x, show="values")
    with pytest.raises(TypeError, match=r"params\['w'\]"):
        draw(x, params={"w": np.ones(2)})


def test_save_renders_with_dot_or_writes_dot_source(tmp_path, monkeypatch):
    x = fg.tensor(np.float64(3.0), requires_grad=True)
    dot = draw(x.exp())
    if drawing.has_dot():
        svg = dot.save(tmp_path / "g.svg")
        assert svg.read_text().lstrip().startswith("<?xml") and "Exp" in svg.read_text()
        assert "image/svg+xml" in dot._repr_mimebundle_()
        assert "<svg" in dot._repr_html_()  # what sphinx-gallery embeds
    monkeypatch.setattr(drawing, "has_dot", lambda: False)
    with pytest.warns(RuntimeWarning, match="dot is not installed"):
        written = dot.save(tmp_path / "g.png")
    assert written.suffix == ".dot" and written.read_text() == dot.source
    assert dot._repr_mimebundle_() == {"text/plain": dot.source}
    assert dot._repr_html_().startswith("<pre>digraph fastgrad {")
    with pytest.raises(ValueError, match="path"):
        dot.save(tmp_path / "g.txt")


def test_counting_beyond_the_drawing_stops_at_its_cap():
    from fastgrad.viz.graph import build

    x = fg.tensor(np.float64(1.0), requires_grad=True)
    y = x
    for _ in range(99):
        y = y + 1.0
    graph = build(y, max_nodes=10, count_cap=50)
    assert len(graph.nodes) == 10 and graph.truncated and graph.hidden == 50
    assert build(y, max_nodes=10).hidden == 90  # 100 tensors: 10 read, 90 behind them
