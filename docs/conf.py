"""Sphinx configuration for fastgrad's documentation site: tools/ci/docs.sh builds it.

Sphinx with the pydata theme and sphinx-gallery, the way NumPy, scikit-learn and PyTorch's
tutorials are built: the lesson scripts in examples/lesson are run at build time, so the
drawings and plots on the site are the ones the code makes today; the API pages come from
the docstrings; pages are Markdown (MyST) so README-style text needs no rewriting.
"""
import os
import re


import fastgrad

project = "fastgrad"
author = "the fastgrad authors"
copyright = "the fastgrad authors"
release = version = fastgrad.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_generated", "lesson/*.ipynb", "lesson/*.py", "lesson/*.zip"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"

html_theme = "pydata_sphinx_theme"
html_title = f"fastgrad {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = []
html_show_sourcelink = False

_here = os.path.dirname(os.path.abspath(__file__))
sphinx_gallery_conf = {
    "examples_dirs": os.path.join(_here, os.pardir, "examples", "lesson"),
    "gallery_dirs": "lesson",
    "filename_pattern": re.escape(os.sep) + r"\d\d_",  # run every numbered lesson script
    "within_subsection_order": "FileNameSortKey",
    "capture_repr": ("_repr_html_",),  # a draw() at the end of a cell shows as SVG
    "image_scrapers": ("matplotlib",),
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 3600,  # no timing footers: build-machine noise
    "abort_on_example_error": True,
}


def _write_optable():
    """docs/_generated/optable.md: fastgrad.viz.OPS as a table, written at each build so the
    page never drifts from the code."""
    from fastgrad.viz.optable import OPS, argument_name, title

    def cell(text):
        return text.replace("|", "\\|")

    rows = ["| op | forward | local derivative per input |", "| --- | --- | --- |"]
    for op, (forward, locals_) in OPS.items():
        parts = "; ".join(f"∂/∂{argument_name(op, i)}: {cell(d)}"
                          for i, d in enumerate(locals_))
        rows.append(f"| {cell(title(op))} | {cell(forward)} | {parts} |")
    os.makedirs(os.path.join(_here, "_generated"), exist_ok=True)
    with open(os.path.join(_here, "_generated", "optable.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")


_write_optable()


def _escape(line):
    """A line of plain prose made inert for reStructuredText: outside `code` spans, * | and
    the underscore after a word (a link target in reST) are literal characters."""
    parts = re.split(r"(``.*?``|`[^`]*`)", line)
    for i in range(0, len(parts), 2):  # the even parts lie outside backquotes
        text = parts[i].replace("\\", "\\\\").replace("*", "\\*").replace("|", "\\|")
        parts[i] = re.sub(r"(\w)_", r"\1\\_", text)
    return "".join(parts)


def docstring_as_written(app, what, name, obj, options, lines):
    """fastgrad's docstrings are plain prose, not reStructuredText: indented blocks (tables of
    names, formulas) become literal blocks and the prose's stars, bars and trailing
    underscores stay characters, so every docstring renders as its author wrote it."""
    out, in_block = [], False
    for line in lines:
        if not line.strip():
            out.append("")
            continue
        indented = line.startswith(" ")
        if indented and not in_block:
            out += ["", "::", ""]
            in_block = True
        elif not indented and in_block:
            out.append("")
            in_block = False
        out.append("    " + line if in_block else _escape(line))
    lines[:] = out


def not_ours(app, what, name, obj, skip, options):
    """Leaves out members another library adds (scikit-learn's set_*_request methods)."""
    module = getattr(obj, "__module__", None) or ""
    return True if module and not module.startswith("fastgrad") else None


def setup(app):
    app.connect("autodoc-process-docstring", docstring_as_written)
    app.connect("autodoc-skip-member", not_ours)
