"""Synthetic fingerspelling corpora written in the ChicagoFSWild layout, with per-frame ground truth.

Layout under the returned root (see ``shared/design/datasets.md``)::

    <root>/<name>.csv                      filename,url,start_time,number_of_frames,width,height,
                                           label_proc,label_raw,label_notes,partition,signer
    <root>/<source>/<signer>_<NNNN>/0001.jpg ...      frames, 4 digits, 1-based
    <root>/groundtruth/<source>/<signer>_<NNNN>.npz   per-frame ground truth (below)
    <root>/signers.csv                     signer, partition, skin_tone, skin_tone_name, side, letters_per_second
    <root>/config.json                     the resolved configuration and the code digest

Ground-truth sidecar (T frames): ``pose`` (T, 16, 3) axis-angle (MANO order, global orientation in the
camera frame; left hands in the mirror convention of :mod:`fslib.synth.hand`), ``shape`` (23,) the hand
shape vector, ``translation`` (T, 3) metres (the wrist in the camera frame;
``forward_kinematics(pose, HandShape.from_vector(shape), side, translation)`` reproduces ``keypoints3d``),
``keypoints3d`` (T, 21, 3) metres camera frame, ``keypoints2d`` (T, 21, 2) pixels, ``hand_box`` (T, 4)
x0, y0, x1, y1 pixels of the visible signing hand (NaN if hidden), ``other_box`` (T, 4) of the other hand
(NaN when not visible), ``signing_side`` 'right' / 'left', ``letters`` (T,) index into the label of the held
letter (-1 in transitions), ``camera`` (4,) fx, fy, cx, cy, ``skin_tone`` int, ``label`` str.

Determinism: every sequence draws from its own ``SeedSequence([seed, kind, index])``, so the corpus does not
depend on the number of worker processes or the order they finish in; the same configuration gives a
byte-identical CSV and identical JPEG files. Generation resumes: finished sequences are kept in a
``.partial`` folder and skipped when an interrupted run is restarted.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from .. import alphabet as alph
from ..cache import atomic_path, cache_key, code_digest, write_json_atomic
from ..config import build_config
from ..data.readers import CSV_COLUMNS  # the ChicagoFSWild layout the generator writes and the readers read
from ..paths import cache_dir

PARTITIONS = ("train", "dev", "test")
MIN_IMAGE_SIZE = 64


class CorpusError(ValueError):
    """Impossible corpus parameters (names the parameter, what is wrong and what to do)."""


@dataclasses.dataclass(frozen=True)
class CorpusConfig:
    """What to generate.

    alphabet: "fswild" (ASL, ChicagoFSWild labels) or "greek". signers: number of signers (>= 3, split
    signer-disjoint into train/dev/test by ``split``). sequences: number of sequences (>= signers; assigned
    round-robin so every signer has some). image_size: frame width = height in pixels (>= 64). seed: the
    corpus seed. words: explicit labels to use (cycled) instead of the Faker lexicon. max_word_len: longest
    lexicon word. left_handed_fraction: share of left-handed signers. fps: frames per second of the motion.
    """

    alphabet: str = "fswild"
    signers: int = 6
    sequences: int = 6
    image_size: int = 128
    seed: int = 0
    split: tuple[float, float, float] = (0.6, 0.2, 0.2)
    words: tuple[str, ...] | None = None
    max_word_len: int = 10
    left_handed_fraction: float = 0.15
    fps: int = 30

    @property
    def source(self) -> str:
        """The ``<source>`` part of each filename."""
        return f"synth_{self.alphabet}"

    @property
    def name(self) -> str:
        """CSV base name."""
        return f"Synth{'FSWild' if self.alphabet == 'fswild' else 'Greek'}"

    def validate(self) -> None:
        """Raise :class:`CorpusError` for impossible parameters."""
        if self.alphabet not in alph.ALPHABETS:
            raise CorpusError(f"alphabet={self.alphabet!r} is unknown; use one of {', '.join(alph.ALPHABETS)}")
        if self.signers < 1:
            raise CorpusError(
                f"signers={self.signers}: a corpus needs signers; use at least 3 (one per train/dev/test split)"
            )
        if self.signers < 3:
            raise CorpusError(
                f"signers={self.signers} is too few for three signer-disjoint splits (train/dev/test); use at least 3"
            )
        if self.sequences < self.signers:
            raise CorpusError(
                f"sequences={self.sequences} < signers={self.signers}: every signer needs at "
                "least one sequence; raise sequences or lower signers"
            )
        if self.image_size < MIN_IMAGE_SIZE:
            raise CorpusError(
                f"image_size={self.image_size} px is too small for a visible hand; use at least {MIN_IMAGE_SIZE}"
            )
        if len(self.split) != 3 or any(f <= 0 for f in self.split):
            raise CorpusError(f"split={self.split!r} must be three positive fractions (train, dev, test)")
        if not (0 <= self.left_handed_fraction <= 1):
            raise CorpusError(f"left_handed_fraction={self.left_handed_fraction} must be in [0, 1]")
        if self.words is not None:
            if not self.words:
                raise CorpusError("words=() is empty; pass some words or None to use the lexicon")
            a = alph.get(self.alphabet)
            for w in self.words:
                bad = a.invalid(w)
                if bad:
                    raise alph.AlphabetError(
                        f"word {w!r} has character(s) {', '.join(map(repr, bad))} outside the "
                        f"{a.name} alphabet ({''.join(a.symbols)!r}); remove them or choose another word"
                    )
                if not w.strip():
                    raise CorpusError(f"word {w!r} has no letter to spell")


def make_config(overrides: dict | None = None, **more) -> CorpusConfig:
    """:class:`CorpusConfig` from keyword overrides (unknown keys are rejected), validated."""
    cfg = build_config(CorpusConfig, overrides, **more)
    cfg.validate()
    return cfg


# ------------------------------------------------------------------------------------------- the plan
def _rng(seed: int, kind: int, index: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(kind), int(index)]))


@dataclasses.dataclass(frozen=True)
class SignerSpec:
    index: int
    name: str
    partition: str
    skin_tone: int


def signer_plan(cfg: CorpusConfig) -> list[SignerSpec]:
    """Signers, their signer-disjoint partition and skin tone (tones spread evenly over the signers)."""
    from .scene import SKIN_TONES

    n = cfg.signers
    fr = np.asarray(cfg.split, float) / np.sum(cfg.split)
    n_dev = max(1, int(round(fr[1] * n)))
    n_test = max(1, int(round(fr[2] * n)))
    n_train = n - n_dev - n_test
    if n_train < 1:
        n_dev, n_test = max(1, n_dev - 1), n_test
        n_train = n - n_dev - n_test
    rng = _rng(cfg.seed, 0)
    order = rng.permutation(n)
    parts = np.empty(n, object)
    parts[order[:n_train]] = "train"
    parts[order[n_train : n_train + n_dev]] = "dev"
    parts[order[n_train + n_dev :]] = "test"
    tones = np.resize(np.arange(len(SKIN_TONES)), n)
    tones = tones[rng.permutation(n)]
    return [SignerSpec(i, f"signer{i + 1:03d}", str(parts[i]), int(tones[i])) for i in range(n)]


def sequence_words(cfg: CorpusConfig) -> list[str]:
    """The label of every sequence, in sequence order."""
    if cfg.words is not None:
        return [cfg.words[j % len(cfg.words)] for j in range(cfg.sequences)]
    from . import lexicon

    return lexicon.words(cfg.alphabet, cfg.sequences, _rng(cfg.seed, 1), max_len=cfg.max_word_len)


def filename_of(cfg: CorpusConfig, signer: SignerSpec, j: int) -> str:
    return f"{cfg.source}/{signer.name}_{j + 1:04d}"


# --------------------------------------------------------------------------------------- one sequence
def _signer_models(cfg: CorpusConfig, spec: SignerSpec):
    from . import motion, scene

    rng = _rng(cfg.seed, 2, spec.index)
    kin = motion.sample_signer_kinematics(rng, left_handed_fraction=cfg.left_handed_fraction)
    look = scene.sample_look(rng, skin_tone=spec.skin_tone)
    return kin, look


def render_sequence(cfg: CorpusConfig, spec: SignerSpec, j: int, word: str):
    """Render sequence ``j`` of signer ``spec``: returns (frames list of (S, S, 3) uint8 RGB before JPEG,
    ground-truth dict, shot). Pure function of its arguments."""
    from . import hand, motion, scene
    from .primitives import OTHER_HAND, SIGNING_HAND

    kin, look = _signer_models(cfg, spec)
    rng = _rng(cfg.seed, 3, j)
    shot = scene.sample_shot(rng, cfg.image_size)
    side = kin.dominant
    sc = scene.SignerScene(look, shot, side, kin.hand_shape, rng)
    mo = motion.spell(word, cfg.alphabet, kin, rng, fps=cfg.fps)
    pose, translation = sc.place(mo.pose, mo.wrist)
    fk = hand.forward_kinematics(pose, kin.hand_shape, side, translation)
    kp3 = np.asarray(fk.keypoints, np.float32)
    frames, hand_box, other_box = [], [], []
    for img, mask in sc.render_frames(kp3):
        frames.append(sc.degrade(img, rng))
        hand_box.append(scene.mask_box(mask, SIGNING_HAND))
        other_box.append(scene.mask_box(mask, OTHER_HAND))
    gt = dict(
        pose=pose.astype(np.float32),
        shape=kin.hand_shape.as_vector(),
        translation=translation,
        keypoints3d=kp3,
        keypoints2d=sc.camera.project(kp3).astype(np.float32),
        hand_box=np.stack(hand_box).astype(np.float32),
        other_box=np.stack(other_box).astype(np.float32),
        signing_side=np.array(side),
        letters=mo.letter_index.astype(np.int32),
        camera=sc.camera.as_array(),
        skin_tone=np.int32(spec.skin_tone),
        label=np.array(word),
    )
    return frames, gt, shot


def _write_jpeg(path: Path, rgb: np.ndarray, quality: int) -> None:
    import cv2

    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(rgb[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise OSError(f"could not encode {path}")
    path.write_bytes(buf.tobytes())


def _sequence_job(args) -> dict:
    """Worker: render and write one sequence into ``work`` unless it is already there; return its CSV row."""
    cfg, spec, j, word, work = args
    work = Path(work)
    fname = filename_of(cfg, spec, j)
    gt_path = work / "groundtruth" / f"{fname}.npz"
    if not gt_path.exists():
        frames, gt, shot = render_sequence(cfg, spec, j, word)
        final = work / fname
        with atomic_path(final) as tmp:
            tmp.mkdir()
            for t, img in enumerate(frames):
                _write_jpeg(tmp / f"{t + 1:04d}.jpg", img, shot.jpeg_quality)
        gt_path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(gt_path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **gt)
        n = len(frames)
    else:
        with np.load(gt_path) as z:
            n = len(z["letters"])
    return {
        "filename": fname,
        "url": f"synthetic://{fname}",
        "start_time": "0",
        "number_of_frames": n,
        "width": cfg.image_size,
        "height": cfg.image_size,
        "label_proc": word,
        "label_raw": word,
        "label_notes": f"synthetic; seed {cfg.seed}",
        "partition": spec.partition,
        "signer": spec.name,
    }


def corpus_key(cfg: CorpusConfig) -> str:
    """Cache key: the configuration plus the source code of the whole ``fslib.synth`` package."""
    return cache_key(cfg, code=["fslib.synth", "fslib.alphabet"])


def generate(
    config: CorpusConfig | dict | None = None,
    *,
    workers: int | None = None,
    progress: bool = True,
    root: str | os.PathLike | None = None,
) -> Path:
    """Generate (or find in the cache) the corpus of ``config``; return its root folder.

    The root is ``cache_dir()/corpora/<key>`` unless ``root`` is given. ``workers`` processes render
    sequences in parallel (default: all cores, at most 2 here); the output does not depend on it."""
    cfg = config if isinstance(config, CorpusConfig) else make_config(config or {})
    cfg.validate()
    key = corpus_key(cfg)
    final = Path(root) if root is not None else cache_dir() / "corpora" / key
    if (final / f"{cfg.name}.csv").exists():
        return final
    work = final.parent / f"{final.name}.partial"
    work.mkdir(parents=True, exist_ok=True)
    signers = signer_plan(cfg)
    words = sequence_words(cfg)
    jobs = [(cfg, signers[j % cfg.signers], j, words[j], str(work)) for j in range(cfg.sequences)]
    workers = workers or min(os.cpu_count() or 1, 2)
    from fslib.progress import tqdm

    bar = tqdm(
        total=len(jobs), desc=f"synth {cfg.alphabet} corpus ({cfg.image_size} px)", unit="seq", disable=not progress
    )
    rows: list[dict] = []
    if workers <= 1:
        for job in jobs:
            rows.append(_sequence_job(job))
            bar.update()
    else:
        with ProcessPoolExecutor(workers, initializer=_worker_init) as pool:
            for row in pool.map(_sequence_job, jobs, chunksize=1):
                rows.append(row)
                bar.update()
    bar.close()
    _write_csv(work / f"{cfg.name}.csv", rows)
    _write_signers(work / "signers.csv", cfg, signers)
    write_json_atomic(
        work / "config.json",
        {"config": dataclasses.asdict(cfg), "key": key, "code_digest": code_digest("fslib.synth", "fslib.alphabet")},
    )
    if final.exists():
        shutil.rmtree(final)
    os.replace(work, final)
    return final


def _worker_init() -> None:
    """Set up a rendering worker process: one BLAS thread (the pool already uses every core), and
    glibc's allocator told to keep freed memory (the renderer's large numpy temporaries would otherwise be
    mmap'ed and page-faulted afresh on every operation, which costs about a fifth of the rendering time)."""
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    os.environ["GLOG_minloglevel"] = "2"
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
        libc.mallopt(m_mmap_threshold, 64 << 20)
        libc.mallopt(m_trim_threshold, 256 << 20)
        libc.mallopt(m_top_pad, 64 << 20)
    except (OSError, AttributeError):  # not glibc: the defaults are only slower
        pass


def _write_csv(path: Path, rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    with atomic_path(path) as tmp:
        tmp.write_text(buf.getvalue(), encoding="utf-8")


def _write_signers(path: Path, cfg: CorpusConfig, signers: list[SignerSpec]) -> None:
    from .scene import SKIN_TONES

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["signer", "partition", "skin_tone", "skin_tone_name", "side", "letters_per_second"])
    for s in signers:
        kin, _ = _signer_models(cfg, s)
        w.writerow(
            [
                s.name,
                s.partition,
                s.skin_tone,
                SKIN_TONES[s.skin_tone][0],
                kin.dominant,
                f"{kin.letters_per_second:.3f}",
            ]
        )
    with atomic_path(path) as tmp:
        tmp.write_text(buf.getvalue(), encoding="utf-8")


# ------------------------------------------------------------------------------------------- reading
def read_csv(root: str | os.PathLike, name: str | None = None):
    """The corpus CSV under ``root`` as a pandas DataFrame (the only ``*.csv`` besides signers.csv when
    ``name`` is None)."""
    import pandas as pd

    root = Path(root)
    if name is None:
        cands = [p for p in root.glob("*.csv") if p.name != "signers.csv"]
        if len(cands) != 1:
            raise FileNotFoundError(f"expected one corpus CSV in {root}, found {[p.name for p in cands]}")
        path = cands[0]
    else:
        path = root / f"{name}.csv"
    return pd.read_csv(path, dtype={"label_proc": str, "label_raw": str, "start_time": str}, keep_default_na=False)


def load_groundtruth(root: str | os.PathLike, filename: str) -> dict:
    """The ground-truth sidecar of one sequence as a dict of arrays (strings as Python str)."""
    with np.load(Path(root) / "groundtruth" / f"{filename}.npz") as z:
        out = {k: z[k] for k in z.files}
    for k in ("signing_side", "label"):
        out[k] = str(out[k])
    out["skin_tone"] = int(out["skin_tone"])
    return out


def load_frames(root: str | os.PathLike, filename: str, n: int | None = None) -> np.ndarray:
    """(T, H, W, 3) uint8 RGB frames of one sequence (the first ``n`` when given)."""
    import cv2

    folder = Path(root) / filename
    files = sorted(folder.glob("*.jpg"))[:n]
    return np.stack([cv2.imread(str(f), cv2.IMREAD_COLOR)[..., ::-1] for f in files])


def split_statistics(root: str | os.PathLike):
    """Per-split table: signers, sequences, frames, mean/min/max label length and frames per sequence."""
    import pandas as pd

    df = read_csv(root)
    df["label_len"] = df["label_proc"].str.len()
    g = df.groupby("partition")
    out = pd.DataFrame(
        {
            "signers": g["signer"].nunique(),
            "sequences": g.size(),
            "frames": g["number_of_frames"].sum(),
            "label_len_mean": g["label_len"].mean().round(2),
            "label_len_min": g["label_len"].min(),
            "label_len_max": g["label_len"].max(),
            "frames_per_seq_mean": g["number_of_frames"].mean().round(1),
        }
    )
    return out.reindex([p for p in PARTITIONS if p in out.index])


def letter_frequencies(root: str | os.PathLike):
    """Letter counts per split (rows: symbols in alphabet order, columns: partitions)."""
    import pandas as pd

    df = read_csv(root)
    counts = {p: pd.Series(list("".join(df.loc[df.partition == p, "label_proc"]))).value_counts() for p in PARTITIONS}
    table = pd.DataFrame(counts).fillna(0).astype(int)
    table.index = [("␣" if c == " " else c) for c in table.index]
    return table.sort_index()


# ------------------------------------------------------------------------------------------- figures
def letter_images(
    alphabet: str, image_size: int = 256, skin_tone: int = 2, crop: float = 1.6, seed: int = 0
) -> dict[str, np.ndarray]:
    """Every letter of ``alphabet`` held by one right-handed signer in front of a frontal camera, cropped
    around the hand: letter -> (S, S, 3) uint8 RGB with S = ``image_size`` // 2. Movement letters (J, Z)
    show the hand shape their movement starts from. ``crop`` is the crop side over the hand's extent."""
    import cv2

    from . import hand, letters, scene

    rng = _rng(seed, 9)
    look = scene.sample_look(rng, skin_tone=skin_tone)
    shot = dataclasses.replace(
        scene.sample_shot(rng, image_size),
        yaw_deg=0.0,
        pitch_deg=0.0,
        blur_sigma=0.3,
        noise_sigma=0.0,
        other_hand=False,
        offset=(0.0, -0.1),
    )
    shape = hand.HandShape.default()
    sc = scene.SignerScene(look, shot, "right", shape, rng)
    out = {}
    for letter in letters.LETTERS[alphabet]:
        target = letters.letter_pose(alphabet, letter)
        pose, tr = sc.place(np.asarray(target.pose)[None], np.zeros((1, 3)))
        kp = np.asarray(hand.forward_kinematics(pose, shape, "right", tr).keypoints)[0]
        img, _ = next(sc.render_frames(kp[None]))
        k2 = sc.camera.project(kp)
        c = k2.mean(0)
        half = max(np.ptp(k2[:, 0]), np.ptp(k2[:, 1]), 8) * crop / 2
        x0, y0 = int(max(c[0] - half, 0)), int(max(c[1] - half, 0))
        x1, y1 = int(min(c[0] + half, image_size)), int(min(c[1] + half, image_size))
        out[letter] = cv2.resize(img[y0:y1, x0:x1], (image_size // 2, image_size // 2), interpolation=cv2.INTER_AREA)
    return out


def plot_letter_gallery(alphabet: str, image_size: int = 256, cols: int = 9):
    """Figure: every letter of ``alphabet`` (see :func:`letter_images`), ``cols`` a row (a table of images,
    page wide)."""
    from .. import style

    imgs = letter_images(alphabet, image_size)
    rows = int(np.ceil(len(imgs) / cols))
    side = style.PAGE_WIDTH / cols
    fig, axes = style.subplots(rows, cols, height=(side + 0.2) * rows, squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (letter, img) in zip(axes.ravel(), imgs.items()):
        ax.imshow(img)
        ax.set_title(letter.upper() + (" (motion)" if letter in ("j", "z", "ζ") else ""), fontsize=8)
    return fig


def plot_letter_frequencies(freq):
    """Figure: letter counts per split, stacked (``freq``: :func:`letter_frequencies`)."""
    from .. import style

    fig, ax = style.subplots(height=2.8)
    freq.plot.bar(ax=ax, stacked=True, width=0.8)
    ax.tick_params(axis="x", rotation=0)
    ax.set(xlabel="letter", ylabel="letters in the corpus (count)")
    ax.legend(title="split", ncols=len(freq.columns), loc="upper right")
    return fig


def plot_filmstrip(root: str | os.PathLike, n_sequences: int = 3, n_frames: int = 8):
    """Figure: ``n_frames`` evenly spaced frames of the first ``n_sequences`` sequences of a corpus, each
    titled with the letter being held (· in transitions): one row a sequence (a filmstrip, page wide)."""
    from .. import style

    df = read_csv(root).head(n_sequences)
    side = style.PAGE_WIDTH / (n_frames + 1)
    fig, axes = style.subplots(len(df), n_frames, height=(side + 0.25) * len(df), squeeze=False)
    for r, (_, row) in enumerate(df.iterrows()):
        frames = load_frames(root, row.filename)
        gt = load_groundtruth(root, row.filename)
        idx = np.linspace(0, len(frames) - 1, n_frames).round().astype(int)
        for c, t in enumerate(idx):
            ax = axes[r, c]
            ax.imshow(frames[t])
            li = int(gt["letters"][t])
            ax.set_title(f"{t + 1}: {gt['label'][li] if li >= 0 else '·'}", fontsize=8)
            style.image_panel(ax, f"'{row.label_proc}'\n{row.signer}" if c == 0 else None, fontsize=8)
    return fig


# ----------------------------------------------------------------------------------------------- CLI
def _add_cli(sub) -> None:
    """Register ``fslib synth``."""
    p = sub.add_parser(
        "synth",
        help="generate a synthetic fingerspelling corpus (ChicagoFSWild layout, with ground truth)",
        description="Render a signer-independent synthetic fingerspelling corpus: JPEG frames in "
        "<root>/<source>/<signer>_<NNNN>/NNNN.jpg, a CSV with the ChicagoFSWild columns, per-sequence "
        "ground truth in <root>/groundtruth/, signers.csv and config.json. The same options give the same "
        "corpus (byte-identical CSV and identical images). Without --out the corpus is cached under the "
        "study's cache folder (corpora/<key>) and reused; an interrupted run resumes.",
    )
    p.add_argument(
        "--alphabet",
        default="fswild",
        choices=sorted(alph.ALPHABETS),
        help="fswild: ASL with ChicagoFSWild labels; greek: Greek Sign Language (default fswild)",
    )
    p.add_argument("--signers", type=int, default=6, help="number of signers, >= 3 (default 6)")
    p.add_argument("--sequences", type=int, default=12, help="number of sequences, >= signers (default 12)")
    p.add_argument("--image-size", type=int, default=256, help="frame side in pixels, >= 64 (default 256)")
    p.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    p.add_argument("--words", default="", help="comma-separated labels to spell (cycled) instead of the Faker lexicon")
    p.add_argument("--workers", type=int, default=0, help="processes (default: all cores, at most 2)")
    p.add_argument("--out", default="", help="write the corpus to this folder instead of the cache")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run_cli)


def _run_cli(args) -> int:
    import sys

    words = tuple(w for w in args.words.split(",") if w) if args.words else None
    try:
        cfg = make_config(
            alphabet=args.alphabet,
            signers=args.signers,
            sequences=args.sequences,
            image_size=args.image_size,
            seed=args.seed,
            words=words,
        )
        root = generate(cfg, workers=args.workers or None, progress=not args.no_progress, root=args.out or None)
    except (CorpusError, alph.AlphabetError) as err:
        print(f"fslib synth: error: {err}", file=sys.stderr)
        return 1
    print(root)
    return 0
