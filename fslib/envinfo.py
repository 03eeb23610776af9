"""What machine and software produced a result (for the run manifest and the environment page)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

KEY_PACKAGES = (
    "fslib",
    "torch",
    "torchvision",
    "mediapipe",
    "numpy",
    "opencv-contrib-python",
    "scipy",
    "pandas",
    "scikit-learn",
    "umap-learn",
    "dask",
    "papermill",
    "jupyter-book",
    "myst-nb",
    "matplotlib",
)


def package_versions(names=KEY_PACKAGES) -> dict[str, str | None]:
    """Installed version of each distribution (None when it is not installed)."""
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def machine() -> dict:
    """Platform, CPU, cores and memory; no host names or paths."""
    gpu = "none"
    try:
        import torch

        if torch.cuda.is_available():
            gpu = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
    except Exception:  # torch missing or a broken driver: report no GPU
        gpu = "none"
    return {
        "platform": platform.platform(terse=True),
        "machine": platform.machine(),
        "cpu": cpu_model(),
        "cores": usable_cores(),
        "memory_gb": memory_gb(),
        "gpu": gpu,
        "python": sys.version.split()[0],
    }


def git_state(root: Path) -> dict | None:
    """Commit and whether the work tree had uncommitted changes; None outside a git checkout. The study's own
    outputs (``runs/``) do not count: re-running a committed profile rewrites them while it runs."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)runs"))
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": dirty}


def test_image(size: int = 256, seed: int = 0) -> np.ndarray:
    """A generated RGB uint8 image (size, size, 3): a smooth gradient with a few discs, no hand in it."""
    import numpy as np

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    img = np.stack([0.3 + 0.4 * xx, 0.3 + 0.3 * yy, 0.5 - 0.2 * xx], -1)
    for _ in range(5):
        cx, cy, r = rng.uniform(0.2, 0.8, 2).tolist() + [rng.uniform(0.05, 0.15)]
        img[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = rng.uniform(0, 1, 3)
    return (img * 255).astype(np.uint8)


def mediapipe_check(image: np.ndarray | None = None) -> list[dict]:
    """Load each MediaPipe solution this study uses from the wheel (offline) and run it on ``image``.

    Returns one row per solution: whether it loaded and ran, load and inference time, what it found.
    A failure is reported in the row, not raised, so the environment page always renders.
    """
    import time

    image = test_image() if image is None else image
    rows = []
    try:
        import mediapipe as mp
    except Exception as err:  # the page must say why, not crash
        return [{"solution": "mediapipe", "ran_offline": False, "error": f"{type(err).__name__}: {err}"}]
    solutions = {
        "hands": lambda: mp.solutions.hands.Hands(static_image_mode=True, max_num_hands=2),
        "pose": lambda: mp.solutions.pose.Pose(static_image_mode=True),
        "holistic": lambda: mp.solutions.holistic.Holistic(static_image_mode=True),
        "face_mesh": lambda: mp.solutions.face_mesh.FaceMesh(static_image_mode=True),
    }
    from .mediapipe_hands import quiet_native_stderr

    for name, make in solutions.items():
        row = {"solution": name}
        try:
            t0 = time.perf_counter()
            with quiet_native_stderr(), make() as sol:
                t1 = time.perf_counter()
                res = sol.process(image)
                t2 = time.perf_counter()
            found = {
                k: (len(v) if isinstance(v, list) else 1)
                for k, v in (
                    (k, getattr(res, k, None))
                    for k in (
                        "multi_hand_landmarks",
                        "pose_landmarks",
                        "left_hand_landmarks",
                        "right_hand_landmarks",
                        "face_landmarks",
                        "multi_face_landmarks",
                    )
                )
                if v is not None
            }
            row.update(
                ran_offline=True,
                load_s=round(t1 - t0, 3),
                infer_ms=round(1000 * (t2 - t1), 1),
                found=", ".join(f"{k}: {v}" for k, v in found.items()) or "nothing",
            )
        except Exception as err:  # reported in the table
            row.update(ran_offline=False, error=f"{type(err).__name__}: {err}")
        rows.append(row)
    return rows


def torch_info() -> dict:
    """Threads torch uses and what it was built with."""
    import torch

    return {
        "torch": torch.__version__,
        "intra-op threads": torch.get_num_threads(),
        "inter-op threads": torch.get_num_interop_threads(),
        "cuda available": torch.cuda.is_available(),
        "cuda build": torch.version.cuda,
        "mkldnn": torch.backends.mkldnn.is_available(),
    }
