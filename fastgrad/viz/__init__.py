"""fastgrad.viz: the chain rule, shown (needs the `viz` extra: graphviz, matplotlib).

    draw(root, params=None, show="value,grad")   the graph behind a tensor, a graphviz.Digraph
    explain(root, params=None)                   the backward pass as arithmetic, line by line
    plot_losses(train, test=None, path=None)     loss curves, a matplotlib Figure
    OPS                                          every op's forward and local derivative

graphviz and matplotlib are imported only by the function that needs them, so explain()
works with neither installed.
"""
from .explain import Explanation, explain
from .optable import OPS

__all__ = ["draw", "explain", "Explanation", "plot_losses", "OPS"]


def __getattr__(name):
    if name == "draw":
        _need("graphviz", "draw")
        from .drawing import draw
        return draw
    if name == "plot_losses":
        _need("matplotlib", "plot_losses")
        from .plotting import plot_losses
        return plot_losses
    raise AttributeError(f"module 'fastgrad.viz' has no attribute {name!r}")


def _need(package, function):
    """Raises ImportError saying how to install `package` when it is missing."""
    import importlib.util

    if importlib.util.find_spec(package) is None:
        raise ImportError(f"fastgrad.viz.{function} needs the {package} package: "
                          "pip install fastgrad[viz]")
