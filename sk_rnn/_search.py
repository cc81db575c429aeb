"""Batched greedy and beam search over a :class:`~sk_rnn._modules.Decoder`.

Both work on any module with ``start(x, lengths) -> (memory, state)`` and
``step(tokens, state, memory) -> (logits, state)``, where ``memory`` is a tuple of
batch-first tensors (or None) and ``state`` a recurrent state with the batch in
dimension 1. Every sequence of the batch is searched independently: a finished sequence
only emits padding until the whole batch is done.

Returned ids have shape ``(batch, max_length)``: each row is the output tokens, then
``eos`` if it finished, then padding (``PAD_ID``).
"""

from __future__ import annotations

import torch

from ._tokens import PAD_ID

__all__ = ["beam_search", "decode", "greedy_search", "repeat_state", "select_state"]


def greedy_search(model, x, lengths, *, max_length, bos, eos, banned=()):
    """The most likely next token at each step, until ``eos`` or ``max_length`` tokens."""
    memory, state = model.start(x, lengths)
    bos_tokens = torch.full((len(lengths), 1), bos, dtype=torch.long, device=memory[0].device)
    logits, state = model.step(bos_tokens, state, memory)
    return decode(
        model, logits, state, memory, choose=lambda scores: scores.argmax(1),
        max_length=max_length, eos=eos, banned=banned,
    )  # fmt: skip


def decode(
    model, logits, state, memory, *, choose, max_length, eos, banned=(), after_end=PAD_ID,
    dtype=torch.float32,
):  # fmt: skip
    """Tokens chosen one step at a time from the first step's ``logits`` on, by
    ``choose(scores)`` (scores in ``dtype``, ``banned`` ids impossible), until every row
    has emitted ``eos`` or ``max_length`` tokens; a finished row emits ``after_end``.
    Greedy search and the language model's sampling both run it."""
    n = logits.size(0)
    device = logits.device
    out = torch.full((n, max_length), after_end, dtype=torch.long, device=device)
    finished = torch.zeros(n, dtype=torch.bool, device=device)
    for step in range(max_length):
        scores = _allowed(logits[:, -1].to(dtype), banned)
        next_tokens = choose(scores).to(device).masked_fill(finished, after_end)
        out[:, step] = next_tokens
        finished |= next_tokens == eos
        if finished.all():
            break
        logits, state = model.step(next_tokens[:, None], state, memory)
    return out


def beam_search(model, x, lengths, *, beam_size, max_length, bos, eos, banned=()):
    """Length-normalised beam search.

    Each step extends the ``beam_size`` live hypotheses of every sequence by every token
    and keeps the ``beam_size`` best by total log-probability. Those among them that end
    with ``eos`` are finished and scored by their log-probability per token (``eos``
    included); the beam goes on with the best unfinished ones. A sequence is done when
    its best-ranked candidate ends with ``eos`` (as in OpenNMT), so ``beam_size=1`` is
    exactly greedy decoding. The output is the finished hypothesis with the best
    normalised score (or, at ``max_length``, a live one if it scores better).
    """
    memory, state = model.start(x, lengths)
    n, k = len(lengths), beam_size
    device = memory[0].device
    memory = tuple(None if m is None else m.repeat_interleave(k, 0) for m in memory)
    state = repeat_state(state, k)
    tokens = torch.full((n * k, 1), bos, dtype=torch.long, device=device)
    scores = torch.full((n, k), float("-inf"), device=device)
    scores[:, 0] = 0  # start from one hypothesis, not k copies of it
    history = torch.zeros((n, k, 0), dtype=torch.long, device=device)
    best = torch.full((n, max_length), PAD_ID, dtype=torch.long, device=device)
    best_score = torch.full((n,), float("-inf"), device=device)
    done = torch.zeros(n, dtype=torch.bool, device=device)
    first_ranks = torch.arange(2 * k, device=device)[None, :] < k
    for step in range(max_length):
        logits, state = model.step(tokens, state, memory)
        log_probs = torch.log_softmax(_allowed(logits[:, -1].float(), banned), 1)
        vocabulary = log_probs.size(1)
        candidates = (scores[:, :, None] + log_probs.view(n, k, vocabulary)).view(n, -1)
        top_scores, top_index = candidates.topk(min(2 * k, candidates.size(1)), dim=1)
        beams, next_tokens = top_index // vocabulary, top_index % vocabulary
        ended = next_tokens == eos
        finishing = ended & first_ranks[:, : ended.size(1)] & ~done[:, None]
        normalised = torch.where(finishing, top_scores / (step + 1), float("-inf"))
        candidate_score, candidate = normalised.max(1)
        improved = torch.nonzero(candidate_score > best_score).squeeze(1)
        if len(improved):
            source = beams[improved, candidate[improved]]
            best[improved] = PAD_ID
            best[improved, :step] = history[improved, source]
            best[improved, step] = eos
            best_score[improved] = candidate_score[improved]
        done |= ended[:, 0] & torch.isfinite(top_scores[:, 0])
        if done.all():
            break
        live_scores, keep = top_scores.masked_fill(ended, float("-inf")).topk(k, dim=1)
        live_beams = beams.gather(1, keep)
        history = torch.cat(
            [
                history.gather(1, live_beams[:, :, None].expand(-1, -1, step)),
                next_tokens.gather(1, keep)[:, :, None],
            ],
            2,
        )
        scores = live_scores
        rows = (torch.arange(n, device=device)[:, None] * k + live_beams).view(-1)
        state = select_state(state, rows)
        tokens = history[:, :, -1].reshape(-1, 1)
    else:
        live_best = scores[:, 0] / max_length
        better = torch.nonzero(~done & (live_best > best_score)).squeeze(1)
        best[better] = history[better, 0]
    return best


def _allowed(scores, banned):
    """Scores with the ``banned`` token ids (padding, ``<bos>``...) made impossible."""
    if len(banned):
        scores = scores.clone()
        scores[:, list(banned)] = float("-inf")
    return scores


def repeat_state(state, times: int):
    """Repeat each batch row of a recurrent state ``times`` times (for beam search)."""
    if isinstance(state, tuple):
        return tuple(s.repeat_interleave(times, dim=1) for s in state)
    return state.repeat_interleave(times, dim=1)


def select_state(state, rows):
    """Rows ``rows`` of a recurrent state (batch is dimension 1)."""
    if isinstance(state, tuple):
        return tuple(s[:, rows] for s in state)
    return state[:, rows]
