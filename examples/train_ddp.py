"""Train the digits MLP data-parallel over MPI, the way you would with torch.distributed.

    mpiexec -n 2 python examples/train_ddp.py

Every rank (process) holds a replica of the model and reads its own share of each global batch
(DistributedSampler); DistributedDataParallel averages the gradients after backward(), so the
replicas stay identical and train the model one process would on the same global batches.
Rank 0 alone writes the checkpoint. Across machines, list them in a hostfile (docs/distributed.md).
"""
import argparse
import os
import time

import numpy as np

import fastgrad as fg
import fastgrad.distributed as dist
from fastgrad import nn, optim
from fastgrad.datasets import load_digits_split
from fastgrad.nn.parallel import DistributedDataParallel as DDP

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--batch-size", type=int, default=64, help="global batch, over all ranks")
parser.add_argument("--out", default="digits_ddp.safetensors", help="checkpoint (rank 0 writes)")
args = parser.parse_args()

dist.init_process_group("mpi")  # mpiexec has told every process its rank and the world size
rank, world = dist.get_rank(), dist.get_world_size()
if args.batch_size % world:
    raise SystemExit(f"--batch-size {args.batch_size} must be a multiple of the {world} ranks")
if "FASTGRAD_NUM_THREADS" not in os.environ:  # share this machine's cores among its ranks
    ranks_here = int(os.environ.get("MPI_LOCALNRANKS", world))
    fg.set_num_threads(max(1, (os.cpu_count() or 1) // ranks_here))

fg.manual_seed(0)  # DDP copies rank 0's initial weights to every rank anyway
X_train, y_train, X_test, y_test = load_digits_split(seed=0)
model = DDP(nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)))
opt = optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
sampler = dist.DistributedSampler(X_train, shuffle=True, seed=0)  # this rank's share
local_batch = args.batch_size // world

start = time.perf_counter()
for epoch in range(args.epochs):
    sampler.set_epoch(epoch)  # a new order each epoch, the same on every rank
    indices = sampler.order()
    total = fg.zeros(2, dtype=fg.float64)  # summed loss and batches, for the log line
    for first in range(0, len(indices), local_batch):
        batch = indices[first:first + local_batch]
        opt.zero_grad()
        loss = loss_fn(model(X_train[batch]), y_train[batch])
        loss.backward()  # ... and the gradients are averaged over the ranks
        opt.step()
        total += fg.tensor([loss.item(), 1.0], dtype=fg.float64)
    dist.all_reduce(total)  # every rank's losses, for the mean over all of them
    if rank == 0:
        print(f"epoch {epoch + 1:2d}  loss {total[0].item() / total[1].item():.4f}", flush=True)

if rank == 0:
    with fg.no_grad():
        accuracy = (model.module(X_test).argmax(dim=1).numpy() == y_test).mean()
    print(f"test accuracy {accuracy:.3f}  ({world} ranks, {time.perf_counter() - start:.1f} s)")
    fg.save(model.module.state_dict(), args.out)  # atomic: a crash never leaves half a file
dist.barrier()  # the checkpoint is complete before any rank moves on
dist.destroy_process_group()
