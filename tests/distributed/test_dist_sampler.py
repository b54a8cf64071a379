"""DistributedSampler against torch.utils.data.DistributedSampler (no MPI needed)."""
import numpy as np
import pytest
from conftest import torch_or_skip

from fastgrad.distributed import DistributedSampler

CASES = [(n, replicas, drop_last) for n in (0, 1, 5, 10, 11, 17) for replicas in (1, 2, 3, 4, 7)
         for drop_last in (False, True)]


def torch_sampler(torch, n, replicas, rank, **kw):
    return torch.utils.data.DistributedSampler(range(n), num_replicas=replicas, rank=rank, **kw)


@pytest.mark.parametrize("n, replicas, drop_last", CASES)
def test_in_order_indices_equal_torch(n, replicas, drop_last):
    torch = torch_or_skip()
    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = torch_sampler(torch, n, replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs) == len(list(ours))


@pytest.mark.parametrize("n, replicas, drop_last", CASES)
def test_shuffled_indices_equal_torch_given_torch_permutation(n, replicas, drop_last,
                                                              monkeypatch):
    """Padding, cutting and dealing out are torch's for any order: feed ours torch's order."""
    torch = torch_or_skip()

    def torch_permutation(self, size):
        g = torch.Generator()
        g.manual_seed(self.seed + self.epoch)
        return torch.randperm(size, generator=g).numpy()

    monkeypatch.setattr(DistributedSampler, "permutation", torch_permutation)
    for epoch in (0, 3):
        for rank in range(replicas):
            ours = DistributedSampler(range(n), replicas, rank, seed=5, drop_last=drop_last)
            theirs = torch_sampler(torch, n, replicas, rank, seed=5, drop_last=drop_last)
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs)


def test_shuffled_shares_partition_one_permutation_and_change_with_epoch():
    n, replicas = 23, 4
    samplers = [DistributedSampler(range(n), replicas, r, seed=1) for r in range(replicas)]
    order = samplers[0].permutation(n)
    assert sorted(order.tolist()) == list(range(n))
    padded = np.concatenate([order, order[:24 - n]])
    for r, s in enumerate(samplers):
        assert list(s) == padded[r::replicas].tolist()
    before = list(samplers[0])
    samplers[0].set_epoch(1)
    assert list(samplers[0]) != before
    samplers[0].set_epoch(0)
    assert list(samplers[0]) == before


@pytest.mark.parametrize("kwargs, error, words", [
    ({"num_replicas": 2, "rank": 2}, ValueError, "Invalid rank 2"),
    ({"num_replicas": 2, "rank": -1}, ValueError, "Invalid rank -1"),
    ({"num_replicas": 0, "rank": 0}, ValueError, "num_replicas must be at least 1"),
    ({"num_replicas": 2.0, "rank": 0}, TypeError, "num_replicas must be an integer"),
    ({"num_replicas": 2, "rank": 0, "seed": "a"}, TypeError, "seed must be an integer"),
])
def test_bad_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        DistributedSampler(range(5), **kwargs)


def test_defaults_need_an_initialised_group():
    with pytest.raises(ValueError, match="init_process_group"):
        DistributedSampler(range(5))
