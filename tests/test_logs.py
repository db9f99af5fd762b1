"""The access log: one JSON (or text) line per record, control characters never raw."""

from __future__ import annotations

import io
import json
from pathlib import Path

from gatewaysim.logs import ACCESS_FIELDS, AccessLog

RECORD = {
    "requestId": "r-1",
    "requestTime": "2026-11-29T12:00:00Z",
    "ip": "127.0.0.5",
    "caller": "anonymous",
    "httpMethod": "GET",
    "path": "/prod/pets",
    "status": 403,
    "responseLength": 42,
    "latency": 1.25,
    "decision": "ImplicitDeny",
    "errorType": "AccessDeniedException",
}


def test_json_line() -> None:
    stream = io.StringIO()
    AccessLog(stream, "json").emit(RECORD)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == RECORD


def test_text_line() -> None:
    line = AccessLog.text_line(RECORD)
    assert line == (
        '127.0.0.5 anonymous [2026-11-29T12:00:00Z] "GET /prod/pets" 403 42 1.2ms '
        "ImplicitDeny AccessDeniedException r-1"
    )


def test_text_line_escapes_control_characters() -> None:
    line = AccessLog.text_line({**RECORD, "path": "/prod/a\nFAKE 200\x1b[31m"})
    assert "\n" not in line and "\x1b" not in line
    assert "/prod/a\\nFAKE 200\\x1b[31m" in line


def test_file_log_appends_and_closes(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    log = AccessLog.open(str(path), "json")
    log.emit(RECORD)
    log.emit(RECORD)
    log.close()
    log.close()  # idempotent
    assert [json.loads(line)["requestId"] for line in path.read_text().splitlines()] == ["r-1", "r-1"]


def test_fields_are_listed_once() -> None:
    assert len(ACCESS_FIELDS) == len(set(ACCESS_FIELDS))
    assert {"requestId", "ip", "caller", "resourceArn", "decision", "decidingStatement", "authorizer"} <= set(
        ACCESS_FIELDS
    )
