"""DistributedDataParallel: one model replica per process, gradients averaged after backward.

Each rank runs the same model on its own share of the global batch. At construction rank 0's
parameters and buffers are copied to every rank (after checking that every rank built the same
model), so the replicas start equal; after each backward() every gradient is replaced by its
average over the ranks, so the optimizers, seeing equal gradients, keep them equal.

The average is one all-reduce per dtype: the gradients are copied into one flat buffer, which
also carries, per parameter, how many ranks produced a gradient for it (a parameter no rank
used keeps .grad None, as in one process). The all-reduce adds in rank order (see
fastgrad.distributed.collectives), so every rank gets the same bits, run after run.

The averaging runs when backward() has finished: forward() puts an identity op on the model's
outputs whose backward queues the averaging as a final callback of that backward() (as
PyTorch's reducer does). It is not overlapped with the rest of backward: on a CPU the
all-reduce and the backward kernels compete for the same cores.
"""
import contextlib
from typing import Any, Iterator, Optional, Sequence

import numpy as np

from ... import _final_callbacks
from ..._grad_mode import is_grad_enabled
from ...autograd import Function
from ...distributed import collectives, process_group
from ...tensor import Tensor
from ..module import Module
from ._grads import array_of, grad_array, set_grad


class DistributedDataParallel(Module):
    """Wraps `module` for data-parallel training (torch.nn.parallel.DistributedDataParallel).

    Needs fastgrad.distributed.init_process_group() first. The state dict's keys carry the
    `module.` prefix, as PyTorch's do; save `ddp.module.state_dict()` for a plain model.
    broadcast_buffers: copy rank 0's buffers (e.g. BatchNorm's running statistics) to every
    rank before each forward in training mode. device_ids must be None (CPU); the other
    arguments of PyTorch's signature are accepted and have no effect here.
    """

    training: bool
    broadcast_buffers: bool
    require_backward_grad_sync: bool  # False inside no_sync()
    _buckets: "list[_Bucket]"

    def __init__(self, module: Module, device_ids: Optional[Sequence[Any]] = None,
                 output_device: Any = None, dim: int = 0, broadcast_buffers: bool = True,
                 process_group: Any = None, bucket_cap_mb: Optional[float] = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a fastgrad nn.Module, "
                            f"got {type(module).__name__}")
        if device_ids not in (None, [], ()) or output_device is not None:
            raise ValueError("DistributedDataParallel: device_ids and output_device must be None "
                             "for a CPU module")
        if dim != 0:
            raise ValueError(f"DistributedDataParallel: dim must be 0, got {dim!r}")
        _check_group(process_group)
        self.module = module
        object.__setattr__(self, "broadcast_buffers", bool(broadcast_buffers))
        object.__setattr__(self, "require_backward_grad_sync", True)
        comm = _default_comm()
        _final_callbacks.enable()  # backward() then runs the averaging queued from the walk
        _check_same_model(comm, module)
        _broadcast_state(comm, module)
        object.__setattr__(self, "_buckets", _make_buckets(module))

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """The wrapped module's forward; its outputs trigger the averaging in backward."""
        if self.broadcast_buffers and self.training:
            _broadcast_buffers(_default_comm(), self.module)
        out = self.module(*inputs, **kwargs)
        if self.require_backward_grad_sync and is_grad_enabled() and self._buckets:
            out = _mark_outputs(out, self)
        return out

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Within it, backward() leaves the gradients local (to accumulate several batches);
        the first backward after a forward outside it averages the accumulated gradients."""
        before = self.require_backward_grad_sync
        object.__setattr__(self, "require_backward_grad_sync", False)
        try:
            yield
        finally:
            object.__setattr__(self, "require_backward_grad_sync", before)

    def _queue_sync(self):
        """Called from backward (by the op on the outputs): average once it has finished."""
        _final_callbacks.queue_callback(self._sync_gradients)  # once, however many outputs

    def _sync_gradients(self):
        comm = _default_comm()
        for bucket in self._buckets:
            bucket.average(comm)


class _Bucket:
    """The parameters of one dtype and the flat buffer their gradients travel in: all the
    gradients, then one count per parameter (1 where this rank has a gradient)."""

    def __init__(self, params, dtype):
        self.params = params
        self.shapes = [p.shape for p in params]
        sizes = [p.numel() for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.total = int(self.offsets[-1])
        self.buffer = np.empty(self.total + len(params), dtype)

    def average(self, comm):
        buf, counts = self.buffer, self.buffer[self.total:]
        for i, p in enumerate(self.params):
            g = grad_array(p)
            part = buf[self.offsets[i]:self.offsets[i + 1]]
            if g is None:
                part[...] = 0
                counts[i] = 0
            else:
                if g.dtype != buf.dtype or g.shape != self.shapes[i]:
                    raise RuntimeError(
                        f"DistributedDataParallel: a parameter's gradient is {g.dtype} of shape "
                        f"{g.shape}, but it was {buf.dtype} of shape {self.shapes[i]} when the "
                        "model was wrapped; convert the model (.double(), ...) before wrapping")
                part[...] = g.reshape(-1)
                counts[i] = 1
        collectives.reduce_in_rank_order(comm, buf, collectives.ReduceOp.SUM)
        n = comm.Get_size()
        if n > 1:
            np.divide(buf[:self.total], n, out=buf[:self.total])
        for i, p in enumerate(self.params):
            if counts[i] == 0:
                continue  # no rank used it: .grad stays None, as in one process
            mean = buf[self.offsets[i]:self.offsets[i + 1]].reshape(self.shapes[i])
            g = grad_array(p)
            if g is None:
                set_grad(p, mean.copy())
            else:
                np.copyto(g, mean)


def _make_buckets(module):
    by_dtype = {}
    for p in module.parameters():
        if p.requires_grad:
            by_dtype.setdefault(p.numpy().dtype, []).append(p)
    return [_Bucket(params, dtype) for dtype, params in by_dtype.items()]


class _SyncAfterBackward(Function):
    """Identity on a model output; its backward asks for the gradients to be averaged once the
    whole backward() has finished."""

    @staticmethod
    def forward(ctx, x, ddp):
        ctx.ddp = ddp
        return x

    @staticmethod
    def backward(ctx, grad):
        ctx.ddp._queue_sync()
        return grad, None


def _mark_outputs(out, ddp):
    """The outputs, each float Tensor that requires grad passed through _SyncAfterBackward."""
    if isinstance(out, Tensor):
        return _SyncAfterBackward.apply(out, ddp) if out.requires_grad else out
    if isinstance(out, tuple) and hasattr(out, "_fields"):  # a namedtuple
        return type(out)(*(_mark_outputs(o, ddp) for o in out))
    if isinstance(out, (list, tuple)):
        return type(out)(_mark_outputs(o, ddp) for o in out)
    if isinstance(out, dict):
        return {k: _mark_outputs(v, ddp) for k, v in out.items()}
    return out


# ---- construction: same model everywhere, then rank 0's values everywhere --------------------

def _default_comm():
    return process_group._comm()


def _check_group(group):
    process_group._check_group(group)


def _signature(module):
    """What must agree across ranks: every parameter's and buffer's name, shape and dtype."""
    sig = [("parameter", name, tuple(p.shape), p.numpy().dtype.str, bool(p.requires_grad))
           for name, p in module.named_parameters()]
    sig += [("buffer", name, tuple(b.shape), array_of(b).dtype.str, False)
            for name, b in module.named_buffers()]
    return sig


def _check_same_model(comm, module):
    """Raises the same RuntimeError on every rank unless all ranks built the same model."""
    everyone = comm.allgather(_signature(module))
    reference = everyone[0]
    for rank, sig in enumerate(everyone[1:], start=1):
        if sig == reference:
            continue
        if len(sig) != len(reference):
            detail = (f"rank 0 has {len(reference)} parameters and buffers, rank {rank} has "
                      f"{len(sig)}")
        else:
            a, b = next((a, b) for a, b in zip(reference, sig) if a != b)
            detail = f"rank 0 has {_show(a)}, rank {rank} has {_show(b)}"
        raise RuntimeError("DistributedDataParallel: every rank must build the same model, but "
                           + detail)


def _show(entry):
    kind, name, shape, dtype, requires_grad = entry
    grad = ", requires_grad" if requires_grad else ""
    return f"{kind} {name!r} of shape {shape}, dtype {np.dtype(dtype)}{grad}"


def _broadcast_state(comm, module):
    """Rank 0's parameter and buffer values on every rank: one broadcast per dtype."""
    arrays = [array_of(x) for x in [*module.parameters(), *module.buffers()]]
    _broadcast_arrays(comm, arrays)


def _broadcast_buffers(comm, module):
    buffers = [array_of(b) for b in module.buffers()]
    if buffers and comm.Get_size() > 1:
        _broadcast_arrays(comm, buffers)


def _broadcast_arrays(comm, arrays):
    by_dtype = {}
    for a in arrays:
        by_dtype.setdefault(a.dtype.str, []).append(a)
    for group in by_dtype.values():  # same order on every rank: the signatures matched
        flat = np.concatenate([a.reshape(-1) for a in group]) if group else None
        comm.Bcast(flat, root=0)
        start = 0
        for a in group:
            a[...] = flat[start:start + a.size].reshape(a.shape)
            start += a.size
