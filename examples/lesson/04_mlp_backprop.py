"""
Backpropagation through a two-layer network
===========================================

The lesson's conclusion: a network is a nested function, and backpropagation is the chain
rule carried from the loss back to every weight. Here a two-layer MLP classifies the bundled
8×8 handwritten digits::

    z1 = x W1ᵀ + b1,   a1 = relu(z1),   z2 = a1 W2ᵀ + b2,   L = cross_entropy(z2, y)

Every gradient is computed twice: by NumPy, writing out the chain rule layer by layer from
the top, and by fastgrad's ``loss.backward()``. They agree; then the network is trained and
its loss curves plotted.
"""
import matplotlib.pyplot as plt
import numpy as np

import fastgrad as fg
from fastgrad import nn, optim
from fastgrad.data import DataLoader, TensorDataset
from fastgrad.datasets import load_digits_split
from fastgrad.viz import draw, explain, plot_losses

fg.manual_seed(0)
X_train, y_train, X_test, y_test = load_digits_split(seed=0)
model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
loss_fn = nn.CrossEntropyLoss()

# %%
# One batch, forward and backward with fastgrad
# ---------------------------------------------
xb, yb = X_train[:16], y_train[:16]
loss = loss_fn(model(fg.tensor(xb)), fg.tensor(yb))
params = dict(model.named_parameters())
explanation = explain(loss, params)
print("\n".join(explanation.lines[:6]))
loss.backward(retain_graph=True)

# %%
# The same gradients by the chain rule, in NumPy
# ----------------------------------------------
# Forward, keeping every layer's output; then backward from the top, each line one local
# derivative multiplied into the gradient from above (float64 throughout).
W1, b1, W2, b2 = (np.asarray(params[k], dtype=np.float64)
                  for k in ("0.weight", "0.bias", "2.weight", "2.bias"))
x = xb.astype(np.float64)
n = len(x)
z1 = x @ W1.T + b1
a1 = np.maximum(z1, 0)
z2 = a1 @ W2.T + b2
p = np.exp(z2 - z2.max(axis=1, keepdims=True))
p /= p.sum(axis=1, keepdims=True)
loss_np = -np.log(p[np.arange(n), yb]).mean()

dz2 = p.copy()  # dL/dz2 = (softmax(z2) − onehot(y)) / n     (cross-entropy, mean)
dz2[np.arange(n), yb] -= 1
dz2 /= n
dW2 = dz2.T @ a1  # dL/dW2 = dL/dz2 · dz2/dW2 = dz2ᵀ a1
db2 = dz2.sum(axis=0)  # dL/db2 = Σ over the batch of dz2
da1 = dz2 @ W2  # dL/da1 = dL/dz2 · dz2/da1 = dz2 W2
dz1 = da1 * (z1 > 0)  # dL/dz1 = dL/da1 · relu'(z1)
dW1 = dz1.T @ x  # dL/dW1 = dz1ᵀ x
db1 = dz1.sum(axis=0)  # dL/db1 = Σ over the batch of dz1

by_numpy = {"0.weight": dW1, "0.bias": db1, "2.weight": dW2, "2.bias": db2}
assert abs(float(np.asarray(loss).reshape(())) - loss_np) < 1e-5
for name, grad in by_numpy.items():
    mine = np.asarray(params[name].grad)
    worst = np.abs(mine - grad).max() / np.abs(grad).max()
    print(f"{name:9s} fastgrad vs NumPy chain rule: largest difference {worst:.1e} "
          "of the largest entry")
    np.testing.assert_allclose(mine, grad, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(explanation.grad(name), mine, rtol=1e-5, atol=1e-7)

# %%
# The graph
# ---------
# Sequential runs Linear, ReLU, Linear as one fused C node; draw() shows it as its layers,
# each parameter under its name from ``model.named_parameters()``.
draw(loss, params)

# %%
# Training
# --------
# Plain minibatch Adam; the loss per epoch, on the training and the held-out images.
opt = optim.Adam(model.parameters(), lr=1e-3)
loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True, seed=0)
train_losses, test_losses = [], []
for epoch in range(15):
    total = 0.0
    for xb, yb in loader:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item() * len(yb)
    train_losses.append(total / len(y_train))
    with fg.no_grad():
        test_losses.append(loss_fn(model(fg.tensor(X_test)), fg.tensor(y_test)).item())

with fg.no_grad():
    accuracy = float((model(fg.tensor(X_test)).argmax(dim=1).numpy() == y_test).mean())
print(f"after {len(train_losses)} epochs: training loss {train_losses[-1]:.3f}, "
      f"test loss {test_losses[-1]:.3f}, test accuracy {accuracy:.3f}")
fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
plot_losses(train_losses, test_losses, ax=ax, title="Two-layer MLP on the digits")
