"""Arguments that another thread changes while a kernel runs without the GIL.

The binding checks its arguments with the GIL held, then runs C without it. Whatever C then
reads must be the binding's own (copied labels, tuples holding the arrays) so that a thread
writing a label or emptying a list cannot make the kernel read or write out of bounds. Each
test here runs one of the robustness reproducers (issue 14) as a scenario; those that crashed the
interpreter run in a subprocess, so that a regression fails the test instead of the suite.
"""
import math
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from conftest import child_python_env
from fastgrad import _kernels as K


def run_python(code, timeout=120):
    """Runs code in a fresh interpreter that imports this session's fastgrad; returns
    (returncode, stdout + stderr)."""
    env, cwd = child_python_env()
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=cwd)
    return proc.returncode, proc.stdout + proc.stderr


class Toggler:
    """A thread that keeps writing values into arr[index], in turn, until stopped. A binding
    checks its arguments in C with no Python in between, so the writer can change them only
    before the check or while a kernel runs without the GIL; a short switch interval makes it
    take the GIL back soon after each kernel, ready for the next."""

    def __init__(self, arr, index, values):
        self.arr, self.index, self.values = arr, index, values
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        i = 0
        while not self.stop.is_set():
            self.arr[self.index] = self.values[i % len(self.values)]
            i += 1

    def __enter__(self):
        self.old = sys.getswitchinterval()
        sys.setswitchinterval(1e-3)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        sys.setswitchinterval(self.old)


# ---- cross_entropy: labels checked, then read again without the GIL --------------------------

def test_cross_entropy_label_written_during_the_kernel_cannot_reach_other_memory():
    # repro_cross_entropy_label_toctou_segv.py, part 2: logits, gradient and an unrelated
    # "victim" array share one buffer, so a label C + 5 read by the kernel would write into
    # the victim (no crash, corrupted memory). The label is valid and invalid in turn.
    M, C = 1_000_000, 2
    buf = np.zeros(3 * M * C, np.float32)
    X, dX = buf[:M * C].reshape(M, C), buf[M * C:2 * M * C].reshape(M, C)
    victim = buf[2 * M * C:]
    labels = np.zeros(M, np.int64)
    loss = np.empty(M, np.float32)
    refused = ran = 0
    with Toggler(labels, M - 1, [0, C + 5]):
        for _ in range(30):
            try:
                total, counted = K.cross_entropy(X, labels, -100, 0.0, loss, dX)
            except IndexError as e:
                assert f"target[{M - 1}] = {C + 5} is out of range" in str(e)
                refused += 1
                continue
            ran += 1
            # every label the kernel used was 0: equal logits give log 2 and [-0.5, 0.5]
            assert counted == M and math.isclose(total, M * math.log(2), rel_tol=1e-5)
            np.testing.assert_allclose(dX[-1], [-0.5, 0.5])
    assert not victim.any(), "the kernel wrote outside its arrays"
    assert refused + ran == 30


def test_cross_entropy_loss_with_a_label_written_meanwhile_does_not_crash():
    # repro_cross_entropy_label_toctou_segv.py, part 1, through nn.CrossEntropyLoss; a label
    # of 2**40 read by the kernel is a segfault.
    code, out = run_python("""
        import sys, threading, numpy as np, fastgrad as fg
        from fastgrad import nn
        M = 1_000_000
        logits = fg.zeros(M, 2, requires_grad=True)
        labels = np.zeros(M, np.int64)
        stop = threading.Event()
        def writer():
            i = 0
            while not stop.is_set():
                labels[M - 1] = (0, 1 << 40)[i % 2]; i += 1
        sys.setswitchinterval(1e-3)
        threading.Thread(target=writer, daemon=True).start()
        ok = bad = 0
        for _ in range(40):
            try:
                loss = nn.CrossEntropyLoss()(logits, labels)
            except IndexError as e:
                assert "out of range" in str(e), e
                bad += 1
            else:
                assert abs(loss.item() - np.log(2)) < 1e-6, loss.item()
                ok += 1
        stop.set()
        print("done", ok, bad)
    """)
    assert code == 0 and "done" in out, out


# ---- dense_stack_backward: arrays kept alive only by the caller's lists ---------------------

def test_dense_stack_backward_survives_its_lists_being_emptied_meanwhile():
    # repro_dense_stack_backward_list_uaf.py: another thread clears ys, Ws and dWs while the
    # kernels run; with only the lists holding those arrays, they were freed mid-kernel.
    code, out = run_python("""
        import sys, threading, numpy as np, fastgrad as fg
        from fastgrad import _kernels as K
        fg.set_num_threads(1)
        rng = np.random.default_rng(0)
        n, L = 384, 3
        X = rng.standard_normal((n, n)).astype(np.float32)
        W0 = [rng.standard_normal((n, n)).astype(np.float32) / n ** 0.5 for _ in range(L)]
        acts, params = [K.ACTIVATIONS["tanh"]] * L, [0.0] * L
        def run(clear):
            Ws = [w.copy() for w in W0]
            ys, zs = K.dense_stack_forward(X, Ws, [None] * L, acts, params, True)
            dWs = [np.zeros_like(w) for w in Ws]
            held = list(dWs)  # the test's own references, to read the result
            dY = np.ones_like(ys[-1])
            if clear:
                go = threading.Event()
                def other():
                    go.wait()
                    Ws.clear(); ys.clear(); dWs.clear()
                    [np.full(n * n, 7.0, np.float32) for _ in range(8)]  # reuse the memory
                sys.setswitchinterval(1.0)  # the thread runs once the kernels drop the GIL
                t = threading.Thread(target=other); t.start()
                go.set()
            dx = K.dense_stack_backward(X, ys, zs, Ws, acts, params, dY, True, dWs,
                                        [None] * L, [0] * L)
            if clear:
                t.join()
            return dx, held
        ref_dx, ref_dW = run(False)
        for _ in range(5):
            dx, dW = run(True)
            assert np.array_equal(dx, ref_dx)
            assert all(np.array_equal(a, b) for a, b in zip(dW, ref_dW))
        print("done")
    """)
    assert code == 0 and "done" in out, out


def _stack(rng, n=4):
    X = rng.standard_normal((n, n))
    Ws = [rng.standard_normal((n, n)) for _ in range(2)]
    acts = [K.ACTIVATIONS["gelu"], K.ACTIVATIONS["none"]]
    ys, zs = K.dense_stack_forward(X, Ws, [None, None], acts, [0.0, 0.0], True)
    return X, Ws, acts, ys, zs


def test_dense_stack_backward_refuses_an_output_of_one_layer_over_an_input_of_another():
    # repro_dense_stack_backward_cross_layer_overlap.py: layer 1's dW written over layer 0's
    # saved Z silently corrupted layer 0's gradients; dense_backward refuses it within a layer.
    X, Ws, acts, ys, zs = _stack(np.random.default_rng(0))
    z0 = zs[0].copy()
    before = z0.copy()
    with pytest.raises(ValueError, match=r"dWs\[1\] overlaps zs\[0\]"):
        K.dense_stack_backward(X, ys, [z0, None], Ws, acts, [0.0, 0.0], np.ones((4, 4)), True,
                               [np.zeros((4, 4)), z0], [None, None], [0, 0])
    np.testing.assert_array_equal(z0, before)  # refused before anything ran


@pytest.mark.parametrize("case, message", [
    ("dY over W", r"dY overlaps Ws\[0\]"),
    ("db over X", r"db overlaps X .*\(layer 0\)"),  # within one layer: caught per layer
    ("dW over another dW, shifted", r"dWs\[0\] overlaps dWs\[1\].*only the exact same"),
    ("dW over dY", r"dY overlaps dWs\[0\]"),
])
def test_dense_stack_backward_refuses_each_kind_of_cross_layer_overlap(case, message):
    X, Ws, acts, ys, zs = _stack(np.random.default_rng(1))
    dY, dWs, dbs = np.ones((4, 4)), [np.zeros((4, 4)), np.zeros((4, 4))], [None, None]
    Ws = [w.copy() for w in Ws]
    if case == "dY over W":
        dY = Ws[0]
    elif case == "db over X":
        dbs = [X[0], None]
    elif case == "dW over another dW, shifted":
        big = np.zeros(20)
        dWs = [big[:16].reshape(4, 4), big[4:].reshape(4, 4)]
    else:
        dWs = [dY, np.zeros((4, 4))]
    with pytest.raises(ValueError, match=message):
        K.dense_stack_backward(X, ys, zs, Ws, acts, [0.0, 0.0], dY, True, dWs, dbs, [0, 0])


def test_dense_stack_backward_layers_may_share_one_gradient_buffer():
    # a weight used by two layers: each adds its part to the one buffer, in turn
    rng = np.random.default_rng(2)
    X = rng.standard_normal((5, 4))
    W = rng.standard_normal((4, 4))
    none = K.ACTIVATIONS["none"]
    ys, zs = K.dense_stack_forward(X, [W, W], [None, None], [none, none], [0.0, 0.0], False)
    dW = np.zeros((4, 4))
    dY = rng.standard_normal((5, 4))
    K.dense_stack_backward(X, ys, zs, [W, W], [none, none], [0.0, 0.0], dY.copy(), False,
                           [dW, dW], [None, None], [1, 1])
    # y = X W^T W^T: dW = dY^T (X W^T) + (dY W)^T X
    np.testing.assert_allclose(dW, dY.T @ (X @ W.T) + (dY @ W).T @ X, rtol=1e-12, atol=1e-12)


# ---- every kernel, with threads writing its inputs meanwhile ---------------------------------

def _calls(rng, dt):
    """(name, inputs a writer may change, a function that runs the kernel and returns whether
    its result is sane). Writers store values in [-1, 1] (labels: valid or not), so results
    stay bounded."""
    r = lambda *s: rng.uniform(-1, 1, s).astype(dt)
    M, N, Kd = 96, 80, 72
    A, B, C = r(M, Kd), r(Kd, N), np.empty((M, N), dt)
    X, W, b = r(M, Kd), r(N, Kd), r(N)
    Z, Y = np.empty((M, N), dt), np.empty((M, N), dt)
    dY, dX, dW, db = r(M, N), np.empty((M, Kd), dt), np.empty((N, Kd), dt), np.empty(N, dt)
    x, y, dy, dx = r(4000), np.empty(4000, dt), r(4000), np.empty(4000, dt)
    logits, labels = r(3000, 5), rng.integers(0, 5, 3000)
    loss, dlog = np.empty(3000, dt), np.empty((3000, 5), dt)
    p, g, m, v = r(5000), r(5000), r(5000), np.abs(r(5000))
    gelu = K.ACTIVATIONS["gelu"]
    bounded = lambda bound: (lambda out: np.all(np.abs(out) <= bound))

    def stack():
        ys, zs = K.dense_stack_forward(X, [W], [b], [gelu], [0.0], True)
        K.dense_stack_backward(X, ys, zs, [W], [gelu], [0.0], dY, True, [dW], [db], [False])
        return bounded(Kd + 1)(zs[0]) and np.all(np.isfinite(dW))

    def ce():
        try:
            total, counted = K.cross_entropy(logits, labels, -100, 0.1, loss, dlog)
        except IndexError:
            return True
        return np.all((loss >= 0) & (loss < 4)) and np.all(np.abs(dlog) <= 1)

    return [
        ("gemm", [A, B], lambda: (K.gemm(A, B, C), bounded(Kd)(C))[1]),
        ("dense_forward", [X, W, b],
         lambda: (K.dense_forward(X, W, b, gelu, 0.0, Z, Y), bounded(Kd + 1)(Z))[1]),
        ("dense_backward", [X, W, dY],
         lambda: (K.dense_backward(X, W, Z, None, gelu, 0.0, dY, dX, dW, db, False),
                  np.all(np.isfinite(dX)) and np.all(np.isfinite(dW)))[1]),
        ("act", [x, dy],
         lambda: (K.act_forward(gelu, 0.0, x, y), K.act_backward(gelu, 0.0, x, y, dy, dx),
                  bounded(1.2)(y) and bounded(1.2)(dx))[2]),
        ("softmax", [x], lambda: (K.softmax_forward(x, y, 0, False),
                                  np.all((y >= 0) & (y <= 1)))[1]),
        ("cross_entropy", [logits, labels], ce),
        ("mse", [x, dy], lambda: 0 <= K.mse(x, dy, None, dx) <= 4 * 4000),
        ("adam", [g], lambda: (K.adam_step_many([p], [g], [m], [v], None, 1e-3, 0.9, 0.999,
                                                1e-8, 0.0, True, [3]),
                               np.all(np.isfinite(p)))[1]),
        ("sgd", [g, m], lambda: (K.sgd_step_many([p], [g], [m], 1e-3, 0.9, 0.0, 0.0, False,
                                                 False), np.all(np.isfinite(p)))[1]),
        ("softmax_backward", [dy], lambda: (K.softmax_backward(y, dy, dx, 0, True),
                                            np.all(np.isfinite(dx)))[1]),
        ("sum_all", [x], lambda: abs(K.sum_all(x)) <= 4000),
        ("dense_stack", [X, W, b, dY], stack),
    ]


def _writer(arrays, stop, seed, labels_max):
    rng = np.random.default_rng(seed)
    while not stop.is_set():
        a = arrays[rng.integers(len(arrays))]
        i = rng.integers(a.size)
        if a.dtype == np.int64:  # a label: valid, ignored or out of range
            a.flat[i] = rng.choice([0, labels_max - 1, -100, labels_max, -7, 1 << 40])
        else:
            a.flat[i] = rng.uniform(-1, 1)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_kernels_stay_sane_while_threads_write_their_inputs(dt):
    rng = np.random.default_rng(3)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch often, so writers run between checks and kernels too
    try:
        for name, inputs, call in _calls(rng, dt):
            stop = threading.Event()
            writers = [threading.Thread(target=_writer, args=(inputs, stop, s, 5), daemon=True)
                       for s in range(2)]
            for w in writers:
                w.start()
            try:
                for _ in range(40):
                    assert call(), name
            finally:
                stop.set()
                for w in writers:
                    w.join()
    finally:
        sys.setswitchinterval(old)
