"""Whether operations record the graph. Thread-local, as in PyTorch, so one thread evaluating
under no_grad does not stop another thread's training from recording."""
import functools
import threading

class _State(threading.local):
    enabled = True  # a class default, so a new thread reads it without a failed lookup


state = _State()


def is_grad_enabled():
    """Whether operations in this thread record the graph for backward()."""
    return state.enabled


def set_grad_enabled_flag(mode):
    state.enabled = bool(mode)


class _GradMode:
    """Context manager and decorator that sets grad mode, restoring the previous one after."""

    mode = True

    def __enter__(self):
        # The thread-local read and written directly: `with no_grad()` wraps every manual
        # update step of the tutorials.
        self._prev = state.enabled
        state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = is_grad_enabled()
            set_grad_enabled_flag(mode)
            try:
                return fn(*args, **kwargs)
            finally:
                set_grad_enabled_flag(prev)
        return wrapper


class no_grad(_GradMode):
    """Operations inside build no graph: for evaluation and for updating weights by hand."""

    mode = False


class enable_grad(_GradMode):
    """Record the graph again inside, even within no_grad (context manager and decorator)."""
    mode = True


class set_grad_enabled(_GradMode):
    """Turn graph recording on (mode=True) or off; a context manager or, called alone, a setting."""
    def __init__(self, mode):
        self.mode = bool(mode)
        self._prev = is_grad_enabled()
        set_grad_enabled_flag(self.mode)  # takes effect at once, as torch.set_grad_enabled does

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        set_grad_enabled_flag(self._prev)
        return False


class inference_mode(_GradMode):
    """no_grad under PyTorch's name for inference (torch.inference_mode); a context manager
    and a decorator. inference_mode(False) leaves grad mode as it is."""

    mode = False

    def __new__(cls, mode=True):
        if callable(mode):  # @inference_mode without parentheses, as PyTorch allows
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self._active = bool(mode)

    def __enter__(self):
        self._prev = is_grad_enabled()
        if self._active:
            set_grad_enabled_flag(False)
        return self

    def __call__(self, fn):
        return super().__call__(fn) if self._active else fn
