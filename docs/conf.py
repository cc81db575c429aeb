"""Sphinx configuration of the sk_rnn documentation (built in CI with -W)."""

import os
import sys
from pathlib import Path

import sk_rnn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Gallery examples run on the CPU with matplotlib's file backend.
os.environ.setdefault("MPLBACKEND", "Agg")

project = "sk_rnn"
author = "The sk_rnn developers"
copyright = "2026, the sk_rnn developers"  # noqa: A001
release = version = sk_rnn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py", "**.zip"]
autosummary_generate = True
templates_path = ["_templates"]
autodoc_default_options = {"inherited-members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()
myst_heading_anchors = 3
# benchmarks.md links to scripts outside the docs tree; they are plain file links.
suppress_warnings = ["myst.xref_missing"]

html_theme = "pydata_sphinx_theme"
html_title = f"sk_rnn {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": False,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = []

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"\.py$",  # run every example: they are the docs' smoke test
    "abort_on_example_error": True,
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    "remove_config_comments": True,
}
