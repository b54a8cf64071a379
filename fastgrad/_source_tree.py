"""A clear error, instead of a confusing one, when Python imports fastgrad from a source tree
whose compiled modules were never built.

Python puts the current directory first on sys.path, so `python -c "import fastgrad"` (or
`python -m pytest`) run from the root of a clone imports the uncompiled package folder there
rather than the copy `pip install .` put in site-packages. NumPy raises the same kind of message.
"""
import importlib.machinery
import os

_HERE = os.path.dirname(os.path.abspath(__file__))
COMPILED = ("_kernels", "_engine")


def _built(name):
    return any(os.path.isfile(os.path.join(_HERE, name + suffix))
               for suffix in importlib.machinery.EXTENSION_SUFFIXES)


def check():
    """Raises ImportError saying what to run when this folder lacks a compiled module."""
    missing = [name for name in COMPILED if not _built(name)]
    if not missing:
        return
    root = os.path.dirname(_HERE)
    raise ImportError(
        f"fastgrad is being imported from its source tree ({_HERE}), whose compiled modules "
        f"({', '.join('fastgrad.' + m for m in missing)}) are not built.\n"
        f"If you installed fastgrad (pip install .), run Python from another directory than "
        f"{root}, or use the `fastgrad` command (fastgrad demo).\n"
        f"To work in the source tree, build it in place first:\n"
        f"    python setup.py build_ext --inplace")
