"""Live coaching in real Chromium: coached frames a second from a 30 fps, 640x480 fake camera,
with the browser's own capture, VP8 coding and drawing on the same cores as the server.

Starts the app (``streamlit run app.py``, a throwaway POSE_COACH_HOME), opens the live page in
headless Chromium (/usr/bin/chromium) whose camera plays a sample clip, presses START, waits for the
hold timer, lets it run, and reads the page's own figures: frames coached, coached frames a second
(stream time), share dropped, and whether the coach stepped down. The baseline, in the same run,
is the camera's own rate: the ratio coached / 30 fps is the figure to read. The load average before
and after is printed: the machine is shared, so say the conditions with the figure.

Run: ``python benchmarks/browser_live.py [--seconds 40]`` (needs playwright and Debian's chromium).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the browser tests' helpers
from tests.browser.conftest import start_server, stop_server
from tests.browser.harness import launch, new_page
from tests.browser.test_app_browser import clip_start, sample, start_live
from tests.browser.webcam import FPS, HEIGHT, WIDTH, write_y4m

FIGURES = re.compile(r"(\d+) frames coached \(([\d.]+) a second\), (\d+)% dropped[^,]*, (\d+) ms")


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
                    time.sleep(seconds)
                    text = page.locator("body").inner_text()
                    if not FIGURES.search(text):
                        raise SystemExit(f"no figures on the page:\n{text}")
                    caption = FIGURES.search(text).group(0)
                    stepped = page.get_by_text(
                        "This machine cannot coach every camera frame"
                    ).count()
                finally:
                    browser.close()
        finally:
            stop_server(running)
        coached, fps, dropped, ms = FIGURES.search(caption).groups()
        print(f"load average after:  {os.getloadavg()[0]:.1f}")
        print(f"coached: {fps} fps ({coached} frames), dropped {dropped}%, {ms} ms per frame")
        print(f"ratio coached / camera: {float(fps) / FPS:.2f} (goal >= 0.90)")
        print(f"stepped down: {'yes' if stepped else 'no'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=40.0, help="how long to coach, once holding"
    )
    measure(parser.parse_args().seconds)


if __name__ == "__main__":
    main()
