"""The app in a real headless Chromium: a Streamlit server on a free localhost port with its own
POSE_COACH_HOME, and Chromium driven by Playwright with a fake webcam fed from a file.

Skipped, with the reason, where /usr/bin/chromium or the playwright package is missing. Playwright
never downloads a browser here: it launches Debian's Chromium.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SERVER_START_S = 90
CHROMIUM_FLAGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Records what the page asks the browser to say (the cue is also spoken, if a voice exists).
SPEECH_SPY = """
window.__spoken = [];
if (window.speechSynthesis) {
  const speak = window.speechSynthesis.speak.bind(window.speechSynthesis);
  window.speechSynthesis.speak = (u) => { window.__spoken.push(u.text); try { speak(u); } catch (e) {} };
}
"""

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing: apt-get install chromium chromium-driver", allow_module_level=True
    )
try:
    from playwright.sync_api import Browser, Page, Playwright, sync_playwright
except ImportError:
    pytest.skip(
        "the playwright package is missing: pip install playwright (no browser download needed)",
        allow_module_level=True,
    )


@dataclass(frozen=True)
class Server:
    url: str
    home: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)  # polling a starting server, at most SERVER_START_S
    raise RuntimeError(f"streamlit did not answer within {SERVER_START_S} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """``streamlit run app.py`` on a free port with a fresh POSE_COACH_HOME; stopped afterwards."""
    folder = tmp_path_factory.mktemp("server")
    home, log = folder / "home", folder / "streamlit.log"
    port = _free_port()
    env = {**os.environ, "POSE_COACH_HOME": str(home), "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield Server(url, home)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


def launch(driver: Playwright, webcam: Path | None = None) -> Browser:
    flags = CHROMIUM_FLAGS + ([f"--use-file-for-fake-video-capture={webcam}"] if webcam else [])
    return driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=flags)


def new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    context.add_init_script(SPEECH_SPY)
    page = context.new_page()
    page.set_default_timeout(60_000)
    return page


def screenshot(page: Page, name: str, width: int = 900) -> None:
    """Save a small PNG of the page as NAME.png in the folder POSE_COACH_SCREENSHOTS names, if any
    (``docs/screenshots`` for the README); otherwise do nothing."""
    folder = os.environ.get("POSE_COACH_SCREENSHOTS")
    if not folder:
        return
    from PIL import Image

    image = Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("RGB")
    image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    Path(folder).mkdir(parents=True, exist_ok=True)
    image.quantize(colors=128).save(Path(folder) / f"{name}.png", optimize=True)
