"""A phone as the camera, end to end in headless Chromium over HTTPS (``pose-coach serve`` on
127.0.0.1, its own self-signed certificate): one browser context is the phone (a fake camera
playing a faulty kneeling stretch) on the camera page, another is the computer's Live page.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pose_coach.judge.cues import GOOD_FORM_CUE
from tests.browser.harness import CHROMIUM, launch, new_page, screenshot
from tests.browser.test_app_browser import (
    FAULT_CLIP_S,
    STRETCH,
    choose,
    clip_start,
    fault_cues,
    overlay_pixels,
    sample,
    shipped,
    stop_live,
    wait_for,
)
from tests.browser.webcam import write_y4m

pytestmark = pytest.mark.slow

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing: apt-get install chromium chromium-driver", allow_module_level=True
    )
pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")

PHONE_OPTION = "A phone on the home network"
FPS_WINDOW_MS = 5000
# The distinct frames the page's <video> presents over a window (a frame is known by its RTP
# timestamp: a repeated frame is not counted): the frames per second the person sees.
MEASURE_FPS = """
(video, ms) => new Promise((resolve) => {
    const seen = new Set();
    const count = (now, frame) => {
        seen.add(frame.rtpTimestamp ?? frame.mediaTime); video.requestVideoFrameCallback(count);
    };
    video.requestVideoFrameCallback(count);
    setTimeout(() => resolve(1000 * seen.size / ms), ms);
})
"""


def decode_qr(png: bytes) -> str:
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
    return text


def webrtc(page):
    return page.frame_locator("iframe[title*='webrtc']")


def test_phone_camera_coached_on_the_live_page(https_server, playwright, tmp_path):
    faulty = sample("bounce")
    webcam = write_y4m(faulty, tmp_path / "phone.y4m", clip_start(faulty), FAULT_CLIP_S)
    browser = launch(playwright, webcam)
    try:
        # The computer: the Live page, waiting for a phone, shows the camera page's address.
        live = new_page(browser, ignore_https_errors=True)
        live.goto(https_server.url)  # the Live page is the first
        choose(live, "Stretch", shipped().name)
        live.get_by_text(PHONE_OPTION).click()
        code = live.get_by_test_id("stImage").first
        code.wait_for()
        assert decode_qr(code.locator("img").screenshot()) == f"{https_server.url}/camera"
        screenshot(live, "phone_1_live_waiting")

        # The phone: its camera page sends.
        phone = new_page(browser, ignore_https_errors=True)
        phone.goto(f"{https_server.url}/camera")
        webrtc(phone).get_by_role("button", name="START").click()
        phone.get_by_text("Sending to the computer").wait_for()
        screenshot(phone, "phone_2_camera")

        # A second phone is refused, with what to do.
        second = new_page(browser, ignore_https_errors=True)
        second.goto(f"{https_server.url}/camera")
        second.get_by_text("Another phone is already the camera").wait_for()
        assert not second.locator("iframe[title*='webrtc']").count()
        second.context.close()

        # The Live page notices the phone and plays it coached.
        live.bring_to_front()  # the computer's screen is the one in front
        live.get_by_text("Phone camera connected").wait_for()
        webrtc(live).get_by_role("button", name="START").click()
        assert wait_for(lambda: overlay_pixels(live) > 300), "the skeleton is drawn on the frames"

        # The cue changes as the person goes from holding to bouncing, and is spoken.
        known = fault_cues(STRETCH) | {GOOD_FORM_CUE}

        alerts: set[str] = set()  # every message shown meanwhile

        def cues_spoken():
            """two different cues spoken, one of them a fault's"""
            alerts.update(live.get_by_test_id("stAlert").all_inner_texts())
            spoken = set(live.evaluate("window.__spoken"))
            return len(spoken) >= 2 and spoken & fault_cues(STRETCH) and spoken

        spoken = wait_for(cues_spoken)
        assert spoken & known
        shown = {cue for cue in spoken for text in alerts if cue in text}
        assert shown & fault_cues(STRETCH), "the fault's cue is shown too"
        # Measured once the models have loaded and the stream has settled.
        video = webrtc(live).locator("video").first
        fps = video.evaluate(MEASURE_FPS, FPS_WINDOW_MS)
        print(f"coached frames on the Live page: {fps:.1f} fps")
        assert fps >= 5, f"the Live page shows the phone's coached frames ({fps:.1f} fps)"
        screenshot(live, "phone_3_live_coached")
        stop_live(live)
    finally:
        browser.close()
