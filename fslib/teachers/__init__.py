"""Stage (iii) of the fingerspelling pipeline: hand-model teachers and their per-frame vectors.

- :mod:`.hamer`: the HaMeR network (ViT backbone + transformer-decoder MANO head), released size by default,
  built by :func:`build_hamer`; :mod:`.checkpoint` loads the official ``hamer.ckpt`` strictly.
- :mod:`.preprocess`: HaMeR's crop preprocessing (3:4 box, x2 square, left hands mirrored, 256 px,
  ImageNet normalisation, central 256 x 192).
- :mod:`.extract`: the one teacher interface (crops in, per-frame vectors out), the HaMeR teacher and a
  CPU latency benchmark of the full-size network.
- :mod:`.synthetic` / :mod:`.pretrain_data`: the embedded default teacher, a small HaMeR pretrained on
  rendered synthetic hands in general poses (and the keypoint regressor trained on the same crops).
- :mod:`.others`: MediaPipe, predicted 3D keypoints, predicted pose rotations, ground-truth pose (oracle).
- :mod:`.registry`: what the study knows about each teacher (one table of specifications) and building by name.
- :mod:`.features`: teacher outputs per sequence, hash-keyed, atomic, resumable, pooled or on Dask.
- :mod:`.analysis`: the tables and figures of notebook 03.

Usage::

    from fslib.teachers import build_teachers, teacher_features
    teachers = build_teachers(["hamer", "mediapipe"], checkpoint="")        # "" = synthetic-pretrained HaMeR
    fs = teacher_features(crop_store, teachers["hamer"])                     # cached per sequence
    fs.vectors("aslized/elsie_stecker_0001")                                 # (T, 1024 or configured width)
"""

from .checkpoint import CheckpointError, load_hamer_checkpoint, save_hamer_checkpoint
from .extract import HamerTeacher, Teacher, hamer_teacher, measure_latency
from .features import FeatureStore, coverage, teacher_features
from .hamer import Hamer, HamerConfig, build_hamer, hamer_config
from .others import KeypointTeacher, MediaPipeTeacher, OracleTeacher, PoseRotationTeacher
from .registry import REFERENCE, SPECS, TEACHERS, TeacherSpec, build_teachers, spec, teachers_for_corpus, upper_bounds

__all__ = [
    "CheckpointError",
    "FeatureStore",
    "Hamer",
    "HamerConfig",
    "HamerTeacher",
    "KeypointTeacher",
    "MediaPipeTeacher",
    "OracleTeacher",
    "PoseRotationTeacher",
    "REFERENCE",
    "SPECS",
    "TEACHERS",
    "Teacher",
    "TeacherSpec",
    "build_hamer",
    "build_teachers",
    "coverage",
    "hamer_config",
    "hamer_teacher",
    "load_hamer_checkpoint",
    "measure_latency",
    "save_hamer_checkpoint",
    "spec",
    "teacher_features",
    "teachers_for_corpus",
    "upper_bounds",
]
