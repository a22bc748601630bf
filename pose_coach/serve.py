"""``pose-coach serve``: the app over HTTPS on the home network, so a phone can be the camera.

It finds this computer's address on the local network, makes (once) a self-signed certificate for
it (``tls.py``), prints the address of the phone's camera page with a QR code, and runs Streamlit
with that certificate. Nothing leaves the network: no certificate authority, no STUN or TURN
server (the phone and this computer connect directly), no usage statistics.

The address served reaches the app through ``SERVED_URL_ENV``, so the Live page can show the same
QR code.
"""

from __future__ import annotations

import errno
import io
import ipaddress
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import segno

from pose_coach import tls

DEFAULT_PORT = 8501
SERVED_URL_ENV = "POSE_COACH_SERVED_URL"
CAMERA_PATH = "camera"  # the camera page's url_path in app.py
APP = Path(__file__).resolve().parent.parent / "app.py"


class ServeError(ValueError):
    """The app cannot be served as asked (with what to do)."""


@dataclass(frozen=True)
class Plan:
    """What ``serve`` runs: the address it binds, the address phones open, the certificate."""

    bind: str
    host: str
    port: int
    certificate: tls.Certificate

    @property
    def url(self) -> str:
        return f"https://{_url_host(self.host)}:{self.port}"

    @property
    def camera_url(self) -> str:
        return camera_url(self.url)


def camera_url(served_url: str) -> str:
    return f"{served_url.rstrip('/')}/{CAMERA_PATH}"


def served_url() -> str | None:
    """The address ``pose-coach serve`` serves the app at, or None when run otherwise."""
    return os.environ.get(SERVED_URL_ENV) or None


def lan_address() -> str:
    """This computer's IPv4 address on the local network (the one its default route uses), or
    127.0.0.1 when it has none. Connecting a UDP socket only picks a route: nothing is sent."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.254.254.254", 9))
            address = probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"
    return address if address != "0.0.0.0" else "127.0.0.1"


def plan(address: str | None = None, port: int = DEFAULT_PORT, folder: Path | None = None) -> Plan:
    """Where to serve: ``address`` (default: the LAN address, listening on every interface so
    localhost works too) and a certificate naming it, localhost and 127.0.0.1."""
    if address is not None:
        try:
            ipaddress.ip_address(address)
        except ValueError as error:
            raise ServeError(
                f"--address {address!r} is not an IP address of this computer; leave it out to "
                "use the address on the home network"
            ) from error
    host = address or lan_address()
    bind = address or "0.0.0.0"
    if not 1 <= port <= 65535:
        raise ServeError(f"--port {port} is not a port number (1-65535)")
    certificate = tls.ensure_certificate(sorted({host, "127.0.0.1", "localhost"}), folder)
    return Plan(bind, host, port, certificate)


def streamlit_command(chosen: Plan) -> list[str]:
    """``streamlit run app.py`` over HTTPS at the plan's address, with nothing sent outside."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", chosen.bind,
        "--server.port", str(chosen.port),
        "--server.sslCertFile", str(chosen.certificate.cert_path),
        "--server.sslKeyFile", str(chosen.certificate.key_path),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip


def qr_code(text: str) -> segno.QRCode:
    return segno.make(text, error="m", micro=False)


def qr_png(text: str, scale: int = 8) -> bytes:
    """The QR code of ``text`` as a PNG, dark on white, with its quiet zone."""
    out = io.BytesIO()
    qr_code(text).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_text(text: str) -> str:
    """The QR code of ``text`` drawn with block characters, two rows a line, for a terminal: light
    modules are blocks, dark ones spaces (readable on a dark terminal; a phone reads it inverted
    too), with a quiet zone."""
    out = io.StringIO()
    qr_code(text).terminal(out, compact=True, border=2)
    return out.getvalue()


def banner(chosen: Plan) -> str:
    """What ``serve`` prints: the addresses, the QR code of the camera page, what to do."""
    new = (
        "A new certificate was made: each phone and browser asks once more to accept it.\n"
        if chosen.certificate.created
        else ""
    )
    return (
        f"{qr_text(chosen.camera_url)}\n"
        f"On the phone (same Wi-Fi), scan the code or open:  {chosen.camera_url}\n"
        f"On this computer, open (the Live page):            {chosen.url}\n"
        f"{new}"
        f"The certificate is self-signed (made on this computer, kept in "
        f"{chosen.certificate.cert_path.parent});\n"
        f"its SHA-256 fingerprint: {chosen.certificate.fingerprint_sha256}\n"
        "Accept the browser's warning once (Android: Advanced > Proceed; iPhone: Show Details > "
        "visit this website). Ctrl-C stops.\n"
    )


def run(chosen: Plan) -> int:
    """Serve until Ctrl-C; returns Streamlit's exit status."""
    if not APP.exists():
        raise ServeError(
            f"{APP} is missing: run pose-coach serve from a checkout installed with "
            "'pip install -e .'"
        )
    check_free(chosen.bind, chosen.port)
    print(banner(chosen), flush=True)
    env = {**os.environ, SERVED_URL_ENV: chosen.url}
    process = subprocess.Popen(streamlit_command(chosen), cwd=APP.parent, env=env)
    # Stopped with SIGTERM (kill, a service manager, a test's teardown): stop Streamlit too, or it
    # outlives this process, holding the port and coaching any camera still connected.
    previous = signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    try:
        return process.wait()
    except KeyboardInterrupt:  # the terminal sent Ctrl-C to Streamlit too: let it stop
        return process.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def check_free(bind: str, port: int) -> None:
    """Fail at once, saying what to do, where Streamlit could not listen at ``bind``:``port``
    (it would otherwise start, then stop with a message of its own after the banner)."""
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((bind, port))
        except OSError as error:
            raise ServeError(_why_not(error.errno, bind, port)) from error


def _why_not(code: int | None, bind: str, port: int) -> str:
    if code == errno.EADDRINUSE:
        return (f"port {port} is in use (another pose-coach serve or Streamlit app?): stop it, "
                "or choose another port with --port")  # fmt: skip
    if code == errno.EADDRNOTAVAIL:
        return (f"--address {bind} is not an address of this computer: leave it out to use the "
                "address on the home network")  # fmt: skip
    if code == errno.EACCES:
        return f"port {port} is reserved for the system: choose one from 1024 up with --port"
    return f"cannot listen at {bind}:{port} (error {code}): choose another --port or --address"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
