"""JSON Web Key Sets for the Cognito user pool authorizer: load once, look up by ``kid``, refetch rarely.

A :class:`JwksSource` names where the keys live: a file, an inline document, or an http(s) URL
(a local mock of ``https://cognito-idp.{region}.amazonaws.com/{pool}/.well-known/jwks.json``).
A :class:`JwksCache` holds the parsed keys. Lookups (:meth:`JwksCache.get`) never do I/O. A remote
set is fetched at startup (:meth:`JwksCache.load` with aiohttp, or :meth:`JwksCache.load_sync`
with a short blocking urllib call before the loop runs) and again only when a token names an
unknown ``kid``, at most once per ``refresh_interval`` seconds (:meth:`JwksCache.refresh`).
Fetches honour HTTP API's documented limits by default: 1.5 s timeout, 150000 bytes.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from jwt import PyJWK
from jwt.exceptions import InvalidKeyError, PyJWKError

from gatewaysim.errors import ConfigError, DocumentError, Problem
from gatewaysim.safeload import Limits, load_json, read_text

__all__ = ["SUPPORTED_ALGORITHMS", "JwksCache", "JwksSource", "parse_jwks"]

SUPPORTED_ALGORITHMS = frozenset({"RS256", "ES256"})


@dataclass(frozen=True, slots=True)
class JwksSource:
    """Exactly one of: a file ``path``, an inline ``document``, an http(s) ``url``."""

    path: Path | None = None
    document: Mapping[str, Any] | None = None
    url: str | None = None

    @classmethod
    def parse(cls, raw: object) -> JwksSource:
        """``"http(s)://..."`` -> url, other strings and paths -> file, a mapping -> inline."""
        if isinstance(raw, JwksSource):
            return raw
        if isinstance(raw, str) and raw.startswith(("http://", "https://")):
            return cls(url=raw)
        if isinstance(raw, str | Path) and str(raw):
            return cls(path=Path(raw))
        if isinstance(raw, Mapping):
            return cls(document=raw)
        raise ConfigError([Problem("jwks", "must be a file path, an http(s) URL or an inline JWKS object")])

    def describe(self) -> str:
        """A short name for messages."""
        return self.url or (str(self.path) if self.path is not None else "inline jwks")


def parse_jwks(
    document: object, source: str = "jwks", algorithms: frozenset[str] = SUPPORTED_ALGORITHMS
) -> dict[str, PyJWK]:
    """Parse a JWKS document into ``kid -> key``; keys for other algorithms or for encryption are skipped."""
    keys_raw = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(keys_raw, list):
        raise ConfigError([Problem("keys", "a JWKS must be an object with a `keys` list")], source)
    problems: list[Problem] = []
    keys: dict[str, PyJWK] = {}
    for i, raw in enumerate(keys_raw):
        key = _parse_key(raw, f"keys[{i}]", problems)
        if key is None or key.algorithm_name not in algorithms:
            continue
        kid = str(key.key_id)
        if kid in keys:
            problems.append(Problem(f"keys[{i}].kid", f"duplicate kid `{kid}`"))
        keys[kid] = key
    if not problems and not keys:
        problems.append(Problem("keys", f"no signing key for {', '.join(sorted(algorithms))}"))
    if problems:
        raise ConfigError(problems, source)
    return keys


def _parse_key(raw: object, where: str, problems: list[Problem]) -> PyJWK | None:
    if not isinstance(raw, Mapping):
        problems.append(Problem(where, "must be a JWK object"))
        return None
    if raw.get("use") == "enc":
        return None  # encryption keys never sign tokens
    kid = raw.get("kid")
    if not isinstance(kid, str) or not kid:
        problems.append(Problem(f"{where}.kid", "missing"))
        return None
    if "d" in raw:  # SECURITY: a published set must hold public keys only
        problems.append(Problem(where, f"key `{kid}` contains private key material"))
        return None
    try:
        return PyJWK(dict(raw))
    except InvalidKeyError:
        problems.append(Problem(where, f"key `{kid}` is not a valid public key"))
    except PyJWKError:
        pass  # an algorithm PyJWT does not know is not one we accept either
    return None


class JwksCache:
    """The keys of one issuer, by ``kid``; see the module docstring for when it fetches."""

    def __init__(
        self,
        source: JwksSource,
        *,
        algorithms: frozenset[str] = SUPPORTED_ALGORITHMS,
        refresh_interval: float = 300.0,
        timeout: float = 1.5,
        max_bytes: int = 150_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.algorithms = algorithms
        self.refresh_interval = refresh_interval
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        self._last_fetch: float | None = None
        self._lock: asyncio.Lock | None = None
        self.fetches = 0
        if source.document is not None:
            self._keys = parse_jwks(source.document, source.describe(), algorithms)

    def get(self, kid: str) -> PyJWK | None:
        """The key with this ``kid``, or ``None``; never does I/O."""
        return self._keys.get(kid)

    @property
    def kids(self) -> tuple[str, ...]:
        """The key ids currently known."""
        return tuple(self._keys)

    @property
    def loaded(self) -> bool:
        """True once at least one usable key is known."""
        return bool(self._keys)

    @property
    def remote(self) -> bool:
        """True when the keys come from a URL (and may be refetched)."""
        return self.source.url is not None

    def load_sync(self) -> None:
        """Load a file or URL with blocking I/O: for startup, before the event loop serves requests."""
        if self.source.path is not None:
            self._keys = self._parse(self._read_file(self.source.path))
        elif self.source.url is not None:
            self._last_fetch = self._clock()
            self.fetches += 1
            self._keys = self._parse(self._fetch_sync(self.source.url))

    async def load(self) -> None:
        """Load a file (in a worker thread) or fetch a URL (aiohttp); raise ConfigError on failure."""
        if self.source.path is not None:
            self._keys = self._parse(await asyncio.to_thread(self._read_file, self.source.path))
        elif self.source.url is not None:
            await self._fetch(self.source.url)

    async def refresh(self) -> bool:
        """Refetch a remote set after an unknown ``kid``, at most once per ``refresh_interval``.

        Returns True when the keys may have changed (a fetch succeeded, here or in a concurrent
        caller), so the caller should look again.
        """
        url = self.source.url
        if url is None:
            return False
        if self._lock is None:
            self._lock = asyncio.Lock()
        if self._lock.locked():  # a fetch is under way: wait for it, then look again
            async with self._lock:
                return self.loaded
        if not self._may_fetch():
            return False
        async with self._lock:
            try:
                await self._fetch(url)
            except ConfigError:
                return False
            return True

    def _may_fetch(self) -> bool:
        return self._last_fetch is None or self._clock() - self._last_fetch >= self.refresh_interval

    async def _fetch(self, url: str) -> None:
        self._last_fetch = self._clock()
        self.fetches += 1
        self._keys = self._parse(await self._fetch_async(url))

    async def _fetch_async(self, url: str) -> bytes:
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        data = bytearray()
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
                if response.status != 200:
                    raise self._error(f"`{url}` answered HTTP {response.status}")
                async for chunk in response.content.iter_chunked(65536):
                    data += chunk
                    if len(data) > self.max_bytes:
                        raise self._error(f"`{url}` sent more than {self.max_bytes} bytes")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise self._error(f"cannot fetch `{url}`: {exc or 'timed out'}") from exc
        return bytes(data)

    def _fetch_sync(self, url: str) -> bytes:
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                data: bytes = response.read(self.max_bytes + 1)
        except OSError as exc:  # URLError, HTTPError and timeouts are all OSErrors
            raise self._error(f"cannot fetch `{url}`: {exc}") from exc
        if len(data) > self.max_bytes:
            raise self._error(f"`{url}` sent more than {self.max_bytes} bytes")
        return data

    def _read_file(self, path: Path) -> bytes:
        try:
            return read_text(path, Limits(max_bytes=self.max_bytes)).encode("utf-8")
        except OSError as exc:
            raise self._error(f"cannot read file: {exc.strerror}") from exc
        except DocumentError as exc:
            raise self._error(exc.problems[0].message) from None

    def _parse(self, data: bytes) -> dict[str, PyJWK]:
        try:
            document = load_json(data, Limits(max_bytes=self.max_bytes))  # SECURITY: bounded
        except DocumentError as exc:
            raise self._error(exc.problems[0].message) from None
        return parse_jwks(document, self.source.describe(), self.algorithms)

    def _error(self, message: str) -> ConfigError:
        return ConfigError([Problem("jwks", message)], self.source.describe())
