"""Recognizing fingerspelling in a video with a trained student: what ``fslib recognize`` runs.

    frames -> resampled to the training corpus's frame rate -> MediaPipe Hands (tracking mode, every frame)
           -> the signing hand and its square crop boxes, by the study's own rule (:mod:`fslib.preprocess`:
              tracklets, fill, smoothing, mirroring a left hand) -> 1 crop in ``subsample`` to the student's
              ResNet34 (one frame at a time) -> 1D-CNN -> BiGRU -> CTC decoding (greedy or beam)

Offline and streaming are one code path (:class:`ClipRecognizer`): frames are pushed as they arrive; after
each frame the crop boxes are recomputed from all detections so far with the study's whole-clip rule, and only
the student frames whose crop changed (the last few, inside the smoothing window, or all of them when the
choice of signing hand changes) are encoded again. A streaming run asks for a partial hypothesis after each
student frame; an offline run only at the end. The final crops, features and letters are therefore the same
in both modes by construction (the test checks it), and equal to what the study's preprocessing would crop.

Reading frames and MediaPipe run in a second thread (:func:`recognize`), so they overlap with the student.
Per-stage wall times are kept in :class:`Timings`.
"""

from __future__ import annotations

import dataclasses
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..preprocess.config import PreprocessConfig
from ..preprocess.crops import crop_square, fill_squares, landmark_boxes, smooth_squares, square_to_box, to_square
from ..preprocess.hands import TrackletLinker, choose_signing_hand
from . import decode

DEFAULT_MODEL = Path("runs") / "full" / "models" / "recognizer.pt"
STAGES = ("decode", "mediapipe", "crop", "student", "ctc")


class RecognizeError(ValueError):
    """Bad input to the recognizer (one line: the input and what to do)."""


# ------------------------------------------------------------------------------------------------ model
@dataclasses.dataclass
class StudyModel:
    """A trained student with what is needed to feed it: the network, its alphabet, the preprocessing its
    crops were made with and the frame rate of its training corpus (None: use the input's own)."""

    model: Any
    alphabet: Any
    preprocess: PreprocessConfig
    frame_rate: float | None
    provenance: dict
    path: Path

    @property
    def cfg(self):
        return self.model.cfg

    def describe(self) -> str:
        p = self.provenance
        acc = p.get("test_letter_accuracy")
        try:  # the path as the user would type it from here
            shown = Path(self.path).resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            shown = self.path
        return (
            f"{shown}: {p.get('run_id', 'a recognizer')} ({self.alphabet.name} alphabet"
            + (
                f", test letter accuracy {acc:.3f} on the test signers of the "
                + (p["corpus"] if p.get("corpus") else f"{p.get('profile')} profile's corpus")
                if acc is not None
                else ""
            )
            + ")"
        )


def default_model_path(root: str | os.PathLike | None = None) -> Path:
    """The model ``fslib recognize`` runs when none is given: the published ``runs/full/models/recognizer.pt``
    under the repository (or ``root``); when that run has none, the newest model another profile's run saved
    (``make book`` leaves ``runs/ci``'s). The published path when there is none at all."""
    from ..paths import repo_root

    runs = Path(root or repo_root())
    full = runs / DEFAULT_MODEL
    if full.exists():
        return full
    others = sorted(runs.glob("runs/*/models/recognizer.pt"), key=lambda p: p.stat().st_mtime, reverse=True)
    return others[0] if others else full


def load_model(path: str | os.PathLike | None = None, alphabet: str | None = None) -> StudyModel:
    """The study model at ``path`` (default: the ``full`` profile's). ``alphabet``: the alphabet name the
    caller expects ('fswild' or 'greek'); a checkpoint trained on another one is refused."""
    import torch

    from ..alphabet import Alphabet, AlphabetError
    from ..alphabet import get as get_alphabet
    from .train import CheckpointMismatch, load_checkpoint

    p = Path(path) if path else default_model_path()
    if not p.exists():
        if path:
            raise RecognizeError(
                f"{p}: no such checkpoint; give the recognizer.pt a study run saved (runs/<profile>/models/)"
            )
        raise RecognizeError(
            f"no trained recognizer at {p} or under runs/*/models/: make one with "
            "`fslib study --profile ci --only 04` (or `make book`), or give --checkpoint PATH"
        )
    try:
        payload = torch.load(p, map_location="cpu", weights_only=False)
    except Exception as err:  # not a torch file, truncated, ...
        raise RecognizeError(
            f"{p}: not a readable recognizer checkpoint ({type(err).__name__}); save it again"
        ) from None
    if not isinstance(payload, dict) or "state" not in payload or "alphabet" not in payload:
        raise RecognizeError(f"{p}: not a recognizer checkpoint (no weights or alphabet in it)")
    try:
        expected = get_alphabet(alphabet) if alphabet else None
    except AlphabetError as err:
        raise RecognizeError(str(err)) from None
    try:
        model, payload = load_checkpoint(p, alphabet=expected)
    except CheckpointMismatch as err:
        raise RecognizeError(str(err)) from None
    except (RuntimeError, KeyError, TypeError, ValueError) as err:  # weights that do not fit the configuration
        lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
        detail = next((ln for ln in lines if "size mismatch" in ln or "Missing key" in ln), lines[-1] if lines else "")
        raise RecognizeError(
            f"{p}: the weights do not fit the configuration saved with them ({detail.rstrip('.')}); save it again"
        ) from None
    if model.cfg.pose_hidden:
        raise RecognizeError(
            f"{p}: a two-stream recognizer (RGB + landmarks, page 08's comparison); fslib recognize runs the "
            "RGB-only student: give the recognizer.pt a study run saved"
        )
    prov = dict(payload.get("provenance", {}))
    prep = PreprocessConfig(**prov.get("preprocess", {}))
    alpha = Alphabet(payload["alphabet"]["name"], tuple(payload["alphabet"]["symbols"]))
    return StudyModel(model.eval(), alpha, prep, prov.get("frame_rate"), prov, p)


# ---------------------------------------------------------------------------------------------- backends
class TorchStudent:
    """The student in PyTorch: :meth:`encode` one crop, :meth:`head` a clip of features."""

    name = "pytorch"

    def __init__(self, model: Any):
        self.model = model.eval()
        self.size = model.cfg.input_size

    def encode(self, crop: np.ndarray) -> np.ndarray:
        """uint8 (S, S, 3) crop -> float32 (F,) backbone features."""
        import torch

        from .model import to_input

        with torch.inference_mode():
            x = to_input(torch.from_numpy(np.ascontiguousarray(crop))[None], self.size)
            return self.model.encode_frames(x)[0].float().numpy()

    def head(self, feats: np.ndarray) -> np.ndarray:
        """float32 (T, F) -> (T, C) log-probabilities of the BiGRU's classifier (blank = 0)."""
        import torch

        with torch.inference_mode():
            return clip_head(self.model, torch.from_numpy(feats)).numpy()


def clip_head(model: Any, feats):
    """The temporal part of the student on one clip: (T, F) features -> (T, C) log-probabilities (the
    same computation as the model's forward on a batch of one, without packing)."""
    import torch

    x = feats[None]
    mask = torch.ones(x.shape[:2], dtype=torch.bool)
    h = model.temporal(model.fuse(x, None), mask)
    out, _ = model.gru.gru(h)
    return model.gru_classifier(out)[0].log_softmax(-1)


# ------------------------------------------------------------------------------------------------ timing
@dataclasses.dataclass
class Timings:
    """Wall seconds per stage and frame counts: ``frames`` read (at the model's rate), ``student_frames``."""

    seconds: dict = dataclasses.field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    frames: int = 0
    student_frames: int = 0
    wall: float = 0.0

    def add(self, stage: str, dt: float) -> None:
        self.seconds[stage] += dt

    def per_frame_ms(self) -> dict[str, float]:
        n = max(self.frames, 1)
        return {k: 1000 * v / n for k, v in self.seconds.items()}

    def line(self) -> str:
        ms = self.per_frame_ms()
        fps = self.frames / self.wall if self.wall else float("nan")
        return (
            f"{self.frames} frames ({self.student_frames} to the student) in {self.wall:.2f} s = {fps:.1f} frames/s; "
            "per frame: " + ", ".join(f"{k} {v:.2f} ms" for k, v in ms.items())
        )


# ----------------------------------------------------------------------------------------------- crops
def crop_rule(dets: list[list], prep: PreprocessConfig, tracks: list | None = None):
    """The study's crop boxes for a clip's detections so far (:mod:`fslib.preprocess`: signing-hand tracklets,
    square boxes with the margin, frames without a detection filled, centred smoothing; no dataset BBox):
    ``(boxes (T, 4), mirror, HandChoice)``, or None while no hand has been found. ``tracks``: these frames'
    tracklets from a :class:`~fslib.preprocess.hands.TrackletLinker` (a stream links each frame once)."""
    choice = choose_signing_hand(dets, gate=prep.gate, mediapipe_mirrored=prep.mediapipe_mirrored, tracks=tracks)
    if not choice.detected.any():
        return None
    squares = to_square(landmark_boxes(choice.landmarks), prep.margin, prep.min_side)
    filled, _ = fill_squares(squares, choice.detected, None)
    boxes = square_to_box(smooth_squares(filled, prep.smooth))
    return boxes, bool(prep.mirror_left and choice.side == "left"), choice


# ----------------------------------------------------------------------------------------------- clips
@dataclasses.dataclass
class Result:
    letters: str
    partials: list[tuple[int, str]]  # (frames seen, hypothesis) each time the hypothesis changed
    timings: Timings
    side: str
    detection_rate: float
    logp: np.ndarray

    def as_dict(self) -> dict[str, Any]:
        t = self.timings
        return {
            "letters": self.letters,
            "frames": t.frames,
            "student_frames": t.student_frames,
            "wall_s": t.wall,
            "frames_per_s": t.frames / t.wall if t.wall else None,
            "stage_seconds": t.seconds,
            "stage_ms_per_frame": t.per_frame_ms(),
            "signing_hand": self.side,
            "detection_rate": self.detection_rate,
            "partials": [{"frames": n, "letters": s} for n, s in self.partials],
        }


class ClipRecognizer:
    """Recognize one clip from frames pushed in order (see the module docstring). ``push(frame, dets)`` takes
    a frame at the model's frame rate and its MediaPipe detections; :meth:`hypothesis` decodes what has been
    seen; :meth:`finish` returns the :class:`Result`."""

    def __init__(
        self, sm: StudyModel, student: Any = None, beam: int = 0, stream: bool = False, partial_every: int = 4
    ):
        self.sm, self.prep = sm, sm.preprocess
        self.student = student or TorchStudent(sm.model)
        self.beam, self.stream = beam, stream
        self.k = max(int(sm.cfg.subsample), 1)
        # a partial hypothesis every this many frames (at the model's rate), on a student frame: the tracklets
        # are linked once per frame as frames arrive, but choosing the hand, smoothing the boxes and the
        # temporal head still run over the whole clip so far, so asking every frame would cost O(T^2)
        self.partial_every = max(int(partial_every), 1)
        self.dets: list[list] = []
        self.linker = TrackletLinker(gate=self.prep.gate)
        self.frames: dict[int, np.ndarray] = {}  # student frames only
        self.feats: dict[int, tuple[np.ndarray, bool, np.ndarray]] = {}  # t -> (box, mirror, features)
        self.timings = Timings()
        self.partials: list[tuple[int, str]] = []
        self.side = "none"
        self.detection_rate = 0.0

    def push(self, frame: np.ndarray, dets: list) -> str | None:
        t = len(self.dets)
        self.dets.append(dets)
        t0 = time.perf_counter()
        self.linker.push(dets)
        self.timings.add("crop", time.perf_counter() - t0)  # the crop rule's tracklet linking, once per frame
        if t % self.k == 0:
            self.frames[t] = frame
        self.timings.frames = len(self.dets)
        if self.stream and t % self.k == 0 and (t // self.k) % max(self.partial_every // self.k, 1) == 0:
            got = self._decode(0, settled_only=True)
            hyp = None if got is None else got[0]
            if hyp is not None and (not self.partials or self.partials[-1][1] != hyp):
                self.partials.append((len(self.dets), hyp))
            return hyp
        return None

    def _boxes(self) -> tuple[np.ndarray, bool] | None:
        got = crop_rule(self.dets, self.prep, tracks=self.linker.tracklets())
        if got is None:
            return None
        boxes, mirror, choice = got
        self.side, self.detection_rate = choice.side, float(choice.detected.mean())
        return boxes, mirror

    def _features(self, settled_only: bool = False) -> np.ndarray | None:
        """Features of the student frames seen so far, encoding a frame again only when its crop box changed.
        ``settled_only`` (partial hypotheses): leave out the last frames whose boxes the centred smoothing
        will still move, so a stream encodes each frame about once; the final pass takes every frame."""
        t0 = time.perf_counter()
        got = self._boxes()
        self.timings.add("crop", time.perf_counter() - t0)  # the crop rule over the clip so far
        if got is None:
            return None
        boxes, mirror = got
        last = len(self.dets) - 1 - (self.prep.smooth // 2 if settled_only else 0)
        rows = []
        for t in sorted(f for f in self.frames if f <= last):
            box = boxes[t]
            old = self.feats.get(t)
            if old is None or old[1] != mirror or not np.array_equal(old[0], box):
                t1 = time.perf_counter()
                crop = crop_square(self.frames[t], box, self.prep.crop_size, mirror)
                t2 = time.perf_counter()
                self.timings.add("crop", t2 - t1)
                old = (box.copy(), mirror, self.student.encode(crop))
                self.feats[t] = old
                self.timings.add("student", time.perf_counter() - t2)
            rows.append(old[2])
        self.timings.student_frames = max(self.timings.student_frames, len(rows))
        return np.stack(rows) if rows else None

    def _decode(self, beam: int, settled_only: bool = False) -> tuple[str, np.ndarray] | None:
        feats = self._features(settled_only)
        if feats is None:
            return None
        t0 = time.perf_counter()
        logp = self.student.head(feats.astype(np.float32))
        t1 = time.perf_counter()
        ids = decode.beam_search(logp, beam) if beam > 0 else decode.greedy(logp)
        self.timings.add("student", t1 - t0)
        self.timings.add("ctc", time.perf_counter() - t1)
        return self.sm.alphabet.decode(ids), logp

    def hypothesis(self, beam: int | None = None) -> str | None:
        """The letters of the frames seen so far (None while no hand has been found)."""
        got = self._decode(self.beam if beam is None else beam)
        return None if got is None else got[0]

    def finish(self, source: str = "the input") -> Result:
        if not self.dets:
            raise RecognizeError(f"{source}: no frames were read; check the video or the folder of frames")
        got = self._decode(self.beam)
        if got is None:
            raise RecognizeError(
                f"{source}: MediaPipe found no hand in any of the {len(self.dets)} frames; "
                "film the signing hand in view (or check that the video is not blank)"
            )
        letters, logp = got
        if self.stream and (not self.partials or self.partials[-1][1] != letters):
            self.partials.append((len(self.dets), letters))
        return Result(letters, self.partials, self.timings, self.side, self.detection_rate, logp)


# ------------------------------------------------------------------------------------------ the pipeline
def detections(
    frames: Iterable[np.ndarray], prep: PreprocessConfig, timings: Timings
) -> Iterator[tuple[np.ndarray, list]]:
    """(frame, MediaPipe detections) in tracking mode with the study's settings; reading time goes to
    ``decode``, MediaPipe's to ``mediapipe``."""
    from ..mediapipe_hands import MediaPipeHands

    with MediaPipeHands.from_config(prep) as mp:
        it = iter(frames)
        while True:
            t0 = time.perf_counter()
            frame = next(it, None)
            t1 = time.perf_counter()
            timings.add("decode", t1 - t0)
            if frame is None:
                return
            dets = mp.detect(frame)
            timings.add("mediapipe", time.perf_counter() - t1)
            yield frame, dets


def recognize(
    frames: Iterable[np.ndarray],
    sm: StudyModel,
    *,
    student: Any = None,
    beam: int = 0,
    stream: bool = False,
    overlap: bool = True,
    on_partial: Callable[[int, str], None] | None = None,
    source: str = "the input",
    partial_every: int = 4,
) -> Result:
    """Recognize the letters of one clip (frames already at the model's frame rate). ``overlap``: read and
    run MediaPipe in a second thread while the student works. ``on_partial(frames_seen, letters)`` is called
    in streaming mode whenever the hypothesis changes; a partial hypothesis is decoded every ``partial_every``
    frames."""
    rec = ClipRecognizer(sm, student=student, beam=beam, stream=stream, partial_every=partial_every)
    t0 = time.perf_counter()

    def consume(frame, dets):
        before = len(rec.partials)
        rec.push(frame, dets)
        if on_partial and len(rec.partials) > before:
            on_partial(*rec.partials[-1])

    if not overlap:
        for frame, dets in detections(frames, sm.preprocess, rec.timings):
            consume(frame, dets)
    else:
        q: queue.Queue = queue.Queue(maxsize=8)
        done = object()
        failure: list[BaseException] = []

        def produce():
            try:
                for item in detections(frames, sm.preprocess, rec.timings):
                    q.put(item)
            except BaseException as err:  # handed to the consumer, raised there
                failure.append(err)
            finally:
                q.put(done)

        worker = threading.Thread(target=produce, name="fslib-mediapipe", daemon=True)
        worker.start()
        while (item := q.get()) is not done:
            consume(*item)
        worker.join()
        if failure:
            raise failure[0]
    result = rec.finish(source)
    rec.timings.wall = time.perf_counter() - t0
    return result
