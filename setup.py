"""Build of the two compiled modules: fastgrad._kernels (csrc/*.c plus the Cython binding) and
fastgrad._engine (the autograd core in Cython, no C sources).

Flags are portable (-O3, no -march=native, no -ffast-math). A source named *_avx2.c or
*_avx512.c is compiled with that instruction set enabled; the dispatch table picks among them
at run time, so one wheel runs on any x86-64. FASTGRAD_SANITIZE=1 builds with ASan + UBSan.
"""
import glob
import os
import platform

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

IS_X86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "x86")
ISA_FLAGS = {
    "_avx512.c": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mfma", "-mavx2",
                  "-mprefer-vector-width=512"],
    "_avx2.c": ["-mavx2", "-mfma"],
}
SANITIZE = os.environ.get("FASTGRAD_SANITIZE") == "1"

compile_args = ["-O3", "-std=c99", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off",
                "-fvisibility=hidden",
                "-Wall", "-Wno-unused-function", "-Wno-unreachable-code",
                "-g0"]  # Python's own CFLAGS carry -g: debug info would triple the wheel
link_args = ["-pthread"]
if SANITIZE:
    compile_args = [a for a in compile_args if a not in ("-O3", "-g0")] + [
        "-O1", "-g", "-fsanitize=address,undefined", "-fno-omit-frame-pointer",
        "-fno-sanitize-recover=undefined"]
    link_args += ["-fsanitize=address,undefined"]


class BuildExt(build_ext):
    """Gives each ISA-specific source its own -m flags (setuptools has no per-file flags)."""

    def build_extensions(self):
        compile_one = self.compiler._compile

        def _compile(obj, src, ext, cc_args, extra_postargs, pp_opts):
            extra = list(extra_postargs)
            if src.endswith((".pyx.c", "_kernels.c", "_engine.c")):
                extra = [a for a in extra if a != "-std=c99"]  # Cython output is not C99-clean
            for suffix, flags in ISA_FLAGS.items():
                if src.endswith(suffix):
                    extra += flags if IS_X86 else []
            compile_one(obj, src, ext, cc_args, extra, pp_opts)

        self.compiler._compile = _compile
        super().build_extensions()


sources = ["fastgrad/_kernels.pyx"] + sorted(
    s for s in glob.glob("csrc/*.c")
    if IS_X86 or not any(s.endswith(k) for k in ISA_FLAGS))
ext = Extension(
    "fastgrad._kernels",
    sources=sources,
    depends=sorted(glob.glob("csrc/*.h")),  # a header edit must rebuild too
    include_dirs=["csrc", numpy.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
    + ([("FG_HAVE_X86", "1")] if IS_X86 else []),
    extra_compile_args=compile_args,
    extra_link_args=link_args,
    libraries=["m"],  # expf, erf, ...: do not rely on the interpreter having loaded libm
)
engine = Extension(
    "fastgrad._engine",
    sources=["fastgrad/_engine.pyx"],
    depends=["fastgrad/_kernels.pxd"],
    include_dirs=["csrc", numpy.get_include()],  # the _kernels.pxd it cimports names fastgrad.h
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    extra_compile_args=compile_args,
    extra_link_args=link_args,
)
setup(
    ext_modules=cythonize([ext, engine], language_level=3, compiler_directives={
        "boundscheck": SANITIZE, "wraparound": False, "initializedcheck": False,
        "cdivision": True, "embedsignature": True}),
    cmdclass={"build_ext": BuildExt},
)
