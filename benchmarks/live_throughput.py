"""Live throughput: frames coached per second and the latency coaching adds, at 640x480 / 30 fps.

A camera track replays a video (looped, resized to 640x480) in real time at 30 fps into
streamlit-webrtc's own asynchronous processing track, exactly as the live page wires it
(``queued_video_frames_callback=LiveCoach.recv_queued``, ``async_processing=True``); a consumer pulls
the output at the camera's pace, as the WebRTC sender does. With ``--codecs`` (the default) the
server's share of WebRTC is included too: each camera frame is VP8-encoded and decoded with aiortc's
own codec classes before it reaches the track, and each output frame is VP8-encoded, in worker
threads, competing for the CPU as they do in the app. (The browser's own encoding and decoding are
not included.)

Reported, after a warm-up (the model loads on the first frame):
- coached fps and the share of camera frames dropped (the newest frame is coached, older queued ones
  are dropped, so latency cannot build up);
- processing time per coached frame (``LiveCoach.recv``: colour conversion, pose, session, drawing);
- latency from capture to the coached frame leaving the track, and the same for a pass-through
  callback: the difference is what coaching adds;
- the rate LiveCoach reaches alone, frames back to back, with no camera pacing.

Each is measured for one pose estimator (the baseline) and for LiveCoach's default of
``ESTIMATORS`` estimators taking turns (see pose_coach/live.py), in the same run. The estimators
are live coaching's own (``live.live_estimator``: the default model, heavy, searching for a small
person, its tracking checked).

With ``--small``, LiveCoach's default estimators are measured instead on three versions of the
frames, in the same run: as filmed (the baseline), the person at a third of the size (a camera
three times farther off: found by the search, one window a frame, and followed in a window), and
nobody in the frame (a window searched every frame).

``--model``: another pose model for the estimators (e.g. ``full``; default heavy).

Run: ``python benchmarks/live_throughput.py [VIDEO] [--seconds 20] [--no-codecs] [--small]
[--model M]``
(VIDEO defaults to sample_videos/kneeling_psoas_good.mp4, from 8 s: the person holds the stretch).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from aiortc.codecs.vpx import Vp8Decoder, Vp8Encoder, vp8_depayload
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamTrack
from streamlit_webrtc.models import CallbackAttachableProcessor
from streamlit_webrtc.process import AsyncVideoProcessTrack

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' helpers
from pose_coach.config import Settings
from pose_coach.input.pose import PoseEstimator
from pose_coach.input.video import iter_frames
from pose_coach.judge.reference import get_reference
from pose_coach.live import ESTIMATORS, LiveCoach, live_estimator
from tests.images import far_away

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT, FPS = 640, 480, 30
TIME_BASE = Fraction(1, 90_000)
WARMUP_S = 3.0


def load_frames(path: Path, start_s: float, limit: int = 300) -> list[np.ndarray]:
    """Up to ``limit`` frames from ``start_s`` on, at 640x480."""
    frames = []
    for rgb, t in iter_frames(path):
        if t >= start_s:
            frames.append(cv2.resize(rgb, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA))
        if len(frames) >= limit:
            break
    return frames


class CameraTrack(MediaStreamTrack):
    """Replays frames in real time; with ``codecs`` each goes through VP8 as over WebRTC."""

    kind = "video"

    def __init__(self, frames: list[np.ndarray], codecs: bool, pool: ThreadPoolExecutor) -> None:
        super().__init__()
        self.frames, self.codecs, self.pool = frames, codecs, pool
        self.encoder, self.decoder = (Vp8Encoder(), Vp8Decoder()) if codecs else (None, None)
        self.n = 0
        self.start = time.perf_counter()
        # id(frame) -> capture time; not keyed by pts: encoding a frame rebases its pts in place.
        self.captured: dict[int, float] = {}

    def _through_vp8(self, frame: av.VideoFrame) -> av.VideoFrame:
        payloads, timestamp = self.encoder.encode(frame)
        data = b"".join(vp8_depayload(p) for p in payloads)
        [decoded] = self.decoder.decode(JitterFrame(data=data, timestamp=timestamp))
        return decoded

    async def recv(self) -> av.VideoFrame:
        due = self.start + self.n / FPS
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        rgb = self.frames[self.n % len(self.frames)]
        yuv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        pts = self.n * round(1 / (FPS * TIME_BASE))
        captured = time.perf_counter()
        if self.codecs:
            frame = await asyncio.get_running_loop().run_in_executor(
                self.pool, self._through_vp8, frame
            )
        frame.time_base = TIME_BASE  # before pts: setting a time base rescales the pts
        frame.pts = pts
        self.captured[id(frame)] = captured
        self.n += 1
        return frame


async def run_stream(frames, seconds: float, codecs: bool, coach: LiveCoach | None) -> dict:
    """Stream for ``seconds``; returns latencies (s) after the warm-up and the coach's stats."""
    pool = ThreadPoolExecutor(max_workers=2)
    camera = CameraTrack(frames, codecs, pool)
    sent: dict[int, float] = {}  # id(output frame) -> capture time of the frame it shows

    async def callback(queued: list[av.VideoFrame]) -> list[av.VideoFrame]:
        captures = [camera.captured.pop(id(frame)) for frame in queued]
        out = await coach.recv_queued(queued) if coach else [queued[-1]]
        sent[id(out[-1])] = captures[-1]  # what goes back shows the newest frame
        return out

    processor = CallbackAttachableProcessor(None, callback, None)
    track = AsyncVideoProcessTrack(track=camera, processor=processor)
    encoder = Vp8Encoder() if codecs else None
    loop = asyncio.get_running_loop()
    latencies, start = [], time.perf_counter()
    while time.perf_counter() - start < seconds:
        out = await track.recv()
        now = time.perf_counter()
        capture = sent.pop(id(out), None)
        if capture is not None and now - start > WARMUP_S:
            latencies.append(now - capture)
        if encoder is not None:
            await loop.run_in_executor(pool, encoder.encode, out)
    track.stop()
    pool.shutdown()
    return {"latencies": np.array(latencies), "frames": camera.n}


def make_coach(
    stretch: str, estimators: int, model: Path | None = None
) -> tuple[LiveCoach, list[PoseEstimator]]:
    """A LiveCoach with ``estimators`` pose estimators taking turns (closed by the caller)."""
    owned = [live_estimator(model) for _ in range(estimators)]  # None: the default model (heavy)
    settings = Settings(model_path=model)
    coach = LiveCoach(get_reference(stretch), settings, estimators=[e.detect for e in owned])
    return coach, owned


def alone(
    frames: list[np.ndarray], stretch: str, estimators: int, model: Path | None, count: int = 150
) -> float:
    """Frames per second LiveCoach coaches fed back to back (no camera pacing), as many frames
    per call as it has estimators: its capacity when it falls behind a camera."""
    coach, owned = make_coach(stretch, estimators, model)
    video_frames = []
    for n in range(count):
        frame = av.VideoFrame.from_ndarray(frames[n % len(frames)], format="rgb24")
        frame.time_base, frame.pts = TIME_BASE, n * 3000
        video_frames.append(frame)
    asyncio.run(coach.recv_queued(video_frames[:estimators]))  # warms the models up
    start = time.perf_counter()
    for n in range(estimators, count, estimators):
        asyncio.run(coach.recv_queued(video_frames[n : n + estimators]))
    rate = (count - estimators) / (time.perf_counter() - start)
    for estimator in owned:
        estimator.close()
    return rate


def percentiles(values: np.ndarray) -> str:
    if not len(values):
        return "n/a"
    p50, p95 = np.percentile(values * 1000, [50, 95])
    return f"median {p50:.0f} ms, 95th percentile {p95:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "video", nargs="?", type=Path, help="default: sample_videos/STRETCH_good.mp4"
    )
    parser.add_argument("--stretch", default="kneeling_psoas")
    parser.add_argument("--start", type=float, default=8.0, help="seconds into the video (a hold)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to stream")
    parser.add_argument(
        "--no-codecs",
        dest="codecs",
        action="store_false",
        help="leave out the VP8 encoding and decoding WebRTC adds",
    )
    parser.add_argument("--model", type=Path, help="a pose model (default: heavy)")
    parser.add_argument(
        "--small",
        action="store_true",
        help="the default estimators on the person as filmed, at a third of the size, and absent",
    )
    args = parser.parse_args()
    video = args.video or ROOT / "sample_videos" / f"{args.stretch}_good.mp4"
    frames = load_frames(video, args.start)
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"source: {video.name} from {args.start:g} s ({len(frames)} frames, looped) at {WIDTH}x{HEIGHT}, {FPS} fps; "
        f"VP8 codecs {'included' if args.codecs else 'left out'}"
    )

    passthrough = asyncio.run(run_stream(frames, min(args.seconds, 10.0), args.codecs, None))
    print(f"latency capture -> output, pass-through: {percentiles(passthrough['latencies'])}")
    print(f"camera: {FPS} fps for {args.seconds:.0f} s per run")
    if args.small:
        versions = {
            "as filmed": frames,
            "the person at a third of the size": [far_away(rgb) for rgb in frames],
            "nobody in the frame": [np.full_like(rgb, 128) for rgb in frames[:1]],
        }
        for name, version in versions.items():
            print(f"\n{name}, {ESTIMATORS} estimators (the default):")
            measure(version, args, ESTIMATORS, passthrough)
        return
    for estimators in sorted({1, ESTIMATORS}):
        print(f"\n{estimators} estimator(s){' (the default)' if estimators == ESTIMATORS else ''}:")
        measure(frames, args, estimators, passthrough)


def measure(frames: list[np.ndarray], args, estimators: int, passthrough: dict) -> None:
    """Stream ``frames`` through a LiveCoach with ``estimators`` and print its figures."""
    coach, owned = make_coach(args.stretch, estimators, args.model)
    coached = asyncio.run(run_stream(frames, args.seconds, args.codecs, coach))
    stats = coach.stats()
    outcome = coach.finish()
    for estimator in owned:
        estimator.close()
    added = np.median(coached["latencies"]) - np.median(passthrough["latencies"])
    holds = outcome.summary.holds if outcome else ()
    print(
        f"  coached: {stats.processed / args.seconds:.1f} fps ({stats.processed} of "
        f"{coached['frames']} camera frames), dropped {100 * stats.drop_fraction:.1f}%"
        f"{', stepped down' if stats.stride > 1 else ''}"
    )
    print(f"  wall time per coached frame: mean {stats.mean_process_ms:.1f} ms")
    print(f"  latency capture -> output: {percentiles(coached['latencies'])}")
    print(f"  added by coaching (median): {added * 1000:.0f} ms")
    print(f"  session: {len(holds)} hold(s), good form {sum(h.good_form_s for h in holds):.1f} s")
    print(
        "  LiveCoach alone, frames back to back: "
        f"{alone(frames, args.stretch, estimators, args.model):.0f} fps"
    )


if __name__ == "__main__":
    main()
