"""Settings: the one source of defaults for the CLI, the app and the review function.

Settings are a frozen, picklable dataclass so a review can be shipped to another process or machine
with its video and reference.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from pose_coach.input.model_files import model_visibility


@dataclass(frozen=True)
class Settings:
    """How the coach measures and talks. Every field has a help text in ``HELP``."""

    model_path: Path | None = None
    # None: the pose model's own threshold (``input.model_files.MODEL_VISIBILITY``).
    min_visibility: float | None = None
    # The pose model runs on about this many frames a second of a recorded video, the poses of the
    # frames in between interpolated (``coach.Pace``); 0: every frame. Stretches move slowly: at 15
    # the three development splits kept the 120 of 136 good holds credited with every frame, found
    # 27 of 30 bounces (28) and 15 faults in good form (19), for half the model time (README).
    analysis_fps: float = 15.0
    # The jitter filter (measure/filtering.py), measured to remove jitter but keep a bounce
    # (benchmarks/filter_response.py): the cutoff at rest (Hz) and how fast it opens with speed
    # (Hz per torso length per second). The speed term was 80, chosen at 30 frames a second; a review
    # analyses about 15, where 80 kept 81% of a 3 Hz, 2 cm bounce and 160 keeps 90% with the same
    # residual jitter (0.31 of the raw). dev3-dev6: bounces found 29 -> 31 of 36, nothing else changed.
    filter_min_cutoff: float = 0.5
    filter_beta: float = 160.0
    # Anti-flicker: a fault must persist this long before it is reported, and clears only when the
    # value is back inside the tolerance by ``hysteresis_deg``. A second, not 0.7 s: the pose model
    # misreads a joint for most of a second now and then (development split: too-deep precision
    # 0.75 -> 1.0, good-form faults 5 -> 4, no fault missed).
    min_fault_s: float = 1.0
    hysteresis_deg: float = 2.0
    cue_cooldown_s: float = 4.0
    # A person lost for this long is reported; a wrong view only after longer, since turning
    # around to switch sides passes through other views.
    lost_after_s: float = 1.0
    wrong_view_after_s: float = 3.0
    # A hold ends when the person has been out of position this long.
    release_after_s: float = 1.5
    annotate: bool = True

    def __post_init__(self) -> None:
        if self.model_path is not None and not isinstance(self.model_path, Path):
            object.__setattr__(self, "model_path", Path(self.model_path))
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, float) and not value >= 0:
                raise ValueError(f"setting {field.name} must be >= 0, got {value}")
        if self.min_visibility is not None and not 0 <= self.min_visibility <= 1:
            raise ValueError(f"min_visibility must be in [0, 1], got {self.min_visibility}")

    @property
    def visibility(self) -> float:
        """The visibility a landmark needs to be used: ``min_visibility``, else the model's own."""
        if self.min_visibility is not None:
            return self.min_visibility
        return model_visibility(self.model_path)

    def with_changes(self, **changes: object) -> Settings:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)


HELP: dict[str, str] = {
    "model_path": "The pose model: empty for the shipped default (BlazePose heavy, recorded "
    "video and live coaching alike), 'full' (about three times faster, less accurate on the far "
    "leg) or 'heavy' for that shipped model, or the path of a MediaPipe pose landmarker .task file",
    "min_visibility": "Landmarks seen with less confidence than this give no angle (NaN); empty for "
    "the pose model's own (0.5 for full, 0.3 for heavy)",
    "analysis_fps": "The pose model looks at about this many frames a second of a recorded video "
    "(the poses in between are interpolated); 0 for every frame, slower",
    "filter_min_cutoff": "Jitter filter: cutoff frequency (Hz) when still; lower = smoother",
    "filter_beta": "Jitter filter: how fast the cutoff opens with speed (Hz per torso length per "
    "second); higher = less lag, lower = smoother",
    "min_fault_s": "A fault must last this long (s) before it is reported",
    "hysteresis_deg": "A fault clears only this far (degrees) back inside its tolerance",
    "cue_cooldown_s": "At least this long (s) between two spoken or shown cues",
    "lost_after_s": "Report that no person is in view after this long (s)",
    "wrong_view_after_s": "Report a wrong camera view after this long (s)",
    "release_after_s": "A hold ends after this long (s) out of position",
    "annotate": "Write the annotated video",
}


def home_dir() -> Path:
    """The user's pose-coach folder: ``$POSE_COACH_HOME``, default ``~/.pose_coach``. Tuned
    references and the history database live there."""
    return Path(os.environ.get("POSE_COACH_HOME") or Path.home() / ".pose_coach")
