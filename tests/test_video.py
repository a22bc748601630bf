"""Tests for pose_coach.input.video: reading videos and stills with PyAV, writing H.264 MP4 atomically."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import av
import av.error
import cv2
import numpy as np
import pytest

from pose_coach.input.video import (
    VideoError,
    VideoInfo,
    VideoWarning,
    VideoWriter,
    iter_frames,
    probe,
)

WIDTH, HEIGHT, FPS = 640, 480, 30


def scene(index: int, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """A smooth RGB frame with a disc that moves with `index`, so frames differ and compress well."""
    ys, xs = np.mgrid[0:height, 0:width]
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[..., 0] = (xs * 255 // max(width - 1, 1)).astype(np.uint8)
    rgb[..., 1] = (ys * 255 // max(height - 1, 1)).astype(np.uint8)
    rgb[..., 2] = 90
    center = (width // 4 + 4 * index, height // 2)
    cv2.circle(rgb, center, max(min(width, height) // 8, 1), (250, 250, 250), -1)
    return rgb


def write_clip(
    path: Path,
    count: int = 30,
    width: int = WIDTH,
    height: int = HEIGHT,
    timestamps: Sequence[float] | None = None,
) -> list[np.ndarray]:
    frames = [scene(i, width, height) for i in range(count)]
    with VideoWriter(path, width, height, FPS) as writer:
        for i, rgb in enumerate(frames):
            writer.write(rgb, None if timestamps is None else timestamps[i])
    return frames


def encode_with_pyav(path: Path, codec: str, count: int, rotation: int = 0, **options: str) -> None:
    """A clip made directly with PyAV, for inputs our writer does not make (AV1, rotated)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=FPS, options=options)
        stream.width, stream.height, stream.pix_fmt = 128, 96, "yuv420p"
        if rotation:
            if not hasattr(stream, "set_display_rotation"):  # pragma: no cover - PyAV < 18
                pytest.skip("this PyAV cannot write a rotated video")
            stream.set_display_rotation(rotation)
        for i in range(count):
            frame = av.VideoFrame.from_ndarray(scene(i, 128, 96), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def read_all(path: Path) -> list[tuple[np.ndarray, float]]:
    return list(iter_frames(path))


# --- round trip ---------------------------------------------------------------------------------


def test_round_trip_keeps_size_frames_timestamps_and_pixels(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    written = write_clip(path, count=30)

    info = probe(path)
    assert info == VideoInfo(WIDTH, HEIGHT, 30.0, 30, 1.0, "h264", False)
    frames = read_all(path)
    assert len(frames) == 30
    for i, (rgb, t) in enumerate(frames):
        assert rgb.shape == (HEIGHT, WIDTH, 3) and rgb.dtype == np.uint8
        assert t == pytest.approx(i / FPS, abs=1e-3)
        # Lossy but close: mean absolute error of a few grey levels.
        assert np.abs(rgb.astype(int) - written[i]).mean() < 4


def test_writer_keeps_given_timestamps_and_nudges_repeats(tmp_path: Path) -> None:
    path = tmp_path / "vfr.mp4"
    given = [0.0, 0.05, 0.07, 0.2, 0.2, 0.19, 0.5]  # a repeat and a step back
    write_clip(path, count=len(given), timestamps=given)

    times = [t for _, t in read_all(path)]
    assert times[:4] == pytest.approx([0.0, 0.05, 0.07, 0.2], abs=1e-4)
    assert times[6] == pytest.approx(0.5, abs=1e-4)
    assert np.all(np.diff(times) > 0)  # repeats were nudged forward


def test_writer_output_starts_at_zero(tmp_path: Path) -> None:
    path = tmp_path / "late.mp4"
    write_clip(path, count=3, timestamps=[12.0, 12.1, 12.2])
    assert [t for _, t in read_all(path)] == pytest.approx([0.0, 0.1, 0.2], abs=1e-4)
    with pytest.raises(VideoError, match="finite"), VideoWriter(path, 64, 48, FPS) as writer:
        writer.write(scene(0, 64, 48), float("inf"))


def test_odd_frame_size_is_padded_to_even(tmp_path: Path) -> None:
    path = tmp_path / "odd.mp4"
    written = write_clip(path, count=3, width=321, height=241)

    info = probe(path)
    assert (info.width, info.height) == (322, 242)
    rgb, _ = read_all(path)[0]
    assert np.abs(rgb[:241, :321].astype(int) - written[0]).mean() < 4
    # The added column repeats the last one.
    assert np.abs(rgb[:241, 321].astype(int) - rgb[:241, 320]).mean() < 4


def test_output_is_browser_playable_h264_with_index_first(tmp_path: Path) -> None:
    path = tmp_path / "web.mp4"
    write_clip(path, count=10)

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert container.format.name.startswith("mov,mp4")
        assert stream.codec_context.codec.canonical_name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: playable while downloading


# --- atomic writing -------------------------------------------------------------------------------


def test_exception_inside_writer_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError, match="boom"), VideoWriter(path, 64, 48, FPS) as writer:
        writer.write(scene(0, 64, 48))
        raise RuntimeError("boom")

    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    path.write_bytes(b"previous")
    with pytest.raises(KeyboardInterrupt), VideoWriter(path, 64, 48, FPS) as writer:
        writer.write(scene(0, 64, 48))
        raise KeyboardInterrupt

    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


def test_file_appears_only_on_close(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    writer = VideoWriter(path, 64, 48, FPS)
    writer.write(scene(0, 64, 48))
    assert not path.exists()
    writer.close()
    assert path.exists() and [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


def test_output_gets_the_usual_file_permissions(tmp_path: Path) -> None:
    """Not mkstemp's 0600: a web server or another user may need to read the video."""
    path = tmp_path / "out.mp4"
    umask = os.umask(0o022)
    try:
        write_clip(path, count=1, width=64, height=48)
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_closing_without_frames_is_an_error_and_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="no frame was written"):
        VideoWriter(tmp_path / "empty.mp4", 64, 48, FPS).close()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (np.zeros((48, 64, 3), np.float32), "RGB uint8 array of shape"),  # wrong dtype
        (np.zeros((48, 64), np.uint8), "RGB uint8 array of shape"),  # grey
        (np.zeros((64, 48, 3), np.uint8), r"shape \(48, 64, 3\)"),  # transposed
    ],
)
def test_writer_rejects_wrong_frames(tmp_path: Path, frame: np.ndarray, message: str) -> None:
    with (
        pytest.raises(VideoError, match=message),
        VideoWriter(tmp_path / "x.mp4", 64, 48, FPS) as w,
    ):
        w.write(frame)
    assert list(tmp_path.iterdir()) == []


def test_writer_rejects_missing_folder_and_bad_settings(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="no such folder"):
        VideoWriter(tmp_path / "nope" / "x.mp4", 64, 48, FPS)
    with pytest.raises(VideoError, match="fps"):
        VideoWriter(tmp_path / "x.mp4", 64, 48, 0)
    with pytest.raises(VideoError, match="at least 2x2"):
        VideoWriter(tmp_path / "x.mp4", 1, 48, FPS)


# --- other inputs ---------------------------------------------------------------------------------


def test_av1_video_decodes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        av.codec.Codec("libsvtav1", "w")
    except av.error.FFmpegError:  # pragma: no cover - depends on the PyAV build
        pytest.skip("this PyAV build has no libsvtav1 encoder to make an AV1 clip")
    monkeypatch.setenv("SVT_LOG", "1")  # errors only
    path = tmp_path / "av1.mp4"
    encode_with_pyav(path, "libsvtav1", count=10)

    info = probe(path)
    assert (info.codec, info.width, info.height, info.frame_count) == ("av1", 128, 96, 10)
    frames = read_all(path)
    assert [round(t, 3) for _, t in frames] == [round(i / FPS, 3) for i in range(10)]
    assert np.abs(frames[3][0].astype(int) - scene(3, 128, 96)).mean() < 12


def test_rotated_video_is_turned_upright(tmp_path: Path) -> None:
    path = tmp_path / "portrait.mp4"
    encode_with_pyav(path, "libx264", count=2, rotation=90)  # 90 degrees counter-clockwise

    info = probe(path)
    assert (info.width, info.height) == (96, 128)
    rgb, _ = read_all(path)[0]
    expected = np.rot90(scene(0, 128, 96))
    assert np.abs(rgb.astype(int) - expected).mean() < 6


@pytest.mark.parametrize("name", ["still.png", "still.jpg", "still.bmp", "still.webp", "jpeg.mp4"])
def test_stills_give_one_frame_at_zero(tmp_path: Path, name: str) -> None:
    """Pictures are recognised by content: a JPEG named .mp4 is still a picture."""
    rgb = scene(0, 120, 90)
    path = tmp_path / name
    ext = ".jpg" if name == "jpeg.mp4" else path.suffix
    ok, encoded = cv2.imencode(ext, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    path.write_bytes(encoded.tobytes())

    info = probe(path)
    assert info.is_image and (info.width, info.height, info.frame_count) == (120, 90, 1)
    frames = read_all(path)
    assert len(frames) == 1 and frames[0][1] == 0.0
    assert np.abs(frames[0][0].astype(int) - rgb).mean() < 6


# --- errors ---------------------------------------------------------------------------------------


def _audio_only(path: Path) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=44100)
        for i in range(5):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = 44100, i * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _mp4_bytes(tmp_path: Path, faststart: bool) -> bytes:
    """A 640x480 H.264 clip, with the index first (our writer) or last (plain PyAV)."""
    source = tmp_path / "source.mp4"
    if faststart:
        write_clip(source, count=60)
    else:
        with av.open(str(source), "w") as container:
            stream = container.add_stream("libx264", rate=FPS)
            stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
            for i in range(60):
                frame = av.VideoFrame.from_ndarray(scene(i), format="rgb24")
                frame.pts = i
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
    data = source.read_bytes()
    source.unlink()
    return data


def _make_bad_input(kind: str, tmp_path: Path) -> Path:
    """Write one kind of unreadable input and return its path."""
    if kind == "missing":
        return tmp_path / "missing.mp4"
    if kind == "folder":
        (tmp_path / "folder.mp4").mkdir()
        return tmp_path / "folder.mp4"
    path = tmp_path / f"{kind}.mp4"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path = tmp_path / "notes.txt"
        path.write_text("This is not a video.\nJust some notes.\n")
    elif kind == "text_named_mp4":
        path = tmp_path / "notes.mp4"
        path.write_text("These are my notes, not a video.\n")
    elif kind == "random_named_mp4":
        path.write_bytes(bytes(range(1, 256)) * 4)
    elif kind == "pdf":
        path = tmp_path / "document.pdf"
        path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n")
    elif kind == "audio_only":
        path = tmp_path / "sound.m4a"
        _audio_only(path)
    elif kind == "header_cut":  # index at the end, lost when the file was cut
        data = _mp4_bytes(tmp_path, faststart=False)
        path.write_bytes(data[: len(data) // 2])
    elif kind == "index_cut":  # cut inside the index at the front
        path.write_bytes(_mp4_bytes(tmp_path, faststart=True)[:200])
    elif kind == "no_decodable_frame":  # index intact, cut inside the first frame
        data = _mp4_bytes(tmp_path, faststart=True)
        path.write_bytes(data[: data.index(b"mdat") + 200])
    else:  # pragma: no cover
        raise AssertionError(kind)
    return path


BAD_INPUTS = [
    ("missing", "no such file"),
    ("folder", "folder.mp4 is a folder, not a file"),
    ("empty", r"empty.mp4 is empty \(0 bytes\)"),
    ("text", "notes.txt is a text file, not a video: give an MP4"),
    ("text_named_mp4", "notes.mp4 is a text file, not a video"),
    ("random_named_mp4", "random_named_mp4.mp4 is named like a video, but its content is no video"),
    ("pdf", "document.pdf is a PDF document, not a video"),
    ("audio_only", "sound.m4a is a sound recording with no video"),
    ("header_cut", "header is damaged or incomplete"),
    ("index_cut", "damaged or incomplete"),
    ("no_decodable_frame", "no frame of its h264 video could be decoded"),
]


@pytest.mark.parametrize(("kind", "message"), BAD_INPUTS)
def test_bad_inputs_give_clear_errors(tmp_path: Path, kind: str, message: str) -> None:
    path = _make_bad_input(kind, tmp_path)
    with pytest.raises(VideoError, match=message) as probed:
        probe(path)
    # Every message names the file, and only the file: not the folder it is in (a server's path
    # on the Review page), except a missing file's, whose path is what to check.
    assert path.name in str(probed.value)
    assert (str(path.parent) in str(probed.value)) == (kind == "missing")
    with pytest.raises(VideoError, match=message):
        read_all(path)


def test_unreadable_file_says_permission_denied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "locked.mp4"
    write_clip(path, count=2)
    if os.geteuid() != 0:  # a real permission error; root reads anything, so simulate it there
        path.chmod(0)
    else:

        def deny(self: Path, *args: object, **kwargs: object) -> None:
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "open", deny)
    with pytest.raises(VideoError, match="permission denied"):
        probe(path)


def test_video_cut_midway_reads_what_is_there_and_warns(tmp_path: Path) -> None:
    data = _mp4_bytes(tmp_path, faststart=True)
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: int(len(data) * 0.6)])

    with pytest.warns(VideoWarning, match="damaged or cut short; read"):
        frames = read_all(path)
    assert 5 < len(frames) < 60
    times = [t for _, t in frames]
    assert times == sorted(times) and times[0] == 0.0


def test_errors_are_raised_before_the_first_frame(tmp_path: Path) -> None:
    """iter_frames checks the file when called, so a caller fails fast, not mid-loop."""
    with pytest.raises(VideoError, match="no such file"):
        iter_frames(tmp_path / "missing.mp4")
