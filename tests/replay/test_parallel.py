"""A decisions file replayed in forked parts gives the report one process gives, in file order."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from gatewaysim.gateway.attached import attach_policy
from gatewaysim.replay.parallel import FileJob, Outcome, replay_lines
from gatewaysim.replay.run import ReplayReport, replay, shadow_report
from gatewaysim.replay.sources import read_lines
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from
from tests.live_support import policy, statement

API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
OFFICES = policy(statement(Sid="Offices", Condition={"IpAddress": {"aws:SourceIp": ["127.0.1.0/24", "127.0.2.0/24"]}}))
ONE_OFFICE = policy(
    statement(Sid="Offices", Condition={"IpAddress": {"aws:SourceIp": "127.0.1.0/24"}}),
    statement("Deny", Sid="NoAdmin", resource="execute-api:/*/*/admin"),
)


@pytest.fixture(scope="module")
def decisions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 requests from three sources to three paths, recorded by a real gateway serving OFFICES."""
    file = tmp_path_factory.mktemp("parallel") / "decisions.jsonl"

    async def send() -> None:
        async with RecordingBackend() as backend:
            config = {"api": {"backend": backend.url, "policy": OFFICES, "shadow_policy": ONE_OFFICE}}
            async with GatewayServer(config=config, log={"decisions_file": str(file)}) as gw:
                for n in range(10):
                    for source in ("127.0.1.5", "127.0.2.5", "127.0.3.5"):
                        path = ("/prod/pets", "/prod/admin", f"/prod/orders/{n}")[n % 3]
                        await request_from(gw.url + path, source=source)

    asyncio.run(send())
    return file


def _compare(report: ReplayReport) -> dict[str, Any]:
    return {
        "counts": (report.decisions, report.skipped, report.same, report.changed),
        "groups": {
            change.value: [(g.reason, g.request_ids, [e.event.request_id for e in g.examples]) for g in groups]
            for change, groups in report.groups.items()
        },
    }


def _both(job: FileJob) -> tuple[Outcome, Outcome]:
    assert threading.active_count() == 1, "forking needs a single-threaded process"
    return replay_lines(job, workers=1), replay_lines(job, workers=3, parallel_from=1)


def test_the_parts_merge_into_the_one_process_report(decisions: Path) -> None:
    candidate = attach_policy(ONE_OFFICE, api_arn=API, source="one-office")
    job = FileJob(read_lines(decisions).lines, lambda events: replay(events, candidate, examples=2), examples=2)
    one, parts = _both(job)
    assert (one.parts, parts.parts) == (1, 3)
    assert _compare(parts.report) == _compare(one.report)
    assert one.report.changed > 0 and one.apis == parts.apis == {"abcdef1234"}
    ids = [json.loads(line)["requestId"] for line in decisions.read_text().splitlines()]
    for groups in parts.report.groups.values():
        for group in groups:
            assert group.request_ids == sorted(group.request_ids, key=ids.index)  # in file order


def test_shadow_and_filters_merge_alike(decisions: Path) -> None:
    lines = read_lines(decisions).lines
    middle = json.loads(lines[15])["eventTime"]
    cutoff = datetime.fromisoformat(middle.replace("Z", "+00:00")).timestamp()
    job = FileJob(lines, lambda events: shadow_report(events, examples=3), "abcdef1234", cutoff, 3)
    one, parts = _both(job)
    assert parts.parts == 3 and _compare(parts.report) == _compare(one.report)
    assert 0 < one.report.decisions < len(lines)  # the window kept the later half only


def test_problems_are_located_by_their_line_in_the_whole_file(decisions: Path) -> None:
    lines = read_lines(decisions).lines
    lines[4] = b"{not json"
    lines[25] = json.dumps({"version": 1}).encode()
    job = FileJob(lines, lambda events: replay(events, attach_policy(ONE_OFFICE, api_arn=API, source="x")))
    one, parts = _both(job)
    assert [p.path for p in parts.problems] == [p.path for p in one.problems] == ["line 5", "line 26"]
    assert parts.problem_count == one.problem_count == 2
