"""A self-signed certificate for serving the app over HTTPS on the home network.

Browsers give a page the camera only over https (or on localhost), so a phone used as the camera
needs the app served over https. No certificate authority is involved: the certificate is made on
this machine on first use, kept in ``$POSE_COACH_HOME/tls`` and reused, so a phone that accepted it
once is not asked again. It is made anew only when it no longer names the address served or is
about to expire.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pose_coach.config import home_dir

# Apple's limit for a server certificate's lifetime; also short enough to be renewed now and then.
VALID_DAYS = 825
RENEW_BEFORE = dt.timedelta(days=7)
CERT_NAME, KEY_NAME = "cert.pem", "key.pem"


class CertificateError(ValueError):
    """The certificate folder cannot be written or holds a file that cannot be read."""


@dataclass(frozen=True)
class Certificate:
    cert_path: Path
    key_path: Path
    fingerprint_sha256: str  # to compare with what a phone shows
    created: bool  # made by this call (a phone must accept it again)


def tls_dir() -> Path:
    return home_dir() / "tls"


def ensure_certificate(addresses: list[str], folder: Path | None = None) -> Certificate:
    """The certificate in ``folder`` (default ``tls_dir()``), made anew unless it already names
    every one of ``addresses`` (IP addresses or host names) and is valid for another week."""
    folder = folder or tls_dir()
    cert_path, key_path = folder / CERT_NAME, folder / KEY_NAME
    wanted = {_name(a) for a in addresses}
    if cert_path.exists() and key_path.exists():
        cert = _read(cert_path)
        if wanted <= set(_names(cert)) and _valid_until(cert) - RENEW_BEFORE > _now():
            return Certificate(cert_path, key_path, _fingerprint(cert), created=False)
    cert_pem, key_pem = _make(sorted(wanted, key=str))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write(key_path, key_pem, private=True)
        _write(cert_path, cert_pem, private=False)
    except OSError as error:
        raise CertificateError(
            f"cannot write the certificate to {folder}: {error.strerror}; "
            "set POSE_COACH_HOME to a folder you can write"
        ) from error
    return Certificate(
        cert_path, key_path, _fingerprint(x509.load_pem_x509_certificate(cert_pem)), created=True
    )


def _name(address: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(address))
    except ValueError:
        return x509.DNSName(address)


def _names(cert: x509.Certificate) -> list[x509.GeneralName]:
    try:
        return list(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        return []


def _read(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as error:
        raise CertificateError(
            f"{path} is not a readable certificate ({error}); delete the folder {path.parent} "
            "and a new one is made"
        ) from error


def _make(names: list[x509.GeneralName]) -> tuple[bytes, bytes]:
    """A new key and a certificate signed by it for ``names``, both PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pose-coach on this computer")])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))  # a phone's clock may be a little behind
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _write(path: Path, data: bytes, private: bool) -> None:
    """Write atomically; a private key is readable by its owner only from the start."""
    partial = path.with_name(f".{path.name}.part")
    descriptor = os.open(
        partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644
    )
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(data)
    partial.replace(path)


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _valid_until(cert: x509.Certificate) -> dt.datetime:
    return cert.not_valid_after_utc


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
