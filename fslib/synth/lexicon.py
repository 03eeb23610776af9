"""Words to fingerspell, from the name and place-name lists that Faker ships (offline): ``en_US`` for the
ChicagoFSWild alphabet, ``el_GR`` for the Greek one. Fingerspelling corpora are dominated by names, places
and other words without a lexical sign, so these lists are a fair stand-in.

Normalisation (:func:`normalise`): Unicode NFKD with combining marks removed (accents and diaeresis: "ά" ->
"α", "é" -> "e"), lowercase, Greek final sigma "ς" -> "σ", hyphens and slashes -> space, runs of spaces
collapsed. A word that still has a character outside the alphabet is skipped by :func:`words`.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import numpy as np

from .. import alphabet as alph

LOCALES = {"fswild": "en_US", "greek": "el_GR"}
# (Faker method, weight); "full_name" is first + " " + last
_KINDS = {
    "fswild": (
        ("first_name", 0.3),
        ("last_name", 0.25),
        ("full_name", 0.15),
        ("city", 0.15),
        ("state", 0.08),
        ("country", 0.07),
    ),
    "greek": (
        ("first_name", 0.3),
        ("last_name", 0.25),
        ("full_name", 0.1),
        ("city", 0.2),
        ("country", 0.1),
        ("street_name", 0.05),
    ),
}


def normalise(text: str, alphabet_name: str) -> str:
    """A raw name or place -> the label it would get in ``alphabet_name`` (see the module docstring).
    Characters the alphabet lacks are left in place (check with ``fslib.alphabet.get(name).invalid``)."""
    s = unicodedata.normalize("NFKD", text)
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    if alphabet_name == "greek":
        s = s.replace("ς", "σ")
    s = re.sub(r"[-/_]", " ", s)
    return re.sub(r"\s+", " ", s).strip()


@functools.cache
def _faker(locale: str):
    from faker import Faker

    return Faker(locale)


def words(alphabet_name: str, n: int, rng: np.random.Generator, max_len: int = 20) -> list[str]:
    """``n`` normalised words or names (1 to ``max_len`` characters) for the alphabet "fswild" or "greek",
    drawn deterministically from ``rng`` (same generator state -> same list)."""
    name = alphabet_name.lower()
    if name not in LOCALES:
        raise alph.AlphabetError(f"words: unknown alphabet {alphabet_name!r}; choose one of {', '.join(LOCALES)}")
    if n < 0:
        raise ValueError(f"words: n must be >= 0, got {n}")
    if max_len < 1:
        raise ValueError(f"words: max_len must be >= 1, got {max_len}")
    a = alph.get(name)
    fake = _faker(LOCALES[name])
    fake.seed_instance(int(rng.integers(0, 2**31 - 1)))
    kinds, weights = zip(*_KINDS[name])
    p = np.asarray(weights) / np.sum(weights)
    out: list[str] = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 50 * n + 100:
            raise RuntimeError(f"words: could not draw {n} usable words for {name} (max_len={max_len})")
        kind = kinds[int(rng.choice(len(kinds), p=p))]
        raw = f"{fake.first_name()} {fake.last_name()}" if kind == "full_name" else getattr(fake, kind)()
        w = normalise(raw, name)
        if w and len(w) <= max_len and not a.invalid(w):
            out.append(w)
    return out
