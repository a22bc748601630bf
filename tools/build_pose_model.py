"""Rebuild or check the offline pose models shipped in pose_coach/models/.

The models are BlazePose (Apache-2.0): the person detector and the *full* landmark model from the
mediapipe 0.10.21 wheel on PyPI, and the *heavy* landmark model from the @mediapipe/pose package on
npm (the wheel has no heavy model). The raw tflite files get image-input metadata (with mediapipe
0.10.21's metadata writer; later releases have none) and are bundled into `.task` zips that the
current mediapipe loads.

    python tools/build_pose_model.py --check            # verify the committed files (cheap, no venv)
    python tools/build_pose_model.py                    # download the sources, rebuild, verify
    python tools/build_pose_model.py --variant heavy    # one of them
    python tools/build_pose_model.py --wheel W.whl --npm P.tgz --venv DIR   # reuse downloads, venv

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
import tarfile
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

MEDIAPIPE_VERSION = "0.10.21"
MEDIAPIPE_REQUIREMENT = f"mediapipe=={MEDIAPIPE_VERSION}"
# The heavy landmark model is in the legacy JavaScript package (Apache-2.0), at this version.
NPM_PACKAGE = "@mediapipe/pose"
NPM_VERSION = "0.5.1675469404"
NPM_TARBALL = f"https://registry.npmjs.org/{NPM_PACKAGE}/-/pose-{NPM_VERSION}.tgz"
# The metadata writer's output depends on the flatbuffers serializer: pin it for reproducibility.
FLATBUFFERS_VERSION = "25.12.19"
REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO_ROOT / "pose_coach" / "models"
# Fixed zip metadata so the bundle's bytes do not depend on when or where it was built.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_FILE_MODE = 0o644


@dataclass(frozen=True)
class Member:
    """One model in a bundle: where its raw tflite is (``source`` "wheel": a path in the mediapipe
    wheel; "npm": a path in the npm package's tarball) and how its input is normalised."""

    source: str
    path: str
    sha256: str
    bundle_name: str
    norm_mean: float
    norm_std: float


DETECTOR = Member(
    "wheel",
    "mediapipe/modules/pose_detection/pose_detection.tflite",
    "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    "pose_detector.tflite",
    127.5,
    127.5,
)


@dataclass(frozen=True)
class Variant:
    """One shipped bundle: its file name, members and the sha256 and size a build must give."""

    filename: str
    members: tuple[Member, ...]
    sha256: str
    size: int


VARIANTS = {
    "full": Variant(
        "pose_landmarker_full.task",
        (
            DETECTOR,
            Member(
                "wheel",
                "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
                "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
                "pose_landmarks_detector.tflite",
                0.0,
                255.0,
            ),
        ),
        "2512c245309bf1d70d0c7f75527aa5298cd3de643363a45a21fd10247eb1474d",
        9_397_790,
    ),
    "heavy": Variant(
        "pose_landmarker_heavy.task",
        (
            DETECTOR,
            Member(
                "npm",
                "package/pose_landmark_heavy.tflite",
                "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe",
                "pose_landmarks_detector.tflite",
                0.0,
                255.0,
            ),
        ),
        "9ef60e52b2ceaef39e067bd0e8642c362a667271d9d02ee6b937e117b5506b60",
        30_663_834,
    ),
}


class BuildError(RuntimeError):
    """The model could not be built or does not match what is expected."""


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check(path: Path, variant: Variant) -> str:
    """Verify a model file against its variant's sha256: a one-line verdict, or BuildError."""
    if not path.is_file():
        raise BuildError(
            f"{path}: model file not found; rebuild it with: python {Path(__file__).name}"
        )
    actual = sha256_of(path)
    if actual != variant.sha256:
        raise BuildError(
            f"{path}: sha256 {actual} (size {path.stat().st_size}) does not match the expected "
            f"{variant.sha256} (size {variant.size}); restore it from git or rebuild it"
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


def _raw_model(member: Member, wheel: Path, npm: Path | None) -> bytes:
    """A member's raw tflite bytes from its source, checked against its sha256."""
    if member.source == "wheel":
        with zipfile.ZipFile(wheel) as archive:
            raw, origin = archive.read(member.path), wheel
    else:
        if npm is None:
            raise BuildError(f"{member.path} comes from the npm package: give --npm")
        with tarfile.open(npm) as archive:
            handle = archive.extractfile(member.path)
            if handle is None:
                raise BuildError(f"{npm}: {member.path} is not a file")
            raw, origin = handle.read(), npm
    if hashlib.sha256(raw).hexdigest() != member.sha256:
        raise BuildError(f"{origin}: {member.path} differs from the expected model")
    return raw


def build_inside_venv(variant: Variant, wheel: Path, npm: Path | None, output: Path) -> None:
    """Extract, annotate and bundle the models; needs mediapipe 0.10.21 importable."""
    import mediapipe
    from mediapipe.tasks.python.metadata.metadata_writers import model_asset_bundle_utils

    if mediapipe.__version__ != MEDIAPIPE_VERSION:
        raise BuildError(
            f"needs mediapipe {MEDIAPIPE_VERSION}, this interpreter has {mediapipe.__version__}"
        )
    models: dict[zipfile.ZipInfo, bytes] = {}
    for member in variant.members:
        raw = _raw_model(member, wheel, npm)
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


def _download_npm(folder: Path) -> Path:
    """Fetch the npm package's tarball from the registry (no npm needed)."""
    target = folder / NPM_TARBALL.rsplit("/", 1)[1]
    print("+ GET", NPM_TARBALL, flush=True)
    try:
        with urllib.request.urlopen(NPM_TARBALL, timeout=120) as response:
            target.write_bytes(response.read())
    except OSError as error:
        raise BuildError(f"cannot download {NPM_TARBALL}: {error}") from error
    return target


def build(names: list[str], output: Path | None, wheel: Path | None, npm: Path | None,
          venv: Path | None) -> list[str]:  # fmt: skip
    """Build the named variants' bundles through one venv (to `output` for a single one, else to
    pose_coach/models/) and verify their sha256; the sources are fetched once."""
    variants = [VARIANTS[name] for name in names]
    with tempfile.TemporaryDirectory(prefix="build_pose_model_") as scratch:
        scratch_dir = Path(scratch)
        wheel = wheel or _download_wheel(scratch_dir)
        if npm is None and any(m.source == "npm" for v in variants for m in v.members):
            npm = _download_npm(scratch_dir)
        python = _prepare_venv(venv or scratch_dir / "venv", wheel)
        sources = ["--wheel", wheel] + (["--npm", npm] if npm else [])
        verdicts = []
        for name, variant in zip(names, variants, strict=True):
            target = output or MODELS_DIR / variant.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            try:
                _run(python, __file__, "--inside-venv", "--variant", name, *sources,
                     "--output", partial)  # fmt: skip
                partial.replace(target)
            finally:
                partial.unlink(missing_ok=True)
            verdicts.append(check(target, variant))
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify the sha256 of the files")
    parser.add_argument(
        "--variant", choices=sorted(VARIANTS), help="one model (default: every shipped one)"
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="the .task to write or check (with one --variant; default "
        "pose_coach/models/<its file name>)",
    )
    parser.add_argument(
        "--wheel", type=Path, help=f"a mediapipe {MEDIAPIPE_VERSION} wheel (else pip download)"
    )
    parser.add_argument(
        "--npm", type=Path, help=f"the {NPM_PACKAGE} {NPM_VERSION} tarball (else downloaded)"
    )
    parser.add_argument(
        "--venv", type=Path, help=f"a venv to (re)use for mediapipe {MEDIAPIPE_VERSION}"
    )
    parser.add_argument("--inside-venv", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = [args.variant] if args.variant else list(VARIANTS)
    if args.output and len(names) > 1:
        parser.error("--output needs one --variant")
    try:
        if not (args.inside_venv or args.check):
            print("\n".join(build(names, args.output, args.wheel, args.npm, args.venv)))
            return 0
        for name in names:
            variant = VARIANTS[name]
            output = args.output or MODELS_DIR / variant.filename
            if args.inside_venv:
                build_inside_venv(variant, args.wheel, args.npm, output)
            else:
                print(check(output, variant))
    except (BuildError, OSError, zipfile.BadZipFile, tarfile.TarError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
