"""Where a training step's work goes: C kernels, the binding, the autograd core, NumPy and the
Python interpreter, counted in machine instructions under valgrind's callgrind.

Instructions, unlike time, do not depend on what else the machine runs, so two builds compare
exactly even on a busy machine. The step is run N and N + 1000 times in two processes; the
difference, divided by 1000, is one step without the start-up (imports, model construction).
Each function is put in a part by the library it lives in (and, inside fastgrad's binding
module, by its symbol: Cython's wrappers are the binding, the rest is C from csrc/):

    C kernels   csrc/ code, linked into fastgrad/_kernels.*.so
    binding     the Cython of fastgrad/_kernels.pyx (argument checks, array allocation)
    engine      fastgrad/_engine.pyx (graph nodes, the backward walk)
    NumPy       numpy's extension modules
    Python      the interpreter and its objects (libpython): Python code, attribute lookups,
                object allocation, whoever asked for them
    other       libc (malloc, memcpy, memset), libm, the loader

    PYTHONPATH=. python benchmarks/step_breakdown.py --workloads T S --style sequential module

Needs valgrind. One thread (FASTGRAD_NUM_THREADS=1), as the kernels' work would otherwise be
split over threads that callgrind serialises.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PARTS = ("C kernels", "binding", "engine", "NumPy", "Python", "other")


def _part(symbol, obj):
    """The part of the step a function belongs to, from its shared object and its name."""
    if "_kernels." in obj:
        return "binding" if symbol.startswith("__pyx") or "Cython" in symbol else "C kernels"
    if "_engine." in obj:
        return "engine"
    if "numpy" in obj:
        return "NumPy"
    if "libpython" in obj or os.path.basename(obj).startswith("python"):
        return "Python"
    return "other"


def _functions(profile):
    """{(symbol, object): instructions} of one callgrind output file (self cost)."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", profile],
                          capture_output=True, text=True, check=True).stdout
    costs = collections.Counter()
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+(?:(.*?):)?([^:\s]+)(?:\s+\[(.*)\])?\s*$", line)
        if m and "PROGRAM TOTALS" not in line:
            # Code inlined from a header has no object named: its source file tells.
            obj = m.group(4) or ("libpython" if "Python-" in (m.group(2) or "") else "?")
            costs[m.group(3), obj] += int(m.group(1).replace(",", ""))
    return costs


_WORKER = """
import sys
sys.path.insert(0, {here!r})
import peers
from bench_module_style import fastgrad_module_step
if {workload!r} == "digits":  # a step of the time-to-accuracy run, on its first batch
    run = peers.digits_run()
    model, opt, loss_fn = run["model"], run["opt"], run["loss_fn"]
    x, y = next(iter(run["loader"]))
    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
else:
    w = peers.WORKLOADS[{workload!r}]
    step = peers.fastgrad_step(w) if {style!r} == "sequential" else fastgrad_module_step(w)
for _ in range(int(sys.argv[1])):
    step()
"""


def breakdown(workload, style, base_steps=100, extra_steps=1000):
    """Instructions per step of `workload` (benchmarks/peers.py, or "digits": a step of the
    time-to-accuracy run) written as a Sequential or as a custom Module ("module", not for
    digits), by part; returns (per-part dict, per-function Counter)."""
    # A fixed hash seed: dict probing, hence the instruction count, depends on it.
    env = dict(os.environ, PYTHONHASHSEED="0", FASTGRAD_NUM_THREADS="1", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "step.py")
        with open(script, "w") as f:
            f.write(_WORKER.format(here=HERE, workload=workload, style=style))
        runs = []
        for n in (base_steps, base_steps + extra_steps):
            out = os.path.join(tmp, f"cg.{n}")
            subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                            sys.executable, script, str(n)], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            runs.append(_functions(out))
    per_function = collections.Counter()
    for key in runs[0].keys() | runs[1].keys():
        per_function[key] = (runs[1].get(key, 0) - runs[0].get(key, 0)) / extra_steps
    parts = dict.fromkeys(PARTS, 0.0)
    for (symbol, obj), cost in per_function.items():
        parts[_part(symbol, obj)] += cost
    return parts, per_function


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", nargs="+", default=["T"],
                        help="names of benchmarks/peers.py's WORKLOADS, or digits")
    parser.add_argument("--style", nargs="+", default=["sequential"],
                        choices=["sequential", "module"])
    parser.add_argument("--top", type=int, default=0, help="also list the N costliest functions")
    args = parser.parse_args(argv)
    print(f"{'workload':8} {'style':10} {'total':>9} " + " ".join(f"{p:>10}" for p in PARTS))
    for workload in args.workloads:
        for style in args.style if workload != "digits" else ["sequential"]:
            parts, functions = breakdown(workload, style)
            total = sum(parts.values())
            print(f"{workload:8} {style:10} {total / 1e3:8.1f}k " +
                  " ".join(f"{parts[p] / 1e3:9.1f}k" for p in PARTS))
            for (symbol, obj), cost in functions.most_common(args.top):
                print(f"    {cost:9.0f}  {_part(symbol, obj):9}  {symbol}")


if __name__ == "__main__":
    main()
