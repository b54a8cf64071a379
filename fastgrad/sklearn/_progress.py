"""A text progress bar for long fits (verbose >= 2), written to stderr within each epoch."""
import sys


class EpochBar:
    """Draws `epoch N [#####.....]  50%` on one line, redrawn at most `width` times an epoch
    so that it costs nothing next to the batches."""

    def __init__(self, epoch, n_batches, width=30, stream=None):
        self.epoch, self.n_batches, self.width = epoch, max(n_batches, 1), width
        self.stream = stream if stream is not None else sys.stderr
        self.drawn = -1

    def update(self, done):
        """`done` batches of the epoch are finished."""
        filled = done * self.width // self.n_batches
        if filled != self.drawn:
            self.drawn = filled
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(f"\repoch {self.epoch} [{bar}] "
                              f"{100 * done // self.n_batches:3d}%")
            self.stream.flush()

    def close(self):
        self.update(self.n_batches)
        self.stream.write("\n")
        self.stream.flush()
