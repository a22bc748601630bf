"""Tests of the renderer's pure parts (no torch or anny needed): `pytest tools/render`."""

from __future__ import annotations

import numpy as np
import pytest

from tools.render.body import BodyPose, rotation
from tools.render.camera import Camera, view_camera
from tools.render.choreography import MOVE_S, Choreography, FaultSpec
from tools.render.kinematics import axis_angle, frame, mirror
from tools.render.raster import rasterize


def choreo(*faults: str, sides=("left", "right"), hold_s=30.0) -> Choreography:
    return Choreography(
        sides=list(sides),
        hold_s=hold_s,
        turn_yaw_deg=180.0,
        faults=[FaultSpec.parse(f) for f in faults],
    )


def test_holds_follow_the_moves_in_and_out():
    c = choreo()
    holds = c.holds()
    assert [h.side for h in holds] == ["left", "right"]
    assert all(h.end_s - h.start_s == pytest.approx(30.0) for h in holds)
    # In position only once the move in is over, and until the release starts.
    assert c.state(holds[0].start_s - MOVE_S / 2).amount == pytest.approx(0.5)
    assert c.state(holds[0].start_s + 1).amount == 1.0
    assert c.state(holds[1].start_s - 1).yaw_deg == pytest.approx(180.0)


def test_short_hold_and_skipped_side_are_hold_too_short():
    c = choreo("hold_too_short:hold=12,side=right")
    (fault,) = c.fault_intervals()
    assert fault["kind"] == "hold_too_short" and fault["side"] == "right"
    assert fault["end_s"] - fault["start_s"] == pytest.approx(12.0)
    c = choreo("skip_side:side=right")
    assert [h.side for h in c.holds()] == ["left"]
    (fault,) = c.fault_intervals()
    assert fault["kind"] == "hold_too_short" and fault["start_s"] == fault["end_s"]


def test_bounce_moves_the_hip_only_inside_its_interval():
    c = choreo("bounce:amp=5,hz=2,start=10,dur=4", sides=("left",))
    (fault,) = c.fault_intervals()
    hold = c.holds()[0]
    assert fault["start_s"] == pytest.approx(hold.start_s + 10)
    inside = [c.state(t).mods.depth_deg for t in np.arange(fault["start_s"], fault["end_s"], 0.01)]
    outside = [c.state(t).mods.depth_deg for t in np.arange(hold.start_s, fault["start_s"], 0.01)]
    assert max(inside) > 4.0 and min(inside) < -4.0
    assert max(np.abs(outside)) < 1.0  # only the natural drift


def test_jolts_are_recorded_one_by_one_as_bounce():
    c = choreo("jerk:amp=10,count=3,every=4,start=5", sides=("left",))
    faults = c.fault_intervals()
    assert [f["kind"] for f in faults] == ["bounce"] * 3
    assert all(f["params"]["jerk"] for f in faults)


@pytest.mark.parametrize("text", ["wobble", "bounce:amp", "bounce:speed=3", "bounce:side=up"])
def test_bad_fault_text_is_rejected(text):
    with pytest.raises(ValueError):
        FaultSpec.parse(text)


def test_sway_is_under_a_degree():
    c = choreo(sides=("left",))
    sway = np.array([c.state(t).mods.sway_deg for t in np.arange(0, c.duration_s, 0.05)])
    assert np.abs(sway).max() < 1.0


def test_mirror_twice_is_identity():
    pose = BodyPose(
        root=rotation(10, 20, 30),
        bones={"upperleg01.L": rotation(-40, 5, 3), "spine03": rotation(4, 2, 1)},
        position=(0.1, 0.2),
    )
    back = mirror(mirror(pose))
    assert np.allclose(back.root, pose.root)
    assert set(back.bones) == set(pose.bones)
    assert all(np.allclose(back.bones[k], pose.bones[k]) for k in pose.bones)


def test_frame_and_axis_angle_are_rotations():
    r = axis_angle(np.array([1.0, 2.0, 3.0]), 37.0)
    assert np.allclose(r @ r.T, np.eye(3))
    f = frame(np.array([0.0, 0.0, 2.0]), np.array([1.0, 0.0, 1.0]))
    assert np.allclose(f[:, 0], [0, 0, 1]) and np.allclose(f[:, 1], [1, 0, 0])


def test_side_view_camera_projects_the_target_to_the_centre():
    cam = view_camera("side", 0.0, np.array([0.0, 0.0, 0.5]), 2.0, 0.5)
    uv, depth = cam.project(np.array([[0.0, 0.0, 0.5]]))
    assert np.allclose(uv, [[320, 240]]) and depth[0] == pytest.approx(2.0)
    # The camera is on the person's left (+X), looking along -X.
    assert cam.position[0] == pytest.approx(2.0)


def test_rasterize_covers_a_front_facing_square_once():
    cam = Camera(position=np.array([0.0, -2.0, 0.0]), target=np.zeros(3))
    square = np.array([[-0.2, 0, -0.2], [0.2, 0, -0.2], [0.2, 0, 0.2], [-0.2, 0, 0.2]])
    # Counter-clockwise seen from the camera (at -Y): the front face.
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    uv, depth = cam.project(square)
    frags = rasterize(uv, depth, faces, cam.width, cam.height)
    side = 0.4 * cam.focal_px / 2.0
    assert len(np.unique(frags.pixel)) == len(frags.pixel)
    assert len(frags.pixel) == pytest.approx(side * side, rel=0.05)
    back = rasterize(uv, depth, faces[:, ::-1], cam.width, cam.height)
    assert len(back.pixel) == 0
