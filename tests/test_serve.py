"""``pose-coach serve``: the certificate, the address, the QR codes and the Streamlit command; and
the phone link that lets one phone at a time be the camera."""

from __future__ import annotations

import ipaddress
import socket
import stat

import cv2
import numpy as np
import pytest
from cryptography import x509

from pose_coach import serve, tls
from pose_coach.cli import main
from pose_coach_app.phone_link import PhoneLink
from tests.browser.harness import served_over_https

URL = "https://192.168.1.23:8501/camera"


def san(cert_path) -> tuple[set[str], set[str]]:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return (
        {str(a) for a in names.get_values_for_type(x509.IPAddress)},
        set(names.get_values_for_type(x509.DNSName)),
    )


def test_certificate_names_the_lan_address_localhost_and_loopback(tmp_path):
    made = serve.plan("192.168.1.23", 8501, tmp_path).certificate
    assert made.created
    assert san(made.cert_path) == ({"192.168.1.23", "127.0.0.1"}, {"localhost"})
    assert stat.S_IMODE(made.key_path.stat().st_mode) == 0o600  # the private key is the user's
    assert not list(tmp_path.glob(".*.part"))


def test_certificate_is_reused_and_remade_when_the_address_changes(tmp_path):
    first = tls.ensure_certificate(["192.168.1.23", "localhost"], tmp_path)
    again = tls.ensure_certificate(["192.168.1.23", "localhost"], tmp_path)
    assert not again.created and again.fingerprint_sha256 == first.fingerprint_sha256
    moved = tls.ensure_certificate(["10.0.0.7", "localhost"], tmp_path)  # another network
    assert moved.created and moved.fingerprint_sha256 != first.fingerprint_sha256
    assert san(moved.cert_path)[0] == {"10.0.0.7"}


def test_certificate_key_matches_and_signs_itself(tmp_path):
    from cryptography.hazmat.primitives import serialization

    made = tls.ensure_certificate(["127.0.0.1"], tmp_path)
    cert = x509.load_pem_x509_certificate(made.cert_path.read_bytes())
    key = serialization.load_pem_private_key(made.key_path.read_bytes(), None)
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    cert.verify_directly_issued_by(cert)


def test_unreadable_certificate_says_what_to_do(tmp_path):
    (tmp_path / tls.CERT_NAME).write_text("not a certificate")
    (tmp_path / tls.KEY_NAME).write_text("not a key")
    with pytest.raises(tls.CertificateError, match="delete the folder"):
        tls.ensure_certificate(["127.0.0.1"], tmp_path)


def test_lan_address_is_an_ipv4_address():
    assert ipaddress.ip_address(serve.lan_address()).version == 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--address", "my-laptop"], "is not an IP address"),  # a name, not an address
        (["serve", "--address", "127.0.0.1", "--port", "70000"], "is not a port number"),
    ],
)
def test_bad_serve_arguments_are_clear_errors(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("POSE_COACH_HOME", str(tmp_path))
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "tls").exists()  # nothing written


def test_serve_at_a_port_in_use_or_an_address_not_ours_says_what_to_do(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("POSE_COACH_HOME", str(tmp_path))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--address", "127.0.0.1", "--port", str(port)]) == 2
        assert f"port {port} is in use" in capsys.readouterr().err
    # 192.0.2.0/24 is reserved for documentation: never this computer's address.
    assert main(["serve", "--address", "192.0.2.77", "--port", str(port)]) == 2
    assert "192.0.2.77 is not an address of this computer" in capsys.readouterr().err


def test_streamlit_command_serves_https_with_the_certificate_and_no_usage_statistics(tmp_path):
    chosen = serve.plan("127.0.0.1", 8765, tmp_path)
    command = serve.streamlit_command(chosen)
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert options["--server.sslCertFile"] == str(chosen.certificate.cert_path)
    assert options["--server.sslKeyFile"] == str(chosen.certificate.key_path)
    assert (options["--server.address"], options["--server.port"]) == ("127.0.0.1", "8765")
    assert options["--browser.gatherUsageStats"] == "false"
    assert chosen.camera_url == "https://127.0.0.1:8765/camera"


def test_default_plan_listens_everywhere_and_shows_the_lan_address(tmp_path, monkeypatch):
    monkeypatch.setattr(serve, "lan_address", lambda: "192.168.4.9")
    chosen = serve.plan(folder=tmp_path)
    assert (chosen.bind, chosen.url) == ("0.0.0.0", "https://192.168.4.9:8501")


def decode(image: np.ndarray) -> str:
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
    return text


def test_qr_png_decodes_to_the_address():
    png = np.frombuffer(serve.qr_png(URL), np.uint8)
    assert decode(cv2.imdecode(png, cv2.IMREAD_COLOR)) == URL


def test_terminal_qr_decodes_to_the_address():
    """The printed blocks, read back as pixels (a block is light, a space dark; two rows a line)."""
    rows = []
    for line in serve.qr_text(URL).splitlines():
        top = [255 if c in "█▀" else 0 for c in line]
        bottom = [255 if c in "█▄" else 0 for c in line]
        rows += [top, bottom]
    width = max(len(r) for r in rows)
    modules = np.array([r + [255] * (width - len(r)) for r in rows], np.uint8)
    image = cv2.resize(np.pad(modules, 4, constant_values=255), None, fx=8, fy=8,
                       interpolation=cv2.INTER_NEAREST)  # fmt: skip
    assert decode(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)) == URL


def test_banner_names_the_camera_page_and_the_fingerprint(tmp_path):
    chosen = serve.plan("127.0.0.1", 8502, tmp_path)
    text = serve.banner(chosen)
    assert "https://127.0.0.1:8502/camera" in text
    assert chosen.certificate.fingerprint_sha256 in text
    assert "new certificate" in text


@pytest.mark.slow
def test_serve_stopped_with_sigterm_stops_streamlit_and_frees_its_port(tmp_path):
    with served_over_https(tmp_path / "home", tmp_path / "serve.log") as server:
        port = int(server.url.rsplit(":", 1)[1])
        with pytest.raises(serve.ServeError, match="in use"):  # Streamlit listens
            serve.check_free("127.0.0.1", port)
    # served_over_https sent SIGTERM to ``pose-coach serve`` and waited for it to exit: Streamlit,
    # its child, must have stopped too (it used to live on, holding the port).
    serve.check_free("127.0.0.1", port)


class FakeTrack:
    def __init__(self) -> None:
        self.readyState = "live"


def test_one_phone_at_a_time():
    link, first, second = PhoneLink(), FakeTrack(), FakeTrack()
    assert link.connect("phone-a", first)
    assert not link.connect("phone-b", second)  # refused while the first sends
    assert link.taken_by_other("phone-b").session == "phone-a"
    assert link.taken_by_other("phone-a") is None
    assert link.phone().track is first


def test_a_phone_that_stops_or_whose_track_ends_frees_the_camera():
    link, first, second = PhoneLink(), FakeTrack(), FakeTrack()
    link.connect("phone-a", first)
    link.disconnect("phone-b")  # not the camera: nothing happens
    assert link.phone().session == "phone-a"
    link.disconnect("phone-a")
    assert link.phone() is None
    link.connect("phone-a", first)
    first.readyState = "ended"  # its page closed, or the network went
    assert link.phone() is None
    assert link.connect("phone-b", second)


def test_a_phone_that_reconnects_keeps_the_camera_with_its_new_track():
    link, old, new = PhoneLink(), FakeTrack(), FakeTrack()
    link.connect("phone-a", old)
    assert link.connect("phone-a", new)
    assert link.phone().track is new
