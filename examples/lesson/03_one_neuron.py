"""
One neuron: its gradients by hand and by backward()
===================================================

The lesson's next step: the chain rule applied to a single neuron. The neuron weighs its
inputs, adds a bias and squashes the sum; the loss says how far its output is from the
target::

    z = w · x + b          (weighted sum)
    a = σ(z)               (activation, the sigmoid)
    L = (a − t)²           (squared error)

``L`` is a nested function of ``w`` and ``b``, so the chain rule gives their gradients as
products of the three local derivatives::

    dL/dw = dL/da · da/dz · dz/dw = 2(a − t) · a(1 − a) · x
    dL/db = dL/da · da/dz · dz/db = 2(a − t) · a(1 − a) · 1
"""
import numpy as np

import fastgrad as fg
from fastgrad import nn
from fastgrad.viz import draw, explain

x_np = np.array([0.5, -1.0, 2.0])
w_np = np.array([0.3, 0.8, -0.4])
b_np = 0.1
t_np = 1.0

# %%
# By hand, with NumPy
# -------------------
z_np = w_np @ x_np + b_np
a_np = 1 / (1 + np.exp(-z_np))
dL_da = 2 * (a_np - t_np)
da_dz = a_np * (1 - a_np)
dL_dw_hand = dL_da * da_dz * x_np
dL_db_hand = dL_da * da_dz * 1.0
print(f"z = {z_np:.4f}, a = {a_np:.4f}, L = {(a_np - t_np) ** 2:.4f}")
print(f"dL/da = {dL_da:.4f}, da/dz = {da_dz:.4f}")
print("by hand: dL/dw =", np.round(dL_dw_hand, 6), f" dL/db = {dL_db_hand:.6f}")

# %%
# By backward(), op by op
# -----------------------
# The same three steps written with tensors; explain() prints the backward pass.
x = fg.tensor(x_np)
w = fg.tensor(w_np, requires_grad=True)
b = fg.tensor(np.float64(b_np), requires_grad=True)
z = (w * x).sum() + b
a = z.sigmoid()
L = (a - t_np) ** 2
names = {"x": x, "w": w, "b": b, "z": z, "a": a, "L": L}
print(explain(L, names))
L.backward(retain_graph=True)
print("by backward(): w.grad =", np.round(np.asarray(w.grad), 6),
      f" b.grad = {float(np.asarray(b.grad).reshape(())):.6f}")
np.testing.assert_allclose(np.asarray(w.grad), dL_dw_hand, rtol=1e-12)
np.testing.assert_allclose(np.asarray(b.grad).reshape(()), dL_db_hand, rtol=1e-12)
draw(L, names)

# %%
# The same neuron as layers
# -------------------------
# ``nn.Linear(3, 1)`` is the weighted sum, ``nn.Sigmoid()`` the activation, ``nn.MSELoss()``
# the squared error. fastgrad runs the Linear and the Sigmoid as one fused C node; the
# drawing still shows them as the two layers they are.
neuron = nn.Sequential(nn.Linear(3, 1, dtype=np.float64), nn.Sigmoid())
neuron.load_state_dict({"0.weight": fg.tensor(w_np[None, :]),
                        "0.bias": fg.tensor(np.array([b_np]))})
loss = nn.MSELoss()(neuron(fg.tensor(x_np[None, :])), fg.tensor(np.array([[t_np]])))
loss.backward(retain_graph=True)
np.testing.assert_allclose(np.asarray(neuron[0].weight.grad)[0], dL_dw_hand, rtol=1e-12)
np.testing.assert_allclose(np.asarray(neuron[0].bias.grad)[0], dL_db_hand, rtol=1e-12)
draw(loss, dict(neuron.named_parameters()))
