"""Small real data sets shipped with sk_rnn, so examples and docs run offline."""

from __future__ import annotations

import gzip
import json
from importlib import resources

import numpy as np

__all__ = [
    "load_airline",
    "load_cmudict",
    "load_fortunes",
    "load_hironsan_ner",
    "load_japanese_vowels",
]

_SUBSETS = ("train", "test")


def _records(filename: str) -> list[dict]:
    with resources.files(__name__).joinpath("data", filename).open("rb") as raw:
        with gzip.open(raw, "rt", encoding="utf-8") as lines:
            return [json.loads(line) for line in lines]


def load_japanese_vowels(*, subset: str = "train"):
    """Load the Japanese Vowels speaker-recognition data set.

    Nine male speakers each uttered the Japanese vowels /ae/ in succession; each
    utterance is a sequence of 7 to 29 frames of 12 LPC cepstrum coefficients. The task
    is to tell the speaker from the utterance: variable-length multivariate sequence
    classification with 270 training and 370 test sequences.

    Source: M. Kudo, J. Toyama and M. Shimbo (1999), "Multidimensional curve
    classification using passing-through regions", Pattern Recognition Letters 20,
    1103-1111; UCI Machine Learning Repository (CC BY 4.0), as bundled in the UEA/UCR
    time-series classification archive.

    Parameters
    ----------
    subset : {"train", "test"}, default="train"
        The standard split.

    Returns
    -------
    X : list of ndarray of shape (n_steps_i, 12), dtype float32
        The utterances.
    y : ndarray of shape (n_samples,), dtype str
        Speaker labels "1" to "9".

    Examples
    --------
    >>> import numpy as np
    >>> from sk_rnn.datasets import load_japanese_vowels
    >>> X, y = load_japanese_vowels(subset="train")
    >>> print(len(X), X[0].shape, np.unique(y))
    270 (20, 12) ['1' '2' '3' '4' '5' '6' '7' '8' '9']
    """
    if subset not in _SUBSETS:
        raise ValueError(f"subset must be one of {_SUBSETS}, got {subset!r}.")
    records = _records(f"japanese_vowels_{subset}.jsonl.gz")
    X = [np.asarray(r["x"], dtype=np.float32) for r in records]
    y = np.asarray([str(r["y"]) for r in records])
    return X, y


def load_fortunes():
    """Load the fortunes corpus: 4,112 English quotations, jokes, songs and poems.

    Each text comes from one of 10 fortune files, its category ("wisdom", "science",
    "songs-poems", "startrek", ...): a text-classification task, and 721k characters of
    varied English for language modelling.

    Source: the data files of Debian's ``fortune-mod`` package (fortunes, literature and
    song quotations collected by the BSD ``fortune`` program's maintainers; freely
    redistributable as part of fortune-mod).

    Returns
    -------
    texts : list of str
        The texts, with their line breaks.
    categories : ndarray of shape (n_texts,), dtype str
        The fortune file each text comes from.

    Examples
    --------
    >>> from sk_rnn.datasets import load_fortunes
    >>> texts, categories = load_fortunes()
    >>> len(texts), len(set(categories))
    (4112, 10)
    """
    records = _records("fortunes.jsonl.gz")
    return [r["text"] for r in records], np.asarray([r["category"] for r in records])


_TAG_SETS = ("ner", "pos")


def load_hironsan_ner(*, tags: str = "ner"):
    """Load 300 Japanese news sentences, tokenized, with named-entity and part-of-speech tags.

    A small per-token tagging corpus: 8,981 tokens. Entity tags are IOB2 over the types
    LOC, ORG, PSN (person), DAT, TIM, MON (money), PER (percent) and ART (artifact);
    part-of-speech tags are coarse classes (noun, particle, verb, symbol, ...) from a
    morphological analyser.

    Source: the first 300 sentences of hironsan's Japanese NER corpus
    (``hironsancorpus``, MIT licence), from the author of the ``anago`` and ``seqeval``
    projects.

    Parameters
    ----------
    tags : {"ner", "pos"}, default="ner"
        Which tags to return: named entities or parts of speech.

    Returns
    -------
    sentences : list of list of str
        The tokens of each sentence.
    tags : list of list of str
        One tag per token.

    Examples
    --------
    >>> from sk_rnn.datasets import load_hironsan_ner
    >>> sentences, tags = load_hironsan_ner()
    >>> print(len(sentences), sentences[0][:6], tags[0][:6])
    300 ['2005', '年', '7', '月', '14', '日'] ['B-DAT', 'I-DAT', 'I-DAT', 'I-DAT', 'I-DAT', 'I-DAT']
    """
    if tags not in _TAG_SETS:
        raise ValueError(f"tags must be one of {_TAG_SETS}, got {tags!r}.")
    records = _records("hironsan_ner.jsonl.gz")
    return [r["tokens"] for r in records], [r[tags] for r in records]


def load_airline():
    """Load the monthly totals of international airline passengers, 1949-1960.

    144 months of a trend with a multiplicative yearly season: the classic series for
    forecasting, and the one Box and Jenkins' "airline model", SARIMA (0,1,1)(0,1,1)12 on
    the log series, is named after.

    Source: G. E. P. Box and G. M. Jenkins (1976), "Time Series Analysis: Forecasting and
    Control", series G (public domain data).

    Returns
    -------
    months : ndarray of shape (144,), dtype str
        "1949-01" to "1960-12".
    passengers : ndarray of shape (144,), dtype float64
        Thousands of passengers.

    Examples
    --------
    >>> from sk_rnn.datasets import load_airline
    >>> months, passengers = load_airline()
    >>> print(months[0], passengers[0], months[-1], passengers[-1])
    1949-01 112.0 1960-12 432.0
    """
    records = _records("airline.jsonl.gz")
    months = np.asarray([r["month"] for r in records])
    return months, np.asarray([r["passengers"] for r in records], dtype=np.float64)


def load_cmudict():
    """Load 20,000 English words with their pronunciations in ARPAbet phonemes.

    A grapheme-to-phoneme (spelling to pronunciation) task for sequence to sequence
    models: ``"abandon"`` is ``AH0 B AE1 N D AH0 N``. Phonemes carry stress marks on
    vowels (0 none, 1 primary, 2 secondary); a word has its first listed pronunciation.
    The words are a random sample of the dictionary (the first 20,000 of the training part
    of ``benchmarks/bench_seq2seq.py``'s split, so none of its test words).

    Source: The CMU Pronouncing Dictionary (Carnegie Mellon University, BSD-style
    licence), as distributed in the ``cmudict`` package.

    Returns
    -------
    words : list of str
        Lower-case spellings.
    phonemes : list of list of str
        The pronunciation of each word.

    Examples
    --------
    >>> from sk_rnn.datasets import load_cmudict
    >>> words, phonemes = load_cmudict()
    >>> print(len(words), words[0], phonemes[0])
    20000 masterful ['M', 'AE1', 'S', 'T', 'ER0', 'F', 'AH0', 'L']
    """
    records = _records("cmudict_20k.jsonl.gz")
    return [r["word"] for r in records], [r["phonemes"] for r in records]
