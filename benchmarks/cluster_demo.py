"""The cluster path on one machine: a Ray head node and a second node joined with
``ray start --address``, a batch submitted to the cluster by address, and Ray's own task records
showing which node reviewed which video.

    python benchmarks/cluster_demo.py [VIDEO ...] [--port 6390]

Starts both nodes (one CPU each, no dashboard) in a private temp folder, runs
``pose-coach review-batch ... --address 127.0.0.1:PORT`` as its own process, reads the finished
``ReviewWorker.review`` tasks from Ray's timeline (recorded by the cluster, not by pose-coach), and
stops both nodes. Default videos: four sample videos, one per stretch.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_videos"
DEFAULT_VIDEOS = [SAMPLES / f"{s}_good.mp4" for s in
                  ("kneeling_psoas", "lying_psoas", "standing_psoas", "half_kneeling_hip_flexor")]  # fmt: skip


def start_node(*args: str, env: dict, log: Path) -> subprocess.Popen:
    """``ray start ARGS --block`` in a process group of its own, so that stopping it stops exactly
    the processes of this node (never ``ray stop``, which stops every Ray on the machine)."""
    command = [sys.executable, "-m", "ray.scripts.scripts", "start", *args, "--block"]
    with log.open("w") as file:
        return subprocess.Popen(command, env=env, stdout=file, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip


def stop_node(node: subprocess.Popen) -> None:
    for sig, wait_s in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.pid, sig)
        try:
            node.wait(wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_for_nodes(address: str, count: int, timeout_s: float = 120) -> None:
    import ray

    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
            alive = [n for n in ray.nodes() if n["Alive"]]
            ray.shutdown()
            if len(alive) >= count:
                return
        except (ConnectionError, RuntimeError):
            pass
        time.sleep(2)
    raise SystemExit(f"the cluster at {address} did not reach {count} nodes in {timeout_s} s")


def task_records(address: str) -> dict[str, tuple[str, int]]:
    """Ray's own records of the review tasks (GCS task events): task id -> (node id, worker pid).

    Read through Ray's state accessor (what ``ray.timeline`` reads), since the public state API
    needs the dashboard, which this lean cluster does not run."""
    import ray
    from ray._private.state import state

    ray.init(address=address, log_to_driver=False, configure_logging=False)
    try:
        time.sleep(2)  # task events reach the GCS about once a second
        events = state._get_all_task_events()  # several partial events per task
        reviews = {e.task_id for e in events if e.task_info.name.endswith("ReviewWorker.review")}
        return {e.task_id.hex(): (e.state_updates.node_id.hex(), e.state_updates.worker_pid)
                for e in events if e.task_id in reviews and e.state_updates.node_id}  # fmt: skip
    finally:
        ray.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", type=Path, nargs="*", default=DEFAULT_VIDEOS)
    parser.add_argument("--port", type=int, default=6390)
    args = parser.parse_args()
    address = f"127.0.0.1:{args.port}"
    # Ray (2.5x) protects a cluster with a token (~/.ray/auth_token) when one exists; every node
    # and every driver, this one and review-batch, then has to present it.
    os.environ["RAY_AUTH_MODE"] = "token"
    if not (Path.home() / ".ray" / "auth_token").exists():
        subprocess.run([sys.executable, "-m", "ray.scripts.scripts", "get-auth-token", "--generate"],
                       check=True, capture_output=True)  # fmt: skip
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the nodes on a plain kill too
    with tempfile.TemporaryDirectory(prefix="pose-coach-cluster-") as work:
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
        env.pop("RAY_ADDRESS", None)
        common = ["--num-cpus=1", "--disable-usage-stats"]
        nodes = []
        try:
            nodes.append(start_node("--head", f"--port={args.port}", "--include-dashboard=false",
                                    f"--temp-dir={work}/ray", *common, env=env,
                                    log=Path(work) / "head.log"))  # fmt: skip
            wait_for_nodes(address, 1)
            nodes.append(start_node(f"--address={address}", *common, env=env,
                                    log=Path(work) / "node2.log"))  # fmt: skip
            wait_for_nodes(address, 2)
            print(f"head node and a second node started, cluster at {address}")
            out = Path(work) / "batch"
            start = time.monotonic()
            batch = subprocess.run(
                [sys.executable, "-m", "pose_coach.cli", "review-batch", *map(str, args.videos),
                 "--stretch", "auto", "--out", str(out), "--address", address],
                cwd=ROOT, env=env, capture_output=True, text=True,
            )  # fmt: skip
            print(f"review-batch --address {address}: exit {batch.returncode}, "
                  f"{time.monotonic() - start:.1f} s")  # fmt: skip
            print(batch.stdout.strip())
            if batch.returncode != 0:
                print(batch.stderr[-3000:])
            records = task_records(address)
            per_node = Counter(node for node, _ in records.values())
            print(f"Ray's task records: {len(records)} ReviewWorker.review tasks ran on "
                  f"{len(per_node)} nodes:")  # fmt: skip
            for node, count in per_node.items():
                pids = sorted({pid for n, pid in records.values() if n == node})
                print(
                    f"  node {node[:12]}: {count} videos (worker pid {', '.join(map(str, pids))})"
                )
        finally:
            for node in reversed(nodes):
                stop_node(node)


if __name__ == "__main__":
    main()
