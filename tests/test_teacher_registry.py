"""The teacher registry: every specification builds a teacher of its class whose vectors have its size, and
the places that treat teachers differently read the table."""

import types

import numpy as np
import pytest

from fslib.teachers import registry
from fslib.teachers.extract import HamerTeacher
from fslib.teachers.hamer import build_hamer, hamer_config
from fslib.teachers.keypoint_regressor import KeypointRegressorConfig, build_keypoint_regressor


@pytest.fixture()
def ctx():
    """A build context whose 'pretrained' synthetic models are tiny untrained networks (no pretraining)."""
    pre = types.SimpleNamespace(
        hamer=build_hamer(hamer_config("tiny", image_size=32)).eval(),
        keypoint_regressor=build_keypoint_regressor(KeypointRegressorConfig(32, 4)).eval(),
        folder=types.SimpleNamespace(name="tiny"),
    )
    return registry.BuildContext(pretrained=pre, progress=False)


@pytest.mark.parametrize("name", registry.TEACHERS)
def test_each_spec_builds_its_class_with_its_vector_size(name, ctx):
    s = registry.spec(name)
    teacher = s.build(ctx)
    assert isinstance(teacher, s.cls) and teacher.name == name
    crops = np.random.default_rng(0).integers(0, 255, (2, 32, 32, 3), dtype=np.uint8)
    truth = {"pose": np.zeros((2, 16, 3))} if s.needs_ground_truth else None
    vec = teacher.vectors(crops, truth=truth)
    assert vec.shape == (2, s.dim if s.dim is not None else teacher.dim)


def test_the_table_drives_roles_ground_truth_processes_and_provenance(ctx):
    assert registry.upper_bounds() == ("oracle_pose",) and registry.REFERENCE in registry.TEACHERS
    assert [n for n, s in registry.SPECS.items() if s.needs_ground_truth] == ["oracle_pose"]
    assert registry.spec("mediapipe").processes(2) == 2 and registry.spec("hamer").processes(2) == 1
    assert registry.spec("hamer").processes(None) == 1
    assert registry.spec("keypoints3d").provenance.format(hamer="H") == "`keypoints3d` from H"
    with pytest.raises(ValueError, match="unknown teacher 'nope'; choose from hamer"):
        registry.spec("nope")
    # teachers built together share one HaMeR
    built = registry.build_teachers(["hamer", "pose_rotations"], pretrained=ctx.pretrained, progress=False)
    assert isinstance(built["hamer"], HamerTeacher) and built["pose_rotations"].hamer is built["hamer"]
