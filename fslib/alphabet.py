"""Alphabets of the fingerspelling corpora, with the CTC blank at index 0.

``FSWILD`` is ChicagoFSWild's ``label_proc`` alphabet (31 symbols: a-z, space, apostrophe, '&', '.', '@');
``GREEK`` is the 24 letters of the Greek alphabet plus space, as fingerspelled in Greek Sign Language.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

BLANK = "<blank>"


class AlphabetError(ValueError):
    """A label holds a character that the alphabet does not have."""


@dataclasses.dataclass(frozen=True)
class Alphabet:
    name: str
    symbols: tuple[str, ...]  # without the blank; index i + 1 in model outputs

    def __post_init__(self) -> None:
        if len(set(self.symbols)) != len(self.symbols):
            raise ValueError(f"alphabet {self.name} lists a symbol twice")
        object.__setattr__(self, "_index", {s: i + 1 for i, s in enumerate(self.symbols)})

    @property
    def blank(self) -> int:
        return 0

    @property
    def size(self) -> int:
        """Number of model output classes, blank included."""
        return len(self.symbols) + 1

    def __contains__(self, ch: str) -> bool:
        return ch in self._index

    def invalid(self, text: str) -> list[str]:
        """Characters of ``text`` outside the alphabet, in order of first appearance."""
        return list(dict.fromkeys(ch for ch in text if ch not in self._index))

    def encode(self, text: str) -> list[int]:
        """Label indices (1-based; 0 is the blank). Raises :class:`AlphabetError` naming bad characters."""
        bad = self.invalid(text)
        if bad:
            raise AlphabetError(
                f"label {text!r} has character(s) {', '.join(map(repr, bad))} outside the {self.name} alphabet "
                f"({''.join(self.symbols)!r})"
            )
        return [self._index[ch] for ch in text]

    def decode(self, indices: Iterable[int]) -> str:
        """Indices back to text; the blank (0) is skipped."""
        return "".join(self.symbols[i - 1] for i in indices if i != 0)

    def ctc_collapse(self, frame_argmax: Sequence[int]) -> str:
        """Greedy CTC decoding of per-frame argmax indices: merge repeats, drop blanks."""
        out, prev = [], None
        for i in frame_argmax:
            if i != prev and i != 0:
                out.append(int(i))
            prev = i
        return self.decode(out)


FSWILD = Alphabet("ChicagoFSWild", tuple("abcdefghijklmnopqrstuvwxyz") + (" ", "'", "&", ".", "@"))
GREEK = Alphabet("Greek", tuple("αβγδεζηθικλμνξοπρστυφχψω") + (" ",))
ALPHABETS = {"fswild": FSWILD, "greek": GREEK}


def get(name: str) -> Alphabet:
    try:
        return ALPHABETS[name.lower()]
    except KeyError:
        raise AlphabetError(f"unknown alphabet {name!r}; choose one of {', '.join(ALPHABETS)}") from None
