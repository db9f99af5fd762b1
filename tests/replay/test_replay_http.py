"""``gatewaysim replay`` against real recorded traffic: serve with policy A, send a mix, replay policy B.

The mix comes from three real loopback sources (two office ranges and "home"), to a method without
an authorizer (``/hr-systems``) and two with a Lambda TOKEN authorizer (``/orders``, ``/admin``).
Replay must report exactly the requests whose authorization B changes, with the statements that
change it, from the gateway's ring (``--url``) and from a decisions file alike; and what it
predicts must be what a gateway serving B really answers.
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatewaysim.authorizers.loading import resolve
from gatewaysim.cli import replay as replay_cli
from gatewaysim.cli.main import build_parser
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

S = resolve(f"{Path(__file__).resolve().parents[1] / 'auth_support.py'}:MODULE")
ROOT = Path(__file__).resolve().parents[2]

OFFICE_1, OFFICE_2, HOME = "127.0.1.5", "127.0.2.5", "127.0.3.5"


def _statement(effect: str, sid: str, resource: str = "execute-api:/*", **condition: Any) -> dict[str, Any]:
    statement = {"Sid": sid, "Effect": effect, "Principal": "*", "Action": "execute-api:Invoke", "Resource": resource}
    return {**statement, "Condition": condition} if condition else statement


POLICY_A = S.policy(
    _statement("Allow", "Offices", IpAddress={"aws:SourceIp": ["127.0.1.0/24", "127.0.2.0/24"]}),
    _statement("Deny", "NoAdmin", "execute-api:/*/*/admin"),
    _statement("Deny", "HomeOrders", "execute-api:/*/*/orders", IpAddress={"aws:SourceIp": "127.0.3.0/24"}),
)
POLICY_B = S.policy(
    _statement("Allow", "Offices", IpAddress={"aws:SourceIp": ["127.0.1.0/24", "127.0.3.0/24"]}),
    _statement("Deny", "NoAdmin", "execute-api:/*/*/admin", NotIpAddress={"aws:SourceIp": "127.0.1.0/24"}),
    _statement("Deny", "OrdersFromOffice1", "execute-api:/*/*/orders", NotIpAddress={"aws:SourceIp": "127.0.1.0/24"}),
)
# (name, source, path, Authorization header or None)
MIX = [
    (f"{where} {what}", source, path, token)
    for where, source in (("office-1", OFFICE_1), ("office-2", OFFICE_2), ("home", HOME))
    for what, path, token in (
        ("hr", "/prod/hr-systems", None),
        ("orders-allow", "/prod/orders", "allow"),
        ("orders-deny", "/prod/orders", "deny"),
        ("orders-no-token", "/prod/orders", None),
        ("admin", "/prod/admin", "allow"),
    )
]
STILL_ALLOWED_BY_OFFICE = "Statement[0] (Offices) no longer applies: IpAddress aws:SourceIp"
ORDERS_DENIED = (
    "denied before the authorizer by Statement[2] (OrdersFromOffice1) when NotIpAddress aws:SourceIp 127.0.1.0/24"
)
# what B changes: kind -> reason -> the requests (names from MIX)
EXPECTED: dict[str, dict[str, set[str]]] = {
    "newlyDenied": {
        STILL_ALLOWED_BY_OFFICE: {"office-2 hr"},
        ORDERS_DENIED: {"office-2 orders-allow"},
    },
    "newlyAllowed": {
        "allowed by Statement[0] (Offices) when IpAddress aws:SourceIp 127.0.1.0/24, 127.0.3.0/24": {"home hr"},
    },
    "decidedDifferently": {
        ORDERS_DENIED: {"office-2 orders-deny", "office-2 orders-no-token"},
        f"{ORDERS_DENIED}; Statement[2] (HomeOrders) is not in the new policy": {
            "home orders-allow",
            "home orders-deny",
            "home orders-no-token",
        },
    },
    "needsAuthorizer": {
        "Statement[1] (NoAdmin) no longer applies: NotIpAddress aws:SourceIp; "
        "the authorizer decides, and it never ran for this request": {"office-1 admin"},
    },
}


@pytest.fixture(autouse=True)
def _fresh_calls() -> None:
    S.CALLS.clear()


def _config(backend: str, policy: dict[str, Any], **log: Any) -> dict[str, Any]:
    authorizer = {"type": "TOKEN", "handler": f"{S.HANDLER_FILE}:token_handler", "authorizerResultTtlInSeconds": 0}
    custom = {"authorizationType": "CUSTOM", "authorizer": "tokens"}
    routes = [
        {"resource": "/hr-systems", "method": "GET"},
        {"resource": "/orders", "method": "GET", **custom},
        {"resource": "/admin", "method": "GET", **custom},
    ]
    api = {"backend": backend, "policy": policy, "routes": routes, "authorizers": {"tokens": authorizer}}
    return {"api": api, "log": log}


async def _send_mix(gw: GatewayServer) -> dict[str, str]:
    """Every request of MIX, really sent from its source; name -> request id."""
    ids = {}
    for name, source, path, token in MIX:
        reply = await request_from(gw.url + path, source=source, headers={"Authorization": token} if token else {})
        ids[name] = reply.headers["x-amzn-RequestId"]
    return ids


async def _replay_here(*args: str) -> tuple[int, str, str]:
    """``gatewaysim replay ...`` in this process (a thread: it runs its own event loop for ``--url``)."""
    out, err = io.StringIO(), io.StringIO()
    parsed = build_parser().parse_args(["replay", *args])
    code = await asyncio.to_thread(replay_cli.run, parsed, out, err)
    return code, out.getvalue(), err.getvalue()


async def _replay(*args: str) -> tuple[int, str, str]:
    """``gatewaysim replay ...`` as a real process."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gatewaysim", "replay", *args, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _changes(report: dict[str, Any], ids: dict[str, str]) -> dict[str, dict[str, set[str]]]:
    names = {request_id: name for name, request_id in ids.items()}
    return {
        kind: {d["reason"]: {names[i] for i in d["requestIds"]} for d in group["differences"]}
        for kind, group in report["groups"].items()
        if group["differences"]
    }


async def test_replay_from_the_ring_and_from_a_file_reports_exactly_what_changes(
    backend: RecordingBackend, tmp_path: Path
) -> None:
    (tmp_path / "b.json").write_text(json.dumps(POLICY_B))
    decisions = tmp_path / "decisions.jsonl"
    async with GatewayServer(config=_config(backend.url, POLICY_A, decisions_file=str(decisions))) as gw:
        ids = await _send_mix(gw)
        code, out, err = await _replay("--policy", str(tmp_path / "b.json"), "--url", gw.url, "--json")
        text_code, text, _ = await _replay("--policy", str(tmp_path / "b.json"), "--url", gw.url)
    assert (code, err) == (1, "")
    report = json.loads(out)
    assert _changes(report, ids) == EXPECTED
    assert (report["decisions"], report["changed"], report["same"], report["skipped"]) == (15, 9, 6, 0)
    assert [report["groups"][k]["count"] for k in report["groups"]] == [2, 1, 5, 1]

    code, out, err = await _replay("--policy", str(tmp_path / "b.json"), "--decisions-file", str(decisions), "--json")
    assert (code, err) == (1, "")
    from_file = json.loads(out)
    assert _changes(from_file, ids) == EXPECTED
    assert from_file["groups"] == report["groups"]

    assert text_code == 1
    assert "newly denied: 2\n  Statement[0] (Offices) no longer applies: IpAddress aws:SourceIp  (1 request)" in text
    assert f"GET /prod/hr-systems (200)  from {OFFICE_2}  as anonymous" in text
    assert "newly allowed: 1" in text and "same outcome, decided differently: 5" in text


async def test_what_replay_predicts_is_what_a_gateway_serving_b_answers(
    backend: RecordingBackend, tmp_path: Path
) -> None:
    (tmp_path / "b.json").write_text(json.dumps(POLICY_B))
    async with GatewayServer(config=_config(backend.url, POLICY_A)) as a:
        ids_a = await _send_mix(a)
        code, out, _ = await _replay_here(
            "--policy", str(tmp_path / "b.json"), "--url", a.url, "--json", "--examples", "99"
        )
        recorded = (await request_from(a.url + "/_gatewaysim/decisions?limit=all")).json()["events"]
    async with GatewayServer(config=_config(backend.url, POLICY_B)) as b:
        ids_b = await _send_mix(b)
        served = (await request_from(b.url + "/_gatewaysim/decisions?limit=all")).json()["events"]
    assert code == 1
    predicted = {
        e["requestId"]: e["after"]
        for kind, group in json.loads(out)["groups"].items()
        if kind != "needsAuthorizer"  # B runs the authorizer that A never asked: nothing to predict
        for d in group["differences"]
        for e in d["examples"]
    }
    before = {e["requestId"]: _line(e) for e in recorded}
    actual = {e["requestId"]: _line(e) for e in served}
    for name, _, _, _ in MIX:
        if name == "office-1 admin":
            continue
        expected = predicted.get(ids_a[name], before[ids_a[name]])
        assert actual[ids_b[name]] == expected, name


def _line(event: dict[str, Any]) -> str:
    """The verdict and deciding statements, as replay writes them."""
    verdict = event["verdict"]
    labels = [
        f"Statement[{d['index']}]" + (f" ({d['sid']})" if d["sid"] else "")
        for d in (event["policy"] or {}).get("deciding", [])
    ]
    if verdict["rule"] == "rejected" or not labels:
        return str(verdict["explanation"])
    return f"{verdict['explanation']} by {', '.join(labels)}"


async def test_nothing_changes_exits_0(backend: RecordingBackend, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(POLICY_A))  # the same policy, as YAML
    async with GatewayServer(config=_config(backend.url, POLICY_A)) as gw:
        await _send_mix(gw)
        code, out, err = await _replay_here("--policy", str(tmp_path / "a.yaml"), "--url", gw.url)
    assert (code, err) == (0, "")
    assert "15 decided as recorded, 0 change, 0 never reached authorization" in out
    assert "newly denied: 0\n\nnewly allowed: 0\n\nsame outcome, decided differently: 0\n" in out


async def test_a_template_is_a_candidate_too(backend: RecordingBackend, tmp_path: Path) -> None:
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "hr", "Policy": POLICY_B}}},
    }
    (tmp_path / "template.json").write_text(json.dumps(template))
    async with GatewayServer(config=_config(backend.url, POLICY_A)) as gw:
        ids = await _send_mix(gw)
        code, out, err = await _replay_here("--policy", str(tmp_path / "template.json"), "--url", gw.url, "--json")
    assert (code, err) == (1, "")
    assert _changes(json.loads(out), ids) == EXPECTED


def test_version_1_events_are_refused(tmp_path: Path) -> None:
    file = tmp_path / "old.jsonl"
    file.write_text(json.dumps({"version": 1, "requestId": "r1", "outcome": "Allow"}) + "\n")
    (tmp_path / "b.json").write_text(json.dumps(POLICY_B))
    args = ["replay", "--policy", str(tmp_path / "b.json"), "--decisions-file", str(file)]
    done = subprocess.run(
        [sys.executable, "-m", "gatewaysim", *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"gatewaysim replay: decisions `{file}`: line 1: a version 1 decision event: it does not record the "
        "authorizer's result and the route's auth type, so it cannot be decided again; record new traffic with "
        "this gatewaysim (version 2 events)\n"
    )


# -- AWS_IAM callers: Table A for the API's own account, Table B for another (spec 2.c) ----------------

OTHER = "111122223333"
IAM_USERS = {S.ACCOUNT: f"arn:aws:iam::{S.ACCOUNT}:user/alice", OTHER: f"arn:aws:iam::{OTHER}:user/bob"}
BOTH_ACCOUNTS = S.policy(S.statement("Allow", principal={"AWS": [f"arn:aws:iam::{S.ACCOUNT}:root", OTHER]}))
THIRD_ACCOUNT_ONLY = S.policy(S.statement("Allow", principal={"AWS": "999999999999"}))


def _iam_config(backend: str, policy: dict[str, Any]) -> dict[str, Any]:
    credentials = {
        f"AKIA{account}": {"secret": f"s-{account}", "principal": user} for account, user in IAM_USERS.items()
    }
    authorizers = {"iam": {"type": "AWS_IAM", "credentials": credentials}}  # no identity policy: its column is Allow
    return {"api": {"backend": backend, "policy": policy, "authorization_type": "AWS_IAM", "authorizers": authorizers}}


async def _signed_mix(gw: GatewayServer) -> dict[str, str]:
    ids = {}
    for account in IAM_USERS:
        url, headers = S.signed(gw.url + "/prod/ledger", key=f"AKIA{account}", secret=f"s-{account}")
        reply = await request_from(url, headers=headers)
        ids[account] = reply.headers["x-amzn-RequestId"]
    return ids


async def test_iam_callers_replay_through_tables_a_and_b_as_a_gateway_serving_b_decides(
    backend: RecordingBackend, tmp_path: Path
) -> None:
    (tmp_path / "b.json").write_text(json.dumps(THIRD_ACCOUNT_ONLY))
    async with GatewayServer(config=_iam_config(backend.url, BOTH_ACCOUNTS)) as a:
        ids = await _signed_mix(a)
        code, out, _ = await _replay_here("--policy", str(tmp_path / "b.json"), "--url", a.url, "--json")
    async with GatewayServer(config=_iam_config(backend.url, THIRD_ACCOUNT_ONLY)) as b:
        await _signed_mix(b)
        served = {
            e["caller"]: e for e in (await request_from(b.url + "/_gatewaysim/decisions?limit=all")).json()["events"]
        }
    report = json.loads(out)
    assert code == 1
    # the other account's caller needs both Allows (Table B): B's silence now refuses it
    (denied,) = report["groups"]["newlyDenied"]["differences"]
    assert denied["requestIds"] == [ids[OTHER]]
    assert denied["reason"] == "Statement[0] no longer applies: Principal does not match"
    assert (
        denied["examples"][0]["after"]
        == served[IAM_USERS[OTHER]]["verdict"]["explanation"]
        == "B: Allow/neither -> ImplicitDeny"
    )
    # the own account's caller: Table A lets the identity policy's Allow alone through
    (same,) = report["groups"]["decidedDifferently"]["differences"]
    assert same["requestIds"] == [ids[S.ACCOUNT]]
    assert same["reason"] == "Statement[0] no longer applies: Principal does not match"
    assert (
        same["examples"][0]["after"]
        == served[IAM_USERS[S.ACCOUNT]]["verdict"]["explanation"]
        == "A: Allow/neither -> Allow"
    )
