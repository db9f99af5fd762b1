"""``gatewaysim replay`` input handling: every bad input is one located line and exit 2, nothing half done.

Decision files are recorded by a real gateway (real loopback sources); a test that needs a
malformed or foreign event edits a recorded one.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from gatewaysim.cli.main import main
from gatewaysim.errors import DecisionsError
from gatewaysim.gateway.admin_client import GatewayUnreachable, admin_call
from gatewaysim.gateway.decision_events import EVENT_VERSION
from gatewaysim.replay.sources import MAX_EVENT_BYTES, MAX_PROBLEMS, read_lines
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from
from tests.live_support import policy, statement

OFFICES = policy(statement(Sid="Offices", Condition={"IpAddress": {"aws:SourceIp": ["127.0.1.0/24", "127.0.2.0/24"]}}))
ONE_OFFICE = policy(statement(Sid="Offices", Condition={"IpAddress": {"aws:SourceIp": "127.0.1.0/24"}}))


def _record(tmp_path: Path, *, shadow: dict[str, Any] | None = None, api_id: str = "abcdef1234") -> Path:
    """A decisions file of four requests (two per office) recorded by a real gateway with OFFICES."""
    file = tmp_path / f"decisions-{api_id}.jsonl"

    async def send() -> None:
        async with RecordingBackend() as backend:
            api = {"id": api_id, "backend": backend.url, "policy": OFFICES, "shadow_policy": shadow}
            async with GatewayServer(config={"api": api, "log": {"decisions_file": str(file)}}) as gw:
                for source in ("127.0.1.5", "127.0.1.6", "127.0.2.5", "127.0.2.6"):
                    assert (await request_from(gw.url + "/prod/hr-systems", source=source)).status == 200

    asyncio.run(send())
    return file


def _events(file: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in file.read_text().splitlines()]


def _write(file: Path, events: list[Any]) -> Path:
    file.write_text("".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in events))
    return file


def _replay(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["replay", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def one_office(tmp_path: Path) -> Path:
    path = tmp_path / "one-office.json"
    path.write_text(json.dumps(ONE_OFFICE))
    return path


def test_since_keeps_the_recent_decisions(tmp_path: Path, one_office: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = _events(_record(tmp_path))
    old = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 3600))
    events[2]["eventTime"] = old  # one office-2 request an hour ago
    file = _write(tmp_path / "mixed.jsonl", events)
    code, out, _ = _replay(
        capsys, "--policy", str(one_office), "--decisions-file", str(file), "--since", "10m", "--json"
    )
    report = json.loads(out)
    assert code == 1 and report["decisions"] == 3 and report["since"] == "10m"
    assert report["groups"]["newlyDenied"]["differences"][0]["requestIds"] == [events[3]["requestId"]]
    code, out, _ = _replay(
        capsys, "--policy", str(one_office), "--decisions-file", str(file), "--since", "2h", "--json"
    )
    assert json.loads(out)["decisions"] == 4


def test_the_recorded_shadow_differences_are_grouped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _record(tmp_path, shadow=ONE_OFFICE)
    code, out, err = _replay(capsys, "--shadow", "--decisions-file", str(file), "--json")
    report = json.loads(out)
    assert (code, err) == (1, "")
    assert report["candidate"] == "the recorded shadow policy"
    (difference,) = report["groups"]["newlyDenied"]["differences"]
    assert difference["reason"] == "Statement[0] (Offices) no longer applies: IpAddress aws:SourceIp"
    assert difference["requestIds"] == [e["requestId"] for e in _events(file)[2:]]
    assert difference["examples"][0]["before"] == "policy-only: -/Allow -> Allow by Statement[0] (Offices)"
    assert difference["examples"][0]["after"] == "policy-only: -/neither -> ImplicitDeny"
    code, out, _ = _replay(capsys, "--shadow", "--decisions-file", str(file))
    assert code == 1 and "2 without a recorded shadow difference, 2 change" in out


def test_several_apis_need_a_choice(tmp_path: Path, one_office: Path, capsys: pytest.CaptureFixture[str]) -> None:
    both = _events(_record(tmp_path)) + _events(_record(tmp_path, api_id="otherapi01"))
    file = _write(tmp_path / "both.jsonl", both)
    code, out, err = _replay(capsys, "--policy", str(one_office), "--decisions-file", str(file))
    assert (code, out) == (2, "")
    assert err == (
        "gatewaysim replay: config `command line`: --api: the decisions are of several apis "
        "(`abcdef1234`, `otherapi01`): choose one\n"
    )
    code, out, _ = _replay(capsys, "--policy", str(one_office), "--decisions-file", str(file), "--api", "otherapi01")
    assert code == 1 and "recorded decisions of api `otherapi01`" in out and "newly denied: 2" in out
    code, _, err = _replay(capsys, "--policy", str(one_office), "--decisions-file", str(file), "--api", "nope")
    assert code == 2 and "no recorded decisions of api `nope` (recorded: `abcdef1234`, `otherapi01`)" in err


MALFORMED = "line 2: malformed version 2 event:"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda e: "{not json", "line 2: not JSON: unexpected character, expected a string key"),
        (lambda e: [e], "line 2: not a decision event (a JSON object)"),
        (lambda e: {**e, "version": EVENT_VERSION + 1}, "line 2: not a version 2 decision event (version `3`)"),
        (lambda e: {k: v for k, v in e.items() if k != "verdict"}, f"{MALFORMED} `verdict` is missing"),
        (
            lambda e: {**e, "authorizationType": "MAGIC"},
            f"{MALFORMED} `authorizationType` must be one of NONE, CUSTOM, AWS_IAM, COGNITO_USER_POOLS, got `MAGIC`",
        ),
        (
            lambda e: {**e, "request": {**e["request"], "context": []}},
            f"{MALFORMED} `request.context` must be an object",
        ),
        (lambda e: {**e, "verdict": {**e["verdict"], "rule": "Z"}}, f"{MALFORMED} unknown verdict rule `Z`"),
        # hostile or foreign events: the field and what it must be, never a Python message
        (lambda e: {**e, "version": "2"}, 'line 2: not a version 2 decision event (version `"2"`)'),
        (lambda e: {**e, "version": 2.0}, "line 2: not a version 2 decision event (version `2.0`)"),
        (lambda e: {**e, "version": True}, "line 2: not a version 2 decision event (version `true`)"),
        (lambda e: {**e, "version": None}, "line 2: not a version 2 decision event (version `null`)"),
        (lambda e: {**e, "eventTime": "yesterday"}, f'{MALFORMED} `eventTime` is not an ISO 8601 time: `"yesterday"`'),
        (lambda e: {**e, "flow": []}, f"{MALFORMED} `flow` must be an object, got `[]`"),
        (lambda e: {**e, "request": "x"}, f'{MALFORMED} `request` must be an object, got `"x"`'),
        (lambda e: {**e, "verdict": 7}, f"{MALFORMED} `verdict` must be an object, got `7`"),
        (lambda e: {**e, "authorizer": "x"}, f'{MALFORMED} `authorizer` must be an object or null, got `"x"`'),
        (lambda e: {**e, "verdict": {**e["verdict"], "rule": [1]}}, f"{MALFORMED} unknown verdict rule `[1]`"),
        (
            lambda e: {**e, "request": {**e["request"], "context": {"aws:sourceip": [["127.0.1.5"]]}}},
            f"{MALFORMED} `request.context` values must be lists of strings",
        ),
        (
            lambda e: {**e, "policy": {**e["policy"], "deciding": [{**e["policy"]["deciding"][0], "index": 1e300}]}},
            f"{MALFORMED} `policy.deciding[].index` must be a statement index, got `1e+300`",
        ),
        (
            lambda e: {**e, "policy": {**e["policy"], "deciding": "x"}},
            f"{MALFORMED} `policy.deciding` must be a list of objects",
        ),
        (lambda e: {**e, "shadowDecision": "x"}, f'{MALFORMED} `shadowDecision` must be an object, got `"x"`'),
        (
            lambda e: {**e, "shadowDecision": {"change": "gone"}},
            f"{MALFORMED} `shadowDecision.change` must be one of decidedDifferently, needsAuthorizer, newlyAllowed, "
            'newlyDenied, got `"gone"`',
        ),
        (
            lambda e: {**e, "shadowDecision": {"change": "newlyDenied", "reason": {"a": 1}}},
            f'{MALFORMED} `shadowDecision.reason` must be a string, got `{{"a":1}}`',
        ),
    ],
)
def test_a_bad_event_is_located_and_nothing_is_replayed(
    tmp_path: Path, one_office: Path, capsys: pytest.CaptureFixture[str], edit: Any, message: str
) -> None:
    events = _events(_record(tmp_path))
    events[1] = edit(events[1])
    file = _write(tmp_path / "bad.jsonl", events)
    code, out, err = _replay(capsys, "--policy", str(one_office), "--decisions-file", str(file))
    assert (code, out) == (2, "")
    assert err == f"gatewaysim replay: decisions `{file}`: {message}\n"


def test_a_huge_or_deep_line_is_refused_unread(
    tmp_path: Path, one_office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = _write(tmp_path / "hostile.jsonl", ["[" * 5000 + "]" * 5000, '{"x": "' + "a" * MAX_EVENT_BYTES + '"}'])
    code, _, err = _replay(capsys, "--policy", str(one_office), "--decisions-file", str(file))
    assert code == 2
    assert err.splitlines() == [
        f"gatewaysim replay: decisions `{file}`: line 1: not JSON: depth limit exceeded",
        f"gatewaysim replay: decisions `{file}`: line 2: longer than {MAX_EVENT_BYTES} bytes: not an event",
    ]


def test_lines_that_are_not_utf8_are_located(
    tmp_path: Path, one_office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = _events(_record(tmp_path))
    file = tmp_path / "latin1.jsonl"
    latin1 = json.dumps({**events[1], "caller": "caf\u00e9"}, ensure_ascii=False).encode("latin-1")
    file.write_bytes(b"\n".join([json.dumps(events[0]).encode(), latin1, b"\xff\xfe\x00garbage"]) + b"\n")
    code, out, err = _replay(capsys, "--policy", str(one_office), "--decisions-file", str(file))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"gatewaysim replay: decisions `{file}`: line 2: not JSON: str is not valid utf-8",
        f"gatewaysim replay: decisions `{file}`: line 3: not JSON: str is not valid utf-8",
    ]


def test_a_file_without_newlines_is_never_held_whole(tmp_path: Path) -> None:
    # SECURITY: an endless line (/dev/zero) is skipped in bounded reads until the byte budget runs out
    with pytest.raises(DecisionsError) as raised:
        read_lines(Path("/dev/zero"), max_bytes=4 * MAX_EVENT_BYTES)
    assert str(raised.value) == (
        f"decisions `/dev/zero`: more than {4 * MAX_EVENT_BYTES} bytes: too large to replay at once; replay a "
        "recent part of it (`tail -n 100000 FILE > part.jsonl`)"
    )
    file = tmp_path / "long.jsonl"
    file.write_bytes(b"x" * (3 * MAX_EVENT_BYTES) + b"\n" + b"[]\n")  # one long line, then a short one
    read = read_lines(file)
    assert read.lines == [b"", b""]  # neither kept
    assert [p.render() for p in read.problems] == [
        f"line 1: longer than {MAX_EVENT_BYTES} bytes: not an event",
        "line 2: not a decision event (a JSON object)",
    ]


def test_a_file_of_junk_lines_is_refused_without_reading_it_all(
    tmp_path: Path, one_office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "junk.jsonl"
    file.write_bytes(b"12\n" * 100_000)
    code, out, err = _replay(capsys, "--policy", str(one_office), "--decisions-file", str(file))
    lines = err.splitlines()
    assert (code, out, len(lines)) == (2, "", MAX_PROBLEMS + 1)
    assert lines[0] == f"gatewaysim replay: decisions `{file}`: line 1: not a decision event (a JSON object)"
    assert lines[-1] == f"gatewaysim replay: decisions `{file}`: ... and 980 more; stopped reading at line 1000"


def test_a_template_with_several_policies_needs_policy_api(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _record(tmp_path)
    api = {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "x", "Policy": ONE_OFFICE}}
    template = tmp_path / "two.json"
    template.write_text(json.dumps({"Resources": {"Hr": api, "Pay": api}}))
    code, _, err = _replay(capsys, "--policy", str(template), "--decisions-file", str(file))
    assert code == 2 and "several APIs have a resource policy" in err and "choose one with --policy-api" in err
    code, out, _ = _replay(capsys, "--policy", str(template), "--policy-api", "Pay", "--decisions-file", str(file))
    assert code == 1 and "newly denied: 2" in out


def test_many_bad_lines_are_listed_up_to_a_limit(
    tmp_path: Path, one_office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = _write(tmp_path / "old.jsonl", [{"version": 1}] * (MAX_PROBLEMS + 5))
    code, _, err = _replay(capsys, "--policy", str(one_office), "--decisions-file", str(file))
    lines = err.splitlines()
    assert code == 2 and len(lines) == MAX_PROBLEMS + 1
    assert lines[-1] == f"gatewaysim replay: decisions `{file}`: ... and 5 more events with problems"


def test_a_bad_candidate_is_located(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _record(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Alow", "Principal": "*", "Action": "*", "Resource": "*"}]}'
    )
    code, out, err = _replay(capsys, "--policy", str(bad), "--decisions-file", str(file))
    assert (code, out) == (2, "")
    assert err.startswith(
        f"gatewaysim replay: policy `{bad}`: Statement[0].Effect: must be `Allow` or `Deny`, not `Alow`"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "ten minutes"], "config `command line`: --since: `ten minutes` is not a duration"),
        (["--examples", "-1"], "config `command line`: --examples: must be 0 or more, got `-1`"),
    ],
)
def test_bad_flags(
    tmp_path: Path, one_office: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    file = _write(tmp_path / "empty.jsonl", [])
    code, out, err = _replay(capsys, "--policy", str(one_office), "--decisions-file", str(file), *args)
    assert (code, out) == (2, "") and err.startswith(f"gatewaysim replay: {message}")


def test_a_missing_file_and_an_unreachable_gateway_are_bad_input(
    tmp_path: Path, one_office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.jsonl"
    code, _, err = _replay(capsys, "--policy", str(one_office), "--decisions-file", str(missing))
    assert (
        code == 2
        and err == f"gatewaysim replay: decisions `{missing}`: cannot read the file: No such file or directory\n"
    )
    code, _, err = _replay(capsys, "--policy", str(one_office), "--url", "http://127.0.0.1:9")
    assert code == 2 and err.startswith("gatewaysim replay: cannot reach the gateway at `http://127.0.0.1:9`")


def test_no_decisions_change_nothing(tmp_path: Path, one_office: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _write(tmp_path / "empty.jsonl", [])
    code, out, _ = _replay(capsys, "--policy", str(one_office), "--decisions-file", str(file))
    assert code == 0 and out.startswith("replay: 0 recorded decisions (decisions file")


def _office_template(tmp_path: Path, default: str | None) -> Path:
    """A CloudFormation template whose policy allows the one office the `OfficeCidr` parameter names."""
    parameter: dict[str, Any] = {"Type": "String"} | ({"Default": default} if default is not None else {})
    allow = statement(Sid="Offices", Condition={"IpAddress": {"aws:SourceIp": {"Ref": "OfficeCidr"}}})
    api = {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "hr", "Policy": policy(allow)}}
    template = tmp_path / "offices.json"
    template.write_text(json.dumps({"Parameters": {"OfficeCidr": parameter}, "Resources": {"Hr": api}}))
    return template


@pytest.mark.parametrize(
    ("overrides", "newly_denied"),
    [  # the recorded requests: 127.0.1.5, 127.0.1.6, 127.0.2.5, 127.0.2.6 (all allowed by OFFICES)
        ([], {2, 3}),  # the parameter's Default: 127.0.1.0/24
        (["OfficeCidr=127.0.2.0/24"], {0, 1}),
        (["ParameterKey=OfficeCidr,ParameterValue=127.0.2.0/24"], {0, 1}),  # sam's long form
        (["OfficeCidr=127.0.0.0/16"], set()),
    ],
)
def test_parameter_overrides_reach_a_template_candidate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], overrides: list[str], newly_denied: set[int]
) -> None:
    file = _record(tmp_path)
    ids = [event["requestId"] for event in _events(file)]
    template = _office_template(tmp_path, "127.0.1.0/24")
    flags = ["--parameter-overrides", *overrides] if overrides else []
    code, out, err = _replay(capsys, "--policy", str(template), "--decisions-file", str(file), "--json", *flags)
    report = json.loads(out)
    denied = {ids.index(i) for d in report["groups"]["newlyDenied"]["differences"] for i in d["requestIds"]}
    assert (code, err, denied, report["changed"]) == (1 if newly_denied else 0, "", newly_denied, len(newly_denied))


def test_a_parameter_without_default_names_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _record(tmp_path)
    template = _office_template(tmp_path, None)
    code, out, err = _replay(capsys, "--policy", str(template), "--decisions-file", str(file))
    assert (code, out) == (2, "")
    assert err == (
        f"gatewaysim replay: template `{template}`: Resources.Hr.Properties.Policy.Statement[0].Condition.IpAddress."
        "aws:SourceIp: parameter `OfficeCidr` has no Default; give --parameter-overrides OfficeCidr=...\n"
    )
    given = ["--parameter-overrides", "OfficeCidr=127.0.1.0/24"]
    code, out, err = _replay(capsys, "--policy", str(template), "--decisions-file", str(file), *given)
    assert (code, err) == (1, "") and "newly denied: 2" in out
    code, out, err = _replay(capsys, "--shadow", "--decisions-file", str(file), *given)
    assert (code, out) == (2, "")
    flag = "--parameter-overrides: goes with --policy (a template), not --shadow"
    assert err == f"gatewaysim replay: config `command line`: {flag}\n"


async def _serve_ring(body: bytes) -> tuple[web.AppRunner, str]:
    """A loopback server answering `GET /_gatewaysim/decisions` with ``body`` (a gateway's ring, grown)."""

    async def decisions(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/_gatewaysim/decisions", decisions)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


def test_a_ring_larger_than_a_document_is_read(
    tmp_path: Path, one_office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the admin client's document reader stops at 8 MiB: a ring of thousands of events said "no `events` list"
    recorded = list(reversed(_events(_record(tmp_path))))  # the ring is newest first
    events = [{**e, "requestId": f"{e['requestId']}-{n}"} for n in range(1500) for e in recorded]
    body = json.dumps({"version": EVENT_VERSION, "events": events}).encode()
    assert len(body) > 8 * 1024 * 1024

    async def run() -> tuple[int, str, str]:
        runner, url = await _serve_ring(body)
        try:
            return await asyncio.to_thread(_replay, capsys, "--policy", str(one_office), "--url", url, "--json")
        finally:
            await runner.cleanup()

    code, out, err = asyncio.run(run())
    report = json.loads(out)
    assert (code, err, report["decisions"], report["changed"]) == (1, "", 6000, 3000)


def test_an_endless_answer_is_not_read_past_its_bound() -> None:
    async def run() -> str:
        runner, url = await _serve_ring(b"[" + b"0," * (2 * 1024 * 1024))
        try:
            with pytest.raises(GatewayUnreachable) as raised:
                await admin_call(url, "GET", "decisions", max_bytes=1024 * 1024)
            return str(raised.value)
        finally:
            await runner.cleanup()

    message = asyncio.run(run())
    assert message.startswith("the gateway at `http://127.0.0.1:") and message.endswith(
        "` answered more than 1048576 bytes: not read"
    )
