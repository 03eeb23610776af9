"""The other hand models, behind the same :class:`~fslib.teachers.extract.Teacher` interface.

For the HaMeR-versus-others comparison of the source study, each gives one vector per frame:

- :class:`MediaPipeTeacher`: the real MediaPipe Hands (21 x 3 landmarks) run on each crop.
- :class:`KeypointTeacher`: predicted 3D keypoints (21 x 3, wrist-relative) of a keypoint regressor.
- :class:`PoseRotationTeacher`: predicted MANO-style pose as rotation matrices (16 x 3 x 3), the
  pose-rotation stream of earlier work; here decoded by a HaMeR network's pose decoder.
- :class:`OracleTeacher`: the ground-truth pose of synthetic corpora as rotation matrices (16 x 3 x 3), an
  upper bound no real hand model reaches.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..config import as_dict
from .components.rotation import axis_angle_to_matrix
from .extract import HamerTeacher, Teacher, check_crops
from .keypoint_regressor import KeypointRegressor
from .preprocess import mirror_left, to_model_input


def normalise_landmarks(points: np.ndarray) -> np.ndarray:
    """(N, 21, 3) -> (N, 21, 3): wrist-relative and divided by the wrist-to-middle-knuckle distance, so the
    vector does not depend on where the hand is in the crop or how large it is. NaN rows stay NaN."""
    rel = points - points[:, :1]
    size = np.linalg.norm(rel[:, 9], axis=-1)[:, None, None]
    return rel / np.where(size > 1e-9, size, np.nan)


class MediaPipeTeacher(Teacher):
    """MediaPipe Hands on each sequence's crops, as a video (tracking mode, one hand).

    A hand that fills its crop is hard for MediaPipe's palm detector, which expects some context around the
    palm: each crop is therefore padded by ``pad`` times its side on every side (edge pixels repeated) and
    resized to ``upscale`` px before MediaPipe sees it, and landmarks are mapped back to the crop. Measured
    on the `ci` corpus crops (64 px): a hand was found in 25 % of crops with plain upscaling in static mode,
    64 % with the padding, 72 % with the padding in tracking mode.

    Outputs: ``landmarks`` (N, 21, 3) in crop units (x, y in [0, 1] of the crop, z MediaPipe's relative depth
    on the x scale), NaN where no hand was found; ``detected`` (N,) float 0/1; ``vector`` (N, 63) the
    normalised landmarks (:func:`normalise_landmarks`) with zeros where no hand was found.
    """

    name = "mediapipe"
    label = "MediaPipe Hands: 21 x 3 landmarks per crop (wrist-relative, size-normalised)"
    vector_key = "vector"

    def __init__(
        self,
        upscale: int = 256,
        pad: float = 0.5,
        tracking: bool = True,
        complexity: int = 1,
        min_detection: float = 0.3,
    ):
        if pad < 0:
            raise ValueError(f"MediaPipeTeacher: pad={pad} must be >= 0 (a fraction of the crop side)")
        self.upscale, self.pad, self.tracking = upscale, pad, tracking
        self.complexity, self.min_detection = complexity, min_detection

    def describe(self) -> dict[str, Any]:
        import mediapipe

        return {
            "teacher": self.name,
            "upscale": self.upscale,
            "pad": self.pad,
            "tracking": self.tracking,
            "complexity": self.complexity,
            "min_detection": self.min_detection,
            "mediapipe": mediapipe.__version__,
        }

    def _padded(self, crop: np.ndarray, p: int) -> np.ndarray:
        """The crop with ``p`` edge pixels added on every side, resized to ``upscale`` px."""
        import cv2

        big = cv2.copyMakeBorder(crop, p, p, p, p, cv2.BORDER_REPLICATE) if p else crop
        return cv2.resize(big, (self.upscale, self.upscale), interpolation=cv2.INTER_LINEAR)

    def extract(self, crops, right=None, truth=None) -> dict[str, np.ndarray]:
        from ..mediapipe_hands import MediaPipeHands

        crops = mirror_left(check_crops(crops, "mediapipe teacher"), right)
        n = len(crops)
        lm = np.full((n, 21, 3), np.nan, np.float32)
        if n:
            side = crops.shape[1]
            p = int(round(self.pad * side))
            scale = (side + 2 * p) / side  # padded image side in crop sides
            with MediaPipeHands(
                static=not self.tracking, max_hands=1, complexity=self.complexity, min_detection=self.min_detection
            ) as hands:
                for i, crop in enumerate(crops):
                    found = hands.detect(np.ascontiguousarray(self._padded(crop, p)))
                    if found:
                        # pixels of the padded, resized image -> [0, 1] of the crop (z on the x scale)
                        pts = found[0].landmarks / self.upscale * scale
                        pts[:, :2] -= p / side
                        lm[i] = pts
        detected = np.isfinite(lm[:, 0, 0])
        vec = np.nan_to_num(normalise_landmarks(lm), nan=0.0).reshape(n, 63).astype(np.float32)
        return {"landmarks": lm, "detected": detected.astype(np.float32), "vector": vec}


class KeypointTeacher(Teacher):
    """A keypoint regressor's predicted 3D keypoints: ``keypoints3d`` (N, 21, 3) wrist-relative decimetres,
    ``vector`` (N, 63) the same, size-normalised like the MediaPipe vector."""

    name = "keypoints3d"
    label = "predicted 3D keypoints (ConvNet keypoint regressor, 21 x 3, size-normalised)"
    vector_key = "vector"

    def __init__(self, model: KeypointRegressor, identity: str, batch_size: int = 128):
        self.model, self.identity, self.batch_size = model.eval(), identity, batch_size

    def describe(self) -> dict[str, Any]:
        return {"teacher": self.name, "identity": self.identity, "config": as_dict(self.model.config)}

    @torch.no_grad()
    def extract(self, crops, right=None, truth=None) -> dict[str, np.ndarray]:
        crops = check_crops(crops, "keypoint teacher")
        size = self.model.config.image_size
        parts = [
            self.model(
                to_model_input(
                    crops[s : s + self.batch_size],
                    size,
                    None if right is None else np.asarray(right)[s : s + self.batch_size],
                )
            )["keypoints3d"].numpy()
            for s in range(0, len(crops), self.batch_size)
        ]
        kp = np.concatenate(parts) if parts else np.zeros((0, 21, 3), np.float32)
        vec = np.nan_to_num(normalise_landmarks(kp), nan=0.0).reshape(len(kp), -1).astype(np.float32)
        return {"keypoints3d": kp.astype(np.float32), "vector": vec}


class PoseRotationTeacher(Teacher):
    """Predicted MANO-style pose as rotations: the pose decoder of a HaMeR network.

    ``vector`` (N, 144): the 16 rotation matrices (global orientation, then 15 finger joints) flattened.
    """

    name = "pose_rotations"
    label = "predicted MANO-style pose rotations (16 x 3 x 3, from a HaMeR pose decoder)"
    vector_key = "vector"

    def __init__(self, hamer: HamerTeacher):
        self.hamer = hamer

    def describe(self) -> dict[str, Any]:
        return {"teacher": self.name, "from": self.hamer.describe()}

    def extract(self, crops, right=None, truth=None) -> dict[str, np.ndarray]:
        pose = self.hamer.extract(crops, right=right)["pose"]
        return {"pose": pose, "vector": pose.reshape(len(pose), -1)}


class OracleTeacher(Teacher):
    """The ground-truth pose (synthetic corpora only): ``truth["pose"]`` (N, 16, 3) axis-angle ->
    ``vector`` (N, 144) rotation matrices flattened, the same representation as :class:`PoseRotationTeacher`."""

    name = "oracle_pose"
    label = "ground-truth pose (oracle upper bound; synthetic corpora only)"
    vector_key = "vector"
    needs_truth = True

    def describe(self) -> dict[str, Any]:
        return {"teacher": self.name, "version": 1}

    def extract(self, crops, right=None, truth=None) -> dict[str, np.ndarray]:
        if truth is None or "pose" not in truth:
            raise ValueError(
                "the oracle teacher needs the ground-truth pose (truth['pose'], (N, 16, 3)); it exists "
                "only for synthetic corpora (their groundtruth/<filename>.npz)"
            )
        pose = np.asarray(truth["pose"], np.float64)
        if crops is not None and len(crops) != len(pose):
            raise ValueError(f"oracle teacher: {len(crops)} crops but {len(pose)} ground-truth poses")
        rot = axis_angle_to_matrix(torch.from_numpy(pose)).float().numpy()
        return {"pose": rot, "vector": rot.reshape(len(rot), -1)}
