"""What the study knows about each teacher, in one table (:data:`SPECS`), and building teachers by name.

Every place that treats teachers differently reads this table: which teachers exist (configuration checks),
which need the synthetic corpora's ground truth (left out on real data), which are hand models and which
are upper bounds (the "HaMeR teaches better" claim compares hand models only), the label of a table row,
the provenance line of a page, the vector size, and how feature extraction is spread over the cores.
Adding a teacher is one :class:`TeacherSpec` here plus its :class:`~fslib.teachers.extract.Teacher` class.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from .extract import HamerTeacher, Teacher, hamer_teacher
from .others import KeypointTeacher, MediaPipeTeacher, OracleTeacher, PoseRotationTeacher

HAND_MODEL, UPPER_BOUND = "hand model", "upper bound"


@dataclasses.dataclass
class BuildContext:
    """What building a teacher may need, shared by the teachers built together: the official HaMeR
    ``checkpoint`` ("" = the synthetic-pretrained one of configuration ``synthetic``), the crop ``margin``,
    and the pretrained synthetic models and HaMeR teacher once made (so two teachers share them)."""

    checkpoint: str = ""
    synthetic: Any = None
    margin: float = 0.25
    progress: bool = True
    pretrained: Any = None
    hamer: HamerTeacher | None = None

    def synthetic_models(self):
        """The synthetic HaMeR and keypoint regressor (:func:`fslib.teachers.synthetic.pretrain`), once."""
        from .synthetic import SyntheticTeacherConfig, pretrain

        if self.pretrained is None:
            self.pretrained = pretrain(self.synthetic or SyntheticTeacherConfig(), progress=self.progress)
        return self.pretrained

    def hamer_teacher(self) -> HamerTeacher:
        """The HaMeR teacher: the official checkpoint if given, else the synthetic-pretrained network."""
        if self.hamer is None:
            if self.checkpoint:
                self.hamer = hamer_teacher(self.checkpoint, margin=self.margin)
            else:
                pre = self.synthetic_models()
                self.hamer = HamerTeacher(pre.hamer, "synthetic", pre.folder.name)
        return self.hamer


def _keypoints(ctx: BuildContext) -> Teacher:
    pre = ctx.synthetic_models()
    return KeypointTeacher(pre.keypoint_regressor, pre.folder.name)


@dataclasses.dataclass(frozen=True)
class TeacherSpec:
    """One teacher of the study.

    name: its id in configurations, tables and cache keys; label: its row label in tables; role:
    :data:`HAND_MODEL` or :data:`UPPER_BOUND` (a reference, not a competitor); cls: its Teacher class (whose
    ``needs_truth`` says whether it needs the corpus's ground truth); dim: the per-frame vector size (None:
    the HaMeR network's token width, which depends on its configuration); processes_per_core: feature
    extraction runs one process per core when 1 (MediaPipe: one CPU thread per process) and in one process
    using torch's threads when 0; provenance: the page's line, ``{hamer}`` standing for the HaMeR network's
    description; build: makes the teacher from a :class:`BuildContext`.
    """

    name: str
    label: str
    role: str
    cls: type
    dim: int | None
    processes_per_core: int
    provenance: str
    build: Callable[[BuildContext], Teacher]

    @property
    def needs_ground_truth(self) -> bool:
        return bool(self.cls.needs_truth)

    def processes(self, cores: int | None) -> int:
        """Feature-extraction processes on ``cores`` cores (at least 1)."""
        return max(1, self.processes_per_core * (cores or 1))


SPECS: dict[str, TeacherSpec] = {
    s.name: s
    for s in (
        TeacherSpec(
            "hamer",
            "HaMeR embedding",
            HAND_MODEL,
            HamerTeacher,
            None,
            0,
            "`hamer` embedding of {hamer}",
            lambda ctx: ctx.hamer_teacher(),
        ),
        TeacherSpec(
            "pose_rotations",
            "HaMeR pose rotations",
            HAND_MODEL,
            PoseRotationTeacher,
            144,
            0,
            "`pose_rotations` from {hamer}",
            lambda ctx: PoseRotationTeacher(ctx.hamer_teacher()),
        ),
        TeacherSpec(
            "keypoints3d",
            "3D keypoint regressor",
            HAND_MODEL,
            KeypointTeacher,
            63,
            0,
            "`keypoints3d` from {hamer}",
            _keypoints,
        ),
        TeacherSpec(
            "mediapipe",
            "MediaPipe Hands",
            HAND_MODEL,
            MediaPipeTeacher,
            63,
            1,
            "`mediapipe`: MediaPipe Hands landmarks on the crops",
            lambda ctx: MediaPipeTeacher(),
        ),
        TeacherSpec(
            "oracle_pose",
            "ground-truth pose (oracle)",
            UPPER_BOUND,
            OracleTeacher,
            144,
            0,
            "`oracle_pose`: the synthetic corpus's ground-truth hand pose (not a model)",
            lambda ctx: OracleTeacher(),
        ),
    )
}
TEACHERS = tuple(SPECS)
# the teacher the source study distils from, whose claim is "it teaches better than the other hand models"
REFERENCE = "hamer"


def spec(name: str) -> TeacherSpec:
    """The specification of teacher ``name``; an unknown name is an error listing the known ones."""
    if name not in SPECS:
        raise ValueError(f"unknown teacher {name!r}; choose from {', '.join(TEACHERS)}")
    return SPECS[name]


def _check(names: Sequence[str]) -> None:
    unknown = [n for n in names if n not in SPECS]
    if unknown:
        raise ValueError(f"unknown teacher(s) {', '.join(unknown)}; choose from {', '.join(TEACHERS)}")


def upper_bounds() -> tuple[str, ...]:
    """Teachers that are references, not hand models (compared with HaMeR on their own line)."""
    return tuple(n for n, s in SPECS.items() if s.role == UPPER_BOUND)


def teachers_for_corpus(names: Sequence[str], synthetic: bool) -> list[str]:
    """The teachers of ``names`` that can run on this corpus. A real corpus has no ground-truth pose, so the
    teachers that need it are left out there, and a message says so (never silently)."""
    _check(names)
    if synthetic:
        return list(names)
    dropped = [n for n in names if SPECS[n].needs_ground_truth]
    if dropped:
        print(f"left out on a real corpus (they need synthetic ground truth): {', '.join(dropped)}")
    return [n for n in names if not SPECS[n].needs_ground_truth]


def build_teachers(
    names: Sequence[str],
    *,
    checkpoint: str = "",
    synthetic=None,
    margin: float = 0.25,
    pretrained=None,
    progress: bool = True,
) -> dict[str, Teacher]:
    """Teachers by name, in the given order (each built by its :class:`TeacherSpec`).

    checkpoint: the official HaMeR weights ("" = the synthetic-pretrained HaMeR of configuration
    ``synthetic``); pretrained: the result of :func:`fslib.teachers.synthetic.pretrain` when the caller
    already has it (avoids a second cache lookup).
    """
    _check(names)
    ctx = BuildContext(checkpoint, synthetic, margin, progress, pretrained)
    return {name: SPECS[name].build(ctx) for name in names}
