"""
Named-entity tagging with a BiLSTM-CRF
======================================

``RNNTagger`` labels every token of a sentence. Here it finds dates, places, people and
organisations in Japanese news sentences (IOB2 tags), with its defaults: a linear-chain
CRF on top of a bidirectional LSTM that reads each word's embedding beside embeddings of
its affixes and shape. A quarter of the tokens of the held-out sentences do not occur in
the training sentences; ``token_dropout`` (0.5) replaces random training words by
``<unk>``, so the model learns to tag them from their context and their affixes.
"""

import time

from sk_rnn import RNNTagger
from sk_rnn.datasets import load_hironsan_ner
from sk_rnn.metrics import entity_f1_score, sentence_accuracy_score

sentences, tags = load_hironsan_ner()
X_train, y_train = sentences[:240], tags[:240]
X_test, y_test = sentences[240:], tags[240:]

tagger = RNNTagger(random_state=0)
start = time.perf_counter()
tagger.fit(X_train, y_train)
print(f"fitted in {time.perf_counter() - start:.1f} s")

predicted = tagger.predict(X_test)
print(f"entity F1 {entity_f1_score(y_test, predicted):.3f}")
print(f"token accuracy {tagger.score(X_test, y_test):.3f}")
print(f"sentences entirely right {sentence_accuracy_score(y_test, predicted):.3f}")

# %%
# One held-out sentence, rendered
# -------------------------------
# The entities the tagger found, coloured by type (in the gallery's HTML; as
# ``token/TAG`` text in a terminal), then the true tags token by token.

COLOURS = {"DAT": "#c6dbef", "LOC": "#c7e9c0", "ORG": "#fdd0a2", "PSN": "#fcbba1"}


class TaggedSentence:
    """A sentence with IOB2 tags: HTML with coloured entities, or token/TAG text."""

    def __init__(self, tokens, tags):
        self.tokens, self.tags = list(tokens), list(tags)

    def entities(self):
        """(type or None, text) pieces of the sentence, entities joined."""
        pieces = []
        for token, tag in zip(self.tokens, self.tags, strict=True):
            kind = None if tag == "O" else tag[2:]
            if pieces and kind is not None and tag.startswith("I-") and pieces[-1][0] == kind:
                pieces[-1] = (kind, pieces[-1][1] + token)
            else:
                pieces.append((kind, token))
        return pieces

    def _repr_html_(self):
        html = []
        for kind, text in self.entities():
            if kind is None:
                html.append(text)
            else:
                colour = COLOURS.get(kind, "#e0e0e0")
                html.append(
                    f'<span style="background:{colour};padding:2px 4px;border-radius:4px">'
                    f"{text} <small><b>{kind}</b></small></span>"
                )
        return '<p style="font-size:1.2em;line-height:2">' + "".join(html) + "</p>"

    def __repr__(self):
        return " ".join(
            text if kind is None else f"[{text}]/{kind}" for kind, text in self.entities()
        )


TaggedSentence(X_test[1], predicted[1])

# %%
for token, truth, guess in zip(X_test[1], y_test[1], predicted[1], strict=True):
    print(f"{token:<12}{truth:<8}{guess}")
