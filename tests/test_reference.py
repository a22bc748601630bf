"""Reference files: the shipped ones load, the schema's errors name file, field and reason."""

import copy
from pathlib import Path

import pytest
import yaml

from pose_coach.judge.reference import (
    ReferenceError,
    builtin_dir,
    get_reference,
    load_reference,
    load_references,
    parse_reference,
    read_references,
    reset_reference,
    save_reference,
)

STRETCHES = {"kneeling_psoas", "lying_psoas", "standing_psoas", "half_kneeling_hip_flexor"}


@pytest.fixture
def user_home(tmp_path, monkeypatch):
    monkeypatch.setenv("POSE_COACH_HOME", str(tmp_path))
    return tmp_path / "reference_poses"


@pytest.fixture
def kneeling_data():
    return yaml.safe_load((builtin_dir() / "kneeling_psoas.yaml").read_text())


def test_the_four_stretches_ship_and_validate(user_home):
    references = load_references()
    assert set(references) == STRETCHES
    for reference in references.values():
        assert reference.hold_s == 30
        assert reference.instructions and reference.camera


def test_left_and_right_come_from_one_definition(user_home):
    reference = get_reference("kneeling_psoas")
    left, right = reference.targets_for("left"), reference.targets_for("right")
    assert left["hip_left"] == right["hip_right"]  # the working (back) leg
    assert left["shoulder_right"] == right["shoulder_left"]  # the reaching arm is the other one
    assert left["trunk"] == right["trunk"]


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        # an unknown key is an error, not ignored
        (lambda d: d.update(hold_seconds=30), "hold_seconds", "not a known field"),
        (
            lambda d: d["angles"]["working_hip"].update(tolerence=3),
            "angles.working_hip.tolerence",
            "not a known field",
        ),
        (
            lambda d: d["angles"].update(working_elbow=d["angles"]["working_hip"]),
            "angles.working_elbow",
            "not a known field",
        ),
        # bad values
        (lambda d: d.update(hold_s=-5), "hold_s", "between"),
        (lambda d: d.update(hold_s="thirty"), "hold_s", "must be a number"),
        (
            lambda d: d["angles"]["working_hip"].update(tolerance=0),
            "angles.working_hip.tolerance",
            "between",
        ),
        (lambda d: d.update(posture="sitting"), "posture", "must be one of"),
        (
            lambda d: d["angles"]["trunk"]["too_low"].update(fault="wobbly"),
            "angles.trunk.too_low.fault",
            "must be one of",
        ),
        (
            lambda d: d["hold_zone"].update(working_hip=[20, -20]),
            "hold_zone.working_hip",
            "lowest < highest",
        ),
        (
            lambda d: d["hold_zone"].update(foot_gap=[25, 400]),
            "hold_zone",
            "one gap between the legs",
        ),
        (lambda d: d["bounce"].update(angle="elbow"), "bounce.angle", "must be one of"),
        (lambda d: d["bounce"].update(held_angle="ankle"), "bounce.held_angle", "must be one of"),
        # missing fields
        (lambda d: d.pop("camera"), "camera", "is missing"),
        (lambda d: d["hip_alignment"].pop("cue"), "hip_alignment.cue", "is missing"),
        (
            lambda d: d["hip_alignment"].update(tilt={"target": 200, "tolerance": 5}),
            "hip_alignment.tilt.target",
            "between",
        ),
        (lambda d: d.update(instructions=[]), "instructions", "non-empty list"),
    ],
)
def test_schema_errors_name_the_file_field_and_reason(kneeling_data, change, field, reason):
    data = copy.deepcopy(kneeling_data)
    change(data)
    with pytest.raises(ReferenceError) as error:
        parse_reference(data, "kneeling_psoas.yaml")
    message = str(error.value)
    assert "kneeling_psoas.yaml" in message and f"'{field}'" in message and reason in message


def test_a_file_that_is_not_yaml_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: [unclosed\n")
    with pytest.raises(ReferenceError, match="broken.yaml: is not valid YAML"):
        load_reference(path)


def test_the_id_must_match_the_file_name(tmp_path, kneeling_data):
    path = tmp_path / "other_name.yaml"
    path.write_text(yaml.safe_dump(kneeling_data))
    with pytest.raises(ReferenceError, match="must match"):
        load_reference(path)


def test_an_unknown_stretch_lists_the_known_ones(user_home):
    with pytest.raises(ReferenceError, match="unknown stretch 'cobra'.*kneeling_psoas"):
        get_reference("cobra")


def test_a_saved_reference_overrides_the_default_and_reset_restores_it(user_home):
    from dataclasses import replace

    shipped_text = (builtin_dir() / "lying_psoas.yaml").read_text()
    default = get_reference("lying_psoas")
    tuned = replace(default, hold_s=45.0)
    path = save_reference(tuned)
    assert path.parent == user_home
    assert get_reference("lying_psoas").hold_s == 45.0
    assert (builtin_dir() / "lying_psoas.yaml").read_text() == shipped_text  # untouched
    assert reset_reference("lying_psoas")
    assert get_reference("lying_psoas") == default


def test_a_broken_tuned_file_hides_only_its_own_stretch(user_home):
    user_home.mkdir(parents=True)
    (user_home / "lying_psoas.yaml").write_text("id: lying_psoas\nangles: 3\n")
    (user_home / "aa_list.yaml").write_text("- not a mapping\n")
    found = read_references()
    assert set(found.references) == STRETCHES - {"lying_psoas"}  # not the shipped one instead
    assert {p.name for p in found.broken} == {"lying_psoas.yaml", "aa_list.yaml"}
    assert found.shipped(user_home / "lying_psoas.yaml")
    assert not found.shipped(user_home / "aa_list.yaml")
    assert get_reference("kneeling_psoas").id == "kneeling_psoas"  # the others still work
    with pytest.raises(ReferenceError, match="lying_psoas.yaml"):
        get_reference("lying_psoas")
    with pytest.raises(ReferenceError, match="aa_list.yaml"):
        load_references()  # the strict reading still refuses


def test_saving_an_invalid_reference_writes_nothing(user_home):
    from dataclasses import replace

    bad = replace(get_reference("lying_psoas"), posture="sitting")
    with pytest.raises(ReferenceError):
        save_reference(bad)
    assert not list(Path(user_home).glob("*")) if user_home.exists() else True
