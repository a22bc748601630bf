"""Running a batch on Ray: actors that keep the pose model loaded, one video per task.

Locally by default (a private Ray instance with one worker per core), or on an existing cluster when
an address is given (``--address`` or ``RAY_ADDRESS``). Each actor is one worker process: it
imports MediaPipe and reads the model once, then reviews video after video through
``batch.review_job`` (a fresh tracker per video, so each report is what ``pose-coach review``
writes). A video that fails is listed with its error; a worker process that dies is restarted by
Ray and its video tried once more, then listed as failed; the other videos go on.

Ray is an optional extra: only this module imports it, and only ``review-batch`` imports this one.
"""

from __future__ import annotations

import os
import resource
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from pose_coach.batch import FAILED, BatchError, Job, Outcome, review_job
from pose_coach.config import Settings

INSTALL_HINT = (
    "review-batch runs on Ray, an optional part of pose-coach: install it with "
    "python -m pip install -e \".[cluster]\" (or pip install 'ray>=2.40')"
)


def _ray():
    try:
        import ray
    except ImportError:
        raise BatchError(INSTALL_HINT) from None
    return ray


def _rss_mb() -> float:
    """This process's resident memory now (MB), from /proc; its peak where /proc is missing."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class ReviewWorker:
    """A Ray actor: one worker process that keeps the pose model loaded and reviews videos."""

    def __init__(self, settings: Settings) -> None:
        from pose_coach.input.pose import PoseEstimator

        self.settings = settings
        self.node = _ray().get_runtime_context().get_node_id()
        PoseEstimator(settings.model_path).close()  # MediaPipe loaded, the model read: once

    def review(self, job: Job) -> Outcome:
        outcome = review_job(job, self.settings)
        return _with_worker(outcome, self.node, _rss_mb())


def _with_worker(outcome: Outcome, node: str, rss_mb: float) -> Outcome:
    return replace(outcome, worker=f"{os.uname().nodename}:{os.getpid()}", node=node,
                   worker_rss_mb=round(rss_mb, 1))  # fmt: skip


def connect(address: str | None, workers: int | None) -> int:
    """Start a private local Ray (``workers`` CPUs, default all cores) or join the cluster at
    ``address`` (or ``RAY_ADDRESS``); returns the number of workers to run."""
    ray = _ray()
    address = address or os.environ.get("RAY_ADDRESS") or None
    quiet = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if address:
        package = str(Path(__file__).resolve().parent)
        # The nodes run the driver's own pose_coach (uploaded once, cached by Ray).
        ray.init(address=address, runtime_env={"py_modules": [package]},
                 log_to_driver=False, configure_logging=False)  # fmt: skip
        return workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    workers = workers or os.cpu_count() or 1
    # "local": always a new private instance, never a Ray that happens to run on this machine.
    ray.init(address="local", num_cpus=workers, **quiet)
    return workers


def run_jobs(jobs: list[Job], settings: Settings, workers: int) -> Iterator[Outcome]:
    """Review ``jobs`` on ``workers`` actors (after ``connect``); yields each video's outcome as
    it finishes."""
    ray = _ray()
    actor_class = ray.remote(num_cpus=1, max_restarts=1, max_task_retries=1)(ReviewWorker)
    actors = [actor_class.remote(settings) for _ in range(min(workers, len(jobs)))]
    waiting = list(reversed(jobs))
    running: dict = {}  # future -> (job, actor)

    def submit(actor) -> None:
        if waiting:
            job = waiting.pop()
            running[actor.review.remote(job)] = (job, actor)

    for actor in actors:
        submit(actor)
    while running:  # on an early stop, the actors go with the driver's Ray connection
        ready, _ = ray.wait(list(running), num_returns=1)
        job, actor = running.pop(ready[0])
        try:
            outcome = ray.get(ready[0])
        except ray.exceptions.RayError as error:  # the worker process died on this video
            last = str(error).strip().splitlines()[-1]
            outcome = Outcome(job, FAILED, error=f"the worker reviewing it failed: {last}")
            actor = actor_class.remote(settings)  # a fresh one for the rest
        yield outcome
        submit(actor)


def shutdown() -> None:
    if "ray" in sys.modules:
        sys.modules["ray"].shutdown()
