"""Latency and frame rate of the phone route: a frame taken on the phone's camera page -> the same
frame, coached, on the computer's Live page. Baseline in the same run: the single-machine route
(the Live page's own webcam, coached and sent back).

Everything runs for real: ``pose-coach serve`` over HTTPS on 127.0.0.1, headless Chromium (one
context the phone, one the computer), WebRTC with its VP8 coding both ways, the real pose model.
Each camera frame carries its capture time and the Live page reads it back from every frame it
receives (``tests/browser/stamps.py``, as the browser test does): latency = the time it was read
- the time it was taken; frames a second = distinct camera frames, coached, that reached the page.
Both pages run in one browser on this machine, so the browser's own video coding shares its cores.

Run: ``python benchmarks/phone_latency.py [--seconds 20]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.harness import launch, new_page, served_over_https  # noqa: E402
from tests.browser.stamps import STAMPED_CAMERA, TIME_BITS, Reading, read_stamps  # noqa: E402
from tests.browser.test_app_browser import (  # noqa: E402
    choose,
    clip_start,
    overlay_pixels,
    shipped,
    wait_for,
)
from tests.browser.test_phone_camera import (  # noqa: E402
    record_console,
    switch_camera,
    what_pages_show,
)
from tests.browser.webcam import write_y4m  # noqa: E402

SAMPLE = ROOT / "sample_videos" / "kneeling_psoas_good.mp4"


def webrtc(page):
    return page.frame_locator("iframe[title*='webrtc']")


def start(page) -> None:
    page.bring_to_front()
    webrtc(page).get_by_role("button", name="START").click()


def measure(page, seconds: float) -> Reading:
    """Once coached frames show (the skeleton is drawn), read the stamps for ``seconds``."""
    wait_for(lambda: overlay_pixels(page) > 300)
    print(f"  coached frames shown; reading for {seconds:.0f} s", flush=True)
    return read_stamps(webrtc(page).locator("video").first, seconds, TIME_BITS)


def stamped_page(browser):
    page = new_page(browser, ignore_https_errors=True)
    page.context.add_init_script(STAMPED_CAMERA)
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    folder = Path(tempfile.mkdtemp(prefix="phone-latency-"))
    webcam = write_y4m(SAMPLE, folder / "camera.y4m", clip_start(SAMPLE), 4.0)
    pages, console = {}, []
    with (
        served_over_https(folder / "home", folder / "serve.log") as server,
        sync_playwright() as driver,
    ):
        browser = launch(driver, webcam)
        try:
            print("baseline: this computer's webcam", flush=True)
            local = pages["local"] = stamped_page(browser)
            record_console(local, "local", console)
            local.goto(server.url)
            choose(local, "Stretch", shipped().name)
            start(local)
            baseline = measure(local, args.seconds)
            local.context.close()
            del pages["local"]

            print("the phone route: the camera page -> the server -> the Live page", flush=True)
            phone = pages["phone"] = stamped_page(browser)
            live = pages["live"] = new_page(browser, ignore_https_errors=True)
            record_console(phone, "phone", console)
            record_console(live, "live", console)
            live.goto(server.url)
            choose(live, "Stretch", shipped().name)
            live.get_by_text("A phone on the home network").click()
            phone.goto(f"{server.url}/camera")
            switch_camera(phone, on=True)
            phone.get_by_text("Sending to the computer").wait_for()
            live.get_by_text("Phone camera connected").wait_for()
            start(live)
            routed = measure(live, args.seconds)
        except Exception:
            what_pages_show(pages, folder, console)
            print(f"the server's log and the pages' screenshots are in {folder}")
            raise
        finally:
            browser.close()
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(baseline.summary("this computer's webcam (baseline)"))
    print(routed.summary("phone camera page -> Live page"))
    base, phone_route = baseline.latencies(), routed.latencies()
    if len(base) and len(phone_route):
        added = np.median(phone_route) - np.median(base)
        print(f"added by the phone route (median): {added:.0f} ms (latency ratio "
              f"{np.median(phone_route) / np.median(base):.2f}, distinct frames/s ratio "
              f"{len(phone_route) / len(base):.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
