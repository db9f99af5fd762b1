"""The TLS listener and mutual TLS over real TLS sockets (issue 17): `aws:SecureTransport` can be
true, and a client certificate fills `requestContext.identity.clientCert`."""

from __future__ import annotations

import asyncio
import datetime
import json
import re
import ssl
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gatewaysim.config.load import build_settings
from gatewaysim.errors import ConfigError
from gatewaysim.gateway.tls import client_certificate, generate_certificate
from gatewaysim.testing import GatewayServer, RecordingBackend
from tests.integrations.lambda_support import function, proxy_route
from tests.live_support import policy, statement

SECURE_ONLY = policy(statement(Condition={"Bool": {"aws:SecureTransport": "true"}}))


def _client(cafile: str, cert: tuple[Path, Path] | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=cafile)
    if cert is not None:
        context.load_cert_chain(*map(str, cert))
    return context


async def _get(url: str, context: ssl.SSLContext) -> tuple[int, dict[str, Any] | None]:
    async with aiohttp.ClientSession() as session, session.get(url, ssl=context) as reply:
        body = await reply.read()
        return reply.status, (await reply.json(content_type=None)) if body.startswith(b"{") else None


def _issue(
    directory: Path, name: str, issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None
) -> Any:
    """A CA (no issuer) or a client certificate signed by ``issuer``: (cert file, key file, cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test")]
    )
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[0].subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(0x0A0B0C)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    certificate = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
    cert_file, key_file = directory / f"{name}.pem", directory / f"{name}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file, certificate, key


async def test_a_generated_certificate_makes_aws_securetransport_true(
    tmp_path: Path, backend: RecordingBackend
) -> None:
    tls = {"generate": True, "generated_dir": str(tmp_path)}
    async with GatewayServer(policy=SECURE_ONLY, backend=backend.url, tls=tls) as gw:
        assert gw.url.startswith("https://")
        status, _ = await _get(gw.url + "/prod/pets", _client(str(tmp_path / "cert.pem")))
    assert status == 200
    assert backend.seen[0].headers["X-Forwarded-Proto"] == "https"
    assert (tmp_path / "key.pem").stat().st_mode & 0o077 == 0  # the key is the owner's only


async def test_plain_http_has_secure_transport_false(backend: RecordingBackend) -> None:
    from gatewaysim.testing import request_from

    async with GatewayServer(policy=SECURE_ONLY, backend=backend.url) as gw:
        reply = await request_from(gw.url + "/prod/pets")
    assert reply.status == 403 and not backend.seen


async def test_a_certificate_of_your_own(tmp_path: Path, backend: RecordingBackend) -> None:
    cert, key = generate_certificate(tmp_path / "mine", "127.0.0.1")
    async with GatewayServer(policy=SECURE_ONLY, backend=backend.url, tls={"cert": cert, "key": key}) as gw:
        status, _ = await _get(gw.url + "/prod/pets", _client(cert))
    assert status == 200


async def test_mutual_tls_fills_the_client_cert_and_refuses_strangers(tmp_path: Path) -> None:
    ca_file, _, ca, ca_key = _issue(tmp_path, "trusted-ca")
    client_cert, client_key, issued, _ = _issue(tmp_path, "alice-client", (ca, ca_key))
    other_ca = _issue(tmp_path, "other-ca")
    stranger_cert, stranger_key, _, _ = _issue(tmp_path, "mallory", (other_ca[2], other_ca[3]))
    config = {
        "api": {"backend": "http://127.0.0.1:9", "policy": None, "routes": [proxy_route("/echo", "echo", "GET")]},
        "functions": {"echo": function("echo")},
        "tls": {"generate": True, "generated_dir": str(tmp_path / "server"), "client_ca": str(ca_file)},
    }
    async with GatewayServer(config=config) as gw:
        server_ca = str(tmp_path / "server" / "cert.pem")
        status, body = await _get(gw.url + "/prod/echo", _client(server_ca, (client_cert, client_key)))
        refused = []
        for cert in (None, (stranger_cert, stranger_key)):
            with pytest.raises((aiohttp.ClientError, ssl.SSLError, ConnectionError)):
                await _get(gw.url + "/prod/echo", _client(server_ca, cert))
            refused.append(cert)
    assert status == 200 and body is not None
    seen = body["event"]["requestContext"]["identity"]["clientCert"]
    assert seen["subjectDN"] == "O=Test,CN=alice-client" and seen["issuerDN"] == "O=Test,CN=trusted-ca"
    assert seen["serialNumber"] == "0a:0b:0c"
    assert seen["clientCertPem"] == issued.public_bytes(serialization.Encoding.PEM).decode()
    assert re.fullmatch(r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} GMT", seen["validity"]["notAfter"])
    assert len(refused) == 2


def test_the_client_cert_shape_is_awss(tmp_path: Path) -> None:
    _, _, certificate, _ = _issue(tmp_path, "shape")
    described = client_certificate(certificate.public_bytes(serialization.Encoding.DER))
    assert list(described) == ["clientCertPem", "subjectDN", "issuerDN", "serialNumber", "validity"]
    assert list(described["validity"]) == ["notBefore", "notAfter"]


@pytest.mark.parametrize(
    ("tls", "problem"),
    [
        ({"cert": "c.pem"}, "tls: give both `cert` and `key`, or `generate: true`"),
        ({"client_ca": "ca.pem"}, "tls.client_ca: mutual TLS needs a TLS listener"),
        ({"cert": "c.pem", "key": "k.pem", "generate": True}, "tls.generate: either your own"),
        ({"cert": "gone.pem", "key": "k.pem"}, "tls.cert: no file `"),
        ({"generate": "yes"}, "tls.generate: must be true or false"),
    ],
)
def test_tls_settings_are_checked(tmp_path: Path, tls: dict[str, Any], problem: str) -> None:
    for name in ("c.pem", "k.pem", "ca.pem"):
        (tmp_path / name).write_text("x")
    with pytest.raises(ConfigError) as info:
        build_settings({"tls": tls}, base_dir=tmp_path)
    assert any(p.render().startswith(problem) for p in info.value.problems), info.value.render()


async def test_serve_speaks_tls_and_says_where_the_certificate_is(tmp_path: Path) -> None:
    config = tmp_path / "g.yaml"
    config.write_text(f"tls: {{generate: true, generated_dir: {tmp_path / 'tls'}}}\nadmin: {{enabled: false}}\n")
    secure_only = tmp_path / "secure-only.json"
    secure_only.write_text(json.dumps(SECURE_ONLY))  # `serve` runs on uvloop: its TLS transport too
    async with RecordingBackend() as backend:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gatewaysim", "serve", "--port", "0", "--config", str(config),
            "--backend", backend.url, "--policy", str(secure_only), "--no-reload",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None
        try:
            banner: list[str] = []
            while not banner or not banner[-1].lstrip().startswith("health:"):
                banner.append((await asyncio.wait_for(process.stdout.readline(), 20)).decode().rstrip())
            url = re.search(r"listening on (https://\S+)", banner[0]).group(1)  # type: ignore[union-attr]
            status, _ = await _get(url + "/prod/pets", _client(str(tmp_path / "tls" / "cert.pem")))
        finally:
            process.terminate()
            await asyncio.wait_for(process.communicate(), 30)
    assert status == 200
    assert any(
        line.strip().startswith(f"tls: certificate {tmp_path / 'tls' / 'cert.pem'} generated for") for line in banner
    )
    assert backend.seen[0].headers["X-Forwarded-Proto"] == "https"
