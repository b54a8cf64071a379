"""fg.Size: a tensor's shape as Tensor.size() returns it (torch.Size), a tuple of ints."""


class Size(tuple):
    """A tuple of ints that prints as PyTorch's torch.Size does."""

    def numel(self):
        """The number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, index):
        out = super().__getitem__(index)
        return Size(out) if isinstance(index, slice) else out

    def __repr__(self):
        return f"fastgrad.Size({list(self)})"
