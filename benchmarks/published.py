"""Published figures beside the measured ones: what papers and archives report on the data
sets of this page, with their source and conditions, next to sk_rnn's default as the
sections above measured it.

Nothing is trained. The published figures are typed in below, once, with where they come
from; sk_rnn's figures are read from the generated sections of docs/benchmarks.md, so a
rerun of a benchmark moves them here when this script is run again (and
tests/test_figures.py fails until it is).

Usage::

    python benchmarks/published.py [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from common import generated_sections, markdown_table, write_section

COMMAND = "python benchmarks/published.py --write docs/benchmarks.md"
BENCHMARKS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"

# (task and metric, sk_rnn's figure: (section, pattern whose group 1 is it, conditions),
# published rows: (model, figure, source, conditions))
PUBLISHED = [
    (
        "JapaneseVowels, test accuracy",
        ("defaults", r"\| JapaneseVowels \| [^|]+\| (\d\.\d+) ",
         "mean of seeds 0-2, one set of defaults for every data set"),
        [
            ("FCN", "0.993", "Ismail Fawaz et al. 2019, results-mts-avg-std.csv",
             "mean of 10 runs, tuned per archive"),
            ("ResNet", "0.992", "Ismail Fawaz et al. 2019", "mean of 10 runs"),
            ("TWIESN (echo-state recurrent network)", "0.965", "Ismail Fawaz et al. 2019",
             "mean of 10 runs"),
        ],
    ),
    (
        "M1 yearly, MASE of the last 6 values (lower is better)",
        ("m1-forecasting", r"RNNForecaster\(horizon=6\), global \| (\d\.\d+) ",
         "mean of seeds 0-2, one global network"),
        [
            ("TBATS", "3.50", "Godahewa et al. 2021, Monash Time Series Forecasting Archive",
             "the archive's best on this set; per-series models"),
            ("N-BEATS", "4.38", "Godahewa et al. 2021", "global network"),
            ("DeepAR", "4.60", "Godahewa et al. 2021", "global recurrent network"),
        ],
    ),
    (
        "CMUdict, word error rate, stress counted (lower is better)",
        ("defaults-generative", r"spelling to phonemes \| WER (\d\.\d+)",
         "50,000 training words, a 3.5-minute fit on 2 CPU cores"),
        [
            ("joint-sequence 8-gram WFST", "about 0.325",
             "Phonetisaurus (Novak et al. 2016) results on CMUdict",
             "stress counted; about 0.248 without stress"),
            ("encoder-decoder LSTM", "low-to-mid 0.20s", "Yao and Zweig 2015",
             "their CMUdict split, trained to convergence"),
            ("DBLSTM-CTC", "0.258", "Rao et al. 2015",
             "stress not counted; 0.213 combined with an n-gram model"),
        ],
    ),
]  # fmt: skip


def measured(sections: dict[str, str], section: str, pattern: str) -> str:
    """sk_rnn's figure as the generated ``section`` states it."""
    if section not in sections:
        raise SystemExit(f"docs/benchmarks.md has no generated section {section!r}")
    found = re.search(pattern, sections[section])
    if found is None:
        raise SystemExit(f"section {section!r} no longer matches {pattern!r}")
    return found.group(1)


def published_table(benchmarks_text: str) -> str:
    sections = generated_sections(benchmarks_text)
    rows = []
    for task, (section, pattern, conditions), published in PUBLISHED:
        ours = measured(sections, section, pattern)
        rows.append([task, "sk_rnn defaults, measured", ours, f"section {section}", conditions])
        rows += [["", *row] for row in published]
    headers = ["task", "model", "figure", "source", "conditions"]
    return (
        "### Published figures beside the defaults\n\nThe published rows are "
        "reported by their authors, under their conditions (data splits, preprocessing, "
        "training time), not measured here; sk_rnn's rows are read from the sections of "
        "this page named beside them.\n\n" + markdown_table(headers, rows) + "\n"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    body = published_table(BENCHMARKS.read_text())
    print(body)
    if args.write:
        write_section(args.write, "published", COMMAND, body, measured=False)


if __name__ == "__main__":
    main()
