"""
Nested machines: the chain rule on one number
=============================================

The lesson's first picture: a machine ``g`` turns ``x`` into ``y``, a second machine ``f``
turns ``y`` into ``z``, so ``z = f(g(x))``. The chain rule says how ``z`` moves with ``x``::

    dz/dx = dz/dy · dy/dx

Take ``g(x) = x²`` and ``f(y) = y / 2`` at ``x = 2``: ``dy/dx = 2x = 4``, ``dz/dy = 0.5``,
so ``dz/dx = 0.5 · 4 = 2``. Below, the same number three ways: by hand, by finite
differences, and by fastgrad's ``backward()``.
"""
import numpy as np

import fastgrad as fg
from fastgrad.viz import draw, explain


def g(x):
    """The first machine: y = x²."""
    return x ** 2


def f(y):
    """The second machine: z = y / 2."""
    return y * 0.5


x0 = 2.0

# %%
# By hand
# -------
# Each machine's own rate of change, then their product.
dy_dx = 2 * x0  # d(x²)/dx = 2x
dz_dy = 0.5  # d(y/2)/dy = 1/2
by_hand = dz_dy * dy_dx
print(f"by hand:       dz/dx = dz/dy · dy/dx = {dz_dy} · {dy_dx} = {by_hand}")

# %%
# By finite differences
# ---------------------
# Nudge x a little either side and watch z: no calculus at all.
h = 1e-5
by_differences = (f(g(x0 + h)) - f(g(x0 - h))) / (2 * h)
print(f"by differences: (z(x + h) - z(x - h)) / 2h = {by_differences:.8f}")

# %%
# By backward()
# -------------
# fastgrad records both machines as the forward pass runs; ``backward()`` walks back through
# them, multiplying each one's local derivative into the gradient that arrives from above.
# ``explain`` prints that walk, one line per edge of the graph.
x = fg.tensor(np.float64(x0), requires_grad=True)
y = g(x)
z = f(y)
names = {"x": x, "y": y, "z": z}
print(explain(z, names))

z.backward(retain_graph=True)  # retain_graph: keep the graph's values for the drawing below
by_backward = float(np.asarray(x.grad).reshape(()))
print(f"by backward(): x.grad = {by_backward}")

assert by_backward == by_hand == 2.0
assert abs(by_differences - by_hand) < 1e-6

# %%
# The graph
# ---------
# Arrows run the way the numbers flow forward; each box holds its value, the local
# derivative of its op, and (now that backward() has run) its gradient dz/d(box).
draw(z, names)
