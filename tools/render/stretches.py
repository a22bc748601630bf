"""The four stretches as pose functions: (side, progress into the stretch, modifiers) -> pose.

Each stretch is built for the LEFT working side from world directions of the body segments,
solved in the person's sagittal plane with the skeleton's real lengths so that contacts stay on
the floor (hands and knees on all fours, the back knee and front foot when half-kneeling), and is
mirrored for the right side. `amount` runs from 0 (the start posture) to 1 (in position); the
modifiers add the faults, the sway and the breathing on top.

Room frame: Z up, the person's forward direction is -Y before any turn, +X is their left.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from tools.render.body import BodyPose, rotation
from tools.render.kinematics import (
    PoseSpec,
    Skeleton,
    X,
    Y,
    Z,
    axis_angle,
    joint_positions,
    mirror,
    to_body_pose,
    unit,
)


@dataclass(frozen=True)
class Mods:
    """What is added to the ideal pose in one frame (degrees unless named otherwise).

    depth_deg: the working hip further into the stretch (+) or less far (-): more extension for the
        kneeling stretches, more flexion for the lying and standing ones.
    shift_cm: the pelvis pushed forward (+), for the half-kneeling stretch (bouncing in cm).
    pelvis_tilt_deg: the working hip raised (+) or dropped (-) about the forward axis.
    pelvis_rot_deg: the working hip turned forward (+) about the vertical axis.
    trunk_lean_deg: the trunk bent forward (+) or back (-) at the spine.
    sway_deg: small (pitch, roll, yaw) of the trunk; breath_deg: chest flexion of breathing.
    """

    depth_deg: float = 0.0
    shift_cm: float = 0.0
    pelvis_tilt_deg: float = 0.0
    pelvis_rot_deg: float = 0.0
    trunk_lean_deg: float = 0.0
    sway_deg: tuple[float, float, float] = (0.0, 0.0, 0.0)
    breath_deg: float = 0.0


@dataclass(frozen=True)
class Framing:
    """Where the camera looks and from how far, for a side view of this stretch."""

    target_height_m: float
    distance_m: float
    camera_height_m: float


def sag(phi_deg: float, lateral: float = 0.0) -> np.ndarray:
    """Unit direction at phi degrees from straight down, forward positive, plus a lateral (+X) part."""
    p = np.radians(phi_deg)
    return unit(np.array([lateral, -np.sin(p), -np.cos(p)]))


def planar(phi_deg: float, length: float) -> np.ndarray:
    """(forward, up) of a segment of `length` at phi degrees from straight down, forward positive."""
    p = np.radians(phi_deg)
    return length * np.array([np.sin(p), -np.cos(p)])


def smooth(t: float) -> float:
    """Smoothstep on [0, 1]: starts and ends at rest."""
    t = min(max(t, 0.0), 1.0)
    return t * t * (3 - 2 * t)


def lerp(a, b, t):
    return a + (b - a) * t


def leg(thigh: np.ndarray, hinge: np.ndarray, knee_deg: float, plantar_deg: float) -> dict:
    """Thigh, shin and foot of one leg: knee flexion about `hinge`, the foot from the shin."""
    shin = axis_angle(hinge, knee_deg) @ thigh
    foot = axis_angle(hinge, -90.0 + plantar_deg) @ shin
    top = axis_angle(hinge, -90.0) @ foot
    return {"thigh": (thigh, hinge), "shin": (shin, hinge), "foot": (foot, top)}


def arm(upper: np.ndarray, hinge: np.ndarray, elbow_deg: float, hand: tuple | None = None) -> dict:
    """Upper arm, forearm and hand; the hand continues the forearm unless given (dir, back)."""
    fore = axis_angle(hinge, elbow_deg) @ upper
    if hand is None:
        hand = (fore, np.cross(hinge, fore))
    return {"upperarm": (upper, hinge), "forearm": (fore, hinge), "hand": hand}


def arm_ik(shoulder: np.ndarray, target: np.ndarray, upper_len: float, fore_len: float) -> dict:
    """A sagittal arm from the shoulder to a hand target, elbow bending backwards (hinge -X)."""
    v = target - shoulder
    d = min(np.linalg.norm(v), upper_len + fore_len - 1e-4)
    cos_e = (upper_len**2 + fore_len**2 - d**2) / (2 * upper_len * fore_len)
    elbow = 180.0 - np.degrees(np.arccos(np.clip(cos_e, -1, 1)))
    cos_a = (upper_len**2 + d**2 - fore_len**2) / (2 * upper_len * d)
    # Turn the upper arm from the shoulder-hand line away from the forearm's side.
    upper = axis_angle(X, np.degrees(np.arccos(np.clip(cos_a, -1, 1)))) @ unit(v)
    return {"upperarm": (upper, -X), "forearm": (axis_angle(-X, elbow) @ upper, -X)}


def leg_ik(hip: np.ndarray, ankle: np.ndarray, thigh_len: float, shin_len: float) -> tuple:
    """Sagittal (forward f, up u) two-link solve with the knee forward: (thigh phi, knee flexion)."""
    v = ankle - hip
    d = min(np.hypot(*v), thigh_len + shin_len - 1e-4)
    cos_k = (thigh_len**2 + shin_len**2 - d**2) / (2 * thigh_len * shin_len)
    knee = 180.0 - np.degrees(np.arccos(np.clip(cos_k, -1, 1)))
    cos_a = (thigh_len**2 + d**2 - shin_len**2) / (2 * thigh_len * d)
    line_phi = np.degrees(np.arctan2(v[0], -v[1]))  # from straight down, forward positive
    return line_phi + np.degrees(np.arccos(np.clip(cos_a, -1, 1))), knee


def _segments(side: str, parts: dict) -> dict:
    return {f"{name}.{side}": value for name, value in parts.items()}


class Stretch:
    """A stretch: its posture, its framing, and a pose for every (amount, modifiers)."""

    id = ""
    framing = Framing(0.5, 2.6, 0.6)
    # The working hip's angle the ideal hold aims at (true degrees, pose_coach.measure.angles terms);
    # used to describe the sample set, not to pose the body.
    turn_for_other_side = True

    def __init__(self, skeleton: Skeleton) -> None:
        self.sk = skeleton
        self.L = {seg: skeleton.length(f"{seg}.L") for seg in ("thigh", "shin", "upperarm")}
        self.L["forearm"] = skeleton.length("forearm.L")
        self.knee_front = skeleton.surface("lowerleg01.L", -Y, 0.08)
        self.ankle_height = skeleton.surface("foot.L", -Z, 0.12)
        self.palm = skeleton.surface("wrist.L", -X, 0.05)

    def spec(self, amount: float, mods: Mods) -> PoseSpec:
        raise NotImplementedError

    def pose(self, side: str, amount: float, mods: Mods, yaw_deg: float = 0.0) -> BodyPose:
        """The posed body for a working side, turned by `yaw_deg` about the room's vertical axis."""
        pose = to_body_pose(self.spec(amount, mods), self.sk)
        if side == "right":
            pose = mirror(pose)
        elif side != "left":
            raise ValueError(f"side must be 'left' or 'right', got {side!r}")
        turn = rotation(z_deg=yaw_deg)
        x, y, _ = turn @ np.array([*pose.position, 0.0])
        return replace(pose, root=turn @ pose.root, position=(x, y))

    # Helpers shared by the stretches -------------------------------------------------------

    def pelvis_fault(self, mods: Mods) -> np.ndarray:
        """Rotation of the pelvis about its centre: the left (working) hip up and forward."""
        return axis_angle(Z, -mods.pelvis_rot_deg) @ axis_angle(Y, -mods.pelvis_tilt_deg)

    def trunk(self, posture: np.ndarray, mods: Mods, fault: np.ndarray) -> tuple:
        """Pelvis rotation and spine rotations that keep the trunk on the posture despite the
        pelvis fault, then add the lean, the sway and the breathing."""
        pelvis = fault @ posture
        pitch, roll, yaw = mods.sway_deg
        lean = mods.trunk_lean_deg
        spine = {
            "spine05": posture.T @ fault.T @ posture @ rotation(pitch, roll, yaw),
            "spine04": rotation(lean / 3),
            "spine03": rotation(lean / 3),
            "spine02": rotation(lean / 3 + mods.breath_deg),
        }
        return pelvis, spine


class KneelingPsoas(Stretch):
    """On all fours; the left leg extends back and the right arm reaches forward."""

    id = "kneeling_psoas"
    framing = Framing(0.45, 2.3, 0.45)
    hold_hip = 0.0  # thigh in line with the trunk
    hold_knee = 5.0
    hold_arm = 172.0  # reaching arm against the trunk line

    def __init__(self, skeleton: Skeleton) -> None:
        super().__init__(skeleton)
        self.pitch = self._level_pitch()

    def _support(self, pitch: float, mods: Mods) -> tuple:
        posture = rotation(pitch)
        pelvis, spine = self.trunk(posture, mods, self.pelvis_fault(mods))
        spec = PoseSpec(pelvis=pelvis, spine=spine, segments={}, head={})
        return spec, joint_positions(spec, self.sk)

    def _level_pitch(self) -> float:
        """Trunk pitch with thighs and arms vertical, knees and palms on the floor."""
        hip_height = self.L["thigh"] + self.knee_front
        arm = self.L["upperarm"] + self.L["forearm"] + self.palm
        lo, hi = 60.0, 100.0
        for _ in range(40):
            mid = (lo + hi) / 2
            _, j = self._support(mid, Mods())
            rise = j["shoulder.L"][2] - j["hip.L"][2]
            # Shoulders above the hips by (arm - hip height) when both reach the floor.
            lo, hi = (mid, hi) if rise > arm - hip_height else (lo, mid)
        return (lo + hi) / 2

    def spec(self, amount: float, mods: Mods) -> PoseSpec:
        a = smooth(amount)
        base, rest_joints = self._support(self.pitch, Mods())
        spec, j = self._support(self.pitch, mods)
        fault = self.pelvis_fault(mods)
        floor = rest_joints["hip.L"][2] - self.L["thigh"] - self.knee_front
        seg = {}
        # Supporting leg (right): thigh vertical, shin on the floor, top of the foot down.
        seg |= _segments("R", leg(sag(0, -0.04), X, 90.0, 70.0))
        # Working leg (left): from kneeling to straight back in line with the trunk (the hip
        # angle is against the trunk line, so the thigh's phi is hip - pitch). On the way the
        # ankle follows an arc clear of the floor, the leg solved to reach it.
        phi_end = self.hold_hip - mods.depth_deg - self.pitch
        # Short of the stretch the leg hangs lower and the knee softens (the foot stays up).
        phi, knee = phi_end, self.hold_knee + 0.4 * max(-mods.depth_deg, 0.0)
        if a < 1.0:
            start = np.array([-self.L["shin"], -self.L["thigh"]])
            end = planar(phi, self.L["thigh"]) + planar(phi - knee, self.L["shin"])
            ankle = lerp(start, end, a) + np.array([0.0, 0.1 * np.sin(np.pi * a)])
            phi, knee = leg_ik(np.zeros(2), ankle, self.L["thigh"], self.L["shin"])
        working = leg(sag(phi, 0.02), X, knee, lerp(70.0, 45.0, a))
        seg |= _segments("L", {k: (fault @ d, fault @ h) for k, (d, h) in working.items()})
        # Supporting arm (left): the palm stays on the floor under the rest shoulder.
        palm_at = rest_joints["shoulder.L"] + np.array([0.01, 0.0, 0.0])
        palm_at[2] = floor + self.palm
        seg |= _segments(
            "L", arm_ik(j["shoulder.L"], palm_at, self.L["upperarm"], self.L["forearm"])
        )
        seg["hand.L"] = (-Y, Z)
        # Reaching arm (right): from the floor to forward, palm up at the end.
        reach = lerp(0.0, self.hold_arm - self.pitch, a)
        bend = 35.0 * np.sin(np.pi * a)
        hand_dir = unit(lerp(-Y, sag(reach), a))
        hand_back = unit(lerp(Z, -Z + 0.3 * Y, a))
        seg |= _segments("R", arm(sag(reach, -0.03), -X, bend, (hand_dir, hand_back)))
        spec.segments = seg
        spec.head = {"neck01": rotation(-12.0)}
        return spec


class LyingPsoas(Stretch):
    """On the back, knees bent and feet flat; the left leg lifts to a 90-degree hip and knee."""

    id = "lying_psoas"
    framing = Framing(0.35, 2.3, 0.35)
    hold_hip = 90.0
    hold_knee = 90.0
    pitch = -92.0  # head slightly lower than the pelvis: buttocks, back and head on the floor

    def __init__(self, skeleton: Skeleton) -> None:
        super().__init__(skeleton)
        self.buttock = skeleton.surface("root", Y, 0.15)

    def _bent_leg(self) -> tuple[float, float]:
        """Thigh elevation and knee flexion of a bent leg with the foot flat near the buttocks."""
        elevation = 48.0
        hip_height = self.buttock
        knee_height = hip_height + self.L["thigh"] * np.sin(np.radians(elevation))
        shin_from_vertical = np.degrees(
            np.arccos(np.clip((knee_height - self.ankle_height) / self.L["shin"], -1, 1))
        )
        # The shin runs down and forwards to the foot: flexion = thigh angle - shin angle.
        return elevation, elevation + 90.0 - shin_from_vertical

    def spec(self, amount: float, mods: Mods) -> PoseSpec:
        a = smooth(amount)
        posture = rotation(self.pitch)
        fault = self.pelvis_fault(mods)
        pelvis, spine = self.trunk(posture, mods, fault)
        elevation, bent_knee = self._bent_leg()
        # A thigh at `elevation` above the floor, pointing towards the feet (-Y): phi = 90 + elevation.
        seg = _segments("R", leg(sag(90.0 + elevation, -0.05), X, bent_knee, 0.0))
        seg["foot.R"] = (unit(np.array([-0.1, -1.0, -0.05])), Z)
        hip = self.hold_hip + mods.depth_deg  # flexion against the trunk line
        thigh_phi = lerp(90.0 + elevation, 90.0 + hip, a)
        knee = lerp(bent_knee, self.hold_knee, a)
        working = leg(sag(thigh_phi, 0.03), X, knee, lerp(0.0, 10.0, a))
        seg |= _segments("L", {k: (fault @ d, fault @ h) for k, (d, h) in working.items()})
        for s, lateral in (("L", 0.28), ("R", -0.28)):
            seg |= _segments(s, arm(unit(np.array([lateral, -1.0, -0.12])), -X, 8.0))
            seg[f"hand.{s}"] = (unit(np.array([lateral * 0.5, -1.0, -0.1])), Z)
        return PoseSpec(pelvis=pelvis, spine=spine, segments=seg, head={"neck01": rotation(-8.0)})


class StandingPsoas(Stretch):
    """Standing, hands forward on a wall; the left leg lifts forward and across, knee bent."""

    id = "standing_psoas"
    framing = Framing(0.9, 2.9, 0.9)
    hold_hip = 65.0
    hold_knee = 85.0
    across_deg = 14.0

    def spec(self, amount: float, mods: Mods) -> PoseSpec:
        a = smooth(amount)
        fault = self.pelvis_fault(mods)
        pelvis, spine = self.trunk(np.eye(3), mods, fault)
        seg = _segments("R", leg(sag(0.0, -0.06), X, 3.0, 0.0))
        seg["foot.R"] = (unit(np.array([-0.12, -1.0, 0.0])), Z)
        hip = lerp(0.0, self.hold_hip + mods.depth_deg, a)
        turn = rotation(-hip, lerp(0.0, self.across_deg, a))  # adduct (across), then flex
        thigh = turn @ np.array([0.06, 0.0, -1.0])
        working = leg(unit(thigh), turn @ X, lerp(3.0, self.hold_knee, a), lerp(0.0, -12.0, a))
        seg |= _segments("L", {k: (fault @ d, fault @ h) for k, (d, h) in working.items()})
        for s, lateral in (("L", 0.22), ("R", -0.22)):
            hand = (
                unit(np.array([lateral * 0.3, -1.0, 0.15])),
                unit(np.array([lateral, 0.0, 1.0])),
            )
            seg |= _segments(s, arm(sag(62.0, lateral), -X, 35.0, hand))
        return PoseSpec(pelvis=pelvis, spine=spine, segments=seg, head={})


# The front knee of the half-kneeling stretch is "about 90 degrees". A vertical shin bends it more
# the shorter the thighs are against the shins: 82-124 degrees for 182 of the 194 half-kneeling
# renders of the evaluation splits, but 126-153 for 12 short bodies, at anny's shortest with thighs
# about half the shins (0.18 against 0.34 m): the hip, kneeling, lies far below the knee of a
# vertical shin, the thigh points up at the chest, and "good form" is past the reference's own band,
# which ends at 130 (`dev10025`). Such a foot is planted further forward, so that the knee bends no
# more than this; every other body's as before (the test split has none of the 12).
FRONT_KNEE_MAX_DEG = 125.0


def front_ankle(hip: np.ndarray, thigh: float, shin: float, ankle_height: float) -> np.ndarray:
    """Where the half-kneeling front foot is planted (forward, up): the shin vertical, unless that
    bends the knee past FRONT_KNEE_MAX_DEG; then the foot goes forward until it bends that much."""
    rise = ankle_height + shin - hip[1]
    if rise <= thigh * np.sin(np.radians(FRONT_KNEE_MAX_DEG - 90.0)):
        return np.array([hip[0] + np.sqrt(max(thigh**2 - rise**2, 0.0)), ankle_height])
    # Hip to ankle with the knee bent FRONT_KNEE_MAX_DEG (law of cosines), the ankle on the floor.
    reach = thigh**2 + shin**2 + 2 * thigh * shin * np.cos(np.radians(FRONT_KNEE_MAX_DEG))
    return np.array([hip[0] + np.sqrt(reach - (hip[1] - ankle_height) ** 2), ankle_height])


class HalfKneelingHipFlexor(Stretch):
    """Half-kneeling: the left knee on the floor, the right foot flat in front, pelvis forward."""

    id = "half_kneeling_hip_flexor"
    framing = Framing(0.65, 2.3, 0.65)
    hold_extension = 14.0  # back thigh behind vertical, degrees

    def _hip(self, extension: float) -> np.ndarray:
        """Hip (forward, up) above the floor with the back knee's contact at forward 0."""
        e = np.radians(extension)
        return np.array(
            [self.L["thigh"] * np.sin(e), self.knee_front + self.L["thigh"] * np.cos(e)]
        )

    def _front_ankle(self) -> np.ndarray:
        hip = self._hip(self.hold_extension)
        return front_ankle(hip, self.L["thigh"], self.L["shin"], self.ankle_height)

    def spec(self, amount: float, mods: Mods) -> PoseSpec:
        step = smooth(amount * 2.0)  # first half: the front foot steps forward
        shift = smooth(amount * 2.0 - 1.0)  # second half: the pelvis moves forward
        fault = self.pelvis_fault(mods)
        pelvis, spine = self.trunk(np.eye(3), mods, fault)
        extension = lerp(0.0, self.hold_extension, shift) + mods.depth_deg
        hip = self._hip(extension)
        if mods.shift_cm:
            forward = np.clip(hip[0] + mods.shift_cm / 100.0, -0.9 * self.L["thigh"], None)
            extension = np.degrees(np.arcsin(np.clip(forward / self.L["thigh"], -0.99, 0.99)))
            hip = self._hip(extension)
        # Back (working) leg: knee on the floor, shin along the floor, top of the foot down.
        seg = _segments("L", leg(sag(-extension, 0.02), X, 90.0 - extension, 72.0))
        # Front leg: from kneeling beside the back knee to the planted foot; on the way the
        # ankle follows an arc clear of the floor, the leg solved to reach it.
        kneeling_ankle = np.array([-self.L["shin"], self.knee_front])
        ankle = lerp(kneeling_ankle, self._front_ankle(), step)
        ankle = ankle + np.array([0.0, 0.16 * np.sin(np.pi * step)])
        phi, knee = leg_ik(hip, ankle, self.L["thigh"], self.L["shin"])
        front = leg(sag(phi, -0.05), X, knee, lerp(72.0, 0.0, step))
        if step >= 1.0:  # planted: the foot flat on the floor
            front["foot"] = (unit(np.array([-0.08, -1.0, 0.0])), Z)
        seg |= _segments("R", front)
        for s, lateral in (("L", 0.12), ("R", -0.12)):
            seg |= _segments(s, arm(sag(8.0, lateral), -X, 18.0))
        spec = PoseSpec(pelvis=pelvis, spine=spine, segments=seg, head={})
        # Keep the back knee's contact at the room's origin (forward direction).
        knee_y = joint_positions(spec, self.sk)["knee.L"][1]
        spec.position = (0.0, -knee_y)
        return spec


STRETCHES: dict[str, type[Stretch]] = {
    cls.id: cls for cls in (KneelingPsoas, LyingPsoas, StandingPsoas, HalfKneelingHipFlexor)
}
