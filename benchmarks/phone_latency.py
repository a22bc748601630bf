"""Latency of the phone route: a frame taken on the phone's camera page -> the same frame, coached,
on the computer's Live page. Baseline in the same run: the single-machine route (the Live page's own
webcam, coached and sent back).

Everything runs for real: ``pose-coach serve`` over HTTPS on 127.0.0.1, headless Chromium (one
context the phone, one the computer), WebRTC with its VP8 coding both ways, the real pose model.
Each camera frame carries its capture time: the camera is wrapped in the page so that every frame is
drawn on a canvas with the time (ms, 24 bits) as black and white blocks at the top right, and the
canvas is what the page sends. The Live page reads the blocks back from every frame it shows; both
pages run in one browser on one machine, so their clocks are the same clock. Frames whose blocks
do not read back (hidden under the skeleton, blurred by VP8) are left out.

Run: ``python benchmarks/phone_latency.py [--seconds 20]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.harness import launch, new_page, served_over_https  # noqa: E402
from tests.browser.test_app_browser import choose, clip_start, shipped  # noqa: E402
from tests.browser.webcam import write_y4m  # noqa: E402

SAMPLE = ROOT / "sample_videos" / "kneeling_psoas_good.mp4"
# The camera, wrapped: frames drawn with their capture time in blocks (24 bits, 2 rows of 12).
STAMPED_CAMERA = """
(() => {
  const devices = navigator.mediaDevices;
  if (!devices || !devices.getUserMedia) return;
  const original = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (constraints) => {
    const camera = await original(constraints);
    if (!constraints || !constraints.video) return camera;
    const video = document.createElement('video');
    video.muted = true; video.srcObject = camera; await video.play();
    const canvas = document.createElement('canvas');
    canvas.width = 640; canvas.height = 480;
    const context = canvas.getContext('2d');
    setInterval(() => {
      context.drawImage(video, 0, 0, 640, 480);
      const now = Date.now() % 16777216;
      for (let bit = 0; bit < 24; bit++) {
        context.fillStyle = (now >> bit) & 1 ? '#fff' : '#000';
        context.fillRect(440 + 16 * (bit % 12), 40 + 16 * Math.floor(bit / 12), 16, 16);
      }
    }, 1000 / 30);
    return canvas.captureStream(30);
  };
})();
"""
# On the Live page: read the time back from every frame shown; latency = now - capture time.
READ_LATENCIES = """
(video, ms) => new Promise((resolve) => {
  const canvas = document.createElement('canvas');
  canvas.width = 640; canvas.height = 480;
  const context = canvas.getContext('2d', {willReadFrequently: true});
  const latencies = []; let last = -1;
  const read = () => {
    context.drawImage(video, 0, 0, 640, 480);
    const now = Date.now() % 16777216;
    let stamp = 0;
    for (let bit = 0; bit < 24; bit++) {
      const p = context.getImageData(448 + 16 * (bit % 12), 48 + 16 * Math.floor(bit / 12), 1, 1).data;
      if ((p[0] + p[1] + p[2]) / 3 > 128) stamp |= 1 << bit;
    }
    const latency = (now - stamp + 16777216) % 16777216;
    if (stamp !== last && latency < 5000) latencies.push(latency);
    last = stamp;
    video.requestVideoFrameCallback(read);
  };
  video.requestVideoFrameCallback(read);
  setTimeout(() => resolve(latencies), ms);
})
"""


def measure(page, seconds: float) -> np.ndarray:
    video = page.frame_locator("iframe[title*='webrtc']").locator("video").first
    video.wait_for()
    time.sleep(8)  # the models load on the first frame; the stream settles
    return np.array(video.evaluate(READ_LATENCIES, seconds * 1000), float)


def start(page) -> None:
    page.bring_to_front()
    page.frame_locator("iframe[title*='webrtc']").get_by_role("button", name="START").click()


def summary(name: str, latencies: np.ndarray, seconds: float) -> str:
    if not len(latencies):
        return f"{name}: no frame read back"
    p50, p95 = np.percentile(latencies, [50, 95])
    return (f"{name}: {len(latencies) / seconds:.1f} coached frames/s read back, latency "
            f"median {p50:.0f} ms, 95th percentile {p95:.0f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    folder = Path(tempfile.mkdtemp(prefix="phone-latency-"))
    webcam = write_y4m(SAMPLE, folder / "camera.y4m", clip_start(SAMPLE), 4.0)
    with (
        served_over_https(folder / "home", folder / "serve.log") as server,
        sync_playwright() as driver,
    ):
        browser = launch(driver, webcam)
        try:
            # Baseline: this computer's own webcam on the Live page.
            local = new_page(browser, ignore_https_errors=True)
            local.context.add_init_script(STAMPED_CAMERA)
            local.goto(server.url)
            choose(local, "Stretch", shipped().name)
            start(local)
            baseline = measure(local, args.seconds)
            local.context.close()

            # The phone route: the camera page -> the server -> the Live page.
            phone = new_page(browser, ignore_https_errors=True)
            phone.context.add_init_script(STAMPED_CAMERA)
            live = new_page(browser, ignore_https_errors=True)
            live.goto(server.url)
            choose(live, "Stretch", shipped().name)
            live.get_by_text("A phone on the home network").click()
            phone.goto(f"{server.url}/camera")
            start(phone)
            phone.get_by_text("Sending to the computer").wait_for()
            live.get_by_text("Phone camera connected").wait_for()
            start(live)
            routed = measure(live, args.seconds)
        finally:
            browser.close()
    print(summary("this computer's webcam (baseline)", baseline, args.seconds))
    print(summary("phone camera page -> Live page", routed, args.seconds))
    if len(baseline) and len(routed):
        added = np.median(routed) - np.median(baseline)
        print(f"added by the phone route (median): {added:.0f} ms "
              f"(ratio {np.median(routed) / np.median(baseline):.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
