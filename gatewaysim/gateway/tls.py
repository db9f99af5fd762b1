"""The TLS listener: its ``ssl.SSLContext``, a generated local certificate, and the caller's certificate.

* ``tls.cert``/``tls.key``: the PEM files given. ``tls.generate``: a self-signed certificate (EC
  P-256, valid 30 days) for ``localhost``, ``127.0.0.1``, ``::1`` and the listen host, written as
  ``cert.pem``/``key.pem`` (key readable by the owner only) so ``curl --cacert cert.pem`` trusts it.
* ``tls.client_ca``: mutual TLS, as API Gateway's (a truststore on the custom domain): a client
  must present a certificate that chains to it, or the handshake fails; TLS 1.2 at least.
* ``client_certificate(der)``: the caller's certificate as the Lambda proxy event shows it in
  ``requestContext.identity.clientCert`` (``clientCertPem``, ``subjectDN``, ``issuerDN``,
  ``serialNumber``, ``validity``), parsed once per certificate.

``cryptography`` (PyJWT's, already installed) is imported only here, only when TLS is configured.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from gatewaysim.config.tls import TlsSettings

__all__ = ["GENERATED_DAYS", "TlsListener", "client_certificate", "generate_certificate", "listener_tls"]

GENERATED_DAYS: Final = 30
_LOCAL_NAMES: Final = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True, slots=True)
class TlsListener:
    """The listener's context and what the banner says about it."""

    context: ssl.SSLContext
    cert_file: str
    generated: bool
    client_ca: str | None

    def describe(self) -> list[str]:
        """Banner lines."""
        origin = f"generated for {', '.join(_LOCAL_NAMES)} (curl --cacert {self.cert_file})" if self.generated else ""
        lines = [f"tls: certificate {self.cert_file} {origin}".rstrip()]
        if self.client_ca is not None:
            lines.append(f"mutual tls: clients present a certificate signed by {self.client_ca}")
        return lines


def listener_tls(tls: TlsSettings | None, host: str) -> TlsListener | None:
    """The listener's TLS for ``tls`` (None: plain HTTP); generates the certificate when asked."""
    if tls is None or not tls.enabled:
        return None
    cert, key = tls.cert, tls.key
    if tls.generate:
        cert, key = generate_certificate(Path(tls.generated_dir or tempfile.mkdtemp(prefix="gatewaysim-tls-")), host)
    assert cert is not None and key is not None  # config.tls checked the combination
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    if tls.client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED  # SECURITY: no certificate chaining to the truststore, no request
        context.load_verify_locations(tls.client_ca)
    return TlsListener(context, cert, tls.generate, tls.client_ca)


def generate_certificate(directory: Path, host: str) -> tuple[str, str]:
    """A self-signed certificate for this machine in ``directory``: (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gatewaysim local")])
    now = datetime.datetime.now(datetime.UTC)
    alternative = [_san(value) for value in dict.fromkeys((*_LOCAL_NAMES, host))]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=GENERATED_DAYS))
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.touch(mode=0o600)
    key_file.chmod(0o600)
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_file), str(key_file)


def _san(value: str) -> Any:
    from cryptography import x509

    try:
        return x509.IPAddress(ipaddress.ip_address(value))
    except ValueError:
        return x509.DNSName(value)


@lru_cache(maxsize=256)
def client_certificate(der: bytes) -> Mapping[str, Any]:
    """The certificate as ``requestContext.identity.clientCert`` shows it (AWS's Lambda proxy input)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    certificate = x509.load_der_x509_certificate(der)
    serial = certificate.serial_number.to_bytes((certificate.serial_number.bit_length() + 7) // 8 or 1, "big")
    return MappingProxyType(
        {
            "clientCertPem": certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            "subjectDN": certificate.subject.rfc4514_string(),
            "issuerDN": certificate.issuer.rfc4514_string(),
            "serialNumber": ":".join(f"{byte:02x}" for byte in serial),
            "validity": {
                "notBefore": _openssl_time(certificate.not_valid_before_utc),
                "notAfter": _openssl_time(certificate.not_valid_after_utc),
            },
        }
    )


def _openssl_time(moment: datetime.datetime) -> str:
    """``May 28 12:30:02 2019 GMT``, as AWS's example prints it (OpenSSL's notation)."""
    return f"{moment:%b} {moment.day:2d} {moment:%H:%M:%S %Y} GMT"
