"""Batch throughput with 1 and 2 Ray workers, in one run, and each worker's memory over the batch.

    python benchmarks/batch_throughput.py [--videos N] [--workers 1 2]

Reviews the same N sample videos (default 8: the good-form video of each stretch and four with a
fault, each about 80 s, 2,378 frames; stretch recognised with ``auto``, annotated video written,
as ``review-batch`` does) once per worker count, each on a fresh local Ray, and prints videos per
minute, frames per second, the speed-up against one worker, each worker process's resident memory
after every video it reviewed, and the nodes needed for 10,000 five-minute 30 fps videos a day at
the measured rate. Wall time includes Ray's start (printed too).
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from pose_coach import batch
from pose_coach.config import Settings

SAMPLES = Path(__file__).resolve().parent.parent / "sample_videos"
NAMES = [f"{stretch}_{kind}.mp4" for kind in ("good", "bounce")
         for stretch in ("kneeling_psoas", "lying_psoas", "standing_psoas", "half_kneeling_hip_flexor")]  # fmt: skip
DAY_FRAMES = 10_000 * 5 * 60 * 30  # 10,000 five-minute videos a day at 30 fps


def run(videos: list[Path], workers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="pose-coach-batch-") as out:
        jobs = batch.find_jobs(videos, "auto", Path(out))
        memory: dict[str, list[float]] = defaultdict(list)
        times: list[float] = []
        start = time.perf_counter()

        def progress(outcome: batch.Outcome) -> None:
            times.append(time.perf_counter() - start)
            memory[outcome.worker].append(outcome.worker_rss_mb)
            if outcome.status != batch.DONE:
                print(f"  {outcome.job.video.name}: {outcome.status} {outcome.error}")

        outcomes = batch.run_batch(jobs, Settings(), Path(out), workers=workers, progress=progress)
        wall = time.perf_counter() - start
    frames = sum(o.frames for o in outcomes)
    return {"workers": workers, "wall": wall, "first": times[0] if times else math.nan,
            "frames": frames, "videos": len(outcomes), "memory": dict(memory)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    print(f"{args.videos} videos from: {', '.join(NAMES[: args.videos])}")
    with tempfile.TemporaryDirectory(prefix="pose-coach-videos-") as folder:
        videos = []  # links with names of their own: more videos than samples repeat them
        for i in range(args.videos):
            videos.append(Path(folder) / f"{i:03d}-{NAMES[i % len(NAMES)]}")
            videos[-1].symlink_to(SAMPLES / NAMES[i % len(NAMES)])
        results = [run(videos, workers) for workers in args.workers]
    for r in results:
        fps = r["frames"] / r["wall"]
        print(f"{r['workers']} worker(s): {r['videos']} videos, {r['frames']} frames in {r['wall']:.1f} s "
              f"(first video back after {r['first']:.1f} s): {60 * r['videos'] / r['wall']:.2f} "
              f"videos/min, {fps:.1f} frames/s", flush=True)  # fmt: skip
        for worker, rss in sorted(r["memory"].items()):
            print(
                f"  worker {worker}: RSS after each video (MB): {', '.join(f'{m:.0f}' for m in rss)}"
            )
    base = results[0]["frames"] / results[0]["wall"]
    for r in results[1:]:
        print(f"speed-up {r['workers']} workers / {results[0]['workers']}: "
              f"{r['frames'] / r['wall'] / base:.2f}x")  # fmt: skip
    best = max(r["frames"] / r["wall"] for r in results)
    print(f"10,000 five-minute videos a day = {DAY_FRAMES:,} frames = {DAY_FRAMES / 86400:.0f} "
          f"frames/s around the clock: {math.ceil(DAY_FRAMES / 86400 / best)} nodes like this one "
          f"at {best:.1f} frames/s each")  # fmt: skip


if __name__ == "__main__":
    main()
