"""
Named-entity tagging with a BiLSTM-CRF
======================================

``RNNTagger`` labels every token of a sentence. Here it finds dates, places, people and
organisations in Japanese news sentences (IOB2 tags), with a linear-chain CRF on top of a
bidirectional LSTM. ``token_dropout`` replaces random training tokens by ``<unk>`` so the
model learns to tag words it has never seen from their context: a quarter of the tokens
of the held-out sentences do not occur in the training sentences.
"""

import time

from sk_rnn import RNNTagger
from sk_rnn.datasets import load_hironsan_ner
from sk_rnn.metrics import entity_f1_score, sentence_accuracy_score

sentences, tags = load_hironsan_ner()
X_train, y_train = sentences[:240], tags[:240]
X_test, y_test = sentences[240:], tags[240:]

tagger = RNNTagger(
    crf=True,
    hidden_size=64,
    embedding_dim=64,
    dropout=0.5,
    token_dropout=0.5,
    lr=5e-3,
    batch_size=8,
    max_epochs=60,
    random_state=0,
)
start = time.perf_counter()
tagger.fit(X_train, y_train)
print(f"fitted in {time.perf_counter() - start:.1f} s")

predicted = tagger.predict(X_test)
print(f"entity F1 {entity_f1_score(y_test, predicted):.3f}")
print(f"token accuracy {tagger.score(X_test, y_test):.3f}")
print(f"sentences entirely right {sentence_accuracy_score(y_test, predicted):.3f}")

# One held-out sentence, token by token: true and predicted tags.
for token, truth, guess in zip(X_test[1], y_test[1], predicted[1], strict=True):
    print(f"{token:<12}{truth:<8}{guess}")
