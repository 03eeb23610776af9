"""Frames from a video file, a folder of images or a camera, resampled to the frame rate a model was trained at;
and writing frames as an mp4 (what the study does to give a reader a clip to try).

Every source yields RGB uint8 frames (H, W, 3). Reading uses OpenCV, as the rest of the study does. A source
that cannot be opened, or yields no frame, raises :class:`VideoError` with one line naming it and what to do.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


class VideoError(ValueError):
    """A video, frame folder or camera that cannot be read (one line: the input and what to do)."""


class FrameSource:
    """An opened input: ``fps`` (frames/s; None when unknown), ``name`` and :meth:`frames` (an iterator of
    RGB uint8 frames, read lazily). ``limit``: stop after this many frames (0: all; a camera runs until
    interrupted otherwise)."""

    def __init__(self, name: str, fps: float | None, reader, limit: int = 0):
        self.name, self.fps, self._reader, self.limit = name, fps, reader, limit

    def frames(self) -> Iterator[np.ndarray]:
        n = 0
        for frame in self._reader():
            yield frame
            n += 1
            if self.limit and n >= self.limit:
                return


def _capture_reader(open_capture, name: str):
    import cv2

    def read() -> Iterator[np.ndarray]:
        cap = open_capture()
        try:
            while True:
                ok, bgr = cap.read()
                if not ok:
                    return
                yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        finally:
            cap.release()

    return read


def open_video(path: str | os.PathLike, limit: int = 0) -> FrameSource:
    """A video file (anything OpenCV's FFmpeg backend reads: mp4, mov, avi, ...)."""
    import cv2

    path = Path(path)
    if not path.exists():
        raise VideoError(f"{path}: no such file; give a video (mp4/mov/avi), a folder of frames or --camera N")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise VideoError(f"{path}: OpenCV cannot open this file as a video; is it a complete mp4/mov/avi?")
    fps = cap.get(cv2.CAP_PROP_FPS) or None
    ok, _ = cap.read()
    cap.release()
    if not ok:
        raise VideoError(f"{path}: the video has no readable frame (empty or truncated); record or export it again")
    return FrameSource(str(path), fps, _capture_reader(lambda: cv2.VideoCapture(str(path)), str(path)), limit)


def open_folder(path: str | os.PathLike, fps: float | None = None, limit: int = 0) -> FrameSource:
    """A folder of images (jpg/png/bmp), read in file-name order; ``fps``: their frame rate when known."""
    import cv2

    path = Path(path)
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise VideoError(f"{path}: the folder holds no jpg/png/bmp frame; give a folder of frames or a video file")

    def read() -> Iterator[np.ndarray]:
        for f in files:
            bgr = cv2.imread(str(f), cv2.IMREAD_COLOR)
            if bgr is None:
                raise VideoError(f"{f}: cannot be decoded as an image; remove or replace it")
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    return FrameSource(str(path), fps, read, limit)


def open_camera(index: int, limit: int = 0) -> FrameSource:
    """Camera ``index`` (OpenCV's device numbering)."""
    import cv2

    cap = cv2.VideoCapture(int(index))
    ok = cap.isOpened()
    fps = (cap.get(cv2.CAP_PROP_FPS) or None) if ok else None
    cap.release()
    if not ok:
        raise VideoError(f"camera {index}: OpenCV cannot open it; check the device number (--camera 0 is the first)")
    return FrameSource(f"camera {index}", fps, _capture_reader(lambda: cv2.VideoCapture(int(index)), "camera"), limit)


def open_source(
    path: str | os.PathLike | None = None, *, camera: int | None = None, fps: float | None = None, limit: int = 0
) -> FrameSource:
    """A video file or a folder of frames at ``path``, or camera ``camera``. ``fps`` overrides the frame rate a
    file reports (a folder of frames has none of its own)."""
    if camera is not None:
        src = open_camera(camera, limit)
    elif path is None:
        raise VideoError("no input: give a video file, a folder of frames or --camera N")
    elif Path(path).is_dir():
        src = open_folder(path, fps, limit)
    else:
        src = open_video(path, limit)
    if fps:
        src.fps = float(fps)
    return src


def resample(frames: Iterable[np.ndarray], src_fps: float | None, dst_fps: float | None) -> Iterator[np.ndarray]:
    """Frames at ``dst_fps`` from frames at ``src_fps``: frame k of the output is the source frame nearest in
    time to ``k / dst_fps`` (frames are dropped when slowing down, repeated when speeding up). Either rate
    unknown (None) or equal: the frames unchanged."""
    if not src_fps or not dst_fps or abs(src_fps - dst_fps) < 1e-6:
        yield from frames
        return

    def nearest(k: int) -> int:  # the source frame nearest to output time k / dst_fps (halves round up)
        return math.floor(k * src_fps / dst_fps + 0.5)

    k = 0
    for i, frame in enumerate(frames):
        while nearest(k) <= i:
            if nearest(k) == i:
                yield frame
            k += 1


def write_video(frames: Iterable[np.ndarray], path: str | os.PathLike, fps: float) -> Path:
    """Write RGB uint8 frames as an mp4 (MPEG-4 part 2, which OpenCV's bundled FFmpeg writes everywhere)."""
    import cv2

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    n = 0
    try:
        for frame in frames:
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), float(fps), (w, h))
                if not writer.isOpened():
                    raise VideoError(f"{path}: OpenCV cannot write an mp4 here")
            writer.write(cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2BGR))
            n += 1
    finally:
        if writer is not None:
            writer.release()
    if n == 0:
        raise VideoError(f"{path}: no frames to write")
    return path
