"""Video and still-image input, and browser-playable H.264 output, with PyAV.

Input: any container and codec FFmpeg decodes (H.264, HEVC, VP9, AV1, ...) plus JPEG/PNG/BMP/WebP
stills. Timestamps are the frames' presentation times, so variable-frame-rate recordings keep their
timing. Frames come out RGB uint8, turned upright when the container says the video is rotated
(phones record portrait video as rotated landscape).

Output: H.264 (libx264, yuv420p) in MP4 with the index at the front (`+faststart`), which every
browser plays. The file is written under a temporary name beside the destination and renamed into
place only when it is complete.

Pixel-format conversion uses OpenCV's I420 routines (about 0.5 ms a frame at 640x480), which are
several times faster than FFmpeg's swscale through PyAV; other pixel formats go through swscale.
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import secrets
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import av.error
import cv2
import numpy as np

# Magic numbers of the still-image formats we read (by content, whatever the file's name).
_IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"BM", "bmp"),
)
_HEADER_BYTES = 512  # enough to tell a text file from a binary one
# Files people pick by mistake, told by their first bytes: (signature, what the file is).
_NOT_MEDIA = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)
MEDIA_HINT = "give an MP4/MOV/WebM/MKV video or a JPEG/PNG/BMP/WebP photo"
# Names that promise a video: a file with one that FFmpeg cannot open is damaged, not mistaken.
_EBML = b"\x1a\x45\xdf\xa3"  # the start of a WebM / Matroska file
_VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi"})
# Output encoding: superfast takes about half the CPU of veryfast for about twice the bytes (still
# only about 0.2 Mbit/s at 640x480); crf 23 is x264's default quality.
X264_PRESET = "superfast"
X264_CRF = 23
# Encoder time base: fine enough for any real frame time.
_OUT_TIME_BASE = Fraction(1, 90_000)
_QUEUE_FRAMES = 4
# Let FFmpeg decode on its own threads (frame or slice), beside the pose model's core.
_DECODER_THREADING = "AUTO"


class VideoError(ValueError):
    """A video or image cannot be read or written; the message says what to do."""


class VideoWarning(UserWarning):
    """A video was read only in part (damaged or cut short); the frames returned are good."""


@dataclass(frozen=True)
class VideoInfo:
    """What a video (or still) holds.

    width, height: the upright frame size in pixels (after any rotation the container asks for).
    fps: nominal frames per second; 0.0 for a still or when the file does not say.
    frame_count: frames, as the container reports them or estimated from duration * fps (1 for a still).
    duration_s: length in seconds (0.0 for a still).
    codec: FFmpeg's codec name ("h264", "av1", ...) or the image format ("jpeg", "png", ...).
    is_image: True for a still picture.
    """

    width: int
    height: int
    fps: float
    frame_count: int
    duration_s: float
    codec: str
    is_image: bool

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"frame size must be positive, got {self.width}x{self.height}")
        if not (math.isfinite(self.fps) and self.fps >= 0):
            raise ValueError(f"fps must be finite and >= 0, got {self.fps}")
        if self.frame_count < 0 or not (math.isfinite(self.duration_s) and self.duration_s >= 0):
            raise ValueError(f"bad frame_count {self.frame_count} or duration {self.duration_s}")


# --- reading ---------------------------------------------------------------------------------------


def _read_header(path: Path) -> bytes:
    """The file's first bytes, after checking that it exists, is a file, is readable and not empty."""
    if not path.exists():
        raise VideoError(f"{path}: no such file; check the path and the file name")
    if not path.is_file():
        raise VideoError(
            f"{path.name} is a folder, not a file; give the path of a video or picture"
        )
    try:
        with path.open("rb") as handle:
            header = handle.read(_HEADER_BYTES)
    except PermissionError:
        raise VideoError(
            f"{path.name}: permission denied; make the file readable to this user"
        ) from None
    except OSError as error:
        raise VideoError(
            f"{path.name} cannot be read ({error.strerror or error}); copy it to a local folder and try again"
        ) from error
    if not header:
        raise VideoError(f"{path.name} is empty (0 bytes); record or upload it again")
    return header


def _image_format(header: bytes) -> str | None:
    """The still-image format the header announces, or None."""
    if header[:4] == b"RIFF" and header[8:12] == b"WEBP":
        return "webp"
    for signature, name in _IMAGE_SIGNATURES:
        if header.startswith(signature):
            return name
    return None


def _read_image(path: Path, kind: str) -> np.ndarray:
    """Decode a still to RGB, upright as its EXIF orientation says."""
    data = np.fromfile(path, dtype=np.uint8)
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if bgr is None:
        raise VideoError(
            f"{path.name} is a {kind.upper()} picture that cannot be decoded: it is damaged or "
            "incomplete; save or upload it again"
        )
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _not_media(header: bytes) -> str | None:
    """What the file is, if its first bytes show it is no video or picture at all."""
    for signature, what in _NOT_MEDIA:
        if header.startswith(signature):
            return what
    if header.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "a web page (HTML)"
    if b"\x00" in header or header.startswith(b"YUV4MPEG2"):  # binary, or raw video's text header
        return None
    text = header.decode("utf-8", errors="replace")
    readable = sum(c != "\ufffd" and (c.isprintable() or c in "\t\r\n") for c in text)
    return "a text file" if readable >= 0.95 * len(text) else None


def _open_container(path: Path, header: bytes) -> av.container.InputContainer:
    what = _not_media(header)
    if what is not None:
        raise VideoError(f"{path.name} is {what}, not a video: {MEDIA_HINT}")
    try:
        return av.open(str(path), mode="r")
    except av.error.FFmpegError as error:
        if header[4:8] == b"ftyp" or header.startswith(_EBML):
            raise VideoError(
                f"{path.name} is a video whose header is damaged or incomplete ({error.strerror}); "
                "the recording or upload was probably cut off: record or upload it again"
            ) from None
        if path.suffix.lower() in _VIDEO_SUFFIXES:
            raise VideoError(
                f"{path.name} is named like a video, but its content is no video format that can "
                f"be read ({error.strerror}): it is damaged, or not a video; record or upload it "
                "again, or convert it to H.264 MP4"
            ) from None
        raise VideoError(
            f"{path.name} is not a video or picture that can be read ({error.strerror}); "
            + MEDIA_HINT
        ) from None


def _video_stream(path: Path, container: av.container.InputContainer) -> av.video.VideoStream:
    if not container.streams.video:
        if container.streams.audio:
            raise VideoError(f"{path.name} is a sound recording with no video; give a video file")
        raise VideoError(
            f"{path.name} holds no readable stream; the file is damaged or incomplete: "
            "record or upload it again"
        )
    stream = container.streams.video[0]
    if stream.codec_context is None:
        raise VideoError(
            f"{path.name}: no decoder here for its video codec; convert it to H.264 MP4"
        )
    return stream


def _to_rgb(frame: av.VideoFrame) -> np.ndarray:
    """An upright RGB uint8 copy of a decoded frame."""
    if frame.format.name == "yuv420p" and frame.width % 2 == 0 and frame.height % 2 == 0:
        rgb = cv2.cvtColor(frame.to_ndarray(), cv2.COLOR_YUV2RGB_I420)
    else:
        rgb = frame.to_ndarray(format="rgb24")
    quarter_turns = round(frame.rotation / 90) % 4
    if quarter_turns:
        # The display matrix gives a counter-clockwise angle, as does np.rot90.
        rgb = np.ascontiguousarray(np.rot90(rgb, quarter_turns))
    return rgb


def _stream_fps(stream: av.video.VideoStream) -> float:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return float(rate) if rate else 0.0


def _stream_duration_s(
    stream: av.video.VideoStream, container: av.container.InputContainer
) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Describe a video or still; decodes the first frame, so a file that probes fine can be read."""
    path = Path(path)
    header = _read_header(path)
    kind = _image_format(header)
    if kind is not None:
        height, width = _read_image(path, kind).shape[:2]
        return VideoInfo(width, height, 0.0, 1, 0.0, kind, is_image=True)
    with _open_container(path, header) as container:
        stream = _video_stream(path, container)
        first = next(_decode(path, container, stream, warn=False), None)
        if first is None:
            raise _no_frames_error(path, stream)
        height, width = first[0].shape[:2]
        fps = _stream_fps(stream)
        duration = _stream_duration_s(stream, container)
        count = stream.frames or round(duration * fps)
        return VideoInfo(
            width, height, fps, count, duration, stream.codec_context.codec.canonical_name, False
        )


def iter_frames(path: str | os.PathLike[str]) -> Iterator[tuple[np.ndarray, float]]:
    """Yield (RGB uint8 frame, timestamp in seconds from the stream's start) for each frame.

    A still yields one frame at t=0. Errors about the file itself (missing, empty, not a video,
    damaged header) are raised here, before the first frame. A video that decodes to no frame at all
    raises VideoError; one damaged or cut off part-way yields what decodes and warns (VideoWarning).
    """
    path = Path(path)
    header = _read_header(path)
    kind = _image_format(header)
    if kind is not None:
        return iter([(_read_image(path, kind), 0.0)])
    container = _open_container(path, header)
    try:
        stream = _video_stream(path, container)
    except VideoError:
        container.close()
        raise
    return _frames_then_close(path, container, stream)


def _frames_then_close(
    path: Path, container: av.container.InputContainer, stream: av.video.VideoStream
) -> Iterator[tuple[np.ndarray, float]]:
    with container:
        count = 0
        for item in _decode(path, container, stream, warn=True):
            count += 1
            yield item
        if count == 0:
            raise _no_frames_error(path, stream)


def _no_frames_error(path: Path, stream: av.video.VideoStream) -> VideoError:
    return VideoError(
        f"{path.name}: no frame of its {stream.codec_context.codec.canonical_name} video could be decoded; "
        "the file is damaged or incomplete: record or upload it again, or convert it to H.264 MP4"
    )


def _decode(
    path: Path, container: av.container.InputContainer, stream: av.video.VideoStream, *, warn: bool
) -> Iterator[tuple[np.ndarray, float]]:
    """Decode frames, skipping packets the decoder rejects; warn if the video was read in part."""
    stream.thread_type = _DECODER_THREADING
    start = stream.start_time or 0
    time_base = stream.time_base
    frame_s = 1.0 / (_stream_fps(stream) or 30.0)
    count, bad_packets, last_t = 0, 0, -frame_s
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                bad_packets += 1
                continue
            for frame in frames:
                if frame.pts is not None and time_base is not None:
                    last_t = float((frame.pts - start) * time_base)
                else:  # Raw streams may lack times: assume the nominal rate.
                    last_t += frame_s
                count += 1
                yield _to_rgb(frame), last_t
    except av.error.FFmpegError as error:  # The demuxer gave up: the file ends early.
        stopped = f", then reading failed ({error.strerror})"
    else:
        stopped = ""
    expected = stream.frames
    if warn and count and (bad_packets or stopped or (expected and count < expected - 1)):
        warnings.warn(
            f"{path.name} is damaged or cut short; read {count} frames"
            + (f" of {expected}" if expected else "")
            + (f", skipped {bad_packets} damaged packets" if bad_packets else "")
            + stopped,
            VideoWarning,
            stacklevel=2,
        )


# --- writing ---------------------------------------------------------------------------------------


def _create_temp_beside(path: Path) -> Path:
    """A new empty hidden file in path's folder, with the usual permissions (umask), unlike mkstemp."""
    for _ in range(100):
        temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        except OSError as error:
            raise VideoError(f"{path.parent}: cannot write here ({error.strerror})") from error
        return temp
    raise VideoError(f"{path.parent}: cannot create a temporary file")


_FLUSH = object()  # Queue sentinel: finish the file.
_ABORT = object()  # Queue sentinel: stop without finishing.


class VideoWriter:
    """Write RGB frames to a browser-playable H.264 MP4, atomically.

    Frames go to `<folder>/.<name>.*.part` and the file appears at `path` only when close() succeeds;
    an exception inside a `with` block (or abort()) deletes the partial file. Odd frame sizes are
    padded by one repeated row/column, since yuv420p needs even sizes. Encoding runs on a background
    thread, so write() costs about a frame copy; a frame's timestamp_s defaults to n / fps.
    """

    def __init__(self, path: str | os.PathLike[str], width: int, height: int, fps: float) -> None:
        self.path = Path(path)
        if width < 2 or height < 2:
            raise VideoError(f"frame size must be at least 2x2, got {width}x{height}")
        if not (math.isfinite(fps) and fps > 0):
            raise VideoError(f"fps must be a positive number, got {fps}")
        if not self.path.parent.is_dir():
            raise VideoError(
                f"{self.path.parent}: no such folder; create it before writing a video"
            )
        self.width, self.height, self.fps = width, height, fps
        self._pad = (height % 2, width % 2)
        self._temp = _create_temp_beside(self.path)
        name = str(self._temp)
        try:
            self._container = av.open(name, "w", format="mp4", options={"movflags": "+faststart"})
            self._stream = self._add_stream(fps, width + self._pad[1], height + self._pad[0])
        except Exception:
            self._temp.unlink(missing_ok=True)
            raise
        self._queue: queue.Queue[object] = queue.Queue(maxsize=_QUEUE_FRAMES)
        # Recycled frame buffers: a fresh 1 MB array per frame costs more in page faults than the copy.
        self._spare: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._frames = 0
        self._last_pts = -1
        self._first_t: float | None = None
        self._open = True
        self._thread = threading.Thread(target=self._encode_loop, name="VideoWriter", daemon=True)
        self._thread.start()

    def _add_stream(self, fps: float, width: int, height: int) -> av.video.VideoStream:
        options = {"preset": X264_PRESET, "crf": str(X264_CRF)}
        stream = self._container.add_stream(
            "libx264", rate=Fraction(fps).limit_denominator(1001), options=options
        )
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = _OUT_TIME_BASE
        # One x264 thread, on our encoder thread: pose inference keeps the other core busy, and the
        # output stays deterministic.
        stream.codec_context.thread_count = 1
        return stream

    def write(self, rgb: np.ndarray, timestamp_s: float | None = None) -> None:
        """Queue one RGB uint8 (height, width, 3) frame.

        timestamp_s (default n / fps) keeps variable frame rates; the output starts at the first
        frame's time, and a time not after the previous one is nudged forward.
        """
        if not self._open:
            raise VideoError(f"{self.path}: the writer is closed")
        if self._error is not None:
            raise VideoError(f"{self.path}: encoding failed: {self._error}") from self._error
        expected = (self.height, self.width, 3)
        if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.shape != expected:
            got = f"{rgb.dtype} {rgb.shape}" if isinstance(rgb, np.ndarray) else type(rgb).__name__
            raise VideoError(f"frame must be an RGB uint8 array of shape {expected}, got {got}")
        if timestamp_s is not None and not math.isfinite(timestamp_s):
            raise VideoError(f"timestamp_s must be finite, got {timestamp_s}")
        t = self._frames / self.fps if timestamp_s is None else timestamp_s
        if self._first_t is None:
            self._first_t = t  # The output starts at 0 whatever time the first frame had.
        pts = max(round((t - self._first_t) / _OUT_TIME_BASE), self._last_pts + 1)
        self._last_pts = pts
        self._frames += 1
        # Copy: the caller may reuse or draw on its array before the encoder gets to it.
        try:
            buffer = self._spare.get_nowait()
        except queue.Empty:
            buffer = np.empty(rgb.shape, np.uint8)
        np.copyto(buffer, rgb)
        self._queue.put((buffer, pts))

    def _encode_loop(self) -> None:
        """Background thread: convert, encode and mux frames until a sentinel arrives."""
        while True:
            item = self._queue.get()
            if item is _ABORT:
                return
            if self._error is not None:
                if item is _FLUSH:
                    return
                continue  # Keep draining so write() never blocks on a full queue.
            try:
                if item is _FLUSH:
                    for packet in self._stream.encode(None):
                        self._container.mux(packet)
                    self._container.close()
                    return
                rgb, pts = item
                self._encode(rgb, pts)
                self._spare.put(rgb)
            except Exception as error:  # Reported to the caller by write() / close().
                self._error = error

    def _encode(self, rgb: np.ndarray, pts: int) -> None:
        if any(self._pad):
            rgb = cv2.copyMakeBorder(rgb, 0, self._pad[0], 0, self._pad[1], cv2.BORDER_REPLICATE)
        frame = av.VideoFrame.from_ndarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), "yuv420p")
        frame.pts = pts
        frame.time_base = _OUT_TIME_BASE
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        """Finish the file and move it to `path`; raises VideoError (leaving no file) on failure."""
        if not self._open:
            return
        self._open = False
        self._queue.put(_FLUSH)
        self._thread.join()
        error = self._error
        if error is None and self._frames == 0:
            error = VideoError("no frame was written")
        if error is not None:
            self._discard()
            raise VideoError(f"{self.path}: could not write the video: {error}") from error
        os.replace(self._temp, self.path)

    def abort(self) -> None:
        """Stop and delete the partial file; `path` is left untouched."""
        if not self._open:
            return
        self._open = False
        self._queue.put(_ABORT)
        self._thread.join()
        self._discard()

    def _discard(self) -> None:
        # Already failing: the partial file is deleted next either way.
        with contextlib.suppress(av.error.FFmpegError, OSError, ValueError):
            self._container.close()
        self._temp.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
