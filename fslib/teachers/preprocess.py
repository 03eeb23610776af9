"""HaMeR's crop preprocessing, as specified in the design note ``shared/design/hamer.md`` (beside the repository).

1. The hand box (x0, y0, x1, y1) in pixels is expanded to a 192:256 (w:h) aspect ratio around its centre.
2. The crop is a square of side ``rescale`` x max(w, h) of the expanded box (2.0 in HaMeR's demo).
3. Left hands: the whole image is mirrored horizontally first (box mirrored with it), so the model only
   ever sees right hands.
4. The square is resampled to ``out_size`` x ``out_size`` (256; bilinear, constant 0 border).
5. RGB on a 0..1 scale, normalised with the ImageNet mean and std.
6. The backbone sees only the central out_size x 3/4 out_size columns (32 .. 224 for 256);
   :func:`central_columns` does that cut and :class:`~fslib.teachers.hamer.Hamer` applies it.

All functions are pure and return new arrays.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
ASPECT_W_OVER_H = 192 / 256


def expand_to_aspect(wh: np.ndarray, aspect: float = ASPECT_W_OVER_H) -> np.ndarray:
    """Grow (..., 2) box sizes (w, h) so that w / h == ``aspect``, never shrinking either side."""
    wh = np.asarray(wh, dtype=np.float64)
    w, h = wh[..., 0], wh[..., 1]
    new_w = np.where(w > h * aspect, w, h * aspect)
    new_h = np.where(w > h * aspect, w / aspect, h)
    return np.stack([new_w, new_h], axis=-1)


def crop_square(box: np.ndarray, rescale: float = 2.0) -> tuple[np.ndarray, float]:
    """Centre (2,) and side (pixels) of HaMeR's square crop for a box (x0, y0, x1, y1) in pixels."""
    box = np.asarray(box, dtype=np.float64)
    if box.shape != (4,) or not np.all(np.isfinite(box)) or box[2] <= box[0] or box[3] <= box[1]:
        raise ValueError(f"hand box {box.tolist()} is not a finite (x0, y0, x1, y1) with x1 > x0 and y1 > y0")
    centre = (box[:2] + box[2:]) / 2
    side = rescale * float(expand_to_aspect(box[2:] - box[:2]).max())
    return centre, side


def hamer_crop(
    image: np.ndarray, box: np.ndarray, right: bool = True, rescale: float = 2.0, out_size: int = 256
) -> np.ndarray:
    """HaMeR's crop of one hand: (H, W, 3) uint8 RGB image, box (x0, y0, x1, y1) in pixels of ``image``
    -> (out_size, out_size, 3) uint8. ``right=False`` mirrors the image (and the box) before cropping."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB image (H, W, 3), got shape {image.shape}")
    box = np.asarray(box, dtype=np.float64)
    if not right:
        width = image.shape[1]
        image = image[:, ::-1]
        box = np.array([width - box[2], box[1], width - box[0], box[3]])
    centre, side = crop_square(box, rescale)
    scale = out_size / side
    # maps source pixel centres to destination pixel centres: u' + .5 = scale * (u + .5 - (cx - side/2))
    tx = out_size / 2 - scale * centre[0] + 0.5 * (scale - 1)
    ty = out_size / 2 - scale * centre[1] + 0.5 * (scale - 1)
    m = np.array([[scale, 0, tx], [0, scale, ty]], dtype=np.float64)
    return cv2.warpAffine(
        np.ascontiguousarray(image),
        m,
        (out_size, out_size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )


def resize_crops(crops: np.ndarray, size: int) -> np.ndarray:
    """(N, S, S, 3) uint8 -> (N, size, size, 3) uint8 (area filter when shrinking, bilinear when growing)."""
    crops = np.asarray(crops)
    if crops.shape[1] == size and crops.shape[2] == size:
        return crops.copy()
    interp = cv2.INTER_AREA if crops.shape[1] > size else cv2.INTER_LINEAR
    return (
        np.stack([cv2.resize(c, (size, size), interpolation=interp) for c in crops])
        if len(crops)
        else np.zeros((0, size, size, 3), np.uint8)
    )


def mirror_left(crops: np.ndarray, right: np.ndarray | None) -> np.ndarray:
    """Mirror the crops of left hands: (N, S, S, 3), right (N,) bool or None (= all right)."""
    if right is None:
        return crops.copy()
    right = np.asarray(right, dtype=bool)
    if right.shape != (len(crops),):
        raise ValueError(f"`right` must hold one flag per crop: got {right.shape} for {len(crops)} crops")
    return np.where(right[:, None, None, None], crops, crops[:, :, ::-1])


def to_model_input(crops: np.ndarray, size: int, right: np.ndarray | None = None) -> torch.Tensor:
    """Square uint8 RGB crops (N, S, S, 3) -> normalised float tensor (N, 3, size, size).

    Crops that already follow HaMeR's box convention (:func:`hamer_crop`) only get resized, left hands
    mirrored and ImageNet-normalised.
    """
    crops = np.asarray(crops)
    if crops.dtype != np.uint8 or crops.ndim != 4 or crops.shape[-1] != 3 or crops.shape[1] != crops.shape[2]:
        raise ValueError(f"expected square uint8 RGB crops (N, S, S, 3), got {crops.dtype} {crops.shape}")
    x = resize_crops(mirror_left(crops, right), size).astype(np.float32) / 255.0
    x = (x - np.array(IMAGENET_MEAN, np.float32)) / np.array(IMAGENET_STD, np.float32)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def central_columns(images: torch.Tensor) -> torch.Tensor:
    """(B, C, S, S) -> (B, C, S, 3S/4): columns S/8 .. S - S/8 (32 .. 224 for S = 256)."""
    s = images.shape[-1]
    m = s // 8
    return images[..., m : s - m]
