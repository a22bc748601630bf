"""Fixtures for the browser tests: the app's server (one per test module, with its own
POSE_COACH_HOME) and Playwright."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.harness import (
    CHROMIUM,
    ROOT,
    Server,
    free_port,
    served_over_https,
    stop,
    wait_healthy,
)

if TYPE_CHECKING:
    from playwright.sync_api import Playwright


HERE = Path(__file__).resolve().parent
MISSING = (
    f"{CHROMIUM} is missing: apt-get install chromium chromium-driver"
    if not CHROMIUM.exists()
    else None
    if importlib.util.find_spec("playwright")
    else "the playwright package is missing: pip install playwright"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test is skipped, saying what to install, without Chromium or Playwright."""
    if MISSING:
        for item in items:
            if HERE in Path(item.fspath).resolve().parents:
                item.add_marker(pytest.mark.skip(reason=MISSING))


@dataclass(frozen=True)
class Running(Server):
    process: subprocess.Popen


def start_server(
    folder: Path, *options: str, home: Path | None = None, path: tuple[Path, ...] = ()
) -> Running:
    """``streamlit run app.py`` on a free port with POSE_COACH_HOME ``home`` (default: a new one
    in ``folder``), extra ``options`` on its command line and folders ``path`` on its PYTHONPATH;
    returns once it answers."""
    home = home or folder / "home"
    log = folder / f"streamlit-{time.monotonic_ns()}.log"
    port = free_port()
    python_path = os.pathsep.join(map(str, (ROOT, *path)))
    env = {**os.environ, "POSE_COACH_HOME": str(home), "PYTHONPATH": python_path}
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.address", "127.0.0.1", "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none", *options,
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return Running(url, home, process)


def stop_server(running: Running) -> None:
    stop(running.process)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """``streamlit run app.py`` on a free port with a fresh POSE_COACH_HOME; stopped afterwards."""
    running = start_server(tmp_path_factory.mktemp("server"))
    try:
        yield running
    finally:
        stop_server(running)


@pytest.fixture(scope="module")
def https_server(tmp_path_factory) -> Iterator[Server]:
    """``pose-coach serve`` over HTTPS on 127.0.0.1, with a fresh POSE_COACH_HOME."""
    folder = tmp_path_factory.mktemp("https_server")
    with served_over_https(folder / "home", folder / "serve.log") as server:
        yield server


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver
