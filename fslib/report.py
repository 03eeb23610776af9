"""Small helpers that notebooks use to say what produced a page's numbers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple


def provenance(profile: str, *, data: str | None = None, teacher: str | None = None, note: str = "") -> str:
    """Markdown admonition naming the run profile, the corpus and the teacher behind a page's results."""
    rows = [f"**Run profile:** `{profile}`"]
    if data:
        rows.append(f"**Data:** {data}")
    if teacher:
        rows.append(f"**Teacher:** {teacher}")
    body = "  \n".join(rows) + (f"\n\n{note}" if note else "")
    return f"```{{admonition}} What produced these results\n:class: note\n{body}\n```"


def describe_corpus(
    corpus_path: str, *, alphabet: str, signers: int, sequences: int, image_size: int, seed: int
) -> str:
    """The corpus line of a page's provenance box: the synthetic corpus's settings, or the real corpus's path
    (``corpus_path`` empty means synthetic)."""
    if corpus_path:
        return f"real corpus at `{shown_path(corpus_path)}`"
    return (
        f"synthetic {alphabet} corpus: {signers} signers, {sequences} sequences, {image_size} px frames, "
        f"seed {seed} (fslib.synth)"
    )


def shown_path(path: str | Path) -> str:
    """A user's data path as a page or a saved model may show it: relative to the study's root when inside
    it, else only its last two parts (no path of one machine goes into a page or a published model)."""
    from .paths import repo_root

    path = Path(path)
    try:
        return path.resolve().relative_to(repo_root()).as_posix()
    except (ValueError, FileNotFoundError):
        return path.as_posix() if not path.is_absolute() else ".../" + "/".join(path.parts[-2:])


def describe_teacher(hamer_checkpoint: str, *, size: str, samples: int, epochs: int) -> str:
    """The teacher line of a page's provenance box: the official checkpoint, or the synthetic-pretrained HaMeR
    (preset, pretraining crops and epochs)."""
    if hamer_checkpoint:
        return f"the official HaMeR checkpoint `{shown_path(hamer_checkpoint)}`"
    return (
        f"HaMeR pretrained on synthetic hands (fslib, size `{size}`, {samples} crops, {epochs} epochs); "
        "no official HaMeR weights were used"
    )


def show_provenance(profile: str, **kwargs) -> None:
    """Display :func:`provenance` as rendered Markdown in a notebook."""
    from IPython.display import Markdown, display

    display(Markdown(provenance(profile, **kwargs)))


def output_dir(out_dir: str, *parts: str) -> Path:
    """``out_dir/parts...``, created; notebooks write tables and figures there."""
    path = Path(out_dir).joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


class PageDirs(NamedTuple):
    """Where a page writes its outputs: ``tables, figures = open_page(...)``."""

    tables: Path
    figures: Path


def open_page(
    profile: str, out_dir: str, *, data: str | None = None, teacher: str | None = None, note: str = ""
) -> PageDirs:
    """The set-up of a page: display its provenance box (:func:`show_provenance`) and create its tables and
    figures folders under ``out_dir``."""
    show_provenance(profile, data=data, teacher=teacher, note=note)
    return PageDirs(output_dir(out_dir, "tables"), output_dir(out_dir, "figures"))


def describe_corpus_params(params: Mapping[str, Any]) -> str:
    """:func:`describe_corpus` from a page's parameters (a notebook's globals): ``corpus_path`` (absent or
    empty: synthetic), ``alphabet``, ``corpus_signers``, ``corpus_sequences``, ``image_size``, ``seed``."""
    return describe_corpus(
        params.get("corpus_path", ""),
        alphabet=params["alphabet"],
        signers=params["corpus_signers"],
        sequences=params["corpus_sequences"],
        image_size=params["image_size"],
        seed=params["seed"],
    )


def describe_teacher_params(params: Mapping[str, Any]) -> str:
    """:func:`describe_teacher` from a page's parameters: ``hamer_checkpoint`` (absent or empty: the
    synthetic-pretrained HaMeR), ``teacher_size``, ``pretrain_samples``, ``pretrain_epochs``."""
    return describe_teacher(
        params.get("hamer_checkpoint", ""),
        size=params["teacher_size"],
        samples=params["pretrain_samples"],
        epochs=params["pretrain_epochs"],
    )
