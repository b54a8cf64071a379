"""fastgrad.data: TensorDataset and DataLoader.

Batches are checked against the rows they must contain; memmap datasets are checked to be read
batch by batch, never as a whole.
"""
import tracemalloc

import numpy as np
import pytest

import fastgrad
from fastgrad.data import DataLoader, TensorDataset


def labelled_rows(n=10, features=3):
    """X whose row i is filled with i, and y = i: every batch shows which rows it holds."""
    X = np.repeat(np.arange(n, dtype=np.float32)[:, None], features, axis=1)
    return X, np.arange(n, dtype=np.int64)


def assert_rows_consistent(X_batch, y_batch):
    np.testing.assert_array_equal(X_batch, np.repeat(y_batch[:, None], X_batch.shape[1], axis=1))


# ---- TensorDataset ------------------------------------------------------------------------
def test_tensor_dataset_indexing_returns_tuples_of_rows():
    X, y = labelled_rows()
    ds = TensorDataset(X, y)
    assert len(ds) == 10
    x3, y3 = ds[3]
    np.testing.assert_array_equal(x3, X[3]) and y3 == 3
    xs, ys = ds[np.array([4, 1])]
    np.testing.assert_array_equal(ys, [4, 1])
    xs, ys = ds[2:5]
    np.testing.assert_array_equal(ys, [2, 3, 4])


def test_tensor_dataset_accepts_fastgrad_tensors():
    X, y = labelled_rows()
    ds = TensorDataset(fastgrad.Tensor(X), y)
    np.testing.assert_array_equal(ds[2][0], X[2])


def test_tensor_dataset_rejects_different_lengths_naming_them():
    with pytest.raises(ValueError, match=r"\[10, 9\]"):
        TensorDataset(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(ValueError):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(np.float64(3.0))


# ---- batching ----------------------------------------------------------------------------
def test_batches_in_order_with_a_short_last_batch():
    X, y = labelled_rows(10)
    loader = DataLoader(TensorDataset(X, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    for X_batch, y_batch in batches:
        assert isinstance(X_batch, fastgrad.Tensor) and X_batch.dtype == np.float32
        assert_rows_consistent(X_batch, y_batch)


def test_drop_last_skips_the_short_batch():
    loader = DataLoader(TensorDataset(*labelled_rows(10)), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [b[1].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(TensorDataset(*labelled_rows(3)), batch_size=4, drop_last=True)) == 0


def test_batches_are_copies_not_views_of_the_dataset():
    X, y = labelled_rows(6)
    for shuffle in (False, True):
        X_batch, _ = next(iter(DataLoader(TensorDataset(X, y), batch_size=3, shuffle=shuffle)))
        np.asarray(X_batch)[:] = -1
    assert (X >= 0).all()


@pytest.mark.parametrize("batch_size", [0, -2, 1.5, True, "4"])
def test_batch_size_must_be_a_positive_int(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(*labelled_rows()), batch_size=batch_size)


# ---- shuffling ----------------------------------------------------------------------------
def epoch_orders(loader, epochs=3):
    return [np.concatenate([y for _, y in loader]).tolist() for _ in range(epochs)]


def test_shuffle_sees_every_sample_once_per_epoch():
    loader = DataLoader(TensorDataset(*labelled_rows(50)), batch_size=8, shuffle=True, seed=0)
    for order in epoch_orders(loader):
        assert sorted(order) == list(range(50))
    for X_batch, y_batch in loader:
        assert_rows_consistent(X_batch, y_batch)


def test_seeded_shuffle_repeats_across_runs_and_differs_across_epochs():
    def run():
        return epoch_orders(DataLoader(TensorDataset(*labelled_rows(50)), batch_size=8,
                                       shuffle=True, seed=123))

    first, second = run(), run()
    assert first == second
    assert first[0] != first[1] != first[2]
    assert first[0] != list(range(50))


def test_unseeded_shuffle_follows_fastgrad_manual_seed():
    def run():
        fastgrad.manual_seed(7)
        return epoch_orders(DataLoader(TensorDataset(*labelled_rows(50)), batch_size=8,
                                       shuffle=True))

    assert run() == run()


# ---- a TensorDataset's batches equal the generic item-by-item path -----------------------
class ItemByItem:
    """The same samples as a TensorDataset, seen only through __len__ and __getitem__: the
    DataLoader reads them one by one and collates with np.stack."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        return self.dataset[i]


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 7, 32, 100])
def test_tensor_dataset_batches_equal_item_by_item_batches(shuffle, drop_last, batch_size):
    r = np.random.default_rng(5)
    arrays = (r.standard_normal((93, 4)).astype(np.float32), r.integers(0, 10, 93),
              r.standard_normal((93, 2, 3)))  # 2-d, 1-d and 3-d rows
    ds = TensorDataset(*arrays)
    fast = DataLoader(ds, batch_size, shuffle=shuffle, drop_last=drop_last, seed=11)
    slow = DataLoader(ItemByItem(ds), batch_size, shuffle=shuffle, drop_last=drop_last, seed=11)
    for _ in range(2):  # two epochs: the generator advances identically
        got, want = list(fast), list(slow)
        assert len(got) == len(want) == len(fast)
        for g, w in zip(got, want):
            assert type(g) is list and len(g) == 3  # as PyTorch's
            for a, b, source in zip(g, w, arrays):
                assert type(a) is fastgrad.Tensor and a.dtype == b.dtype
                a = np.asarray(a)
                assert a.flags.c_contiguous
                np.testing.assert_array_equal(a, b)
                assert not np.shares_memory(a, source)


def test_shuffled_batches_follow_the_seeded_permutation():
    """Batch b holds rows order[b*bs:(b+1)*bs] of np.random.default_rng(seed).permutation(n),
    one permutation per epoch, as torch's RandomSampler + BatchSampler do with a generator."""
    X, y = labelled_rows(50)
    loader = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True, seed=4)
    reference = np.random.default_rng(4)
    for _ in range(3):
        order = reference.permutation(50)
        batches = list(loader)
        for b, (X_batch, y_batch) in enumerate(batches):
            np.testing.assert_array_equal(y_batch, order[b * 8:(b + 1) * 8])
            assert_rows_consistent(X_batch, y_batch)


def test_ndarray_subclass_rows_come_back_as_plain_arrays():
    class Tagged(np.ndarray):
        pass

    X, y = labelled_rows(9)
    for shuffle in (False, True):
        for X_batch, y_batch in DataLoader(TensorDataset(X.view(Tagged), y), batch_size=4,
                                           shuffle=shuffle, seed=0):
            assert type(np.asarray(X_batch)) is np.ndarray
            assert_rows_consistent(X_batch, y_batch)


# ---- generic datasets ---------------------------------------------------------------------
class SquaresDataset:
    """Item i is (i as a 2-vector, i squared): any object with __len__ and __getitem__."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.array([i, i], dtype=np.float64), i * i


def test_generic_dataset_items_are_collated_with_stack():
    batches = list(DataLoader(SquaresDataset(), batch_size=3))
    assert len(batches) == 3
    xs, squares = batches[0]
    np.testing.assert_array_equal(xs, [[0, 0], [1, 1], [2, 2]])
    np.testing.assert_array_equal(squares, [0, 1, 4])
    assert batches[2][0].shape == (1, 2)


def test_generic_dataset_shuffle_keeps_items_together():
    seen = []
    for xs, squares in DataLoader(SquaresDataset(), batch_size=2, shuffle=True, seed=1):
        np.testing.assert_array_equal(xs[:, 0] ** 2, squares)
        seen += xs[:, 0].tolist()
    assert sorted(seen) == list(range(7))


# ---- memmap: only the batch rows are read ---------------------------------------------------
class RowCountingMemmap(np.memmap):
    """A memmap that records how many rows each indexing operation returns."""

    def __getitem__(self, index):
        result = super().__getitem__(index)
        reads = self.__dict__.get("reads")
        if reads is not None and isinstance(result, np.ndarray) and result.ndim == self.ndim:
            reads.append(len(result))
        return result


@pytest.mark.parametrize("shuffle", [False, True])
def test_memmap_dataset_is_read_batch_by_batch(tmp_path, shuffle):
    n, features, batch_size = 1000, 16, 32
    X, y = labelled_rows(n, features)
    X.tofile(tmp_path / "X.bin")
    X_file = np.memmap(tmp_path / "X.bin", dtype=np.float32, mode="r", shape=(n, features))
    X_file = X_file.view(RowCountingMemmap)
    X_file.reads = []
    loader = DataLoader(TensorDataset(X_file, y), batch_size=batch_size, shuffle=shuffle, seed=3)

    seen = []
    for X_batch, y_batch in loader:
        assert type(np.asarray(X_batch)) is np.ndarray
        assert_rows_consistent(X_batch, y_batch)  # the right rows, in the batch's order
        seen += y_batch.tolist()
    assert sorted(seen) == list(range(n))
    assert max(X_file.reads) <= batch_size and sum(X_file.reads) == n


def test_memmap_larger_than_what_is_allocated_is_never_materialised(tmp_path):
    # A sparse 512 MiB file: reading it whole would allocate 512 MiB, which tracemalloc
    # (NumPy reports its buffers to it) would show.
    rows, features, batch_size = 2 ** 17, 1024, 64
    path = tmp_path / "big.bin"
    with open(path, "wb") as f:
        f.truncate(rows * features * 4)
    X_file = np.memmap(path, dtype=np.float32, mode="r", shape=(rows, features))
    loader = DataLoader(TensorDataset(X_file, np.arange(rows)), batch_size=batch_size,
                        shuffle=True, seed=0)
    tracemalloc.start()
    try:
        batches = []
        for batch in loader:
            batches.append(batch)
            if len(batches) == 3:
                break
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2 ** 20, f"peak allocation {peak} bytes"
    for X_batch, y_batch in batches:
        assert X_batch.shape == (batch_size, features) and not np.asarray(X_batch).any()
        assert len(set(y_batch.tolist())) == batch_size


def test_empty_dataset_gives_no_batches():
    assert list(DataLoader(TensorDataset(np.ones((0, 2)), np.ones(0)), batch_size=4)) == []
