"""The Lambda proxy response contract (spec 18.1): the function's answer -> the client's response.

AWS reads the answer into a typed object (``{statusCode: int, headers: map of string,
multiValueHeaders: map of string lists, body: string, isBase64Encoded: boolean}``) the way a
Jackson mapper with its defaults does, and that one rule explains every AWS-recorded row:

* the answer must be a JSON object without other keys (``{"wrongValue": ...}``, ``"justAString"``
  -> malformed); a missing or null ``statusCode`` is 200; a string ``"201"`` is read as 201,
  ``"test"`` is malformed;
* scalars are read as the type the field wants: header values ``true`` -> ``"true"``, ``5`` ->
  ``"5"``; ``body: 123`` -> ``"123"``; ``isBase64Encoded: "true"`` -> true (SAM CLI's "based on
  some trials" note agrees); an object or list where a scalar belongs is malformed (``body:
  {...}`` was recorded as 502), and so is a ``multiValueHeaders`` value that is not a list;
* ``base64Encoded`` is read as ``isBase64Encoded`` (the Java bean name; SAM CLI found REST takes it).

Then: ``multiValueHeaders`` first, then ``headers`` appended to the same name (matched without
case; the multi-value spelling wins), each value its own header line; ``Connection``,
``Content-Length``, ``Date``, ``Server``, ``WWW-Authenticate`` become ``X-Amzn-Remapped-*``;
``Content-Type`` defaults to ``application/json``. A base64 ``body`` is decoded only when the
first ``Accept`` type is one of the API's ``binaryMediaTypes`` (spec 18.7), else sent as text.
A status outside 200..599, a header name or value HTTP cannot carry, or base64 that does not
decode are malformed too (AWS behaviour unrecorded; HTTP cannot send them).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

import orjson
from aiohttp import web
from multidict import CIMultiDict

from gatewaysim.integrations.http_proxy.headers import prepare_response_headers
from gatewaysim.integrations.lambda_proxy.binary import accepts_binary

__all__ = ["Malformed", "ProxyAnswer", "client_response", "read_answer"]

_KEYS: Final = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "base64Encoded"})
_TOKEN: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_BAD_VALUE: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_NO_BODY: Final = frozenset({204, 304})


class Malformed(NamedTuple):
    """Why an answer breaks the contract: ``Malformed Lambda proxy response`` and this reason."""

    reason: str


class ProxyAnswer(NamedTuple):
    """A well-formed answer."""

    status: int
    headers: tuple[tuple[str, str], ...]  # merged, in order; names as the function spelled them
    body: str
    is_base64: bool


class _Bad(Exception):
    """A field the typed reader cannot take."""


def _scalar(value: Any, where: str) -> str | None:
    """A JSON scalar read as a string (Jackson's coercion); None stays None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise _Bad(f"{where} must be a string, not {'an object' if isinstance(value, dict) else 'a list'}")


def _status(value: Any) -> int:
    if value is None:
        return 200
    if isinstance(value, bool):
        raise _Bad("statusCode must be a number")
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,9}", value.strip()):
        value = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise _Bad(f"statusCode `{str(value)[:40]}` is not a number")
    if not 200 <= value <= 599:
        raise _Bad(f"statusCode `{value}` is not an HTTP status the gateway can send")
    return value


def _boolean(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _Bad("isBase64Encoded must be true or false")


def _map(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Bad(f"{where} must be an object")
    return value


def _header(name: str, value: str | None, where: str) -> tuple[str, str] | None:
    if value is None:
        return None
    if not _TOKEN.fullmatch(name):
        raise _Bad(f"{where} name `{name[:40]}` is not an HTTP header name")
    if _BAD_VALUE.search(value):  # SECURITY: no line breaks into the client's response
        raise _Bad(f"{where} `{name}` holds a control character")
    return name, value


def _headers(answer: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    single = _map(answer.get("headers"), "headers")
    multi = _map(answer.get("multiValueHeaders"), "multiValueHeaders")
    merged: list[tuple[str, str]] = []
    spelling: dict[str, str] = {}
    for name, values in multi.items():
        if not isinstance(values, list):
            raise _Bad(f"multiValueHeaders `{name}` must be a list")
        spelling.setdefault(name.lower(), name)
        for value in values:
            found = _header(spelling[name.lower()], _scalar(value, "multiValueHeaders"), "multiValueHeaders")
            if found is not None:
                merged.append(found)
    for name, value in single.items():
        found = _header(spelling.get(name.lower(), name), _scalar(value, f"headers `{name}`"), "headers")
        if found is not None:
            merged.append(found)
    return tuple(merged)


def read_answer(payload: bytes) -> ProxyAnswer | Malformed:
    """Read the function's answer by the contract (module docstring)."""
    try:
        answer = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return Malformed("the answer is not JSON")
    if not isinstance(answer, dict):
        return Malformed(f"the answer is a JSON {type(answer).__name__}, not an object")
    unknown = sorted(set(answer) - _KEYS)
    if unknown:
        return Malformed(
            f"unknown key `{unknown[0]}` (allowed: body, headers, isBase64Encoded, multiValueHeaders, statusCode)"
        )
    try:
        status = _status(answer.get("statusCode"))
        headers = _headers(answer)
        body = _scalar(answer.get("body"), "body") or ""
        flag = answer.get("isBase64Encoded", answer.get("base64Encoded"))
        return ProxyAnswer(status, headers, body, _boolean(flag))
    except _Bad as exc:
        return Malformed(str(exc))


def client_response(
    answer: ProxyAnswer, accept: str | None, binary_media_types: tuple[str, ...], extra: Mapping[str, str]
) -> web.Response | Malformed:
    """The client's response for a well-formed answer; ``extra`` are the request-id headers."""
    body: bytes
    if answer.is_base64 and accepts_binary(accept, binary_media_types):
        try:
            body = base64.b64decode(answer.body, validate=True)
        except (binascii.Error, ValueError):
            return Malformed("isBase64Encoded is true but the body is not base64")
    else:
        body = answer.body.encode("utf-8", "surrogatepass")
    headers: CIMultiDict[str] = CIMultiDict()
    prepare_response_headers(CIMultiDict(answer.headers), headers)  # remapped names, Content-Type default
    headers.update(extra)
    if answer.status in _NO_BODY:
        body = b""
    return web.Response(status=answer.status, headers=headers, body=body)
