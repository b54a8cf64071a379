"""Callbacks that run once the backward() in progress has finished (PyTorch's queue_callback).

An op's backward runs while the walk is still under way: leaves further down have not got
their gradients yet. Work that needs every gradient in place, such as DistributedDataParallel
averaging them across processes, queues itself here from inside the walk and runs after it.
Each backward() (nested ones too) has its own queue, kept per thread. Until something that
queues callbacks exists (enable()), backward() opens no queue: a training step without
DistributedDataParallel pays nothing for this.
"""
import threading

_local = threading.local()
active = False  # read by Tensor.backward before it opens a queue


def enable():
    """From now on every backward() opens a queue (DistributedDataParallel calls this)."""
    global active
    active = True


def begin():
    """Opens the queue of the backward() that is starting."""
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    stack.append([])


def finish(ran_to_end):
    """Closes the innermost queue; runs its callbacks, in order, if the walk ran to its end."""
    callbacks = _local.stack.pop()
    if ran_to_end:
        for fn in callbacks:
            fn()


def queue_callback(fn):
    """Runs fn() once the current backward() has finished; only valid during a backward().
    A callback already queued for this backward() (an equal one) is not queued twice."""
    stack = getattr(_local, "stack", None)
    if not stack:
        raise RuntimeError("queue_callback can only be called while backward() runs, after "
                           "_final_callbacks.enable()")
    if fn not in stack[-1]:
        stack[-1].append(fn)
