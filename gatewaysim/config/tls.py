"""The TLS listener (config key ``tls``): a certificate of your own or a generated local one, and
mutual TLS with a trust store.

::

    tls: {cert: server.pem, key: server.key}        # PEM files, relative to the config
    tls: {generate: true}                           # a self-signed certificate for this machine
    tls: {generate: true, client_ca: clients.pem}   # mutual TLS: clients present a certificate it signed

With TLS, ``aws:SecureTransport`` is ``true`` and the backend gets ``X-Forwarded-Proto: https``;
with ``client_ca`` the caller's certificate fills ``requestContext.identity.clientCert``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from gatewaysim.config import fields as f
from gatewaysim.config.fields import INVALID, Checker

__all__ = ["TLS_FIELDS", "TlsSettings", "tls_section"]


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """Where the listener's certificate comes from, and whom it asks for one."""

    cert: str | None = None  # PEM certificate (chain) file
    key: str | None = None  # PEM private key file
    generate: bool = False  # a self-signed certificate for localhost and the listen host, made at start
    generated_dir: str | None = None  # where the generated certificate is written (None: a new temp dir)
    client_ca: str | None = None  # mutual TLS: PEM trust store the client certificate must chain to

    @property
    def enabled(self) -> bool:
        """True when the listener speaks TLS."""
        return self.generate or self.cert is not None


TLS_FIELDS: Final[f.Table] = {
    "cert": f.optional_string,
    "key": f.optional_string,
    "generate": f.boolean,
    "generated_dir": f.optional_string,
    "client_ca": f.optional_string,
}
_FILES: Final = ("cert", "key", "client_ca")


def tls_section(checker: Checker, path: str, raw: Any, base_dir: Path) -> Any:
    """Parse ``tls``: file paths relative to ``base_dir`` and readable; the combinations that make sense."""
    if raw is None:
        return None
    fields = checker.section(path, raw, TLS_FIELDS)
    for name in _FILES:
        value = fields.get(name)
        if value is None:
            continue
        file = Path(value) if Path(value).is_absolute() else base_dir / value
        if not file.is_file():
            checker.add(f"{path}.{name}", f"no file `{file}`")
        fields[name] = str(file)
    settings = TlsSettings(**fields)
    problem = _combination(settings)
    if problem is not None:
        checker.add(*problem)
        return INVALID
    return settings


def _combination(tls: TlsSettings) -> tuple[str, str] | None:
    if (tls.cert is None) != (tls.key is None):
        return "tls", "give both `cert` and `key`, or `generate: true`"
    if tls.cert is not None and tls.generate:
        return "tls.generate", "either your own `cert` and `key` or `generate: true`, not both"
    if tls.client_ca is not None and not tls.enabled:
        return "tls.client_ca", "mutual TLS needs a TLS listener: give `cert` and `key`, or `generate: true`"
    return None
