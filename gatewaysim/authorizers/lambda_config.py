"""Validate a Lambda authorizer's config mapping, collecting every located problem."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from gatewaysim.authorizers.lambda_events import parse_identity_sources
from gatewaysim.errors import ConfigError, Problem

__all__ = ["DEFAULT_IDENTITY_SOURCE", "DEFAULT_TTL", "KEYS", "MAX_TTL", "LambdaType", "parse_config"]

DEFAULT_TTL = 300
MAX_TTL = 3600
DEFAULT_IDENTITY_SOURCE = "method.request.header.Authorization"
KEYS = frozenset(
    {
        "type",
        "handler",
        "url",
        "identitySource",
        "identityValidationExpression",
        "authorizerResultTtlInSeconds",
        "timeoutSeconds",
        "cacheSize",
    }
)


class LambdaType(StrEnum):
    """The Lambda authorizer kinds of REST APIs."""

    TOKEN = "TOKEN"
    REQUEST = "REQUEST"


def _type(data: Mapping[str, Any]) -> LambdaType:
    raw = data.get("type", "TOKEN")
    try:
        return LambdaType(str(raw).upper())
    except ValueError:
        raise ValueError(f"unknown type `{raw}` (expected TOKEN or REQUEST)") from None


def _target(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    handler, url = data.get("handler"), data.get("url")
    if (handler is None) == (url is None):
        raise ValueError("give exactly one of `handler` or `url`")
    if handler is not None and not isinstance(handler, str):
        raise ValueError("`handler` must be a string like `module:function`")
    if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise ValueError(f"`url` must be an http(s) URL, not `{url}`")
    return handler, url


def _int_in(raw: Any, name: str, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise ValueError(f"`{name}` must be an integer from {low} to {high}, not `{raw}`")
    return raw


def _timeout(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw <= 0:
        raise ValueError(f"`timeoutSeconds` must be a positive number, not `{raw}`")
    return float(raw)


def _pattern(raw: Any, kind: LambdaType) -> re.Pattern[str] | None:
    if raw is None:
        return None
    if kind is not LambdaType.TOKEN:
        raise ValueError("`identityValidationExpression` applies to TOKEN authorizers only")
    try:
        return re.compile(str(raw))
    except re.error as exc:
        raise ValueError(f"`identityValidationExpression` is not a valid regex: {exc}") from None


def parse_config(data: Mapping[str, Any], *, source: str | None, path: str) -> dict[str, Any]:
    """Keyword arguments for ``LambdaAuthorizerConfig``; raises ``ConfigError`` with every problem."""
    problems: list[Problem] = []
    out: dict[str, Any] = {}

    def check(key: str, field_name: str, build: Callable[[], Any]) -> None:
        try:
            out[field_name] = build()
        except ValueError as exc:
            problems.append(Problem(f"{path}.{key}" if key else path, str(exc)))

    problems.extend(Problem(f"{path}.{k}", f"unknown key `{k}`") for k in sorted(set(data) - KEYS))
    check("type", "type", lambda: _type(data))
    kind = out.get("type", LambdaType.TOKEN)
    check("", "_target", lambda: _target(data))
    out["handler"], out["url"] = out.pop("_target", (None, None))
    check("identitySource", "identity_sources", lambda: _sources(data, kind))
    check(
        "identityValidationExpression",
        "identity_validation_expression",
        lambda: _pattern(data.get("identityValidationExpression"), kind),
    )
    check(
        "authorizerResultTtlInSeconds",
        "ttl_seconds",
        lambda: _int_in(
            data.get("authorizerResultTtlInSeconds", DEFAULT_TTL), "authorizerResultTtlInSeconds", 0, MAX_TTL
        ),
    )
    check("timeoutSeconds", "timeout_seconds", lambda: _timeout(data.get("timeoutSeconds", 10.0)))
    check("cacheSize", "cache_size", lambda: _int_in(data.get("cacheSize", 1024), "cacheSize", 1, 10_000_000))
    if problems:
        raise ConfigError(problems, source)
    return out


def _sources(data: Mapping[str, Any], kind: LambdaType) -> Any:
    raw = data.get("identitySource", DEFAULT_IDENTITY_SOURCE)
    sources = parse_identity_sources(raw)
    if kind is LambdaType.TOKEN and (len(sources) != 1 or sources[0].kind != "header"):
        raise ValueError("a TOKEN authorizer takes exactly one `method.request.header.X` identity source")
    return sources
