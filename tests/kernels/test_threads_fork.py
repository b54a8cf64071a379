"""Threads and processes: training is reproducible bit for bit.

- Two Python threads training two models at once (the kernels release the GIL) end with
  exactly the parameters that training them one after the other gives.
- A process forked after the kernels (and any thread pool) have run can still train, and
  gets the parent's result; a hang fails the test through a timeout instead of stalling CI.
- Two fresh processes with the same seed and thread count produce identical bytes.
The reference in each case is the same training run elsewhere: any data race, state shared
between models, or non-deterministic reduction order shows up as differing bits.
"""
import hashlib
import multiprocessing
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from conftest import child_python_env
import fastgrad as fg
from fastgrad import nn, optim

TESTS = os.path.dirname(os.path.abspath(__file__))
STEPS = 60


def make_model(seed):
    """A model and its batches, drawn from fastgrad's seeded generator (call sequentially)."""
    fg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(96, 256), nn.ReLU(), nn.Linear(256, 128), nn.Tanh(),
                          nn.Linear(128, 10))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((8, 128, 96)).astype(np.float32)
    y = rng.integers(0, 10, (8, 128))
    return model, X, y


def train(model, X, y, steps=STEPS, start=None):
    """Adam on cross-entropy; touches no global state, so it may run in any thread."""
    opt = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    if start is not None:
        start.wait()  # both threads begin together, so their kernels really overlap
    for step in range(steps):
        opt.zero_grad()
        loss_fn(model(X[step % len(X)]), y[step % len(y)]).backward()
        opt.step()
    return [p.numpy().copy() for p in model.parameters()]


def digest(params):
    h = hashlib.sha256()
    for p in params:
        h.update(p.tobytes())
    return h.hexdigest()


def assert_bit_identical(a, b):
    assert len(a) == len(b)
    for x, z in zip(a, b):
        assert x.dtype == z.dtype and x.shape == z.shape
        assert x.tobytes() == z.tobytes(), np.max(np.abs(x - z))


# ---- two threads, two models ------------------------------------------------------------------

def test_two_threads_train_two_models_as_if_one_after_the_other():
    sequential = [train(*make_model(seed)) for seed in (1, 2)]

    problems = [make_model(seed) for seed in (1, 2)]
    results, errors = [None, None], []
    start = threading.Barrier(2)

    def worker(i):
        try:
            results[i] = train(*problems[i], start=start)
        except BaseException as e:  # surfaced below, not lost in the thread
            errors.append(e)
            start.abort()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a training thread hung"
    assert not errors, errors
    for got, want in zip(results, sequential):
        assert_bit_identical(got, want)
    assert digest(results[0]) != digest(results[1])  # the two runs did differ


# ---- fork after the kernels have run ----------------------------------------------------------

def _train_in_child(conn):
    conn.send(digest(train(*make_model(3))))
    conn.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("threads", [1, 2])
def test_forked_child_trains_after_the_parent_ran_the_kernels(threads):
    before = fg.get_num_threads()
    fg.set_num_threads(threads)
    try:
        parent = digest(train(*make_model(3)))  # kernels (and any pool) now live in the parent
        ctx = multiprocessing.get_context("fork")
        recv, send = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_train_in_child, args=(send,))
        child.start()
        send.close()
        got = recv.recv() if recv.poll(120) else None
        child.join(timeout=30)
        if child.is_alive():
            child.kill()
        assert got is not None, "the forked child hung or died without a result"
        assert child.exitcode == 0
        assert got == parent
    finally:
        fg.set_num_threads(before)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_os_fork_child_trains_and_exits_cleanly():
    parent = digest(train(*make_model(4), steps=10))
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        status = 1
        try:
            os.close(read_fd)
            os.write(write_fd, digest(train(*make_model(4), steps=10)).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    import select
    ready, _, _ = select.select([read_fd], [], [], 120)
    got = os.read(read_fd, 64).decode() if ready else None
    os.close(read_fd)
    if got is None:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    assert got == parent, "the forked child hung or gave a different result"
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


# ---- run to run -------------------------------------------------------------------------------

# The child imports this module, and through it tests/conftest.py, from their folders.
CHILD = ("import sys; sys.path[:0] = {paths!r}; import test_threads_fork as t; "
         "print(t.digest(t.train(*t.make_model(5))))")


@pytest.mark.parametrize("threads", ["1", "2"])
def test_same_seed_and_thread_count_give_identical_bytes_across_processes(threads):
    env, cwd = child_python_env(FASTGRAD_NUM_THREADS=threads)
    child = CHILD.format(paths=[TESTS, os.path.dirname(TESTS)])
    runs = [subprocess.run([sys.executable, "-c", child], env=env, cwd=cwd,
                           capture_output=True, text=True, timeout=300) for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stderr
    assert runs[0].stdout.strip() == runs[1].stdout.strip()
    assert len(runs[0].stdout.strip()) == 64
