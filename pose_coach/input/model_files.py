"""The pose models shipped in ``pose_coach/models`` (see its README), by name, and what each needs.

No mediapipe here: settings and evaluation read this without loading the pose library.
"""

from __future__ import annotations

from pathlib import Path

# Heavy reads the leg farther from the camera far better than full (README, "The pose model") at
# about three times full's inference time (benchmarks/model_speed.py). It is the default for a
# recorded video, analysed at about 15 frames a second (``Settings.analysis_fps``), and live, where
# two estimators taking turns coach about as many (README, "Live coaching, measured").
SHIPPED_MODELS = {"full": "pose_landmarker_full.task", "heavy": "pose_landmarker_heavy.task"}
DEFAULT_MODEL = "heavy"
# The visibility a landmark needs to be used, per shipped model. Heavy places a hidden far leg well
# but gives it a low visibility: at 0.3 that leg is judged (development split dev3, heavy: good
# holds credited 37 -> 41 of 48, good-form faults 10 -> 8, against 0.5); full's far leg is not
# placed well, and 0.3 cost a false fault on dev2 and changed nothing on dev and dev3.
MODEL_VISIBILITY = {"full": 0.5, "heavy": 0.3}
OTHER_MODEL_VISIBILITY = 0.5  # any other .task file


def shipped_model_path(name: str) -> Path:
    """A model shipped inside the package, by name (``SHIPPED_MODELS``)."""
    return Path(__file__).resolve().parents[1] / "models" / SHIPPED_MODELS[name]


def default_model_path() -> Path:
    """The shipped model used when none is chosen."""
    return shipped_model_path(DEFAULT_MODEL)


def resolve_model_path(model: Path | str | None) -> Path:
    """The model file meant by a setting: the default for None, a shipped model for its name
    ("full", "heavy") unless a file of that name is here, else the path as given."""
    if model is None:
        return default_model_path()
    if str(model) in SHIPPED_MODELS and not Path(model).is_file():
        return shipped_model_path(str(model))
    return Path(model)


def model_visibility(model: Path | str | None) -> float:
    """The visibility threshold for the model a setting means (``MODEL_VISIBILITY``)."""
    path = resolve_model_path(model).resolve()
    for name in SHIPPED_MODELS:
        if path == shipped_model_path(name).resolve():
            return MODEL_VISIBILITY[name]
    return OTHER_MODEL_VISIBILITY
