"""The access log: one JSON (or text) line per record, control characters never raw."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from gatewaysim.gateway.exchange import _three_places
from gatewaysim.observe.access_log import ACCESS_FIELDS, AccessLog, json_line
from gatewaysim.observe.line_writer import FLUSH_S, MAX_PENDING, LineWriter
from gatewaysim.testing import GatewayServer, RecordingBackend, raw_exchange

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
    """A refused request: the stage that refused it and why, never the policy's column on its own."""
    refused = {**RECORD, "refusedBy": "policy", "reason": "ImplicitDeny: no statement applies"}
    assert AccessLog.text_line(refused) == (
        '127.0.0.5 anonymous [2026-11-29T12:00:00Z] "GET /prod/pets" 403 42 1.2ms '
        "r-1 refused by policy: ImplicitDeny: no statement applies"
    )
    cognito = {**RECORD, "status": 401, "decision": "Allow", "refusedBy": "cognito", "reason": "not a JWT"}
    hinted = AccessLog.text_line({**cognito, "hint": "send the bare JWT"})
    assert hinted.endswith(" 401 42 1.2ms r-1 refused by cognito: not a JWT (hint: send the bare JWT)")
    forwarded = {**RECORD, "status": 200, "decision": "Allow", "errorType": None}
    assert AccessLog.text_line(forwarded).endswith('"GET /prod/pets" 200 42 1.2ms r-1 Allow')


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


class CountingStream(io.StringIO):
    """A text stream that counts its write calls."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


async def test_lines_within_the_flush_interval_are_one_write() -> None:
    """The access log writes once every ``FLUSH_S``, not once per request (a syscall each)."""
    stream = CountingStream()
    log = AccessLog(stream, "json")
    for n in range(5):
        log.emit({**RECORD, "requestId": f"r-{n}"})
        await asyncio.sleep(0)  # requests in different loop turns share the write too
    assert stream.writes == 0  # queued until the interval ends
    await asyncio.sleep(FLUSH_S * 2)
    assert stream.writes == 1
    assert [json.loads(line)["requestId"] for line in stream.getvalue().splitlines()] == [f"r-{n}" for n in range(5)]
    log.emit(RECORD)
    await asyncio.sleep(FLUSH_S * 2)
    assert stream.writes == 2


async def test_a_burst_is_written_without_waiting_for_the_timer() -> None:
    stream = CountingStream()
    log = AccessLog(stream, "json")
    for n in range(MAX_PENDING):
        log.emit({**RECORD, "requestId": f"r-{n}"})
    assert stream.writes == 1  # the queue's bound: no waiting, no unbounded memory
    log.emit(RECORD)
    log.close()
    assert stream.writes == 2 and len(stream.getvalue().splitlines()) == MAX_PENDING + 1


async def test_close_writes_what_is_queued(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    log = AccessLog.open(str(path), "json")
    log.emit(RECORD)
    log.close()  # before the loop turned
    assert [json.loads(line)["requestId"] for line in path.read_text().splitlines()] == ["r-1"]


def test_without_a_loop_each_line_is_written_at_once() -> None:
    stream = CountingStream()
    writer = LineWriter(stream)
    writer.write_line("a")
    writer.write_line("b")
    assert stream.getvalue() == "a\nb\n" and stream.writes == 2


async def test_a_closed_stream_drops_lines_without_raising() -> None:
    stream = io.StringIO()
    writer = LineWriter(stream)
    writer.write_line("a")
    stream.close()
    await asyncio.sleep(0)  # the scheduled flush finds the stream closed
    writer.close()


# --- json_line: orjson's speed, the json module's ASCII lines ------------------------------------

_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=20)  # surrogates, U+2028, NEL ...
_VALUES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT
)
_RECORDS = st.dictionaries(_TEXT, _VALUES | st.dictionaries(_TEXT, _VALUES, max_size=3), max_size=8)


@given(_RECORDS)
def test_json_line_is_one_ascii_line_holding_what_json_dumps_holds(record: dict[str, object]) -> None:
    line = json_line(record)
    assert line.isascii() and len(line.splitlines()) == 1
    assert json.loads(line) == json.loads(json.dumps(record))


def test_json_line_escapes_what_orjson_would_write_raw() -> None:
    record = {**RECORD, "caller": "arn:aws:iam::111122223333:user/a\u2028b\x85c\u00e9"}
    line = json_line(record)
    assert "\\u2028" in line and line.isascii() and json.loads(line) == record


async def test_undecodable_header_bytes_reach_the_log_as_one_ascii_line() -> None:
    """A principal header of raw non-UTF-8 bytes (a lone surrogate once decoded) is logged, not lost."""
    allow_all = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
    open_policy = {"Version": "2012-10-17", "Statement": [allow_all]}
    stream = io.StringIO()
    async with (
        RecordingBackend() as backend,
        GatewayServer(policy=open_policy, backend=backend.url, access_log=stream) as gw,
    ):
        principal = b"X-Gatewaysim-Principal: \xff\xe2\x80\xa8user\r\n"
        request = b"GET /prod/x HTTP/1.1\r\nHost: h\r\n" + principal + b"Connection: close\r\n\r\n"
        answer = await raw_exchange("127.0.0.1", gw.port, request)
    assert answer.startswith(b"HTTP/1.1 200 ")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].isascii()
    assert json.loads(lines[0])["caller"] == gw.records[0]["caller"]


@given(st.floats(min_value=0, max_value=1e7), st.floats(min_value=0, max_value=1e7))
def test_latencies_are_logged_to_three_places_in_order(a: float, b: float) -> None:
    """The log's latency rounding: within half a microsecond, and never reversing two latencies."""
    low, high = sorted((a, b))
    assert abs(_three_places(low) - low) <= 0.0005 + 1e-9 * low
    assert _three_places(low) <= _three_places(high)
    assert _three_places(1.2344) == 1.234 and _three_places(1.2346) == 1.235
