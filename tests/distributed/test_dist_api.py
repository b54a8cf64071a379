"""What fastgrad.distributed and DistributedDataParallel refuse before any MPI traffic."""
import numpy as np
import pytest

import fastgrad as fg
import fastgrad.distributed as dist
from fastgrad import _final_callbacks, nn
from fastgrad.nn.parallel import DistributedDataParallel


def test_only_the_mpi_backend():
    with pytest.raises(ValueError, match="backend 'nccl' is not available.*backend='mpi'"):
        dist.init_process_group("nccl")
    assert not dist.is_initialized()


@pytest.mark.parametrize("call", [dist.get_rank, dist.get_world_size, dist.barrier,
                                  lambda: dist.all_reduce(fg.zeros(2)),
                                  lambda: dist.destroy_process_group()])
def test_calls_before_init_process_group_say_so(call):
    with pytest.raises(ValueError, match="call init_process_group"):
        call()


def test_ddp_before_init_process_group_says_so():
    with pytest.raises(ValueError, match="call init_process_group"):
        DistributedDataParallel(nn.Linear(2, 2))


@pytest.mark.parametrize("kwargs, error, words", [
    ({"device_ids": [0]}, ValueError, "device_ids and output_device must be None"),
    ({"dim": 1}, ValueError, "dim must be 0"),
    ({"process_group": object()}, ValueError, "pass group=None"),
])
def test_ddp_bad_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        DistributedDataParallel(nn.Linear(2, 2), **kwargs)


def test_ddp_needs_a_module():
    with pytest.raises(TypeError, match="module must be a fastgrad nn.Module"):
        DistributedDataParallel(lambda x: x)


def test_final_callbacks_run_after_every_gradient_is_in_place():
    """What DDP relies on: a callback queued from inside backward sees every leaf's final
    gradient (the same as after backward returns), and runs once per backward."""
    fg.manual_seed(0)
    _final_callbacks.enable()
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    seen = []

    class Queue(fg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            _final_callbacks.queue_callback(snapshot)
            _final_callbacks.queue_callback(snapshot)  # the same one twice: runs once
            return grad

    def snapshot():
        seen.append([None if p.grad is None else np.array(p.grad) for p in model.parameters()])

    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    Queue.apply(model(x)).sum().backward()
    assert len(seen) == 1
    for got, p in zip(seen[0], model.parameters()):
        np.testing.assert_array_equal(got, np.asarray(p.grad))
    with pytest.raises(RuntimeError, match="only be called while backward"):
        _final_callbacks.queue_callback(snapshot)


def test_final_callbacks_are_dropped_when_backward_fails():
    _final_callbacks.enable()
    ran = []

    class QueueThenFail(fg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            _final_callbacks.queue_callback(lambda: ran.append(1))
            raise ArithmeticError("deliberate")

    x = fg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ArithmeticError):
        (QueueThenFail.apply(x) * 2).sum().backward()
    (x * 2).sum().backward()  # the next backward starts with an empty queue
    assert ran == []
