"""Alphabets: ChicagoFSWild's 31 symbols and the Greek letters, with the CTC blank at 0."""

from __future__ import annotations

import pytest

from fslib.alphabet import FSWILD, GREEK, AlphabetError, get


def test_sizes_and_blank():
    assert len(FSWILD.symbols) == 31 and FSWILD.size == 32 and FSWILD.blank == 0
    assert len(GREEK.symbols) == 25 and "ς" not in GREEK  # 24 letters + space; final sigma is normalised away


def test_encode_decode_round_trip():
    text = "o'neil & co. @x"
    idx = FSWILD.encode(text)
    assert 0 not in idx and FSWILD.decode(idx) == text
    assert GREEK.decode(GREEK.encode("αθηνα")) == "αθηνα"


def test_out_of_alphabet_characters_are_named():
    with pytest.raises(AlphabetError, match="'Z', '9'"):
        FSWILD.encode("aZ9Z")
    assert FSWILD.invalid("abc") == []


def test_ctc_collapse_merges_repeats_and_drops_blanks():
    a, b = FSWILD.encode("ab")
    assert FSWILD.ctc_collapse([0, a, a, 0, a, b, b, 0]) == "aab"
    assert get("greek") is GREEK
    with pytest.raises(AlphabetError, match="unknown alphabet"):
        get("klingon")
