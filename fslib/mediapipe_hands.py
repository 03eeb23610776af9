"""The real MediaPipe Hands (``mp.solutions.hands``, models bundled in the mediapipe==0.10.21 wheel).

One thin wrapper used by every stage that needs hand landmarks (the synthetic corpus's realism check,
preprocessing, the MediaPipe teacher), so the MediaPipe settings live in one place.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ logging: warnings and up only


@contextlib.contextmanager
def quiet_native_stderr():
    """Silence what C++ code (MediaPipe, TensorFlow Lite) writes to file descriptor 2 inside the block.

    Their start-up chatter ("Created TensorFlow Lite XNNPACK delegate", feedback-manager warnings) is
    written before any log level applies and would otherwise fill notebook outputs. Python's own
    ``sys.stderr`` is not affected when it is not file descriptor 2 (as in a Jupyter kernel).
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2: nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@dataclasses.dataclass(frozen=True)
class HandDetection:
    """One detected hand in one frame.

    landmarks: (21, 3) float32; x, y in pixels of the frame, z in MediaPipe's relative depth scaled like x.
    handedness: 'Left' or 'Right' as MediaPipe labels it (unstable across frames: do not trust it alone).
    score: handedness confidence in [0, 1].
    """

    landmarks: np.ndarray
    handedness: str
    score: float

    @property
    def box(self) -> np.ndarray:
        """Tight (x0, y0, x1, y1) box of the 21 landmarks, in pixels."""
        xy = self.landmarks[:, :2]
        return np.concatenate([xy.min(0), xy.max(0)]).astype(np.float32)


class MediaPipeHands:
    """Context manager around ``mp.solutions.hands.Hands``.

    ``static=False`` is tracking mode (a video: landmarks of frame t seed frame t + 1); ``static=True``
    runs the palm detector on every image. Frames are RGB uint8 arrays (H, W, 3).
    """

    def __init__(
        self,
        static: bool = False,
        max_hands: int = 2,
        complexity: int = 1,
        min_detection: float = 0.5,
        min_tracking: float = 0.5,
    ):
        self.kwargs = dict(
            static_image_mode=static,
            max_num_hands=max_hands,
            model_complexity=complexity,
            min_detection_confidence=min_detection,
            min_tracking_confidence=min_tracking,
        )
        self._hands = None

    @classmethod
    def from_config(cls, cfg: Any, static: bool = False) -> MediaPipeHands:
        """The graph with the study's detection settings (a :class:`fslib.preprocess.config.PreprocessConfig`:
        ``max_hands``, ``complexity``, ``min_detection``, ``min_tracking``)."""
        return cls(
            static=static,
            max_hands=cfg.max_hands,
            complexity=cfg.complexity,
            min_detection=cfg.min_detection,
            min_tracking=cfg.min_tracking,
        )

    def __enter__(self) -> MediaPipeHands:
        import mediapipe as mp

        with quiet_native_stderr():
            self._hands = mp.solutions.hands.Hands(**self.kwargs)
            self._hands.process(np.zeros((64, 64, 3), np.uint8))  # first call prints the delegate logs
        return self

    def __exit__(self, *exc) -> None:
        if self._hands is not None:
            self._hands.close()
            self._hands = None

    def reset(self) -> None:
        """Forget the tracked hands (call between videos in tracking mode; about 5 ms, far cheaper than a
        new graph)."""
        if self._hands is not None:
            self._hands.reset()

    def detect(self, frame: np.ndarray) -> list[HandDetection]:
        """Hands in one RGB frame (H, W, 3) uint8."""
        if self._hands is None:
            raise RuntimeError("use MediaPipeHands as a context manager: `with MediaPipeHands() as mp_hands:`")
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"expected an RGB uint8 frame (H, W, 3), got {frame.dtype} {frame.shape}")
        h, w = frame.shape[:2]
        res = self._hands.process(np.ascontiguousarray(frame))
        out = []
        for lms, hd in zip(res.multi_hand_landmarks or [], res.multi_handedness or []):
            arr = np.array([(p.x * w, p.y * h, p.z * w) for p in lms.landmark], dtype=np.float32)
            cls = hd.classification[0]
            out.append(HandDetection(arr, cls.label, float(cls.score)))
        return out

    def detect_sequence(self, frames: Iterable[np.ndarray]) -> Iterator[list[HandDetection]]:
        """Detections frame by frame (tracking mode carries over between consecutive frames)."""
        for frame in frames:
            yield self.detect(frame)
