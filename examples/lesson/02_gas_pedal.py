"""
The gas pedal: pedal → RPM → speed
==================================

The lesson's analogy, with numbers. Pressing the **gas pedal** (``x``, from 0 to 1) sets the
**engine's RPM** (``y``), and the RPM sets the **car's speed** (``z``, km/h). Two machines:

* the engine: ``y = 800 + 6000 x²`` (800 RPM at idle, 6800 flat out);
* the gearbox and road: ``z = 120 tanh(y / 4000)`` (speed gains less per RPM as it rises).

How much faster does the car go per unit of pedal? The chain rule: measure each effect on
its own, ``dz/dy`` (km/h per RPM) and ``dy/dx`` (RPM per pedal), and multiply them.
"""
import matplotlib.pyplot as plt
import numpy as np

import fastgrad as fg
from fastgrad.viz import draw, explain


def engine(pedal):
    """RPM from the pedal position."""
    return pedal ** 2 * 6000.0 + 800.0


def road(rpm):
    """Speed in km/h from the RPM."""
    return (rpm / 4000.0).tanh() * 120.0


# %%
# Each effect on its own
# ----------------------
# Half-way down, the pedal gives some RPM; how fast does the RPM rise with the pedal? And,
# separately, at that RPM, how fast does the speed rise with the RPM? Each machine's own
# backward() answers its own question.
pedal = fg.tensor(np.float64(0.5), requires_grad=True)
rpm = engine(pedal)
rpm.backward()
dy_dx = float(np.asarray(pedal.grad).reshape(()))

rpm_alone = fg.tensor(np.asarray(rpm).copy(), requires_grad=True)  # a new leaf: y on its own
speed_alone = road(rpm_alone)
speed_alone.backward()
dz_dy = float(np.asarray(rpm_alone.grad).reshape(()))
print(f"at pedal 0.5: {float(np.asarray(rpm).reshape(())):.0f} RPM, "
      f"{float(np.asarray(speed_alone).reshape(())):.1f} km/h")
print(f"dy/dx = {dy_dx:.0f} RPM per unit of pedal")
print(f"dz/dy = {dz_dy:.5f} km/h per RPM")
print(f"dz/dx = dz/dy · dy/dx = {dz_dy:.5f} · {dy_dx:.0f} = {dz_dy * dy_dx:.2f} km/h per unit "
      f"of pedal, {dz_dy * dy_dx / 100:.3f} km/h per 1 % of pedal")

# %%
# The whole car at once
# ---------------------
# Chained together, one backward() does both steps; explain shows the same product.
x = fg.tensor(np.float64(0.5), requires_grad=True)
y = engine(x)
z = road(y)
names = {"pedal": x, "rpm": y, "speed": z}
print(explain(z, names))
z.backward(retain_graph=True)
dz_dx = float(np.asarray(x.grad).reshape(()))

h = 1e-6
by_differences = (float(np.asarray(road(engine(fg.tensor(np.float64(0.5 + h))))).reshape(()))
                  - float(np.asarray(road(engine(fg.tensor(np.float64(0.5 - h))))).reshape(()))
                  ) / (2 * h)
assert abs(dz_dx - dz_dy * dy_dx) <= 1e-9 * abs(dz_dx)
assert abs(dz_dx - by_differences) <= 1e-6 * abs(dz_dx)
draw(z, names)

# %%
# Along the whole pedal
# ---------------------
# The same derivative for every pedal position at once: a tensor of positions goes through
# the same two machines, and backward() of the summed speeds gives each position its own
# dz/dx (each speed depends only on its own pedal).
pedals = fg.tensor(np.linspace(0, 1, 101), requires_grad=True)
speeds = road(engine(pedals))
speeds.sum().backward()
fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6, 5), layout="constrained")
top.plot(pedals.detach().numpy(), speeds.detach().numpy())
top.set_ylabel("speed z (km/h)")
bottom.plot(pedals.detach().numpy(), np.asarray(pedals.grad))
bottom.set_ylabel("dz/dx (km/h per pedal)")
bottom.set_xlabel("pedal x")
top.set_title("The car: speed, and how fast it changes with the pedal")
