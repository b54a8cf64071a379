"""fastgrad.utils.data against torch.utils.data: the same datasets, samplers and loaders give
the same batches (contents, shapes, dtypes, container types); shuffled ones a permutation."""
import collections
import warnings

import numpy as np
import pytest

import fastgrad
import fastgrad.utils.data as fud
from fastgrad import nn

torch = pytest.importorskip("torch")
tud = torch.utils.data


def rows(n=10, features=3, dtype=np.float32):
    """X whose row i is filled with i, and y = i: a batch shows which rows it holds."""
    return np.repeat(np.arange(n, dtype=dtype)[:, None], features, axis=1), np.arange(n)


def assert_same_batch(got, want):
    """got (fastgrad) equals want (torch): same container type, Tensors with the same
    shape, dtype and values, other values equal."""
    if isinstance(want, torch.Tensor):
        assert isinstance(got, fastgrad.Tensor), type(got)
        assert tuple(got.shape) == tuple(want.shape)
        assert np.dtype(got.dtype) == want.numpy().dtype
        np.testing.assert_array_equal(np.asarray(got), want.numpy())
    elif isinstance(want, dict):
        assert type(got) is type(want) and list(got) == list(want)
        for key in want:
            assert_same_batch(got[key], want[key])
    elif isinstance(want, (list, tuple)):
        assert type(got).__name__ == type(want).__name__ and len(got) == len(want)
        for g, w in zip(got, want):
            assert_same_batch(g, w)
    else:
        assert got == want


def both_loaders(make_dataset, **kwargs):
    """(fastgrad batches, torch batches) for the same dataset and DataLoader arguments."""
    fg_batches = list(fud.DataLoader(make_dataset(fud, fastgrad), **kwargs))
    torch_batches = list(tud.DataLoader(make_dataset(tud, torch), **kwargs))
    return fg_batches, torch_batches


@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 32])
@pytest.mark.parametrize("drop_last", [False, True])
def test_tensor_dataset_batches_equal_torchs(batch_size, drop_last):
    X, y = rows(10)
    w = np.linspace(0, 1, 10)  # float64 column stays float64, as torch.from_numpy keeps it

    def make(data, lib):
        return data.TensorDataset(lib.from_numpy(X), lib.from_numpy(y), lib.from_numpy(w))

    got, want = both_loaders(make, batch_size=batch_size, drop_last=drop_last)
    assert len(got) == len(want)
    for g, w_ in zip(got, want):
        assert_same_batch(g, w_)


class Samples:
    """A map-style dataset whose items are built by `item(i)` from plain Python/NumPy values,
    so the same class serves both libraries."""

    def __init__(self, item, n=7):
        self.item, self.n = item, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.item(i)


Point = collections.namedtuple("Point", ["x", "label"])

ITEMS = {
    "array": lambda i: np.full((2, 3), i, np.float32),
    "float": lambda i: i * 0.5,
    "int": lambda i: i,
    "bool": lambda i: i % 2 == 0,
    "numpy scalar": lambda i: np.float32(i),
    "int32 array": lambda i: np.arange(3, dtype=np.int32) + i,
    "tuple": lambda i: (np.full(3, i, np.float32), i),
    "list": lambda i: [np.full(2, i, np.float64), float(i)],
    "dict": lambda i: {"x": np.full(4, i, np.float32), "y": i, "name": f"s{i}"},
    "namedtuple": lambda i: Point(np.full(2, i, np.float32), i),
    "nested": lambda i: {"pair": (np.array([i, i], np.float32), [i, i + 1])},
}


@pytest.mark.parametrize("kind", list(ITEMS))
def test_default_collation_equals_torchs(kind):
    got, want = both_loaders(lambda data, lib: Samples(ITEMS[kind]), batch_size=3)
    assert len(got) == len(want) == 3
    for g, w in zip(got, want):
        assert_same_batch(g, w)


def test_tensor_items_are_stacked_as_torch_stacks_them():
    def make(data, lib):
        return Samples(lambda i: lib.tensor([float(i), 2.0 * i]))
    got, want = both_loaders(make, batch_size=4)
    for g, w in zip(got, want):
        assert_same_batch(g, w)


def test_batch_size_none_yields_converted_samples_as_torch():
    got, want = both_loaders(lambda data, lib: Samples(ITEMS["tuple"], 3), batch_size=None)
    assert len(got) == len(want) == 3
    for g, w in zip(got, want):
        assert_same_batch(g[0], w[0])
        assert type(g) is type(w) and g[1] == w[1]


def test_custom_collate_fn_and_batch_sampler_as_torch():
    def collate(batch):
        return sum(batch)

    def make(data, lib):
        return Samples(lambda i: i, 10)
    got, want = both_loaders(make, batch_sampler=[[0, 1], [5, 6, 7], [9]], collate_fn=collate)
    assert got == want == [1, 18, 9]
    got, want = both_loaders(make, batch_size=4, collate_fn=collate)
    assert got == want


@pytest.mark.parametrize("drop_last", [False, True])
def test_samplers_match_torchs_in_order(drop_last):
    data = list(range(11))
    assert list(fud.SequentialSampler(data)) == list(tud.SequentialSampler(data))
    fg = fud.BatchSampler(fud.SequentialSampler(data), 4, drop_last)
    th = tud.BatchSampler(tud.SequentialSampler(data), 4, drop_last)
    assert list(fg) == list(th) and len(fg) == len(th)


def test_sampler_argument_gives_its_order():
    X, y = rows(10)
    order = [9, 3, 4, 0, 1, 2, 5, 8, 7, 6]
    got = [b[1].tolist() for b in fud.DataLoader(fud.TensorDataset(X, y), batch_size=4,
                                                 sampler=order)]
    want = [b[1].tolist() for b in tud.DataLoader(tud.TensorDataset(torch.from_numpy(X),
                                                                    torch.from_numpy(y)),
                                                  batch_size=4, sampler=order)]
    assert got == want == [[9, 3, 4, 0], [1, 2, 5, 8], [7, 6]]


@pytest.mark.parametrize("dataset", ["tensor", "generic"])
def test_shuffle_gives_a_permutation_with_rows_kept_together(dataset):
    X, y = rows(37)
    ds = fud.TensorDataset(X, y)
    if dataset == "generic":
        ds = Samples(lambda i: (X[i], y[i]), 37)
    loader = fud.DataLoader(ds, batch_size=8, shuffle=True, generator=fastgrad.Generator())
    orders = []
    for _ in range(2):
        seen = []
        for xb, yb in loader:
            np.testing.assert_array_equal(np.asarray(xb), np.repeat(np.asarray(yb)[:, None],
                                                                     3, axis=1))
            seen += yb.tolist()
        assert sorted(seen) == list(range(37))
        orders.append(seen)
    assert orders[0] != orders[1] and orders[0] != list(range(37))


def test_generator_repeats_the_order_and_random_sampler_options():
    def order(seed, **kwargs):
        g = fastgrad.Generator().manual_seed(seed)
        return list(fud.RandomSampler(range(20), generator=g, **kwargs))
    assert order(1) == order(1) and order(1) != order(2)
    assert sorted(order(3)) == list(range(20))
    assert len(order(3, num_samples=45)) == 45 and sorted(order(3, num_samples=45)[:40]) == \
        sorted(list(range(20)) * 2)  # like torch: whole permutations, then part of one
    draws = order(4, replacement=True, num_samples=200)
    assert len(draws) == 200 and set(draws) <= set(range(20)) and len(set(draws)) < 20 + 1


def test_num_workers_runs_in_process_with_one_warning():
    X, y = rows(10)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loader = fud.DataLoader(fud.TensorDataset(X, y), batch_size=5, num_workers=2)
        batches = list(loader)
    assert len(caught) == 1 and "num_workers=2" in str(caught[0].message)
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


def test_mutually_exclusive_arguments_raise_as_in_torch():
    ds = fud.TensorDataset(*rows(10))
    for kwargs in [dict(sampler=[0, 1], shuffle=True),
                   dict(batch_sampler=[[0]], batch_size=2),
                   dict(batch_sampler=[[0]], drop_last=True),
                   dict(batch_size=None, drop_last=True)]:
        with pytest.raises(ValueError):
            tud.DataLoader(tud.TensorDataset(torch.zeros(10)), **kwargs)
        with pytest.raises(ValueError):
            fud.DataLoader(ds, **kwargs)


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.5, 0.25, 0.25], [0.34, 0.33, 0.33],
                                     [1, 0, 9]])
def test_random_split_sizes_equal_torchs_and_partition_the_data(lengths):
    data = list(range(10))
    parts = fud.random_split(data, lengths, generator=fastgrad.Generator().manual_seed(0))
    want = tud.random_split(data, lengths, generator=torch.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [len(w) for w in want]
    assert sorted(x for p in parts for x in p) == data
    assert all(isinstance(p, fud.Subset) for p in parts)


def test_random_split_rejects_wrong_lengths():
    for lengths in ([3, 3], [0.5, 0.6]):
        with pytest.raises(ValueError):
            tud.random_split(range(10), lengths)
        with pytest.raises(ValueError, match="random_split"):
            fud.random_split(range(10), lengths)
    with pytest.raises(ValueError, match="non-negative"):  # torch returns a wrong split here
        fud.random_split(range(10), [-1, 11])


def test_subset_and_concat_index_as_torch():
    X, y = rows(10)
    fg_sub = fud.Subset(fud.TensorDataset(X, y), [7, 2, 5])
    th_sub = tud.Subset(tud.TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), [7, 2, 5])
    assert len(fg_sub) == len(th_sub) == 3
    for i in range(3):
        assert_same_batch(list(fg_sub[i]), list(th_sub[i]))
    fg_cat, th_cat = fud.ConcatDataset([range(3), range(10, 14)]), tud.ConcatDataset(
        [range(3), range(10, 14)])
    assert [fg_cat[i] for i in range(-7, 7)] == [th_cat[i] for i in range(-7, 7)]


def test_subclassed_dataset_works_like_torchs_tutorial_dataset():
    class Squares(fud.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i], np.float32), i * i
    xb, yb = next(iter(fud.DataLoader(Squares(), batch_size=5)))
    assert xb.shape == (5, 1) and yb.dtype == np.int64 and yb.tolist() == [0, 1, 4, 9, 16]


def test_r04_loader_batches_feed_flatten_and_linear():
    """repro r04: DataLoader batches are Tensors, so nn.Flatten and nn.Linear take them."""
    ds = fud.TensorDataset(np.ones((8, 1, 28, 28), np.float32), np.zeros(8, np.int64))
    X, y = next(iter(fud.DataLoader(ds, batch_size=4)))
    assert isinstance(X, fastgrad.Tensor) and isinstance(y, fastgrad.Tensor)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    out = model(X)
    want = np.ones((4, 784), np.float32) @ np.asarray(model[1].weight).T + np.asarray(
        model[1].bias)
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-5, atol=1e-5)


def test_fastgrad_data_is_the_same_module_content():
    assert fastgrad.data.DataLoader is fud.DataLoader
    assert fastgrad.data.TensorDataset is fud.TensorDataset


@pytest.mark.parametrize("sampler", ["subset_random", "distributed"])
def test_stock_samplers_give_the_same_batches_on_both_paths(sampler):
    """The TensorDataset fast path reads a stock sampler's order(); the item-by-item path
    iterates it: both give the sampler's order, rows kept together."""
    X, y = rows(23)

    def make():
        if sampler == "distributed":
            return fud.DistributedSampler(range(23), num_replicas=3, rank=1, shuffle=True,
                                          seed=5)
        return fud.SubsetRandomSampler(list(range(3, 20)),
                                       generator=fastgrad.Generator().manual_seed(2))

    fast = fud.DataLoader(fud.TensorDataset(X, y), batch_size=4, sampler=make())
    slow = fud.DataLoader(Samples(lambda i: (X[i], y[i]), 23), batch_size=4, sampler=make())
    got, want = [b[1].tolist() for b in fast], [b[1].tolist() for b in slow]
    assert got == want and sum(got, []) == list(make())
