"""What each rank runs in the distributed tests: `mpiexec -n N python mpi_worker.py CASE OUTDIR`.

Every rank writes what it saw to OUTDIR/rank<r>.npz (or prints and exits), and the test in the
parent process compares it with NumPy, PyTorch or a one-process run.
"""
import os
import sys
import time

import numpy as np

import fastgrad as fg
import fastgrad.distributed as dist
from fastgrad import nn, optim
from fastgrad.nn.parallel import DistributedDataParallel as DDP


def rank_data(rank, shape, dtype):
    """The array rank `rank` contributes (the parent recomputes it for its reference)."""
    rng = np.random.default_rng(100 + rank)
    if np.dtype(dtype).kind == "i":
        return rng.integers(-50, 50, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


DTYPES = ("float32", "float64", "int64")
OPS = ("SUM", "AVG", "PRODUCT", "MIN", "MAX")


def collectives(out):
    res = {}
    try:  # a world size other than mpiexec's is refused, and leaves nothing initialised
        dist.init_process_group("mpi", world_size=99)
        res["world_size_error"] = ""
    except ValueError as exc:
        res["world_size_error"] = str(exc)
    res["initialized_after_error"] = dist.is_initialized()
    dist.init_process_group()  # no arguments: mpiexec's environment says it all
    rank, n = dist.get_rank(), dist.get_world_size()
    res.update({"initialized": dist.is_initialized(), "world": n, "backend": dist.get_backend()})
    try:
        dist.init_process_group()
        res["twice_error"] = ""
    except RuntimeError as exc:
        res["twice_error"] = str(exc)
    for dtype in DTYPES:
        for op in OPS:
            if op == "AVG" and dtype == "int64":
                continue
            t = fg.tensor(rank_data(rank, (7, 5), dtype))
            dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
            res[f"all_reduce_{op}_{dtype}"] = t.numpy()
        t = fg.tensor(rank_data(rank, (3, 4), dtype))
        dist.broadcast(t, src=n - 1)
        res[f"broadcast_{dtype}"] = t.numpy()
        gathered = [fg.zeros((2, 3), dtype=dtype) for _ in range(n)]
        dist.all_gather(gathered, fg.tensor(rank_data(rank, (2, 3), dtype)))
        res[f"all_gather_{dtype}"] = np.stack([g.numpy() for g in gathered])
    # a non-contiguous NumPy view, reduced in place (its base must change, nothing else)
    base = rank_data(rank, (6, 8), "float64")
    dist.all_reduce(base[::2, 1::3])
    res["all_reduce_view_base"] = base
    # ranks passing different shapes: a clear error on every rank, not MPI's undefined behaviour
    try:
        dist.all_reduce(fg.zeros(3 + rank))
        res["mismatch_error"] = ""
    except ValueError as exc:
        res["mismatch_error"] = str(exc)
    for key, call in (("avg_int_error", lambda: dist.all_reduce(fg.zeros(2, dtype="int64"),
                                                                   op=dist.ReduceOp.AVG)),
                      ("src_error", lambda: dist.broadcast(fg.zeros(2), src=n)),
                      ("gather_list_error", lambda: dist.all_gather([fg.zeros(2)], fg.zeros(2))),
                      ("op_error", lambda: dist.all_reduce(fg.zeros(2), op="mean"))):
        try:
            call()
            res[key] = ""
        except (TypeError, ValueError) as exc:
            res[key] = str(exc)
    dist.barrier()
    dist.destroy_process_group()
    res["initialized_after"] = dist.is_initialized()
    save(out, rank, res)


# ---- training ---------------------------------------------------------------------------------

def make_problem(dtype):
    """A small classification problem and an MLP, the same in every process."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((96, 10)).astype(dtype)
    y = rng.integers(0, 3, 96)
    fg.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 3)).to(dtype)
    return X, y, model


def train(out, dtype, global_batch=8, epochs=2):
    """Trains with DDP on a global batch of `global_batch` split over the ranks."""
    dist.init_process_group("mpi")
    rank, n = dist.get_rank(), dist.get_world_size()
    X, y, model = make_problem(dtype)
    ddp = DDP(model)
    opt = optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    sampler = dist.DistributedSampler(X, shuffle=True, seed=0)
    local = global_batch // n
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        idx = sampler.order()
        for start in range(0, len(idx), local):
            b = idx[start:start + local]
            opt.zero_grad()
            loss_fn(ddp(X[b]), y[b]).backward()
            opt.step()
    save(out, rank, {k: np.asarray(v) for k, v in model.state_dict().items()})
    dist.destroy_process_group()


def no_sync(out):
    """Two micro-batches inside no_sync, a third outside: the gradients are averaged once."""
    dist.init_process_group()
    rank = dist.get_rank()
    X, y, model = make_problem("float64")
    ddp = DDP(model)
    res = {f"init.{k}": np.array(v) for k, v in model.state_dict().items()}
    loss_fn = nn.CrossEntropyLoss()
    batches = [slice(rank * 12 + 4 * k, rank * 12 + 4 * k + 4) for k in range(3)]
    with ddp.no_sync():
        for k in range(2):
            loss_fn(ddp(X[batches[k]]), y[batches[k]]).backward()
    res.update({f"local.{name}": np.array(p.grad)
                for name, p in model.named_parameters()})
    loss_fn(ddp(X[batches[2]]), y[batches[2]]).backward()
    res.update({f"synced.{name}": np.array(p.grad) for name, p in model.named_parameters()})
    save(out, rank, res)


class TwoHeads(nn.Module):
    """A model whose head b only rank 0 uses, and head c no rank uses."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 3)
        self.b = nn.Linear(3, 1)
        self.c = nn.Linear(3, 1)

    def forward(self, x, use_b):
        h = self.a(x)
        return (h.sum() + self.b(h).sum()) if use_b else h.sum()


def unused(out):
    dist.init_process_group()
    rank = dist.get_rank()
    fg.manual_seed(0)
    model = TwoHeads().double()
    ddp = DDP(model)
    x = np.random.default_rng(rank).standard_normal((5, 4))
    ddp(x, rank == 0).backward()
    res = {"x": x, "c_grad_is_none": model.c.weight.grad is None}
    res.update({f"init.{k}": np.array(v) for k, v in model.state_dict().items()})
    res.update({f"grad.{k}": np.array(p.grad) for k, p in model.named_parameters()
                if p.grad is not None})
    model.float()  # after wrapping: the next averaging must refuse, not cast silently
    try:
        ddp(x.astype(np.float32), rank == 0).backward()
        res["dtype_error"] = ""
    except RuntimeError as exc:
        res["dtype_error"] = str(exc)
    save(out, rank, res)


def buffers(out):
    """BatchNorm's running statistics: each rank updates them from its own batch, and DDP
    copies rank 0's to every rank before each training forward."""
    dist.init_process_group()
    rank = dist.get_rank()
    fg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).double()
    ddp = DDP(model)
    bn = model[1]
    res = {}
    for step in range(2):
        x = np.random.default_rng(10 * step + rank).standard_normal((6, 3))
        res[f"x{step}"] = x
        ddp(x).sum().backward()
        res[f"running_mean{step}"] = np.array(bn.running_mean)
    res.update({f"init.{k}": np.array(v) for k, v in model.state_dict().items()})
    save(out, rank, res)


def mismatch(out):
    """Rank 1 builds a wider hidden layer: construction must fail on every rank."""
    dist.init_process_group()
    rank = dist.get_rank()
    hidden = 16 if rank != 1 else 17
    model = nn.Sequential(nn.Linear(10, hidden), nn.ReLU(), nn.Linear(hidden, 3))
    try:
        DDP(model)
        message = ""
    except RuntimeError as exc:
        message = str(exc)
    dist.barrier()  # every rank got here: nobody hangs in the constructor
    save(out, rank, {"message": message})


def checkpoint(out):
    """Trains a little, then rank 0 alone saves; each rank also records its parameters."""
    dist.init_process_group()
    rank = dist.get_rank()
    X, y, model = make_problem("float32")
    ddp = DDP(model)
    opt = optim.Adam(ddp.parameters(), lr=1e-2)
    for step in range(3):
        b = slice(rank * 8 + step, rank * 8 + step + 8)
        opt.zero_grad()
        nn.functional.cross_entropy(ddp(X[b]), y[b]).backward()
        opt.step()
    if rank == 0:
        fg.save(ddp.module.state_dict(), os.path.join(out, "model.safetensors"))
        fg.save(ddp.state_dict(), os.path.join(out, "ddp.safetensors"))
    dist.barrier()  # the files are complete before any rank goes on
    save(out, rank, {k: np.array(v) for k, v in model.state_dict().items()})


def _note_failure_time(out):
    """The wall-clock time of the deliberate failure, for the test to time the abort from (the
    ranks' start-up, slow on a busy machine, is not what it measures)."""
    with open(os.path.join(out, "failed_at"), "w") as f:
        f.write(repr(time.time()))


def raises(out):
    """The last rank raises while the others wait for it in a collective."""
    dist.init_process_group()
    rank, n = dist.get_rank(), dist.get_world_size()
    if rank == n - 1:
        time.sleep(0.5)  # the others are inside all_reduce by now
        _note_failure_time(out)
        raise ValueError(f"deliberate failure on rank {rank}")
    dist.all_reduce(fg.zeros(4))
    print(f"rank {rank} got past the collective", flush=True)


def exits(out):
    """The last rank calls sys.exit(3) while the others wait for it in a collective."""
    dist.init_process_group()
    rank, n = dist.get_rank(), dist.get_world_size()
    if rank == n - 1:
        time.sleep(0.5)
        _note_failure_time(out)
        print(f"deliberate failure on rank {rank}", file=sys.stderr, flush=True)
        sys.exit(3)
    dist.all_reduce(fg.zeros(4))
    print(f"rank {rank} got past the collective", flush=True)


def save(out, rank, results):
    np.savez(os.path.join(out, f"rank{rank}.npz"), **results)


CASES = {"collectives": collectives, "train32": lambda out: train(out, "float32"),
         "train64": lambda out: train(out, "float64"), "no_sync": no_sync, "unused": unused,
         "buffers": buffers,
         "mismatch": mismatch, "checkpoint": checkpoint, "raises": raises,
         "exits": exits}

if __name__ == "__main__":
    fg.set_num_threads(1)
    CASES[sys.argv[1]](sys.argv[2])
