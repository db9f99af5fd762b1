"""Every scenario of the seed article, through HTTP, with its stated outcome.

Each scenario runs twice:

* ``loopback``: the seed policy with its networks swapped for loopback stand-ins
  (203.0.113.0/24 -> 127.0.113.0/24 ...); each client binds the stand-in source address, so
  ``aws:SourceIp`` is the real socket peer.
* ``forwarded``: the seed policy verbatim, from a file; the client connects from 127.0.0.1,
  a trusted proxy, and presents the seed's address in ``X-Forwarded-For``.

Principals, VPCs and VPC endpoints come from the identity headers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gatewaysim.arn import mask_arn
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

SEED_API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*/*/*"
INVOKE = "execute-api:Invoke"

MAIN_OFFICE, SECOND_OFFICE, VPN = "203.0.113.10", "198.51.100.20", "192.0.2.30"
INTERNAL, HOME, ELSEWHERE = "10.1.2.3", "198.18.0.1", "8.8.8.8"
LOOPBACK_NETWORKS = {
    "203.0.113.0/24": "127.0.113.0/24",
    "198.51.100.0/24": "127.51.100.0/24",
    "192.0.2.0/24": "127.0.2.0/24",
    "10.0.0.0/8": "127.10.0.0/16",
}
LOOPBACK_ADDRESSES = {
    MAIN_OFFICE: "127.0.113.10",
    SECOND_OFFICE: "127.51.100.20",
    VPN: "127.0.2.30",
    INTERNAL: "127.10.2.3",
    HOME: "127.9.9.9",
    ELSEWHERE: "127.200.1.1",
}

ALICE = "arn:aws:iam::123456789012:user/alice"
EVE = "arn:aws:iam::999999999999:user/eve"
PARTNER_USER = "arn:aws:iam::999888777666:user/bob"
PARTNER_SESSION = "arn:aws:sts::999888777666:assumed-role/PartnerIntegrationRole/orders"
PARTNER_ROLE = "arn:aws:iam::999888777666:role/PartnerIntegrationRole"
PARTNER_OTHER_SESSION = "arn:aws:sts::999888777666:assumed-role/OtherRole/s"


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _stmt(effect: str, principal: Any, resource: Any = SEED_API, condition: Any = None) -> dict[str, Any]:
    statement = {"Effect": effect, "Principal": principal, "Action": INVOKE, "Resource": resource}
    return {**statement, "Condition": condition} if condition else statement


def _vpc(vpc: str) -> dict[str, str]:
    return {"X-Gatewaysim-Source-Vpc": vpc}


def _session(account: str, role: str) -> str:
    return f"arn:aws:sts::{account}:assumed-role/{role}/job"


@dataclass(frozen=True)
class Case:
    """One request of a scenario and the outcome the article states."""

    what: str
    expect: str  # Allow | ImplicitDeny | ExplicitDeny
    ip: str = ELSEWHERE
    principal: str | None = None
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """A seed policy, the API it is attached to, and its cases."""

    policy: dict[str, Any] | str  # a str is YAML text
    cases: tuple[Case, ...]
    api_id: str = "abcdef1234"
    account: str = "123456789012"


DATA_LAKE = "arn:aws:execute-api:us-east-1:111111111111:datalakelake/*/*/*"
BU_ROLES = [
    "arn:aws:iam::222222222222:role/BusinessUnitADataAccess",
    "arn:aws:iam::333333333333:role/BusinessUnitBDataAccess",
    "arn:aws:iam::444444444444:role/BusinessUnitCDataAccess",
]
ACCOUNT_1 = _session("111111111111", "R")
ACCOUNT_2 = _session("222222222222", "R")
BU_A = _session("222222222222", "BusinessUnitADataAccess")
BU_B = _session("333333333333", "BusinessUnitBDataAccess")

SCENARIOS: dict[str, Scenario] = {
    "anatomy-own-account": Scenario(
        _doc(_stmt("Allow", {"AWS": "arn:aws:iam::123456789012:root"})),
        (
            Case("an identity of the account", "Allow", principal=ALICE),
            Case("an anonymous caller", "ImplicitDeny"),
            Case("another account", "ImplicitDeny", principal=EVE),
        ),
    ),
    "deny-unwanted-account": Scenario(
        _doc(_stmt("Deny", {"AWS": "arn:aws:iam::999999999999:root"})),
        (
            Case("the denied account", "ExplicitDeny", principal=EVE),
            Case("the denied account's role session", "ExplicitDeny", principal=_session("999999999999", "R")),
            Case("anyone else: no Allow at all", "ImplicitDeny", principal=ALICE),
        ),
    ),
    "allow-trusted-accounts": Scenario(
        _doc(
            _stmt(
                "Allow",
                {
                    "AWS": [
                        "arn:aws:iam::123456789012:root",
                        "arn:aws:iam::111111111111:root",
                        "arn:aws:iam::222222222222:root",
                    ]
                },
            )
        ),
        (
            Case("own account", "Allow", principal=ALICE),
            Case("trusted account, any role", "Allow", principal=_session("111111111111", "AnyRole")),
            Case("trusted account, a user", "Allow", principal="arn:aws:iam::222222222222:user/carol"),
            Case("another account", "ImplicitDeny", principal="arn:aws:iam::333333333333:user/dan"),
            Case("anonymous", "ImplicitDeny"),
        ),
    ),
    "ip-ranges": Scenario(
        _doc(_stmt("Allow", "*", condition={"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24"]}})),
        (
            Case("first range", "Allow", ip=MAIN_OFFICE),
            Case("second range", "Allow", ip=SECOND_OFFICE),
            Case("any other address", "ImplicitDeny", ip=ELSEWHERE),
            Case("a principal does not help", "ImplicitDeny", ip=ELSEWHERE, principal=ALICE),
        ),
    ),
    "account-and-ip": Scenario(
        _doc(
            _stmt(
                "Allow",
                {"AWS": "arn:aws:iam::123456789012:root"},
                condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            )
        ),
        (
            Case("the account from 10.0.0.0/8", "Allow", ip=INTERNAL, principal=ALICE),
            Case("the account from outside", "ImplicitDeny", ip=ELSEWHERE, principal=ALICE),
            Case("anonymous from 10.0.0.0/8", "ImplicitDeny", ip=INTERNAL),
        ),
    ),
    "vpc-endpoint": Scenario(
        _doc(_stmt("Allow", "*", condition={"StringEquals": {"aws:SourceVpce": "vpce-1234567890abcdef0"}})),
        (
            Case("through the endpoint", "Allow", headers={"X-Gatewaysim-Source-Vpce": "vpce-1234567890abcdef0"}),
            Case("another endpoint", "ImplicitDeny", headers={"X-Gatewaysim-Source-Vpce": "vpce-0000000000000000f"}),
            Case("the internet (no endpoint)", "ImplicitDeny"),
        ),
    ),
    "account-and-vpc": Scenario(
        _doc(
            _stmt(
                "Allow",
                {"AWS": "arn:aws:iam::123456789012:root"},
                condition={"StringEquals": {"aws:SourceVpc": "vpc-12345678"}},
            )
        ),
        (
            Case("the account in the VPC", "Allow", principal=ALICE, headers=_vpc("vpc-12345678")),
            Case("another VPC", "ImplicitDeny", principal=ALICE, headers=_vpc("vpc-87654321")),
            Case("anonymous in the VPC", "ImplicitDeny", headers=_vpc("vpc-12345678")),
        ),
    ),
    "partner-account": Scenario(
        _doc(_stmt("Allow", {"AWS": "arn:aws:iam::999888777666:root"})),
        (
            Case("a partner user", "Allow", principal=PARTNER_USER),
            Case("any partner role session", "Allow", principal=PARTNER_OTHER_SESSION),
            Case("another account", "ImplicitDeny", principal="arn:aws:iam::999888777667:user/bob"),
        ),
    ),
    "partner-role": Scenario(
        _doc(_stmt("Allow", {"AWS": PARTNER_ROLE})),
        (
            Case("a session of the role", "Allow", principal=PARTNER_SESSION),
            Case("the role itself", "Allow", principal=PARTNER_ROLE),
            Case("another role of the partner", "ImplicitDeny", principal=PARTNER_OTHER_SESSION),
            Case("a partner user", "ImplicitDeny", principal=PARTNER_USER),
        ),
    ),
    "partner-role-and-ip": Scenario(
        _doc(_stmt("Allow", {"AWS": PARTNER_ROLE}, condition={"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}})),
        (
            Case("the role from the partner network", "Allow", ip=VPN, principal=PARTNER_SESSION),
            Case("the role from elsewhere", "ImplicitDeny", ip=MAIN_OFFICE, principal=PARTNER_SESSION),
            Case("anonymous from the partner network", "ImplicitDeny", ip=VPN),
        ),
    ),
    "read-public-write-corporate": Scenario(
        _doc(
            _stmt(
                "Allow",
                "*",
                [
                    "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/*",
                    "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/HEAD/*",
                ],
            ),
            _stmt(
                "Allow",
                "*",
                [
                    "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/POST/*",
                    "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/PUT/*",
                    "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/DELETE/*",
                ],
                {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
            ),
        ),
        (
            Case("GET from anywhere", "Allow", ip=ELSEWHERE),
            Case("HEAD from anywhere", "Allow", ip=HOME, method="HEAD"),
            Case("POST from the corporate range", "Allow", ip=MAIN_OFFICE, method="POST"),
            Case("PUT from the corporate range", "Allow", ip=MAIN_OFFICE, method="PUT"),
            Case("DELETE from the corporate range", "Allow", ip=MAIN_OFFICE, method="DELETE"),
            Case("POST from outside", "ImplicitDeny", ip=ELSEWHERE, method="POST"),
            Case("PUT from outside", "ImplicitDeny", ip=HOME, method="PUT"),
            Case("DELETE from outside", "ImplicitDeny", ip=SECOND_OFFICE, method="DELETE"),
            Case("PATCH is in no statement", "ImplicitDeny", ip=MAIN_OFFICE, method="PATCH"),
        ),
    ),
    "internal-api-corporate-network": Scenario(
        _doc(
            _stmt(
                "Allow",
                "*",
                condition={"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24"]}},
            )
        ),
        (
            Case("an employee in the main office", "Allow", ip=MAIN_OFFICE),
            Case("an employee in the secondary office", "Allow", ip=SECOND_OFFICE),
            Case("a remote employee on the VPN", "Allow", ip=VPN),
            Case("an employee on home internet, off VPN", "ImplicitDeny", ip=HOME),
            Case("anywhere else on the internet", "ImplicitDeny", ip=ELSEWHERE),
        ),
    ),
    "data-lake": Scenario(
        _doc(_stmt("Allow", {"AWS": BU_ROLES}, DATA_LAKE)),
        (
            Case("business unit A", "Allow", principal=BU_A),
            Case("business unit B", "Allow", principal=BU_B),
            Case("business unit C", "Allow", principal=_session("444444444444", "BusinessUnitCDataAccess")),
            Case("another role of unit A's account", "ImplicitDeny", principal=_session("222222222222", "Admin")),
            Case("another account", "ImplicitDeny", principal=_session("555555555555", "BusinessUnitADataAccess")),
        ),
        api_id="datalakelake",
        account="111111111111",
    ),
    "data-lake-vpc": Scenario(
        _doc(
            _stmt(
                "Allow",
                {"AWS": BU_ROLES},
                DATA_LAKE,
                {"StringEquals": {"aws:SourceVpc": ["vpc-aaaaaa", "vpc-bbbbbb", "vpc-cccccc"]}},
            )
        ),
        (
            Case("unit A from its VPC", "Allow", principal=BU_A, headers=_vpc("vpc-aaaaaa")),
            Case("unit B from a listed VPC", "Allow", principal=BU_B, headers=_vpc("vpc-cccccc")),
            Case("unit A from another VPC", "ImplicitDeny", principal=BU_A, headers=_vpc("vpc-z")),
            Case("unit A outside any VPC", "ImplicitDeny", principal=BU_A),
        ),
        api_id="datalakelake",
        account="111111111111",
    ),
    "cloudformation-yaml": Scenario(
        """Version: "2012-10-17"
Statement:
  - Effect: Allow
    Principal: "*"
    Action: execute-api:Invoke
    Resource: "*"
    Condition:
      IpAddress:
        aws:SourceIp:
          - 203.0.113.0/24
""",
        (
            Case("the listed range", "Allow", ip=MAIN_OFFICE),
            Case("another range", "ImplicitDeny", ip=SECOND_OFFICE),
        ),
    ),
    "multiple-conditions-and": Scenario(
        _doc(
            _stmt(
                "Allow",
                {"AWS": "arn:aws:iam::999888777666:root"},
                condition={
                    "IpAddress": {"aws:SourceIp": "192.0.2.0/24"},
                    "StringEquals": {"aws:SourceVpc": "vpc-partner123"},
                },
            )
        ),
        (
            Case(
                "partner, network and VPC",
                "Allow",
                ip=VPN,
                principal=PARTNER_USER,
                headers=_vpc("vpc-partner123"),
            ),
            Case("no VPC", "ImplicitDeny", ip=VPN, principal=PARTNER_USER),
            Case(
                "wrong network",
                "ImplicitDeny",
                ip=MAIN_OFFICE,
                principal=PARTNER_USER,
                headers=_vpc("vpc-partner123"),
            ),
            Case("not the partner", "ImplicitDeny", ip=VPN, headers=_vpc("vpc-partner123")),
        ),
    ),
    "deny-beats-allow": Scenario(
        _doc(
            _stmt("Allow", "*"),
            _stmt("Deny", {"AWS": "arn:aws:iam::999999999999:root"}),
        ),
        (
            Case("the denied account, despite the Allow", "ExplicitDeny", principal=EVE),
            Case("anyone else", "Allow", principal=ALICE),
            Case("anonymous", "Allow"),
        ),
    ),
    "deny-beats-allow-trusted-account": Scenario(
        _doc(
            _stmt("Allow", {"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"]}),
            _stmt(
                "Deny",
                {"AWS": "arn:aws:iam::111111111111:root"},
                condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            ),
        ),
        (
            Case("allowed account from outside 10/8", "Allow", ip=ELSEWHERE, principal=_session("111111111111", "R")),
            Case(
                "same account from 10/8: Deny wins",
                "ExplicitDeny",
                ip=INTERNAL,
                principal=_session("111111111111", "R"),
            ),
            Case("the other allowed account from 10/8", "Allow", ip=INTERNAL, principal=_session("222222222222", "R")),
        ),
    ),
}


def _loopback(policy: dict[str, Any] | str) -> str:
    text = policy if isinstance(policy, str) else json.dumps(policy)
    for seed, stand_in in LOOPBACK_NETWORKS.items():
        text = text.replace(seed, stand_in)
    return text


@pytest.mark.parametrize("mode", ["loopback", "forwarded"])
@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_seed_scenario(name: str, mode: str, backend: RecordingBackend, tmp_path: Path) -> None:
    scenario = SCENARIOS[name]
    seed_text = scenario.policy if isinstance(scenario.policy, str) else json.dumps(scenario.policy, indent=2)
    policy_file = tmp_path / ("policy.yaml" if isinstance(scenario.policy, str) else "policy.json")
    policy_file.write_text(seed_text if mode == "forwarded" else _loopback(scenario.policy))
    options: dict[str, Any] = {
        "policy": str(policy_file),
        "backend": backend.url,
        "api_id": scenario.api_id,
        "account": scenario.account,
    }
    if mode == "forwarded":
        options["trusted_proxies"] = ["127.0.0.1/32"]
    allowed = 0
    async with GatewayServer(**options) as gw:
        for case in scenario.cases:
            headers = dict(case.headers)
            if case.principal:
                headers["X-Gatewaysim-Principal"] = case.principal
            source = "127.0.0.1"
            if mode == "forwarded":
                headers["X-Forwarded-For"] = case.ip
            else:
                source = LOOPBACK_ADDRESSES[case.ip]
            reply = await request_from(gw.url + "/prod/hr-systems", method=case.method, source=source, headers=headers)
            record = gw.records[-1]
            expected_ip = case.ip if mode == "forwarded" else source
            assert record["ip"] == expected_ip, case.what
            assert record["decision"] == case.expect, case.what
            if case.expect == "Allow":
                allowed += 1
                assert reply.status == 200, case.what
                continue
            assert reply.status == 403, case.what
            assert reply.headers["x-amzn-ErrorType"] == "AccessDeniedException"
            message = reply.json()["Message"] if case.method != "HEAD" else None
            if message is not None:
                caller = mask_arn(case.principal or "anonymous")
                assert message.startswith(f"User: {caller} is not authorized to perform: {INVOKE} on resource: ")
                assert f":********{scenario.account[-4:]}:{scenario.api_id}/prod/{case.method}/hr-systems" in message
                assert message.endswith(" with an explicit deny") == (case.expect == "ExplicitDeny"), case.what
    assert len(backend.seen) == allowed  # denied requests never reach the backend
    assert all(s.raw_path == "/hr-systems" for s in backend.seen)
