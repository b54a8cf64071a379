"""Smoke test of one wheel: python tools/smoke_wheel.py WHEEL

Run with the Python the wheel is for. Creates a fresh virtual environment of that Python,
installs the wheel (and its declared dependencies only), and from an empty folder: imports
fastgrad, runs the `fastgrad --version` console script, and trains the README's model (its
training block, read from README.md), which must reach the README's accuracy. Exits non-zero
on any failure; prints one line per wheel otherwise."""
import os
import re
import subprocess
import sys
import tempfile
import venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme_training_block():
    """The README's first Python block that trains (the one tests/system/test_readme.py runs)."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), flags=re.S)
    return next(b for b in blocks if "opt.step()" in b and "accuracy" in b)


def run(args, **kwargs):
    out = subprocess.run(args, capture_output=True, text=True, timeout=900, **kwargs)
    if out.returncode != 0:
        sys.exit(f"smoke_wheel: {' '.join(args[:4])} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    wheel = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="fastgrad-smoke-") as tmp:
        env_dir = os.path.join(tmp, "venv")
        venv.create(env_dir, with_pip=True)
        py = os.path.join(env_dir, "bin", "python")
        run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel])
        work = os.path.join(tmp, "work")  # an empty folder: no source tree to import by mistake
        os.mkdir(work)
        site = run([py, "-c", "import fastgrad, os; print(os.path.dirname(fastgrad.__file__))"],
                   cwd=work).strip()
        if not site.startswith(env_dir):
            sys.exit(f"smoke_wheel: imported fastgrad from {site}, not the fresh environment")
        version = run([os.path.join(env_dir, "bin", "fastgrad"), "--version"], cwd=work).strip()
        info = run([py, "-c", "import fastgrad as fg, numpy as np; "
                    "print(fg.isa(), fg.get_num_threads(), np.__version__)"], cwd=work).split()
        trained = run([py, "-c", readme_training_block()], cwd=work)
        accuracy = float(re.search(r"test accuracy ([0-9.]+)", trained).group(1))
        if accuracy < 0.95:
            sys.exit(f"smoke_wheel: the README's model reached {accuracy}, expected about 0.97")
        print(f"smoke_wheel: {os.path.basename(wheel)}: fastgrad {version}, {info[0]} kernels, "
              f"{info[1]} threads, numpy {info[2]}, README model accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
