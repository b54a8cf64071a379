"""The default process group: every process that mpiexec started, over MPI (mpi4py).

As torch.distributed with backend="mpi": the launcher (mpiexec) decides the world, so
init_process_group needs no address, rank or size; it only joins. While the group is
initialised, an uncaught exception on any rank, or sys.exit with an error status, aborts the
whole job (MPI_Abort), so the other ranks, which may be waiting in a collective for the one
that failed, exit with an error within seconds instead of hanging.
"""
import atexit
import sys
from typing import Any, Dict, Optional

_state: Dict[str, Any] = {"comm": None, "excepthook": None, "exit": None, "exit_status": None}

_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")


def is_available() -> bool:
    """True when mpi4py (and so an MPI library) can be imported."""
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available() -> bool:
    """True when the MPI backend can be used (torch.distributed.is_mpi_available)."""
    return is_available()


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise RuntimeError("fastgrad.distributed needs mpi4py and an MPI library: "
                           "pip install 'fastgrad[distributed]'") from exc
    return MPI


def init_process_group(backend: Optional[str] = None, init_method: Optional[str] = None,
                       timeout: Any = None, world_size: int = -1, rank: int = -1,
                       store: Any = None, group_name: str = "", pg_options: Any = None,
                       device_id: Any = None) -> None:
    """Joins the processes mpiexec started (torch.distributed.init_process_group).

    backend: "mpi" or None (the same). world_size and rank, when given, must be what mpiexec
    assigned. init_method, timeout, store and the other arguments are accepted for PyTorch's
    signature and unused: MPI's launcher already knows the world.
    """
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(f"init_process_group: backend {backend!r} is not available; fastgrad "
                         "runs data-parallel training over MPI: use backend='mpi'")
    if _state["comm"] is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    MPI = _mpi()
    comm = MPI.COMM_WORLD.Dup()  # our own context: a user's MPI traffic never meets ours
    for name, given, actual in (("world_size", world_size, comm.Get_size()),
                                ("rank", rank, comm.Get_rank())):
        if given is not None and given != -1 and given != actual:
            comm.Free()
            raise ValueError(f"init_process_group: {name}={given} but mpiexec started this "
                             f"process with {name} {actual}")
    _state["comm"] = comm
    if comm.Get_size() > 1:
        _state["excepthook"], _state["exit"] = sys.excepthook, sys.exit
        sys.excepthook = _abort_on_uncaught_exception
        sys.exit = _exit_remembering_status
        atexit.register(_abort_if_exiting_with_error)


def _exit_remembering_status(status=None):
    """sys.exit, noting the status: an error exit on one rank must end the others too, and
    Python's exit handlers are not told the status."""
    _state["exit_status"] = status
    _state["exit"](status)


def _abort_if_exiting_with_error():
    status = _state["exit_status"]
    if _state["comm"] is None or status is None or status == 0:
        return
    sys.stderr.write(f"fastgrad.distributed: rank {_state['comm'].Get_rank()} exited with "
                     f"status {status!r}; aborting every rank\n")
    sys.stderr.flush()
    sys.stdout.flush()
    _mpi().COMM_WORLD.Abort(status if isinstance(status, int) else 1)


def _abort_on_uncaught_exception(exc_type, value, tb):
    """Prints the traceback as Python would, then ends every rank of the job."""
    previous = _state["excepthook"] or sys.__excepthook__
    try:
        previous(exc_type, value, tb)
        sys.stderr.write(f"fastgrad.distributed: rank {_state['comm'].Get_rank()} raised; "
                         "aborting every rank\n")
        sys.stderr.flush()
        sys.stdout.flush()
    finally:
        _mpi().COMM_WORLD.Abort(1)


def destroy_process_group(group: Any = None) -> None:
    """Leaves the default process group (torch.distributed.destroy_process_group)."""
    _check_group(group)
    comm = _comm()
    if _state["excepthook"] is not None:
        sys.excepthook, sys.exit = _state["excepthook"], _state["exit"]
        _state["excepthook"] = _state["exit"] = None
        atexit.unregister(_abort_if_exiting_with_error)
    _state["comm"] = None
    comm.Free()


def is_initialized() -> bool:
    """True between init_process_group and destroy_process_group."""
    return _state["comm"] is not None


def get_rank(group: Any = None) -> int:
    """This process's rank, 0 .. world size - 1."""
    _check_group(group)
    return _comm().Get_rank()


def get_world_size(group: Any = None) -> int:
    """The number of processes in the group."""
    _check_group(group)
    return _comm().Get_size()


def get_backend(group: Any = None) -> str:
    """Always "mpi"."""
    _check_group(group)
    _comm()
    return "mpi"


def barrier(group: Any = None, async_op: bool = False,
            device_ids: Any = None) -> "Optional[Work]":
    """Waits until every rank has reached this call."""
    _check_group(group)
    _comm().Barrier()
    return _done(async_op)


def _comm():
    comm = _state["comm"]
    if comm is None:
        raise ValueError(_NOT_INITIALIZED)
    return comm


def _check_group(group):
    if group is not None and group is not GroupMember.WORLD:
        raise ValueError("fastgrad.distributed has one process group, the default one: "
                         "pass group=None")


class GroupMember:
    """torch.distributed.GroupMember: WORLD names the default group."""

    WORLD = object()


class Work:
    """What an async_op=True call returns; fastgrad's collectives have finished on return."""

    def wait(self, timeout: Any = None) -> bool:
        """Returns True at once: the operation finished before the call returned."""
        return True

    def is_completed(self) -> bool:
        """Always True (see wait)."""
        return True


def _done(async_op):
    return Work() if async_op else None
