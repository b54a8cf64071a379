"""fastgrad.distributed: data-parallel training over MPI, with torch.distributed's API.

Start the processes with MPI's launcher and join them:

    mpiexec -n 4 python train.py          # in train.py: dist.init_process_group("mpi")

then wrap the model in fastgrad.nn.parallel.DistributedDataParallel and give each rank its
share of the data with DistributedSampler. Needs the `distributed` extra (mpi4py and MPI).
"""
from .collectives import ReduceOp, all_gather, all_reduce, broadcast
from .process_group import (GroupMember, Work, barrier, destroy_process_group, get_backend,
                            get_rank, get_world_size, init_process_group, is_available,
                            is_initialized, is_mpi_available)
from .sampler import DistributedSampler

group = GroupMember  # torch.distributed.group.WORLD

__all__ = ["init_process_group", "destroy_process_group", "is_initialized", "is_available",
           "is_mpi_available", "get_rank", "get_world_size", "get_backend", "barrier",
           "all_reduce", "broadcast", "all_gather", "ReduceOp", "Work", "GroupMember", "group",
           "DistributedSampler"]
