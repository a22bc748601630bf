"""The server's memory while a large video is uploaded through the Review page, in real Chromium.

For each size (a small file first, as the baseline), it starts the app (``streamlit run app.py``,
a throwaway POSE_COACH_HOME), opens /review in headless Chromium (/usr/bin/chromium), picks a file
of random bytes named ``.mp4`` (the upload is not analysed, so its content does not matter), and
waits until the page offers "Analyse video" and the file is in ``$POSE_COACH_HOME/uploads``. It
reads the server's resident memory (``VmRSS``) once the page is drawn and its peak (``VmHWM``,
kept by the kernel, so no moment is missed) after the upload, and prints the growth against the
file's size and against the small file's growth in the same run. The load average is printed with
each line: the machine is shared, so say the conditions with the figures.

Run: ``flock /tmp/bench.lock python benchmarks/upload_memory.py [--sizes-mb 1 300 1024]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the browser tests' helpers
from tests.browser.conftest import start_server, stop_server
from tests.browser.harness import launch, new_page

MB = 1024 * 1024


def memory_mb(pid: int) -> dict[str, float]:
    """The process's VmRSS and VmHWM (peak resident memory), in MB."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in lines)
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}


def random_file(path: Path, size_mb: int) -> Path:
    with path.open("wb") as out:
        for _ in range(size_mb):
            out.write(os.urandom(MB))
    return path


def saved(home: Path, name: str) -> bool:
    return any(p.name == name for p in (home / "uploads").glob("*/*"))


def upload_once(driver, folder: Path, video: Path) -> dict[str, float]:
    """Upload ``video`` to a fresh server; its memory before and at the peak, the seconds taken."""
    server_folder = folder / f"server-{video.stem}"
    server_folder.mkdir()
    running = start_server(server_folder)
    try:
        browser = launch(driver)
        try:
            page = new_page(browser)
            page.goto(f"{running.url}/review")
            page.get_by_role("button", name="Analyse video").wait_for(timeout=120_000)
            time.sleep(2)  # the script's first run has ended
            before = memory_mb(running.process.pid)
            started = time.monotonic()
            page.locator("input[type=file]").first.set_input_files(video)
            enabled = page.get_by_role("button", name="Analyse video").and_(
                page.locator(":enabled")
            )
            enabled.wait_for(timeout=1_800_000)
            while not saved(running.home, video.name):  # the page enables it once saved
                time.sleep(0.2)
            seconds = time.monotonic() - started
            after = memory_mb(running.process.pid)
        finally:
            browser.close()
    finally:
        stop_server(running)
    return {"rss_before": before["VmRSS"], "peak": after["VmHWM"], "rss_after": after["VmRSS"],
            "seconds": seconds}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[1, 300, 1024])
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as driver:
        folder = Path(folder)
        baseline = None
        print("file MB | server RSS before MB | peak RSS MB | growth MB | growth / file | "
              "growth / small file's | RSS after MB | s | load 1 min")  # fmt: skip
        for size in args.sizes_mb:
            video = random_file(folder / f"phone_{size}mb.mp4", size)
            figures = upload_once(driver, folder, video)
            video.unlink()
            growth = figures["peak"] - figures["rss_before"]
            baseline = growth if baseline is None else baseline
            print(f"{size:7d} | {figures['rss_before']:20.0f} | {figures['peak']:11.0f} | "
                  f"{growth:9.0f} | {growth / size:13.2f} | {growth / max(baseline, 1):21.1f} | "
                  f"{figures['rss_after']:12.0f} | {figures['seconds']:3.0f} | "
                  f"{os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
