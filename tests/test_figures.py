"""Figures quoted in the README and the guide pages agree with the benchmark output they
come from: the sections of docs/benchmarks.md that the scripts in benchmarks/ rewrite
(between their ``begin``/``end`` markers). When a benchmark is rerun and a figure moves,
this fails until the pages quoting it are updated, so drift cannot reach a reader.

Each entry: the page, a phrase of it quoting figures, the generated section, and the
figures as that section writes them (with a little of their row where a figure alone
would be ambiguous); each must stand in the section, and the phrase must quote it,
rounded to the digits quoted.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "docs" / "benchmarks.md"

QUOTED = [
    # the at-a-glance table, from the sections below it
    ("docs/benchmarks.md", "| 0.926 (8-36 s a set) | MiniRocket 0.974;", "defaults",
     ["0.926", "MiniRocket 0.974"]),
    ("docs/benchmarks.md", "accuracy | 0.578 (34 s) |", "defaults", ["0.578", "33.7"]),
    ("docs/benchmarks.md", "character 2-5-grams + logistic regression 0.601 (13 s)", "text",
     ["0.601", "12.7"]),
    ("docs/benchmarks.md", "entity F1 | 0.550 (20 s) | feature CRF (sklearn-crfsuite) 0.534",
     "defaults", ["0.550", "20.4", "0.534"]),
    ("docs/benchmarks.md", "bits per character | 2.165 (220 s) | character 5-gram 2.432",
     "defaults-generative", ["2.165", "220", "2.432"]),
    ("docs/benchmarks.md", "word error rate | 0.386 (224 s)", "defaults-generative",
     ["0.386", "224"]),
    ("docs/benchmarks.md", "`predict`: 1.2 ms, 2.4 ms; 3.1 s", "deploy",
     ["1.23", "2.39", "3.05"]),
    ("docs/benchmarks.md", "the ONNX runtime: 0.24 ms, 0.85 ms; 0.09 s", "deploy",
     ["0.24", "0.85", "0.09"]),
    ("docs/benchmarks.md", "| MASE | 3.390 (3 s) | drift 3.489; Theta 3.608; ETS 3.950",
     "m1-forecasting", ["| 3.390 |", "| 3.489 |", "| 3.608 |", "| 3.950 |"]),
    ("docs/benchmarks.md", "1.851 (12 s); 1.357 (95 s) | ETS 1.659, Theta 1.667; ETS 1.090, "
     "Theta 1.101, seasonal naive 1.314", "m1-forecasting",
     ["| 1.851 |", "| 1.357 |", "| 1.659 |", "| 1.667 |", "| 1.090 |", "| 1.101 |",
      "| 1.314 |"]),
    ("docs/benchmarks.md", "58 s, 0.684; 46 s, 0.754 | AutoTheta 8 s, 0.703; 75 s, 0.709",
     "many-series-time", ["| 58 | 0.684 | 8 | 0.703 |", "| 46 | 0.754 | 75 | 0.709 |"]),
    ("docs/benchmarks.md", "| RMSE | 0.340 (8 s); 0.348 (5 s) | M1 growth: forest 0.372, "
     "training mean 0.366, ridge 64973", "raw-units-regression",
     ["| 0.3403 (", "| 8.1 |", "| 0.3482 (", "| 4.7 |", "| 0.3717 |", "| 0.3661 |",
      "| 64973.3010 |"]),
    ("docs/benchmarks.md", "| RMSE | 0.090 (3 s) | MiniRocket 0.078; RF 0.084;", "defaults",
     ["0.090 (0.086 0.092 0.094) | 3.1", "| 0.078 |", "| 0.084 |"]),
    # the guide pages
    ("README.md", "entity F1 of 0.550 against 0.534", "defaults", ["0.550", "0.534"]),
    ("README.md", "starts in 0.1 s instead of 3 s", "deploy", ["0.09", "3.05"]),
    ("docs/user_guide/tagging.rst", "F1 of 0.550 against 0.534", "defaults",
     ["0.550", "0.534"]),
    ("docs/user_guide/tagging.rst", "scored 0.555 and 0.559 entity F1", "tagging",
     ["0.555", "0.559"]),
    ("docs/user_guide/tagging.rst", "0.534 for one tagger on average", "tagging",
     ["RNNTagger + CRF | 0.534"]),
    ("docs/user_guide/text.rst", "reach 0.578 accuracy (mean of three seeds) against 0.571",
     "defaults", ["0.578", "0.571"]),
    ("docs/user_guide/language_models.rst", "2.165 bits per character in 220 s (17 epochs)",
     "defaults-generative", ["2.165", "220 (17 epochs)"]),
    ("docs/user_guide/language_models.rst", "against 2.432", "defaults-generative",
     ["2.432"]),
    ("docs/user_guide/seq2seq.rst", "0.386\nin 224 s", "defaults-generative",
     ["0.386", "224"]),
    ("docs/user_guide/input.rst", "scores 0.910 on average, against 0.902 for the same sets "
     "filled by hand with the last\nobserved value, 0.846 filled with the mean, and 0.926",
     "gaps-classification", ["sets | 10% | 0.910", "| 0.846", "| 0.902", "| 0.926 |"]),
    ("docs/user_guide/forecasting.rst", "MASE 3.64 against 3.39 with the\ncomplete",
     "gaps-forecasting", ["| 3.637 |", "| 3.390 |"]),
    ("docs/benchmarks.md", "published figure on this set (TBATS 3.50)", "published",
     ["| TBATS | 3.50 |"]),
    ("docs/benchmarks.md", "WFST about 0.325 with stress counted", "published",
     ["| about 0.325 |"]),
    ("docs/benchmarks.md",
     "default scores 0.909 at 10% and 0.894 at 30%, against 0.905 and\n0.890 for the better "
     "filling by hand and 0.926",
     "gaps-classification-steps", ["sets | 10% | 0.909", "| 0.905 |", "sets | 30% | 0.894",
                                   "| 0.890 |", "| 0.926 |"]),
    ("docs/benchmarks.md", "exception at 10% (0.967 against 0.992", "gaps-classification-steps",
     ["| BasicMotions | 10% | 0.967 | 0.992 | 0.992 |"]),
]  # fmt: skip

NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?")  # not the 1 of "F1"


def generated_sections(text: str) -> dict[str, str]:
    pattern = r"<!-- begin ([\w -]+?) -->(.*?)<!-- end \1 -->"
    return {m.group(1): m.group(2) for m in re.finditer(pattern, text, re.S)}


def quote_problems(page_text, phrase, section_text, sources) -> list[str]:
    """What is wrong with one quotation (nothing: an empty list)."""
    if section_text is None:
        return ["the section is gone from benchmarks.md"]
    flat = " ".join(page_text.split())
    if " ".join(phrase.split()) not in flat:
        return [f"the page no longer says {phrase!r}"]
    missing = [source for source in sources if source not in section_text]
    if missing:
        return [f"the section no longer holds {missing}"]
    problems = []
    quoted = [float(n.replace(",", "")) for n in NUMBER.findall(phrase)]
    for source in sources:
        value = float(NUMBER.findall(source)[-1].replace(",", ""))
        decimals = [len(n.split(".")[1]) if "." in n else 0 for n in NUMBER.findall(phrase)]
        matches = [
            q
            for q, d in zip(quoted, decimals, strict=True)
            if abs(value - q) <= 0.5 * 10**-d + 1e-9  # rounded to the digits quoted
        ]
        if not matches:
            problems.append(f"the section says {source!r}; {phrase!r} quotes none of it")
    return problems


@pytest.mark.parametrize("page, phrase, section, sources", QUOTED, ids=lambda v: str(v)[:40])
def test_quoted_figures_match_the_benchmark_output(page, phrase, section, sources):
    sections = generated_sections(BENCHMARKS.read_text())
    problems = quote_problems((ROOT / page).read_text(), phrase, sections.get(section), sources)
    assert not problems, f"{page}: " + "; ".join(problems)


def test_a_figure_that_drifted_is_caught():
    section = "| RNNTagger + CRF | 0.534 (0.500-0.564) | 0.897 |"
    assert quote_problems("F1 of 0.534 here", "F1 of 0.534", section, ["0.534"]) == []
    drifted = quote_problems("F1 of 0.535 here", "F1 of 0.535", section, ["0.534"])
    assert drifted and "quotes none of it" in drifted[0]
    assert quote_problems("F1 of 0.53 here", "F1 of 0.53", section, ["0.534"]) == []
    assert "no longer says" in quote_problems("other", "F1 of 0.534", section, ["0.534"])[0]
    gone = quote_problems("F1 of 0.534", "F1 of 0.534", section, ["0.999"])
    assert "no longer holds" in gone[0]


def test_published_figures_stand_beside_the_measured_ones_as_the_script_writes_them():
    # benchmarks/published.py reads sk_rnn's figures from the generated sections: its
    # section must be what it writes from the page as it is now.
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from published import published_table
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    text = BENCHMARKS.read_text()
    written = generated_sections(text).get("published")
    assert written is not None, "benchmarks.md has no published section"
    assert published_table(text).strip() in written, (
        "rerun python benchmarks/published.py --write docs/benchmarks.md"
    )
    moved = text.replace("| 3.390 | 16.5% | 3.374", "| 3.123 | 16.5% | 3.374")
    assert "3.123" in published_table(moved) and "3.123" not in written
