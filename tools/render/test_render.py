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


def test_pitched_camera_looks_down_at_its_pitch():
    from tools.render.camera import Placement, placed_camera

    p = Placement(height_m=1.5, pitch_deg=20.0, yaw_off_side_deg=0.0, hfov_deg=60.0)
    cam = placed_camera(p, np.zeros(2), 3.0, 480, 360)
    # On the person's left (+X), 3 m away, 1.5 m up.
    assert np.allclose(cam.position, [3.0, 0.0, 1.5])
    # A point on the optical axis projects to the centre; the axis is 20 degrees below level.
    axis_point = cam.position + np.array([-np.cos(np.radians(20)), 0.0, -np.sin(np.radians(20))])
    uv, _ = cam.project(axis_point[None])
    assert np.allclose(uv, [[240, 180]])
    # A point level with the camera appears above the centre by f * tan(20 degrees).
    uv, _ = cam.project((cam.position + np.array([-1.0, 0.0, 0.0]))[None])
    assert uv[0, 1] == pytest.approx(180 - cam.focal_px * np.tan(np.radians(20)))


def test_three_quarter_placement_and_fit_frame_every_point():
    from tools.render.camera import Placement, fit_distance, fits, placed_camera

    p = Placement(height_m=0.4, pitch_deg=5.0, yaw_off_side_deg=40.0, hfov_deg=70.0)
    assert p.azimuth_deg() == pytest.approx(50.0)
    rng = np.random.default_rng(0)
    points = rng.uniform([-0.3, -0.9, 0.0], [0.3, 0.9, 0.6], (500, 3))
    centre, d = fit_distance(p, points, 270, 480)
    assert d is not None
    assert fits(placed_camera(p, centre, d, 270, 480), points, p.margin)
    assert not fits(placed_camera(p, centre, d - 0.3, 270, 480), points, p.margin)


def test_true_3d_angles_of_a_known_pose():
    from tools.render.truth import L as LM
    from tools.render.truth import angles_3d

    pts = np.zeros((33, 3))
    # Room frame: Z up, -Y the front, +X the left. Trunk upright, hips 0.2 m apart.
    pts[LM.LEFT_SHOULDER], pts[LM.RIGHT_SHOULDER] = [0.2, 0, 1.5], [-0.2, 0, 1.5]
    pts[LM.LEFT_HIP], pts[LM.RIGHT_HIP] = [0.1, 0, 1.0], [-0.1, 0, 1.0]
    # Left thigh forward and level (hip flexion 90), shank straight down (knee 90).
    pts[LM.LEFT_KNEE], pts[LM.LEFT_ANKLE] = [0.1, -0.45, 1.0], [0.1, -0.45, 0.55]
    # Right thigh 20 degrees behind the trunk line (extension), knee bent 30 degrees backwards.
    t = np.radians(20)
    knee = np.array([-0.1, 0.45 * np.sin(t), 1.0 - 0.45 * np.cos(t)])
    s = np.radians(50)
    pts[LM.RIGHT_KNEE], pts[LM.RIGHT_ANKLE] = knee, knee + [0, 0.4 * np.sin(s), -0.4 * np.cos(s)]
    a = angles_3d(pts)
    assert a["hip_left"] == pytest.approx(90.0) and a["knee_left"] == pytest.approx(90.0)
    assert a["hip_right"] == pytest.approx(-20.0) and a["knee_right"] == pytest.approx(30.0)
    # The same body turned anywhere in the room (and lying down) has the same angles.
    r = rotation(-90.0, 0.0, 37.0)
    b = angles_3d(pts @ r.T)
    assert all(b[k] == pytest.approx(a[k]) for k in a)


def test_eval_set_plan_is_seeded_and_covers_every_bucket():
    from tools.render import make_eval_set as m

    for split, least in (("dev", 40), ("test", 60), ("test2", 60)):
        jobs = m.plan(split)
        assert len(jobs) >= least
        assert [j["seed"] for j in jobs] == [j["seed"] for j in m.plan(split)]
        for key, names in (
            ("height_bucket", m.HEIGHT_BUCKETS),
            ("yaw_bucket", m.YAW_BUCKETS),
            ("body_bucket", m.BODY_BUCKETS),
        ):
            assert {j[key] for j in jobs} == set(names)
        assert any(j["portrait"] for j in jobs)
    assert len({m.plan(split)[0]["seed"] for split in ("dev", "test", "test2")}) == 3
    # The second test split is framed like the smallest camera, the others smaller.
    assert {j["long_side"] for j in m.plan("test2")} == {640}
    assert {j["long_side"] for j in m.plan("test")} == {m.FRAME_W_LONG}


def test_frames_have_the_split_s_long_side_in_4_3_or_16_9():
    from tools.render import make_eval_set as m

    rng = np.random.default_rng(1)
    for long_side in (480, 640):
        assert m.sample_frame(rng, True, long_side)[1:3] == (long_side * 9 // 16, long_side)
        landscape = {m.sample_frame(rng, False, long_side)[1:3] for _ in range(40)}
        assert landscape == {(long_side, long_side * 3 // 4), (long_side, long_side * 9 // 16)}


def test_manifest_spec_round_trips():
    from tools.render import make_eval_set as m
    from tools.render.camera import Placement

    job = m.plan("dev")[30]
    rng = np.random.default_rng(job["seed"])
    placement = Placement(0.8, 10.0, -12.0, 66.0, distance_m=2.5, device="laptop")
    spec = m._spec(job, placement, rng, 480, 360, 30)
    assert m.spec_from_json(m.spec_to_json(spec)) == spec


def test_the_half_kneeling_front_knee_bends_about_a_right_angle_whatever_the_body():
    from tools.render.stretches import front_ankle, leg_ik

    # (thigh, shin, hip height kneeling, ankle height) in metres: anny's middle body, and its
    # shortest, whose thighs are about half its shins.
    for thigh, shin, hip_height, ankle_height in ((0.391, 0.402, 0.443, 0.07),
                                                  (0.182, 0.338, 0.227, 0.051)):  # fmt: skip
        hip = np.array([0.04, hip_height])
        ankle = front_ankle(hip, thigh, shin, ankle_height)
        _, knee = leg_ik(hip, ankle, thigh, shin)
        assert ankle[1] == ankle_height and 80.0 <= knee <= 125.0 + 1e-6
    # The middle body keeps its vertical shin.
    assert front_ankle(np.array([0.04, 0.443]), 0.391, 0.402, 0.07)[0] == pytest.approx(
        0.04 + np.sqrt(0.391**2 - (0.07 + 0.402 - 0.443) ** 2)
    )
