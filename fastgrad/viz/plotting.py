"""plot_losses: loss curves, per epoch, as a matplotlib Figure."""
import math
from pathlib import Path


def _losses(values, argument):
    try:
        out = [float(v) for v in values]
    except (TypeError, ValueError):
        raise TypeError(f"{argument} must be a sequence of numbers, one per epoch") from None
    if not out:
        raise ValueError(f"{argument} is empty: nothing to plot")
    bad = [i for i, v in enumerate(out) if not math.isfinite(v)]
    if bad:
        raise ValueError(f"{argument}[{bad[0]}] is {out[bad[0]]}: losses must be finite")
    return out


def plot_losses(train, test=None, path=None, title="Loss per epoch", ax=None):
    """A Figure with the training loss (and the test loss, if given) against the epoch;
    written to `path` (any format matplotlib knows by the suffix: .png, .svg, .pdf) when given.

    train, test: one loss per epoch. ax: a matplotlib Axes to draw into (e.g. from
    plt.subplots()); without it a new Figure is made directly, not through pyplot, so it needs
    no display and leaves no global figure behind.
    """
    train = _losses(train, "train")
    test = _losses(test, "test") if test is not None else None
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 4), layout="constrained")
        ax = fig.add_subplot()
    fig = ax.figure
    ax.plot(range(1, len(train) + 1), train, marker="o", ms=3, label="training loss")
    if test is not None:
        ax.plot(range(1, len(test) + 1), test, marker="o", ms=3, label="test loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title)
    if min(train + (test or [])) > 0:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend()
    if path is not None:
        fig.savefig(Path(path), dpi=120)
    return fig
