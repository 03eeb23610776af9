"""Scene primitives and the pinhole camera shared by the hand model, the scene builder and the renderer.

Coordinates: camera frame, metres, OpenCV convention (x right, y down, z forward, away from the camera).
Image coordinates: pixels, origin at the top-left corner of the top-left pixel, x right, y down.
"""

from __future__ import annotations

import dataclasses

import numpy as np

# part ids used in masks and primitives
BACKGROUND, SIGNING_HAND, OTHER_HAND, ARM, BODY, HEAD, CLUTTER = 0, 1, 2, 3, 4, 5, 6


@dataclasses.dataclass(frozen=True)
class Camera:
    """Pinhole camera: focal lengths and principal point in pixels, image size in pixels."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    @classmethod
    def from_fov(cls, width: int, height: int, fov_deg: float = 50.0) -> Camera:
        """Centred camera with horizontal field of view ``fov_deg``."""
        f = 0.5 * width / np.tan(np.deg2rad(fov_deg) / 2)
        return cls(f, f, width / 2, height / 2, width, height)

    def as_array(self) -> np.ndarray:
        """(fx, fy, cx, cy) as float32, the form stored in ground-truth sidecars."""
        return np.array([self.fx, self.fy, self.cx, self.cy], np.float32)

    def project(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) camera-frame metres -> (..., 2) pixels."""
        z = points[..., 2:3]
        return np.concatenate(
            [self.fx * points[..., 0:1] / z + self.cx, self.fy * points[..., 1:2] / z + self.cy], axis=-1
        )


@dataclasses.dataclass
class Primitives:
    """A scene as capsules and ellipsoids, each with an RGB colour in [0, 1] and a part id.

    capsules: ``a``, ``b`` (N, 3) segment end points, ``r`` (N,) radius, metres.
    ellipsoids: ``centre`` (M, 3) metres, ``axes`` (M, 3, 3) whose columns are the three semi-axis
    vectors (rotation times radii), metres.
    """

    cap_a: np.ndarray
    cap_b: np.ndarray
    cap_r: np.ndarray
    cap_color: np.ndarray
    cap_part: np.ndarray
    ell_centre: np.ndarray
    ell_axes: np.ndarray
    ell_color: np.ndarray
    ell_part: np.ndarray

    @classmethod
    def empty(cls) -> Primitives:
        z3, z1 = np.zeros((0, 3), np.float32), np.zeros((0,), np.float32)
        return cls(z3, z3, z1, z3, np.zeros(0, np.int8), z3, np.zeros((0, 3, 3), np.float32), z3, np.zeros(0, np.int8))

    def __add__(self, other: Primitives) -> Primitives:
        return Primitives(
            *(np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in dataclasses.fields(self))
        )

    @property
    def n_capsules(self) -> int:
        return len(self.cap_r)

    @property
    def n_ellipsoids(self) -> int:
        return len(self.ell_centre)
