"""Rebuild or check the offline pose model shipped in pose_coach/models/.

The model is BlazePose full (Apache-2.0) taken from the mediapipe 0.10.21 wheel: its two raw
tflite files get image-input metadata (with mediapipe 0.10.21's metadata writer; later releases
have none) and are bundled into a `.task` zip that the current mediapipe loads.

    python tools/build_pose_model.py --check            # verify the committed file (cheap, no venv)
    python tools/build_pose_model.py                    # download the wheel, rebuild, verify
    python tools/build_pose_model.py --wheel W.whl --venv DIR   # reuse a wheel and a venv

Building needs mediapipe 0.10.21, which conflicts with the project's own mediapipe, so the script
makes a throwaway venv (or uses --venv), installs the wheel there, and re-runs itself inside it
(`--inside-venv`). The bundle is byte-reproducible: fixed member order, timestamps and attributes,
and a pinned flatbuffers, so a rebuild must give EXPECTED_SHA256.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

MEDIAPIPE_VERSION = "0.10.21"
MEDIAPIPE_REQUIREMENT = f"mediapipe=={MEDIAPIPE_VERSION}"
# The metadata writer's output depends on the flatbuffers serializer: pin it for reproducibility.
FLATBUFFERS_VERSION = "25.12.19"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "pose_coach" / "models" / "pose_landmarker_full.task"
EXPECTED_SHA256 = "2512c245309bf1d70d0c7f75527aa5298cd3de643363a45a21fd10247eb1474d"
EXPECTED_SIZE = 9_397_790
# Fixed zip metadata so the bundle's bytes do not depend on when or where it was built.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_FILE_MODE = 0o644


@dataclass(frozen=True)
class Member:
    """One model in the bundle: where it is in the wheel and how its input is normalised."""

    wheel_path: str
    wheel_sha256: str
    bundle_name: str
    norm_mean: float
    norm_std: float


MEMBERS = (
    Member(
        "mediapipe/modules/pose_detection/pose_detection.tflite",
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
        "pose_detector.tflite",
        127.5,
        127.5,
    ),
    Member(
        "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
        "pose_landmarks_detector.tflite",
        0.0,
        255.0,
    ),
)


class BuildError(RuntimeError):
    """The model could not be built or does not match what is expected."""


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check(path: Path) -> str:
    """Verify a model file against EXPECTED_SHA256: a one-line verdict, or BuildError."""
    if not path.is_file():
        raise BuildError(
            f"{path}: model file not found; rebuild it with: python {Path(__file__).name}"
        )
    actual = sha256_of(path)
    if actual != EXPECTED_SHA256:
        raise BuildError(
            f"{path}: sha256 {actual} (size {path.stat().st_size}) does not match the expected "
            f"{EXPECTED_SHA256} (size {EXPECTED_SIZE}); restore it from git or rebuild it"
        )
    return f"OK {path} sha256 {actual}"


# --- the step that runs inside the mediapipe 0.10.21 venv ---------------------------------------


def _with_metadata(model: bytes, member: Member) -> bytes:
    """The tflite model with image-input metadata and one feature output per output tensor."""
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, writer_utils

    writer = metadata_writer.MetadataWriter.create(bytearray(model)).add_image_input(
        norm_mean=[member.norm_mean], norm_std=[member.norm_std]
    )
    for _ in writer_utils.get_output_tensor_types(bytearray(model)):
        writer.add_feature_output()
    populated, _json = writer.populate()
    return bytes(populated)


def _zip_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = ZIP_FILE_MODE << 16
    return info


def build_inside_venv(wheel: Path, output: Path) -> None:
    """Extract, annotate and bundle the models; needs mediapipe 0.10.21 importable."""
    import mediapipe
    from mediapipe.tasks.python.metadata.metadata_writers import model_asset_bundle_utils

    if mediapipe.__version__ != MEDIAPIPE_VERSION:
        raise BuildError(
            f"needs mediapipe {MEDIAPIPE_VERSION}, this interpreter has {mediapipe.__version__}"
        )
    models: dict[zipfile.ZipInfo, bytes] = {}
    with zipfile.ZipFile(wheel) as archive:
        for member in MEMBERS:
            raw = archive.read(member.wheel_path)
            if hashlib.sha256(raw).hexdigest() != member.wheel_sha256:
                raise BuildError(f"{wheel}: {member.wheel_path} differs from the expected model")
            # A ZipInfo key (not a str) fixes the timestamp and mode; dict order fixes member order.
            models[_zip_entry(member.bundle_name)] = _with_metadata(raw, member)
    model_asset_bundle_utils.create_model_asset_bundle(models, str(output))


# --- the outer driver -----------------------------------------------------------------------------


def _run(*command: str | Path) -> None:
    command = tuple(str(part) for part in command)
    print("+", " ".join(command), flush=True)
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        raise BuildError(f"command failed with exit code {result.returncode}: {' '.join(command)}")


def _download_wheel(folder: Path) -> Path:
    """Fetch the mediapipe wheel for this interpreter with pip."""
    pip = (sys.executable, "-m", "pip")
    _run(*pip, "download", "--no-deps", "--only-binary=:all:", "-d", folder, MEDIAPIPE_REQUIREMENT)
    wheels = sorted(folder.glob(f"mediapipe-{MEDIAPIPE_VERSION}-*.whl"))
    if not wheels:
        raise BuildError(f"pip download left no mediapipe {MEDIAPIPE_VERSION} wheel in {folder}")
    return wheels[0]


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _venv_ready(python: Path) -> bool:
    if not python.is_file():
        return False
    probe = (
        "import importlib.metadata as m; print(m.version('mediapipe'), m.version('flatbuffers'))"
    )
    result = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False)
    return result.stdout.split() == [MEDIAPIPE_VERSION, FLATBUFFERS_VERSION]


def _prepare_venv(venv: Path, wheel: Path) -> Path:
    """A venv with mediapipe 0.10.21 (it pulls jax and numpy<2: keep it away from the project's)."""
    python = _venv_python(venv)
    if _venv_ready(python):
        return python
    if not python.is_file():
        _run(sys.executable, "-m", "venv", venv)
    _run(python, "-m", "pip", "install", "--quiet", wheel, f"flatbuffers=={FLATBUFFERS_VERSION}")
    return python


def build(output: Path, wheel: Path | None, venv: Path | None) -> str:
    """Build the bundle to `output` through a venv and verify its sha256."""
    with tempfile.TemporaryDirectory(prefix="build_pose_model_") as scratch:
        scratch_dir = Path(scratch)
        wheel = wheel or _download_wheel(scratch_dir)
        python = _prepare_venv(venv or scratch_dir / "venv", wheel)
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        try:
            _run(python, __file__, "--inside-venv", "--wheel", wheel, "--output", partial)
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
    return check(output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify the sha256 of --output")
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="the .task to write or check"
    )
    parser.add_argument(
        "--wheel", type=Path, help=f"a mediapipe {MEDIAPIPE_VERSION} wheel (else pip download)"
    )
    parser.add_argument(
        "--venv", type=Path, help=f"a venv to (re)use for mediapipe {MEDIAPIPE_VERSION}"
    )
    parser.add_argument("--inside-venv", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.inside_venv:
            build_inside_venv(args.wheel, args.output)
            return 0
        print(check(args.output) if args.check else build(args.output, args.wheel, args.venv))
    except (BuildError, OSError, zipfile.BadZipFile, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
