"""Helpers for the browser tests: start the app's server, launch Debian's Chromium with a fake
webcam, open pages, take screenshots. Playwright never downloads a browser here."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

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


@dataclass(frozen=True)
class Server:
    url: str
    home: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(
    url: str, process: subprocess.Popen, log: Path, context: ssl.SSLContext | None = None
) -> None:
    """Wait for the server's health check (over https, ``context`` says which certificate to
    trust)."""
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(
                f"{url}/_stcore/health", timeout=2, context=context
            ) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)  # polling a starting server, at most SERVER_START_S
    raise RuntimeError(f"streamlit did not answer within {SERVER_START_S} s:\n{log.read_text()}")


def launch(driver: Playwright, webcam: Path | None = None) -> Browser:
    flags = CHROMIUM_FLAGS + ([f"--use-file-for-fake-video-capture={webcam}"] if webcam else [])
    return driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=flags)


def new_page(browser: Browser, **options) -> Page:
    """A page in a context of its own (``options``: Playwright's context options)."""
    # Tall: Streamlit scrolls inside its own container, so a screenshot shows only the viewport.
    context = browser.new_context(viewport={"width": 1200, "height": 1700}, **options)
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
    from PIL import Image, ImageChops

    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidgetRunningIcon]')"
    )  # the script has finished
    page.wait_for_timeout(1500)  # charts and video frames drawn
    image = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    main = image.crop((image.width // 3, 0, image.width, image.height))  # right of the sidebar
    blank = Image.new("RGB", main.size, main.getpixel((main.width - 1, main.height - 1)))
    content = ImageChops.difference(main, blank).getbbox()
    if content:  # drop the empty space below the page's content
        image = image.crop((0, 0, image.width, min(image.height, content[3] + 24)))
    image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    Path(folder).mkdir(parents=True, exist_ok=True)
    image.quantize(colors=128).save(Path(folder) / f"{name}.png", optimize=True)


def pdf_screenshot(pdf: bytes, name: str, width: int = 900) -> None:
    """Save the first page of a PDF as NAME.png beside the page screenshots (only when
    POSE_COACH_SCREENSHOTS is set; rendering needs ``pip install pypdfium2``, a one-off)."""
    folder = os.environ.get("POSE_COACH_SCREENSHOTS")
    if not folder:
        return
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    first = document[0]
    image = first.render(scale=width / first.get_width()).to_pil().convert("RGB")
    Path(folder).mkdir(parents=True, exist_ok=True)
    image.quantize(colors=128).save(Path(folder) / f"{name}.png", optimize=True)


@contextlib.contextmanager
def served_over_https(home: Path, log: Path) -> Iterator[Server]:
    """``pose-coach serve`` on 127.0.0.1 at a free port with POSE_COACH_HOME ``home`` (where it
    makes its certificate); the health check trusts that certificate and no other. Stopped after."""
    port = free_port()
    env = {**os.environ, "POSE_COACH_HOME": str(home), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "pose_coach.cli", "serve", "--address", "127.0.0.1",
               "--port", str(port)]  # fmt: skip
    with log.open("wb") as output:  # its own process group: ``stop`` ends Streamlit with it
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        cert = home / "tls" / "cert.pem"
        deadline = time.monotonic() + SERVER_START_S
        while not cert.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)  # the certificate is made before the server starts
        trusted = ssl.create_default_context(cafile=str(cert)) if cert.exists() else None
        url = f"https://127.0.0.1:{port}"
        wait_healthy(url, process, log, trusted)
        yield Server(url, home)
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """Stop ``process`` (SIGTERM, then after 20 s SIGKILL to its whole process group, if it leads
    one: ``pose-coach serve`` and the Streamlit it runs, which must not outlive a test)."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.wait()
