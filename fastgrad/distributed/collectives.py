"""all_reduce, broadcast and all_gather on tensors (torch.distributed's collectives).

Every reduction sums (or takes the max, ...) in rank order 0, 1, ..., N-1 in NumPy, never in
MPI's own reduction, whose order may depend on the algorithm MPI picks at run time: so a
result is the same bits on every rank and in every run. The data moves as a reduce-scatter
written with Alltoall (rank r receives chunk r of every rank's buffer and reduces it) followed
by an Allgather of the reduced chunks: each rank sends and receives about 2 (N-1)/N of the
buffer, as a ring all-reduce does.
"""
from typing import Any, Optional, Sequence, Union

import numpy as np

from ..tensor import Tensor
from .process_group import Work, _check_group, _comm, _done

TensorLike = Union[Tensor, np.ndarray]


class ReduceOp:
    """The reductions all_reduce offers (torch.distributed.ReduceOp)."""

    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    AVG = "avg"


_UFUNCS = {ReduceOp.SUM: np.add, ReduceOp.AVG: np.add, ReduceOp.PRODUCT: np.multiply,
           ReduceOp.MIN: np.minimum, ReduceOp.MAX: np.maximum}


def all_reduce(tensor: TensorLike, op: str = ReduceOp.SUM, group: Any = None,
               async_op: bool = False) -> Optional[Work]:
    """Reduces `tensor` across ranks, in place: afterwards every rank holds the result.

    tensor: a fastgrad Tensor or a writable NumPy array, of the same shape and dtype on every
    rank (checked). op: ReduceOp.SUM, AVG (floats), PRODUCT, MIN or MAX.
    """
    _check_group(group)
    comm = _comm()
    array = _array_of("all_reduce", tensor)
    if op not in _UFUNCS:
        raise ValueError(f"all_reduce: op must be one of ReduceOp.SUM, AVG, PRODUCT, MIN, MAX; "
                         f"got {op!r}")
    if op == ReduceOp.AVG and array.dtype.kind != "f":
        raise TypeError(f"all_reduce: ReduceOp.AVG needs a floating-point tensor, not "
                        f"{array.dtype}")
    _check_same_everywhere(comm, "all_reduce", array, op)
    work = np.ascontiguousarray(array)
    flat = work.reshape(-1)
    reduce_in_rank_order(comm, flat, op)
    if work is not array:
        np.copyto(array, work)
    return _done(async_op)


def reduce_in_rank_order(comm: Any, flat: np.ndarray, op: str = ReduceOp.SUM) -> None:
    """Reduces the 1-d contiguous array `flat` across comm's ranks in place, in rank order.

    No checks: every rank must pass the same size and dtype (the callers make sure of it).
    """
    n = comm.Get_size()
    if n == 1:
        return  # AVG over one rank divides by 1: nothing to do
    ufunc = _UFUNCS[op]
    chunk = -(-flat.size // n)
    send = flat
    if chunk * n != flat.size:  # Alltoall moves equal chunks: pad the tail
        send = np.zeros(chunk * n, flat.dtype)
        send[:flat.size] = flat
    pieces = np.empty((n, chunk), flat.dtype)
    comm.Alltoall(send, pieces)  # pieces[r] = rank r's chunk number <this rank>
    mine = pieces[0]
    for r in range(1, n):  # the fixed order that makes every run give the same bits
        ufunc(mine, pieces[r], out=mine)
    if op == ReduceOp.AVG:
        np.divide(mine, n, out=mine, casting="unsafe")
    if send is flat:
        comm.Allgather(mine, flat)
    else:
        comm.Allgather(mine, send)
        flat[:] = send[:flat.size]


def broadcast(tensor: TensorLike, src: int, group: Any = None,
              async_op: bool = False) -> Optional[Work]:
    """Copies rank `src`'s `tensor` into `tensor` on every other rank, in place."""
    _check_group(group)
    comm = _comm()
    array = _array_of("broadcast", tensor)
    _check_same_everywhere(comm, "broadcast", array, src)
    _check_rank("broadcast", "src", src, comm.Get_size())  # the same answer on every rank now
    work = np.ascontiguousarray(array)
    comm.Bcast(work, root=src)
    if work is not array:
        np.copyto(array, work)
    return _done(async_op)


def all_gather(tensor_list: Sequence[TensorLike], tensor: TensorLike, group: Any = None,
               async_op: bool = False) -> Optional[Work]:
    """Fills tensor_list[r] with rank r's `tensor`, on every rank (in place).

    tensor_list: one Tensor (or writable array) per rank, each of tensor's shape and dtype.
    """
    _check_group(group)
    comm = _comm()
    array = _array_of("all_gather", tensor)
    n = comm.Get_size()
    if not isinstance(tensor_list, (list, tuple)) or len(tensor_list) != n:
        raise ValueError(f"all_gather: tensor_list must be a list of world size ({n}) tensors, "
                         f"got {_describe(tensor_list)}")
    outs = [_array_of(f"all_gather: tensor_list[{i}]", t) for i, t in enumerate(tensor_list)]
    for i, out in enumerate(outs):
        if out.shape != array.shape or out.dtype != array.dtype:
            raise ValueError(f"all_gather: tensor_list[{i}] has shape {out.shape} and dtype "
                             f"{out.dtype}, but tensor has shape {array.shape} and dtype "
                             f"{array.dtype}")
    _check_same_everywhere(comm, "all_gather", array, None)
    gathered = np.empty((n,) + array.shape, array.dtype)
    comm.Allgather(np.ascontiguousarray(array), gathered)
    for out, part in zip(outs, gathered):
        np.copyto(out, part)
    return _done(async_op)


def _array_of(where, tensor):
    """The writable NumPy array a collective reads and writes in place."""
    if isinstance(tensor, Tensor):
        array = tensor._data
    elif isinstance(tensor, np.ndarray):
        array = tensor
    else:
        raise TypeError(f"{where}: expected a fastgrad Tensor or a NumPy array, got "
                        f"{type(tensor).__name__}")
    if not array.flags.writeable:
        raise ValueError(f"{where}: the tensor is read-only, and collectives write in place")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: dtype {array.dtype} cannot be sent; use a numeric tensor")
    return array


def _check_same_everywhere(comm, where, array, extra):
    """Raises on every rank, naming them, unless all ranks passed the same shape, dtype and
    op/src: a size mismatch would otherwise be undefined behaviour inside MPI."""
    mine = (array.shape, array.dtype.str, extra)
    everyone = comm.allgather(mine)
    if any(other != mine for other in everyone):
        lines = ", ".join(f"rank {r}: shape {s}, dtype {np.dtype(d)}, {x!r}"
                          for r, (s, d, x) in enumerate(everyone))
        raise ValueError(f"{where}: every rank must pass the same shape, dtype and arguments; "
                         f"got {lines}")


def _check_rank(where, name, value, world_size):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or \
            not 0 <= value < world_size:
        raise ValueError(f"{where}: {name} must be a rank in [0, {world_size - 1}], "
                         f"got {value!r}")


def _describe(obj):
    return f"{len(obj)} items" if isinstance(obj, (list, tuple)) else type(obj).__name__
