"""CTC decoding of per-frame log-probabilities: greedy (best path) and prefix beam search.

Beam search is written here (a standard CTC prefix beam search without a language model, in log space):
the libraries that provide one either need a compiled decoder this environment does not have (torchaudio's
flashlight bindings) or treat the space as a word boundary (pyctcdecode), which the ChicagoFSWild alphabet
uses as an ordinary letter.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

NEG_INF = -math.inf


def greedy(logp: np.ndarray) -> list[int]:
    """logp (T, C) of one sequence -> label indices (blank 0 removed, repeats merged)."""
    best = np.asarray(logp).argmax(-1)
    out, prev = [], -1
    for k in best:
        if k != prev and k != 0:
            out.append(int(k))
        prev = k
    return out


def _logadd(*xs: float) -> float:
    m = max(xs)
    if m == NEG_INF:
        return NEG_INF
    return m + math.log(sum(math.exp(x - m) for x in xs))


def beam_search(logp: np.ndarray, beam: int = 8, prune: float = -12.0) -> list[int]:
    """CTC prefix beam search: logp (T, C) log-probabilities of one sequence (blank = 0) -> the most probable
    label sequence among ``beam`` prefixes kept per frame (summing over all alignments of each prefix).
    Classes whose log-probability at a frame is below ``prune`` are not extended there (0 = none pruned
    beyond the frame's best)."""
    logp = np.asarray(logp, dtype=np.float64)
    # prefix -> (log p ending in blank, log p ending in a non-blank)
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, NEG_INF)}
    for t in range(logp.shape[0]):
        row = logp[t]
        keep = [c for c in range(len(row)) if row[c] >= prune] or [int(row.argmax())]
        nxt: dict[tuple[int, ...], list[float]] = defaultdict(lambda: [NEG_INF, NEG_INF])
        for prefix, (pb, pnb) in beams.items():
            total = _logadd(pb, pnb)
            for c in keep:
                p = row[c]
                if c == 0:
                    e = nxt[prefix]
                    e[0] = _logadd(e[0], total + p)
                    continue
                new = prefix + (c,)
                e = nxt[new]
                if prefix and prefix[-1] == c:
                    # a repeat needs a blank in between; without one it extends the same prefix
                    e[1] = _logadd(e[1], pb + p)
                    same = nxt[prefix]
                    same[1] = _logadd(same[1], pnb + p)
                else:
                    e[1] = _logadd(e[1], total + p)
        ranked = sorted(nxt.items(), key=lambda kv: _logadd(*kv[1]), reverse=True)[:beam]
        beams = {k: (v[0], v[1]) for k, v in ranked}
    return list(max(beams.items(), key=lambda kv: _logadd(*kv[1]))[0])
