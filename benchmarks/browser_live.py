"""Live coaching in real Chromium: how many of a 30 fps, 640x480 fake camera's frames are coached,
with the browser's own capture, VP8 coding and drawing on the same cores as the server.

Starts the app (``streamlit run app.py``, a throwaway POSE_COACH_HOME), opens the live page in
headless Chromium (/usr/bin/chromium) whose camera plays a sample clip, presses START, waits for the
hold timer, then measures for ``--seconds`` from the page's own counts, read at the start and the
end: frames received from the browser a second, frames coached by the pose model a second, frames
shown with the last coaching a second (the step-down), and the share dropped (neither). The goal:
at least 27 frames a second shown coached (0.9 of the camera's 30) with at most 10% dropped. Also
the CPU the server and Chromium used meanwhile, and the load average before and after: the machine
is shared, so say the conditions with the figure.

Run: ``python benchmarks/browser_live.py [--seconds 40]`` (needs playwright and Debian's chromium).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the browser tests' helpers
from tests.browser.conftest import start_server, stop_server
from tests.browser.harness import launch, new_page
from tests.browser.test_app_browser import clip_start, sample, start_live
from tests.browser.webcam import FPS, HEIGHT, WIDTH, write_y4m

# The live page's caption (pose_coach_app/pages/live.py, ``throughput``).
CAPTION = re.compile(
    r"Camera: (\d+) frames received \(([\d.]+) a second\)\. "
    r"Coached by the pose model: (\d+) \([\d.]+ a second\)"
    r"(?: \+ shown with the last coaching (\d+) \([\d.]+ a second\))?\. "
    r"Dropped: (\d+) .*?(\d+) ms per coached frame"
)
STEPPED = re.compile(r"runs the pose model beside the video, on ([\w ]+?) at most")


@dataclass(frozen=True)
class Counts:
    """The page's counts at one moment; ``seconds``: of the camera's time so far."""

    received: int
    coached: int
    reused: int
    dropped: int
    seconds: float
    ms: int

    @classmethod
    def read(cls, page) -> Counts:
        text = page.locator("body").inner_text()
        found = CAPTION.search(text)
        if found is None:
            raise SystemExit(f"no figures on the page:\n{text}")
        received, fps, coached, reused, dropped, ms = found.groups()
        return cls(int(received), int(coached), int(reused or 0), int(dropped),
                   int(received) / float(fps), int(ms))  # fmt: skip


def cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by this process's descendants: the app's server and Chromium."""
    tick, used, parents = os.sysconf("SC_CLK_TCK"), {}, {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # ended meanwhile
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        parents[int(pid)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick, command)
    for pid, (_, cpu, command) in parents.items():
        ancestor = pid
        while ancestor in parents and ancestor != os.getpid():
            ancestor = parents[ancestor][0]
        if ancestor == os.getpid():
            kind = "server" if "streamlit run" in command else "chromium" if "chromium" in command \
                else "other"  # fmt: skip
            used[kind] = used.get(kind, 0.0) + cpu
    return used


def measure(seconds: float) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        video = sample("good")
        webcam = write_y4m(video, folder / "camera.y4m", clip_start(video), 4.0)
        print(f"camera: {WIDTH}x{HEIGHT} at {FPS} fps, looping 4 s of {video.name}")
        print(f"load average before: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
        running = start_server(folder)
        try:
            with sync_playwright() as driver:
                browser = launch(driver, webcam)
                try:
                    page = new_page(browser)
                    start_live(page, running.url)
                    page.get_by_text(re.compile(r"Hold [1-9]")).first.wait_for(timeout=180_000)
                    before, cpu_before, wall = Counts.read(page), cpu_seconds(), time.monotonic()
                    time.sleep(seconds)
                    after, cpu_after = Counts.read(page), cpu_seconds()
                    wall = time.monotonic() - wall
                    stepped = STEPPED.search(page.locator("body").inner_text())
                finally:
                    browser.close()
        finally:
            stop_server(running)
    print(f"load average after:  {os.getloadavg()[0]:.1f}")
    report(before, after, stepped.group(1) if stepped else None)
    cpu = {kind: (cpu_after[kind] - cpu_before.get(kind, 0.0)) / wall for kind in cpu_after}
    print("CPU meanwhile (cores): " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(cpu.items())))


def report(before: Counts, after: Counts, stepped: str | None) -> None:
    """The figures over the measuring window, and over the whole session for comparison."""
    span = after.seconds - before.seconds
    received = after.received - before.received
    coached, reused = after.coached - before.coached, after.reused - before.reused
    dropped = after.dropped - before.dropped
    shown = coached + reused
    print(f"measured over {span:.1f} s of the camera's time, once holding:")
    print(f"  received from the browser: {received / span:.1f} frames/s ({received} frames)")
    print(f"  coached by the pose model: {coached / span:.1f} frames/s ({coached})")
    print(f"  shown with the last coaching (step-down): {reused / span:.1f} frames/s ({reused})")
    print(f"  coached in all (model + last coaching): {shown / span:.1f} frames/s, dropped {100 * dropped / received:.1f}%"
          f" ({dropped})")  # fmt: skip
    print(f"  ratio coached in all / camera {FPS} fps: {shown / span / FPS:.2f} (goal >= 0.90, "
          "at most 10% dropped)")  # fmt: skip
    print(f"  {after.ms} ms per coached frame (whole session)")
    print(
        f"whole session: {after.received} received, {after.coached} coached by the model, "
        f"{after.reused} shown with the last coaching, {after.dropped} dropped "
        f"({100 * after.dropped / max(after.received, 1):.1f}%)"
    )
    print(f"stepped down: {f'yes, the model runs on {stepped} of a hold' if stepped else 'no'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=40.0, help="how long to measure, once holding"
    )
    measure(parser.parse_args().seconds)


if __name__ == "__main__":
    main()
