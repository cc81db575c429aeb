"""Every Python block of the README and the docs runs as written, and prints what the
page shows it printing.

Each page is one session: its blocks run in page order in a fresh interpreter, in an empty
working directory, as a user pasting them one after another would run them. A failure
names the page, the block and its line.

A block's output is shown in a ``text`` block right after it (```` ```text ```` in
Markdown, ``.. code-block:: text`` in reStructuredText, with nothing but blank lines
between). What the block prints must match it: words and symbols exactly, numbers within
``OUTPUT_TOLERANCE`` (absolute, or relative for numbers above 1), since a fit's last
digits move with the PyTorch version and the machine.
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

OUTPUT_TOLERANCE = 0.02
ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.rst"))]
PAGES = [p for p in PAGES if "_build" not in p.parts and "generated" not in p.parts]


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """(line number, code) of each Python block of a Markdown or reStructuredText page."""
    return [(line, code) for line, code, _ in blocks_with_output(path)]


def blocks_with_output(path: Path) -> list[tuple[int, str, str | None]]:
    """(line number, code, the output shown after it or None) of each Python block."""
    lines = path.read_text().splitlines()
    found = []  # (kind, number of the first code line, opening line, line after it, code)
    if path.suffix == ".md":
        i = 0
        while i < len(lines):
            kind = lines[i].strip()[3:] if lines[i].strip().startswith("```") else None
            if kind in ("python", "text"):
                end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
                found.append((kind, i + 2, i, end + 1, "\n".join(lines[i + 1 : end])))
                i = end
            i += 1
    else:
        for i, line in enumerate(lines):
            match = re.match(r"(\s*)\.\. code-block:: (python|text)\s*$", line)
            if not match:
                continue
            indent = len(match.group(1))
            j = i + 1
            while j < len(lines) and re.match(r"\s+:\w[\w-]*:", lines[j]):
                j += 1  # directive options
            end = j
            while end < len(lines) and not (
                lines[end].strip() and len(lines[end]) - len(lines[end].lstrip()) <= indent
            ):
                end += 1
            code = textwrap.dedent("\n".join(lines[j:end])).strip("\n")
            found.append((match.group(2), j + 1, i, end, code))
    blocks = []
    for k, (kind, number, _, after, code) in enumerate(found):
        if kind != "python":
            continue
        output = None
        if k + 1 < len(found) and found[k + 1][0] == "text":
            between = lines[after : found[k + 1][2]]
            if all(not text.strip() for text in between):
                output = found[k + 1][4]
        blocks.append((number, code, output))
    return blocks


MARK = "<<sk_rnn docs block {}>>"


def output_problems(shown: str, printed: str) -> list[str]:
    """How ``printed`` differs from ``shown``: a word that differs, or a number outside
    ``OUTPUT_TOLERANCE``."""
    token = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?|[^\s\d]+")
    want, got = token.findall(shown), token.findall(printed)
    if len(want) != len(got):
        return [f"shows {shown.strip()!r} but prints {printed.strip()!r}"]
    problems = []
    for a, b in zip(want, got, strict=True):
        try:
            expected, actual = float(a), float(b)
        except ValueError:
            if a != b:
                problems.append(f"shows {a!r} where it prints {b!r}")
            continue
        if abs(actual - expected) > OUTPUT_TOLERANCE * max(1.0, abs(expected)):
            problems.append(f"shows {a} where it prints {b}")
    return problems


def session(path: Path) -> str:
    parts = []
    for number, (line, code) in enumerate(python_blocks(path), 1):
        where = f"{path.relative_to(ROOT)}, block {number} (line {line})"
        parts.append(
            f"print({where!r}, file=__import__('sys').stderr, flush=True)\n"
            f"print({MARK.format(number)!r}, flush=True)\n{code}"
        )
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
    printed = re.split(r"<<sk_rnn docs block \d+>>\n?", result.stdout)[1:]
    problems = [
        f"block {number} (line {line}): {problem}"
        for number, ((line, _, shown), out) in enumerate(
            zip(blocks_with_output(page), printed, strict=True), 1
        )
        if shown is not None
        for problem in output_problems(shown, out)
    ]
    assert not problems, f"{page.relative_to(ROOT)}: " + "; ".join(problems)


def test_blocks_are_found():
    # The parser must see the blocks it is meant to run (a test that finds none passes
    # trivially).
    quickstart = python_blocks(ROOT / "docs" / "quickstart.rst")
    assert len(quickstart) >= 3
    for _, code in quickstart:  # every block found is Python, not an empty or cut one
        assert code.strip()
        compile(code, "quickstart block", "exec")
    assert python_blocks(ROOT / "README.md")[0][1].startswith("from ")
    shown = [output for _, _, output in blocks_with_output(ROOT / "README.md")]
    assert shown[0] is not None  # the first block shows what it prints


def test_shown_output_is_compared_within_the_tolerance():
    assert output_problems("0.984\n", "0.9837837837837838\n") == []
    assert output_problems("{'cell': 'gru'} 0.97", "{'cell': 'gru'} 0.9713\n") == []
    assert output_problems("0.984", "0.95")  # a number off by more than the tolerance
    assert output_problems("{'cell': 'gru'}", "{'cell': 'lstm'}")  # a word that differs
    assert output_problems("1 2", "1 2 3")  # more printed than shown


def test_every_block_that_prints_shows_what_it_prints():
    # A reader should not have to run a block to see its result; the pages' run then
    # checks that what is shown is what it prints.
    silent = [
        f"{page.relative_to(ROOT)}:{line}"
        for page in PAGES
        for line, code, shown in blocks_with_output(page)
        if "print(" in code and shown is None
    ]
    assert not silent, f"blocks that print without showing it: {silent}"
