"""Letter accuracy in the two conventions, the learned-nothing baseline, per-letter confusions.

- Plain: 1 - (S + D + I) / N summed over a split, with (S, D, I) from the unit-cost edit distance
  (rapidfuzz's Levenshtein).
- ChicagoFSWild / HTK convention: the same count, but from the alignment that minimises
  10 S + 7 (D + I) (HTK's HResults penalties, used by every public ChicagoFSWild scorer since Shi et al.).
  A substitution there costs more than a deletion plus an insertion would in unit cost, so the alignment can
  trade one substitution for an insertion and a deletion and count more errors: the HTK accuracy is never
  above the plain one. rapidfuzz has no weighted alignment with operation counts, so that dynamic programme
  is written here (labels are short: O(len(ref) x len(hyp)) per pair).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from rapidfuzz.distance import Levenshtein

HTK_SUB, HTK_INDEL = 10, 7


def unit_errors(ref: str, hyp: str) -> int:
    """S + D + I of the unit-cost alignment (the Levenshtein distance)."""
    return Levenshtein.distance(ref, hyp)


def htk_counts(ref: str, hyp: str, sub: int = HTK_SUB, indel: int = HTK_INDEL) -> tuple[int, int, int]:
    """(S, D, I) of the alignment minimising ``sub`` x S + ``indel`` x (D + I); among equal-cost alignments,
    the one with the fewest errors."""
    n, m = len(ref), len(hyp)
    # cost and error count of the best alignment of prefixes, as pairs compared lexicographically
    INF = (10**9, 10**9)
    best = [[INF] * (m + 1) for _ in range(n + 1)]
    back = [[""] * (m + 1) for _ in range(n + 1)]
    best[0][0] = (0, 0)
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            cands = []
            if i and j:
                same = ref[i - 1] == hyp[j - 1]
                c, e = best[i - 1][j - 1]
                cands.append(((c + (0 if same else sub), e + (0 if same else 1)), "M" if same else "S"))
            if i:
                c, e = best[i - 1][j]
                cands.append(((c + indel, e + 1), "D"))
            if j:
                c, e = best[i][j - 1]
                cands.append(((c + indel, e + 1), "I"))
            best[i][j], back[i][j] = min(cands)
    s = d = ins = 0
    i, j = n, m
    while i or j:
        op = back[i][j]
        if op in ("M", "S"):
            s += op == "S"
            i, j = i - 1, j - 1
        elif op == "D":
            d, i = d + 1, i - 1
        else:
            ins, j = ins + 1, j - 1
    return s, d, ins


def letter_accuracy(refs: Sequence[str], hyps: Sequence[str], convention: str = "plain") -> float:
    """1 - total errors / total reference letters over a split; ``convention`` 'plain' or 'htk'."""
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    total = sum(len(r) for r in refs)
    if total == 0:
        raise ValueError("the references hold no letter; letter accuracy is undefined")
    if convention == "plain":
        errors = sum(unit_errors(r, h) for r, h in zip(refs, hyps))
    elif convention == "htk":
        errors = sum(sum(htk_counts(r, h)) for r, h in zip(refs, hyps))
    else:
        raise ValueError(f"convention={convention!r}: use 'plain' or 'htk'")
    return 1.0 - errors / total


def accuracies(refs: Sequence[str], hyps: Sequence[str]) -> dict[str, float]:
    return {
        "letter_accuracy": letter_accuracy(refs, hyps, "plain"),
        "letter_accuracy_htk": letter_accuracy(refs, hyps, "htk"),
    }


def best_constant_string(train_labels: Sequence[str], max_rounds: int = 20) -> str:
    """The output string a recognizer that ignores the video should always emit: the string with the fewest
    total edit errors against the training labels, found by local search (start from the best of the empty
    string, every single letter and every training label; then apply the best single-letter insertion,
    deletion or substitution while it lowers the total)."""
    labels = list(train_labels)
    if not labels:
        raise ValueError("no training labels to choose a constant output from")
    letters = sorted({ch for lab in labels for ch in lab})

    def cost(s: str) -> int:
        return sum(Levenshtein.distance(s, lab) for lab in labels)

    cands = {"", *letters, *set(labels)}
    best = min(sorted(cands), key=cost)
    best_cost = cost(best)
    for _ in range(max_rounds):
        moves = set()
        for i in range(len(best) + 1):
            for ch in letters:
                moves.add(best[:i] + ch + best[i:])
                if i < len(best):
                    moves.add(best[:i] + ch + best[i + 1 :])
            if i < len(best):
                moves.add(best[:i] + best[i + 1 :])
        cand = min(sorted(moves), key=cost)
        c = cost(cand)
        if c >= best_cost:
            break
        best, best_cost = cand, c
    return best


def constant_baseline(train_labels: Sequence[str], refs: Sequence[str]) -> dict[str, object]:
    """The learned-nothing row: the best constant string (chosen on ``train_labels``) scored on ``refs``."""
    s = best_constant_string(train_labels)
    return {"output": s, **accuracies(refs, [s] * len(refs))}


def per_group_accuracy(frame: pd.DataFrame, by: str = "signer") -> pd.DataFrame:
    """Letter accuracy (both conventions) per value of ``by`` in a table with ``reference`` and
    ``hypothesis`` columns; with the number of sequences and reference letters."""
    rows = []
    for key, g in frame.groupby(by, sort=True):
        rows.append(
            {
                by: key,
                "sequences": len(g),
                "letters": int(g["reference"].str.len().sum()),
                **accuracies(list(g["reference"]), list(g["hypothesis"])),
            }
        )
    return pd.DataFrame(rows)


def confusions(refs: Iterable[str], hyps: Iterable[str], deleted: str = "∅") -> pd.DataFrame:
    """Letter confusion counts from the unit-cost alignments: rows reference letters, columns hypothesis
    letters; a deleted reference letter counts in column ``deleted``, an inserted letter in row ``deleted``."""
    counts: Counter = Counter()
    for r, h in zip(refs, hyps):
        for tag, i1, i2, j1, j2 in Levenshtein.opcodes(r, h):
            if tag == "equal" or tag == "replace":
                for a, b in zip(r[i1:i2], h[j1:j2]):
                    counts[(a, b)] += 1
            elif tag == "delete":
                for a in r[i1:i2]:
                    counts[(a, deleted)] += 1
            elif tag == "insert":
                for b in h[j1:j2]:
                    counts[(deleted, b)] += 1
    letters = sorted({a for a, _ in counts} | {b for _, b in counts} - {deleted})
    letters = [x for x in letters if x != deleted] + [deleted]
    mat = pd.DataFrame(0, index=letters, columns=letters, dtype=np.int64)
    for (a, b), n in counts.items():
        mat.loc[a, b] += n
    mat.index.name, mat.columns.name = "reference", "hypothesis"
    return mat
