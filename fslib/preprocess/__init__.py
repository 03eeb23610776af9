"""Stage (i) of the fingerspelling pipeline: MediaPipe hand crops of the signing hand, cached as uint8.

What it does, per sequence (one folder of JPEG frames, read by :mod:`fslib.data`):

1. MediaPipe Hands (:class:`fslib.mediapipe_hands.MediaPipeHands`, tracking mode, up to two hands) on
   every frame.
2. The signing hand is chosen once for the whole sequence (:func:`fslib.preprocess.hands.choose_signing_hand`):
   detections are linked into tracklets by position continuity (nearest centre, gated by hand size);
   each tracklet scores its *articulation* (frame-to-frame change of the wrist-relative, size-normalised
   21-point shape) plus half its *motion* (centre displacement in hand sizes), summed over its frames, so a
   long-lived, moving, articulating hand wins over a resting or spurious one. Tracklets that do not overlap
   the winner in time and continue it in position are stitched onto it. MediaPipe's per-frame handedness
   label is only used, as a score-weighted majority over the chosen hand's frames, to say whether it is a
   left or a right hand (for mirroring).
3. Per frame, a square box around the chosen hand's landmarks: side = max(width, height) of the landmark
   box times ``1 + 2 * margin``, centred on the landmark box. Frames where the chosen hand is not detected
   take the dataset's BBox box for the signing hand when there is one, else a box interpolated linearly from
   the neighbouring detected frames (held constant before the first / after the last). Boxes are smoothed
   over ``smooth`` frames. The crop is padded with black where it leaves the image, resized to
   ``crop_size`` (area interpolation) and, for a left hand, mirrored so models always see right hands
   (``mirror_left``).
4. Crops are written as one uint8 ``.npy`` per sequence, shape ``(T, S, S, 3)`` RGB, with a ``.npz`` of
   per-frame metadata beside it.

The API other stages use (teachers, training)::

    from fslib.preprocess import PreprocessConfig, crops_for

    cfg = PreprocessConfig(crop_size=64, margin=0.25)          # or build_config(PreprocessConfig, {...})
    store = crops_for(corpus_root, cfg)   # runs (or resumes) preprocessing; a cache hit costs a directory scan
    store.filenames                        # list[str], the CSV's filename column, in CSV order (cropped ones)
    store.sequences                        # dict filename -> fslib.data.Sequence (label, partition, signer ...)
    crops = store.load("aslized/elsie_stecker_0001")        # uint8 (T, S, S, 3), memory-mapped, RGB
    meta = store.meta("aslized/elsie_stecker_0001")         # dict of per-frame arrays, see below
    store.report                           # PreprocessReport: per-sequence table and the bad-input listing

``meta`` holds: ``boxes`` (T, 4) float32 x0, y0, x1, y1 in pixels of the original frame (the square crop
box, before mirroring); ``source`` (T,) int8: 0 detected by MediaPipe, 1 interpolated, 2 from the dataset's
BBox file, 3 fallback (no hand anywhere: the centred square of the frame); ``landmarks`` (T, 21, 3)
float32 of the chosen hand in frame pixels (NaN where not detected); ``frame_ok`` (T,) bool (False: the
frame file was missing or corrupt and the nearest readable frame was used); ``mirrored`` bool;
``side`` 'right' / 'left'; ``n_hands`` (T,) int8 hands MediaPipe found.

For training: :class:`fslib.preprocess.dataset.CropDataset` (no image decoding; optional frame subsampling)
with :func:`fslib.preprocess.dataset.collate` and :class:`fslib.preprocess.dataset.LengthBucketSampler`.

Modules: :mod:`.config` (the configuration), :mod:`.hands` (signing-hand choice), :mod:`.crops` (boxes and
cropping), :mod:`.sequence` (one sequence), :mod:`.store` (cache, runners), :mod:`.report` (bad-input report),
:mod:`.dataset` (torch), :mod:`.evaluate` (against synthetic ground truth), :mod:`.bench` (throughput),
:mod:`.figures` (the book's figures), :mod:`.cli` (``fslib preprocess``).

Bad input (see :data:`fslib.data.ISSUE_ACTIONS` for the documented repair of each kind): corrupt or missing
frames are replaced by the nearest readable frame and get an interpolated box; a number_of_frames that
disagrees with the folder is reconciled to the frames present; a label outside the alphabet keeps its crops
but the Dataset leaves it out (or strips the characters); a sequence with no hand anywhere is cropped from
the BBox files or the frame's centred square; a sequence with no readable frame or no folder is skipped.
All are counted and listed with examples in ``store.report``.

Scale: :func:`crops_for` / :func:`preprocess_corpus` use a process pool over all cores with a progress bar,
or a Dask distributed cluster when given ``scheduler="tcp://host:8786"`` (or a ``distributed.Client``).

Cache: ``fslib.paths.cache_dir() / "crops" / <key>`` where ``key`` hashes the configuration, the corpus
(CSV content and frames root) and the source of the modules that compute crops; every file is written
atomically and the ``.npz`` metadata is written last, so an interrupted run leaves no half entry and a rerun
crops only the missing sequences.
"""

from __future__ import annotations

from .config import PreprocessConfig
from .report import PreprocessReport
from .store import CropStore, crops_for, preprocess_corpus

__all__ = ["PreprocessConfig", "CropStore", "crops_for", "preprocess_corpus", "PreprocessReport"]
