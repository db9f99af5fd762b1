"""The access log: one line per request, built from the values the stages returned.

Fields follow API Gateway's ``$context`` variables: ``requestId``, ``requestTime`` (ISO 8601 UTC),
``apiId``, ``ip``, ``caller``, ``httpMethod``, ``path``, ``resourceArn`` (the method ARN),
``stage``, ``status``, ``responseLength``, ``latency`` and ``integrationLatency`` (ms),
``decision`` (the resource policy's outcome; ``NoPolicy`` when the API has none; null when the
request never reached the policy), ``decidingStatement``, ``authorizer`` (null while no
authorizer ran), ``verdict`` (the outcome-table rule that decided, ``flow.Verdict.explain()``),
``errorType`` and ``errorMessage``, and for a refused request ``refusedBy`` (the stage:
``route``, ``policy``, ``authorizer``, ``cognito``, ``iam``, ``integration`` ...), ``reason``
(one line) and ``hint`` (a common slip, or null) from ``gateway.refusal``; ``function``: the
Lambda function of an AWS_PROXY method, ``{"name", "coldStart"}`` (null otherwise). ``json`` writes one
JSON object a line of ASCII (``json_line``); ``text`` writes a short human line with control
characters escaped.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import IO, Any, Final

import orjson

from gatewaysim.observe.line_writer import LineWriter

__all__ = ["ACCESS_FIELDS", "AccessLog", "json_line"]

ACCESS_FIELDS: Final = (
    "requestId",
    "requestTime",
    "apiId",
    "ip",
    "caller",
    "httpMethod",
    "path",
    "resourceArn",
    "stage",
    "status",
    "responseLength",
    "latency",
    "integrationLatency",
    "decision",
    "decidingStatement",
    "authorizer",
    "verdict",
    "errorType",
    "errorMessage",
    "refusedBy",
    "reason",
    "hint",
    "function",
)
_MAX_TEXT: Final = 2048
_JSON: Final = json.JSONEncoder(separators=(",", ":"))  # built once: json.dumps(separators=) builds one a call


def json_line(record: Mapping[str, Any]) -> str:
    """``record`` as one line of ASCII JSON, the same value ``json.dumps`` would write.

    orjson encodes it (a tenth of the json module's time, on every request). A line that would
    hold non-ASCII text, or a value orjson refuses (a lone surrogate from undecodable header
    bytes), is encoded by the json module instead, whose ``\\u`` escapes keep every line ASCII: a
    client's U+2028 or NEL never splits a line for a reader that splits on them.
    """
    try:
        encoded = orjson.dumps(record)
    except TypeError:  # orjson.JSONEncodeError: a surrogate, or a type orjson does not know
        return _JSON.encode(record)
    return encoded.decode("ascii") if encoded.isascii() else _JSON.encode(record)


def _clean(value: Any) -> str:
    """One field for a text line: control characters escaped, long values cut."""
    text = "-" if value is None else str(value)
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text[:_MAX_TEXT]


def _outcome(record: Mapping[str, Any]) -> str:
    """The last part of a text line: the decision of a forwarded request, or who refused it and why."""
    stage = record.get("refusedBy")
    if stage is None:
        return _clean(record.get("decision") or record.get("errorType"))
    text = f"refused by {_clean(stage)}: {_clean(record.get('reason'))}"
    hint = record.get("hint")
    return f"{text} (hint: {_clean(hint)})" if hint else text


class AccessLog:
    """Writes access records to a text stream (stderr by default) in ``json`` or ``text`` form."""

    def __init__(self, stream: IO[str] | None = None, fmt: str = "json", *, owns_stream: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.format = fmt
        self._out = LineWriter(self.stream, owns_stream=owns_stream)

    @classmethod
    def open(cls, file: str | None, fmt: str) -> AccessLog:
        """Log to ``file`` (appended) or to stderr when ``file`` is None."""
        if file is None:
            return cls(None, fmt)
        return cls(open(file, "a", encoding="utf-8"), fmt, owns_stream=True)

    def emit(self, record: Mapping[str, Any]) -> str | None:
        """Write one record as one line (batched over a few ms: ``LineWriter``); the JSON line, if written."""
        if self.format == "json":
            line = json_line(record)
            self._out.write_line(line)
            return line
        self._out.write_line(self.text_line(record))
        return None

    @staticmethod
    def text_line(record: Mapping[str, Any]) -> str:
        """``ip caller [time] "METHOD path" status length latency requestId`` and what happened.

        What happened: the policy's decision for a forwarded request (``Allow``, ``NoPolicy``), or
        ``refused by STAGE: reason`` (and ``(hint: ...)``) for one the gateway refused: never the
        policy's column for a request another stage refused. A Lambda function's name and
        ``cold``/``warm`` close the line.
        """
        parts = [
            _clean(record.get("ip")),
            _clean(record.get("caller")),
            f"[{_clean(record.get('requestTime'))}]",
            f'"{_clean(record.get("httpMethod"))} {_clean(record.get("path"))}"',
            _clean(record.get("status")),
            _clean(record.get("responseLength")),
            f"{record.get('latency', 0):.1f}ms",
            _clean(record.get("requestId")),
            _outcome(record),
        ]
        function = record.get("function")
        if isinstance(function, Mapping):
            parts.append(f"{_clean(function.get('name'))}:{'cold' if function.get('coldStart') else 'warm'}")
        return " ".join(parts)

    def flush(self) -> None:
        """Write what is queued now."""
        self._out.flush()

    def close(self) -> None:
        """Write what is queued; close the file if this log opened it (idempotent)."""
        self._out.close()
