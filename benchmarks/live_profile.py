"""Where a live frame's time goes on the server, stage by stage, at 640x480.

Each stage of the live path is timed on its own, on the same frames (a sample video's hold, VP8
coded as over WebRTC): aiortc's VP8 decode of the camera frame, the conversion to RGB, pose
inference, the session's judging, drawing the overlay, the conversion back to yuv420p, and aiortc's
VP8 encode of the returned frame. Then the server's stages are run as they run in the app, on
threads of one process: VP8 decode and encode on their own threads while the coach (two pose
estimators taking turns, as ``LiveCoach`` does) coaches frames back to back. The per-stage times
against the times alone show what sharing the GIL and the two cores costs.

Run: ``python benchmarks/live_profile.py [--frames 150]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import cv2
from aiortc.codecs.vpx import Vp8Decoder, Vp8Encoder, vp8_depayload
from aiortc.jitterbuffer import JitterFrame

from pose_coach.coach import Coach
from pose_coach.config import Settings
from pose_coach.input.pose import PoseEstimator
from pose_coach.judge.reference import get_reference
from pose_coach.live import LiveCoach, _video_frame
from pose_coach.output.annotate import draw

ROOT = Path(__file__).resolve().parent.parent
TIME_BASE = Fraction(1, 90_000)
STRETCH = "kneeling_psoas"


def camera_frames(count: int) -> list[av.VideoFrame]:
    """``count`` frames of the good-form sample's hold, 640x480, VP8-decoded as the server gets
    them (yuv420p)."""
    from benchmarks.live_throughput import load_frames

    rgbs = load_frames(ROOT / "sample_videos" / f"{STRETCH}_good.mp4", 8.0, count)
    encoder, decoder = Vp8Encoder(), Vp8Decoder()
    frames = []
    for n, rgb in enumerate(rgbs):
        frame = av.VideoFrame.from_ndarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), "yuv420p")
        frame.time_base, frame.pts = TIME_BASE, n * 3000
        payloads, stamp = encoder.encode(frame)
        data = b"".join(vp8_depayload(p) for p in payloads)
        [decoded] = decoder.decode(JitterFrame(data=data, timestamp=stamp))
        decoded.time_base, decoded.pts = TIME_BASE, n * 3000
        frames.append(decoded)
    return frames


def timed(items: list, work: Callable) -> tuple[float, list]:
    """Median ms of ``work(item)`` over the items, and its results."""
    times, results = [], []
    for item in items:
        start = time.perf_counter()
        results.append(work(item))
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times), results


def vp8_packets(frames: list[av.VideoFrame]) -> list[JitterFrame]:
    encoder = Vp8Encoder()
    packets = []
    for frame in frames:
        payloads, stamp = encoder.encode(frame)
        packets.append(JitterFrame(b"".join(vp8_depayload(p) for p in payloads), stamp))
    return packets


def stages(frames: list[av.VideoFrame]) -> None:
    """Each stage alone, one thread."""
    packets = vp8_packets(frames)
    decoder = Vp8Decoder()
    ms = {}
    ms["VP8 decode (aiortc)"], _ = timed(packets, lambda p: decoder.decode(p)[0])
    ms["to RGB: to_ndarray(rgb24)"], _ = timed(frames, lambda f: f.to_ndarray(format="rgb24"))
    ms["to RGB: yuv420p planes + OpenCV"], rgbs = timed(
        frames, lambda f: cv2.cvtColor(f.to_ndarray(format="yuv420p"), cv2.COLOR_YUV2RGB_I420)
    )
    reference, settings = get_reference(STRETCH), Settings()
    with PoseEstimator(video_mode=True) as estimator:
        estimator.detect(rgbs[0], 0.0)  # warm-up
        ms["pose inference 640x480"], poses = timed(
            list(enumerate(rgbs)), lambda item: estimator.detect(item[1], 1 + item[0] / 30)
        )
    coach = Coach(reference, settings, ("left", "right"))
    ms["judging (Coach.step)"], results = timed(
        list(enumerate(poses)), lambda item: coach.step(item[1], item[0] / 30)
    )
    ms["drawing the overlay"], _ = timed(
        list(zip(rgbs, results, strict=True)), lambda item: draw(item[0], item[1], reference)
    )
    ms["to yuv420p: from_ndarray(rgb24)"], _ = timed(
        rgbs, lambda rgb: av.VideoFrame.from_ndarray(rgb, format="rgb24")
    )
    ms["to yuv420p: OpenCV + from_ndarray"], out = timed(rgbs, _video_frame)
    encoder = Vp8Encoder()
    for n, frame in enumerate(out):
        frame.time_base, frame.pts = TIME_BASE, n * 3000
    ms["VP8 encode (aiortc)"], _ = timed(out, encoder.encode)
    ms["VP8 encode of an rgb24 frame"], _ = timed(
        [av.VideoFrame.from_ndarray(rgb, format="rgb24") for rgb in rgbs[:30]],
        Vp8Encoder().encode,
    )
    print("each stage alone, median ms per 640x480 frame:")
    for name, value in ms.items():
        print(f"  {name:36s} {value:6.2f}")
    path = ["VP8 decode (aiortc)", "to RGB: yuv420p planes + OpenCV", "pose inference 640x480",
            "judging (Coach.step)", "drawing the overlay", "to yuv420p: OpenCV + from_ndarray",
            "VP8 encode (aiortc)"]  # fmt: skip
    print(f"  {'sum of the live path':36s} {sum(ms[n] for n in path):6.2f}")


def together(frames: list[av.VideoFrame]) -> None:
    """The server's threads as in the app: VP8 decode and encode loops beside the coach."""
    packets = vp8_packets(frames)
    stop = threading.Event()
    codec_ms: dict[str, list[float]] = {"decode": [], "encode": []}

    def codec_loop(name: str, work: Callable, items: list) -> None:
        n = 0
        while not stop.is_set():
            start = time.perf_counter()
            work(items[n % len(items)])
            codec_ms[name].append(1000 * (time.perf_counter() - start))
            n += 1
            time.sleep(max(0.0, 1 / 30 - (time.perf_counter() - start)))  # a 30 fps stream

    decoder, encoder = Vp8Decoder(), Vp8Encoder()
    threads = [
        threading.Thread(target=codec_loop, args=("decode", decoder.decode, packets)),
        threading.Thread(target=codec_loop, args=("encode", encoder.encode, frames)),
    ]
    coach = LiveCoach(get_reference(STRETCH))
    asyncio.run(coach.recv_queued(frames[:2]))  # loads the models
    for thread in threads:
        thread.start()
    start = time.perf_counter()
    count = 0
    for n in range(2, len(frames) - 1, 2):
        pair = [_restamp(frames[n], n), _restamp(frames[n + 1], n + 1)]
        asyncio.run(coach.recv_queued(pair))
        count += 2
    elapsed = time.perf_counter() - start
    stop.set()
    for thread in threads:
        thread.join()
    coach.close()
    print("together (VP8 decode and encode at 30 fps on their own threads, the coach given two "
          "frames at a time):")  # fmt: skip
    print(f"  coach: {count / elapsed:.0f} frames/s, {1000 * elapsed / count:.1f} ms a frame")
    for name, values in codec_ms.items():
        print(f"  VP8 {name}: median {statistics.median(values):.2f} ms ({len(values)} frames)")


def _restamp(frame: av.VideoFrame, n: int) -> av.VideoFrame:
    frame.time_base, frame.pts = TIME_BASE, (1000 + n) * 3000
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=150)
    count = parser.parse_args().frames
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    frames = camera_frames(count)
    stages(frames)
    together(frames)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
