"""The preprocessing configuration (one frozen dataclass; part of the crop cache's key)."""

from __future__ import annotations

import dataclasses

CROP_SIZES = (32, 48, 64, 96, 112, 128, 224)


@dataclasses.dataclass(frozen=True)
class PreprocessConfig:
    """How signing-hand crops are made.

    crop_size: side S of the square crops in pixels (the study uses 32 / 64 on CPU, 112-224 on GPU).
    margin: the square box's side is ``max(w, h) * (1 + 2 * margin)`` of the 21-landmark box (fingertips
        to wrist), so 0.25 adds a quarter of the hand's extent on each side. The source study does not
        give it; 0.25 keeps the whole hand with a little context.
    mirror_left: mirror crops of a left signing hand so every crop shows a right hand (as HaMeR does).
    mediapipe_mirrored: MediaPipe labels handedness for mirrored (selfie) images; for ordinary
        (non-mirrored) video its 'Left' is the signer's right hand. False (ordinary video) swaps the labels.
    complexity: MediaPipe Hands model complexity (0 lite, 1 full).
    min_detection, min_tracking: MediaPipe confidence thresholds. 0.3 rather than MediaPipe's 0.5: on the
        synthetic corpus it finds the signing hand in about 68% of frames instead of 48% (6 sequences, 128 px);
        the spurious detections a low threshold lets through are what the signing-hand rule filters out.
    max_hands: hands MediaPipe looks for (2: both, so the signing hand can be chosen).
    smooth: width in frames of the moving average applied to box centres and sides (1: none).
    use_bbox: fill frames without a detection from the dataset's BBox files (L = 1) when present.
    side_by_signer: decide left / right once per signer (the sum of the per-sequence handedness votes of all
        the signer's sequences) instead of per sequence; a signer fingerspells with the same hand. The
        per-sequence vote is kept in the metadata (``side_sequence``); crops whose side changes are mirrored
        when loaded (mirroring a square crop is exact, so nothing is recomputed).
    gate: a detection continues a tracklet if its centre is within ``gate`` hand sizes of the tracklet's
        last centre (hand size = the larger side of the landmark box).
    min_side: smallest crop side in pixels of the original frame.
    """

    crop_size: int = 64
    margin: float = 0.25
    mirror_left: bool = True
    mediapipe_mirrored: bool = False
    complexity: int = 1
    min_detection: float = 0.3
    min_tracking: float = 0.3
    max_hands: int = 2
    smooth: int = 3
    use_bbox: bool = True
    side_by_signer: bool = True
    gate: float = 1.5
    min_side: float = 16.0

    def __post_init__(self) -> None:
        if not (8 <= int(self.crop_size) <= 512):
            raise ValueError(f"crop_size={self.crop_size}: use a side between 8 and 512 pixels, e.g. {CROP_SIZES}")
        if not (0.0 <= self.margin <= 2.0):
            raise ValueError(f"margin={self.margin}: use a fraction of the hand's extent between 0 and 2")
        if self.smooth < 1:
            raise ValueError(f"smooth={self.smooth}: use a window of at least 1 frame (1 = no smoothing)")
        if self.complexity not in (0, 1):
            raise ValueError(f"complexity={self.complexity}: MediaPipe Hands offers 0 (lite) or 1 (full)")
        if self.max_hands < 1:
            raise ValueError(f"max_hands={self.max_hands}: look for at least one hand")
