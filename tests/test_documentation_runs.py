"""Every Python block of the README and the docs runs as written.

Each page is one session: its blocks run in page order in a fresh interpreter, in an empty
working directory, as a user pasting them one after another would run them. A failure
names the page, the block and its line.
"""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# The pages take about 4 minutes on two cores, on top of the 8-minute suite: CI runs them
# as a step of their own (.ci/run); locally, SK_RNN_RUN_DOCS=1 python -m pytest
# tests/test_documentation_runs.py
pytestmark_pages = pytest.mark.skipif(
    os.environ.get("SK_RNN_RUN_DOCS") != "1", reason="set SK_RNN_RUN_DOCS=1 to run the docs"
)

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.rst"))]
PAGES = [p for p in PAGES if "_build" not in p.parts and "generated" not in p.parts]


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """(line number, code) of each Python block of a Markdown or reStructuredText page."""
    lines = path.read_text().splitlines()
    blocks = []
    if path.suffix == ".md":
        starts = [i for i, line in enumerate(lines) if line.strip() == "```python"]
        for start in starts:
            end = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == "```")
            blocks.append((start + 2, "\n".join(lines[start + 1 : end])))
        return blocks
    for i, line in enumerate(lines):
        match = re.match(r"(\s*)\.\. code-block:: python\s*$", line)
        if not match:
            continue
        indent = len(match.group(1))
        body, j = [], i + 1
        while j < len(lines) and (re.match(r"\s+:\w[\w-]*:", lines[j]) and not body):
            j += 1  # directive options
        for line in lines[j:]:
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break
            body.append(line)
        blocks.append((j + 1, textwrap.dedent("\n".join(body)).strip("\n")))
    return blocks


def session(path: Path) -> str:
    parts = []
    for number, (line, code) in enumerate(python_blocks(path), 1):
        where = f"{path.relative_to(ROOT)}, block {number} (line {line})"
        parts.append(f"print({where!r}, file=__import__('sys').stderr, flush=True)\n{code}")
    return "\n\n".join(parts)


@pytestmark_pages
@pytest.mark.parametrize(
    "page",
    [p for p in PAGES if python_blocks(p)],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_page_runs_as_written(page, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, "-c", session(page)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode:
        block = [line for line in result.stderr.splitlines() if ", block " in line][-1:]
        pytest.fail(f"{''.join(block)} failed:\n{result.stderr[-3000:]}")


def test_blocks_are_found():
    # The parser must see the blocks it is meant to run (a test that finds none passes
    # trivially).
    quickstart = python_blocks(ROOT / "docs" / "quickstart.rst")
    assert len(quickstart) >= 3
    for _, code in quickstart:  # every block found is Python, not an empty or cut one
        assert code.strip()
        compile(code, "quickstart block", "exec")
    assert python_blocks(ROOT / "README.md")[0][1].startswith("from ")
