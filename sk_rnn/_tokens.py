"""Reserved token ids and the padding target: the one place they are defined.

Every sk_rnn vocabulary (input and target) starts with the same four reserved tokens, so
every module, dataset and decoder can rely on these ids without knowing the vocabulary.
Nothing here imports torch or scikit-learn.
"""

__all__ = [
    "BOS",
    "BOS_ID",
    "EOS",
    "EOS_ID",
    "IGNORE_INDEX",
    "NEVER_GENERATED",
    "PAD",
    "PAD_ID",
    "SPECIAL_TOKENS",
    "UNK",
    "UNK_ID",
]

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIAL_TOKENS = (PAD, UNK, BOS, EOS)
PAD_ID, UNK_ID, BOS_ID, EOS_ID = range(len(SPECIAL_TOKENS))
# Ids a generating model never emits: padding, <bos>, and <unk> (not a real output).
NEVER_GENERATED = (PAD_ID, UNK_ID, BOS_ID)

# Per-step integer target of padding steps; torch's cross-entropy ignores it by default.
IGNORE_INDEX = -100
