"""fastgrad's thread pool as a threadpoolctl library, so that
`threadpoolctl.threadpool_limits(limits=1)` (or `user_api="fastgrad"`) limits fastgrad the way it
limits NumPy's BLAS, and `threadpool_info()` lists it.

threadpoolctl finds libraries among the shared objects loaded in the process by file name and
talks to them through C functions (ctypes), so the extension module exports two:
fastgrad_threadpool_get_num_threads and fastgrad_threadpool_set_num_threads (csrc/threadpool_api.c).
"""


def register():
    """Registers the controller with threadpoolctl when it is installed; otherwise does nothing."""
    try:
        import threadpoolctl
    except ImportError:
        return
    if not hasattr(threadpoolctl, "register"):  # older releases take no custom controllers
        return

    class FastgradController(threadpoolctl.LibController):
        """threadpoolctl's view of fastgrad's C thread pool."""

        user_api = "fastgrad"
        internal_api = "fastgrad"
        filename_prefixes = ("_kernels",)
        check_symbols = ("fastgrad_threadpool_get_num_threads",
                         "fastgrad_threadpool_set_num_threads")

        def get_num_threads(self):
            return self.dynlib.fastgrad_threadpool_get_num_threads()

        def set_num_threads(self, num_threads):
            self.dynlib.fastgrad_threadpool_set_num_threads(int(num_threads))

        def get_version(self):
            from ._version import __version__

            return __version__

    threadpoolctl.register(FastgradController)
