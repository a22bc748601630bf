"""In headless Chromium: every page has its own URL, an upload is streamed to disk and reviewed,
and the review finishes while the person is on another page, a file over the upload limit is
explained in the page (and refused by the server), and live sessions are kept
(in the history mid-session, and named after a killed server is restarted)."""

from __future__ import annotations

import re
import signal
import time

import pytest

from pose_coach import history
from tests.browser.conftest import start_server, stop_server
from tests.browser.harness import launch, new_page
from tests.browser.test_app_browser import (
    CLIP_S,
    WAIT_S,
    assert_hold_counts,
    choose,
    clip_start,
    sample,
    shipped,
    start_live,
    wait_for,
    write_clip,
)
from tests.browser.webcam import write_y4m

pytestmark = pytest.mark.slow


TITLES = {"live": "Live coaching", "review": "Review a video", "tune": "Tune reference angles",
          "history": "History", "progress": "Progress", "camera": "Phone camera"}  # fmt: skip


def title(page) -> str:
    return page.get_by_test_id("stHeading").first.inner_text()


def test_every_page_has_its_own_url_and_the_root_opens_live(server, playwright):
    browser = launch(playwright)
    try:
        page = new_page(browser)
        for path, expected in TITLES.items():
            page.goto(f"{server.url}/{path}")
            wait_for(lambda expected=expected: title(page) == expected, 60)
            assert not page.get_by_text("Page not found").count()
        page.goto(server.url)
        wait_for(lambda: title(page) == TITLES["live"], 60)
        assert page.url.rstrip("/").endswith("/live")
    finally:
        browser.close()


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    """10 s of the kneeling good-form sample: long enough to leave the page mid-analysis."""
    source = sample("good")
    return write_clip(source, tmp_path_factory.mktemp("upload") / "long_stretch.mp4", 2.0, 10.0)


def test_a_review_finishes_while_the_person_is_on_another_page(server, playwright, long_clip):
    browser = launch(playwright)
    try:
        page = new_page(browser)
        page.goto(f"{server.url}/review")
        choose(page, "Stretch", shipped().name)
        page.locator("input[type=file]").set_input_files(long_clip)
        page.get_by_text("long_stretch.mp4 uploaded").wait_for(timeout=WAIT_S * 1000)
        # Streamed to disk under the file's own name in a folder named by its content, whole.
        [saved] = (server.home / "uploads").glob("*/long_stretch.mp4")
        assert saved.read_bytes() == long_clip.read_bytes()
        assert saved.parent.name == history.file_digest(long_clip)[:12]
        assert not list((server.home / "uploads").glob(".upload-*")), "a temporary file is left"
        page.get_by_role("button", name="Analyse video").click()
        page.get_by_text("Analysing long_stretch.mp4").wait_for(timeout=WAIT_S * 1000)
        page.get_by_test_id("stSidebarNav").get_by_text("History").click()
        wait_for(lambda: title(page) == "History", 60)
        # The review goes on meanwhile and is saved once, whatever page is shown.
        wait_for(lambda: any(s.record.source == "long_stretch.mp4"
                             for s in history.list_sessions(server.home / "history.sqlite")))  # fmt: skip
        page.get_by_test_id("stSidebarNav").get_by_text("Review a video").click()
        page.get_by_role("button", name="Download report.json").wait_for(timeout=WAIT_S * 1000)
        assert page.locator("video").count()
        empty = [p for p in server.home.rglob("*") if p.is_dir() and not any(p.iterdir())]
        assert not empty, f"empty folders left: {empty}"
    finally:
        browser.close()


@pytest.fixture(scope="module")
def small_limit_server(tmp_path_factory):
    """The app with a 1 MB upload limit (a 2 GB file is too big to make for a test)."""
    running = start_server(tmp_path_factory.mktemp("small"), "--server.maxUploadSize", "1")
    try:
        yield running
    finally:
        stop_server(running)


def test_a_file_over_the_upload_limit_is_explained_in_the_page(small_limit_server, playwright,
                                                               tmp_path):  # fmt: skip
    big = tmp_path / "phone_recording.mp4"
    big.write_bytes(b"\0" * (2 * 1024 * 1024))
    browser = launch(playwright)
    try:
        page = new_page(browser)
        page.goto(f"{small_limit_server.url}/review")
        page.get_by_text("up to 1 MB").wait_for(timeout=60_000)
        page.locator("input[type=file]").set_input_files(big)
        note = page.locator(".pose-coach-too-big")
        note.wait_for(timeout=10_000)
        text = note.inner_text()
        assert "phone_recording.mp4 is 2 MB" in text and "the limit is 1 MB" in text
        assert note.is_visible()
        assert page.get_by_role("button", name="Analyse video").is_disabled()
        # The server refuses it too, from a client that does not check first, keeping nothing.
        refused = page.evaluate(
            "fetch('/api/upload?name=big.mp4', {method: 'PUT', body: new Uint8Array(2 ** 21)})"
            ".then(async (r) => [r.status, (await r.json()).error])"
        )
        assert refused == [413, "big.mp4 is 2 MB; the limit is 1 MB: " + text.split(": ", 1)[1]]
        assert not [p for p in (small_limit_server.home / "uploads").rglob("*") if p.is_file()]
    finally:
        browser.close()


def live_sessions(home) -> list[history.StoredSession]:
    return [s for s in history.list_sessions(home / "history.sqlite") if s.record.kind == "live"]


def test_a_live_session_survives_a_killed_server(playwright, tmp_path_factory, clips_folder):
    video = sample("good")
    webcam = write_y4m(video, clips_folder / "good_kill.y4m", clip_start(video), CLIP_S)
    folder = tmp_path_factory.mktemp("killed")
    running = start_server(folder)
    browser = launch(playwright, webcam)
    try:
        page = new_page(browser)
        start_live(page, running.url)
        assert_hold_counts(page)
        # Written as it goes: in the history while the camera still runs.
        [open_session] = wait_for(lambda: [s for s in live_sessions(running.home)
                                           if s.record.duration_s >= 3], 30)  # fmt: skip
        assert open_session.record.status == "open"
        time.sleep(4)  # another checkpoint or more
        running.process.send_signal(signal.SIGKILL)
        running.process.wait(30)
        [kept] = live_sessions(running.home)
        assert kept.record.duration_s >= open_session.record.duration_s
        restarted = start_server(folder, home=running.home)
        try:
            page.goto(restarted.url)
            notice = page.get_by_test_id("stAlert").filter(has_text="without STOP")
            notice.wait_for(timeout=60_000)
            seconds = re.search(r"([\d.]+) s coached", notice.inner_text())
            assert seconds and float(seconds.group(1)) >= 3
            [marked] = live_sessions(running.home)
            assert marked.record.status == "unfinished"
        finally:
            stop_server(restarted)
    finally:
        browser.close()
        stop_server(running)


@pytest.fixture(scope="module")
def clips_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("webcam_pages")
