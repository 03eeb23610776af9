"""Build the study's teachers by name (the rows of the HaMeR-versus-others comparison)."""
from __future__ import annotations

from typing import Sequence

from .extract import HamerTeacher, Teacher, hamer_teacher
from .others import KeypointTeacher, MediaPipeTeacher, OracleTeacher, PoseRotationTeacher

TEACHERS = ("hamer", "pose_rotations", "keypoints3d", "mediapipe", "oracle_pose")


NEEDS_GROUND_TRUTH = ("oracle_pose",)


def teachers_for_corpus(names: Sequence[str], synthetic: bool) -> list[str]:
    """The teachers of ``names`` that can run on this corpus. A real corpus has no ground-truth pose, so the
    oracle is left out there, and a message says so (never silently)."""
    unknown = [n for n in names if n not in TEACHERS]
    if unknown:
        raise ValueError(f"unknown teacher(s) {', '.join(unknown)}; choose from {', '.join(TEACHERS)}")
    if synthetic:
        return list(names)
    dropped = [n for n in names if n in NEEDS_GROUND_TRUTH]
    if dropped:
        print(f"left out on a real corpus (they need synthetic ground truth): {', '.join(dropped)}")
    return [n for n in names if n not in NEEDS_GROUND_TRUTH]


def build_teachers(names: Sequence[str], *, checkpoint: str = "", synthetic=None, margin: float = 0.25,
                   pretrained=None, progress: bool = True) -> dict[str, Teacher]:
    """Teachers by name, in the given order.

    hamer: the official HaMeR (``checkpoint``) or the synthetic-pretrained one (``synthetic`` configuration);
    pose_rotations: that HaMeR's decoded pose rotations; keypoints3d: the keypoint regressor pretrained with
    the synthetic HaMeR (on the same synthetic crops); mediapipe: MediaPipe Hands on the crops;
    oracle_pose: the ground-truth pose (synthetic corpora only). ``pretrained``: the result of
    :func:`fslib.teachers.synthetic.pretrain` when the caller already has it (avoids a second cache lookup).
    """
    from .synthetic import SyntheticTeacherConfig, pretrain

    def synthetic_models():
        nonlocal pretrained
        if pretrained is None:
            pretrained = pretrain(synthetic or SyntheticTeacherConfig(), progress=progress)
        return pretrained

    unknown = [n for n in names if n not in TEACHERS]
    if unknown:
        raise ValueError(f"unknown teacher(s) {', '.join(unknown)}; choose from {', '.join(TEACHERS)}")
    out: dict[str, Teacher] = {}
    hamer: HamerTeacher | None = None
    for name in names:
        if name in ("hamer", "pose_rotations") and hamer is None:
            if checkpoint:
                hamer = hamer_teacher(checkpoint, margin=margin)
            else:
                pre = synthetic_models()
                hamer = HamerTeacher(pre.hamer, "synthetic", pre.folder.name)
        if name == "hamer":
            out[name] = hamer
        elif name == "pose_rotations":
            out[name] = PoseRotationTeacher(hamer)
        elif name == "keypoints3d":
            pre = synthetic_models()
            out[name] = KeypointTeacher(pre.keypoint_regressor, pre.folder.name)
        elif name == "mediapipe":
            out[name] = MediaPipeTeacher()
        elif name == "oracle_pose":
            out[name] = OracleTeacher()
    return out
