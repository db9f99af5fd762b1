"""The pytest plugin, run the way users run it: test files written and run by ``pytester``."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

COMMON = """
from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp import web

from gatewaysim.testing.harness import assert_allowed, assert_denied
from gatewaysim.pytest_plugin import GatewayFactory, SyncGatewayFactory

CORP_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Corp", "Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
         "Resource": "execute-api:/*", "Condition": {"IpAddress": {"aws:SourceIp": "127.0.113.0/24"}}},
        {"Sid": "Endpoint", "Effect": "Allow", "Principal": {"AWS": "111122223333"},
         "Action": "execute-api:Invoke", "Resource": "execute-api:/prod/GET/*",
         "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0abc"}}},
        {"Sid": "NoAdmin", "Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
         "Resource": "execute-api:/*/*/admin"},
    ],
}
ALICE = "arn:aws:iam::111122223333:user/alice"


async def hello(request: web.Request) -> web.Response:
    return web.json_response({"path": request.path, "peer": request.remote})


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", hello)
    return app
"""

ASYNC_TESTS = """
async def test_as_principal_from_source_through_endpoint(gatewaysim_gateway: GatewayFactory) -> None:
    gw = await gatewaysim_gateway(backend=make_app(), policy=CORP_ONLY)
    from_corp = await gw.request("/prod/pets", method="POST", source="127.0.113.7")
    assert_allowed(from_corp)
    assert from_corp.json() == {"path": "/pets", "peer": "127.0.0.1"}
    assert from_corp.record["ip"] == "127.0.113.7" and from_corp.record["decidingStatement"] == "Statement[0] (Corp)"
    endpoint = await gw.request("/prod/pets", principal=ALICE, vpce="vpce-0abc", source="127.0.0.8")
    assert_allowed(endpoint)
    assert endpoint.record["caller"] == ALICE
    assert_denied(await gw.request("/prod/pets", principal=ALICE, source="127.0.0.8"), "ImplicitDeny", status=403)
    assert_denied(await gw.request("/prod/admin", source="127.0.113.7"), outcome="ExplicitDeny")
    Path("ports.txt").write_text(str(gw.port))


async def test_backend_url_config_file_and_several_apis(
    gatewaysim_gateway: GatewayFactory, tmp_path: Path
) -> None:
    backend = await gatewaysim_gateway(policy=None)  # a gateway as someone else's backend
    config = tmp_path / "gw.yaml"
    config.write_text(json.dumps({"apis": [
        {"id": "alphaapi01", "backend": backend.url, "policy": "policy.json"},
        {"id": "bravoapi02", "backend": backend.url, "policy": None},
    ]}))
    (tmp_path / "policy.json").write_text(json.dumps(CORP_ONLY))
    gw = await gatewaysim_gateway(config=config)
    assert_denied(await gw.request("/prod/x", api="alphaapi01"), "ImplicitDeny")
    assert_allowed(await gw.request("/prod/x", api="bravoapi02"))
    assert_denied(await gw.request("/prod/x"), status=403)  # no API for this Host: never judged
"""

SYNC_TESTS = """
def test_sync_gateway(gatewaysim_server: SyncGatewayFactory) -> None:
    gw = gatewaysim_server(backend=make_app(), policy=CORP_ONLY)
    reply = gw.request("/prod/pets", source="127.0.113.9")
    assert_allowed(reply)
    assert reply.json()["path"] == "/pets" and reply.record["ip"] == "127.0.113.9"
    assert_allowed(gw.request("/prod/pets", principal=ALICE, vpce="vpce-0abc"))
    assert_denied(gw.request("/prod/pets", method="DELETE", principal=ALICE, vpce="vpce-0abc"), "ImplicitDeny")
    Path("ports.txt").write_text(str(gw.port))
"""

FAILING = """
async def test_expects_allow(gatewaysim_gateway: GatewayFactory) -> None:
    gw = await gatewaysim_gateway(backend=make_app(), policy=CORP_ONLY)
    assert_allowed(await gw.request("/prod/pets", source="127.0.0.9"))


def test_expects_explicit_deny(gatewaysim_server: SyncGatewayFactory) -> None:
    gw = gatewaysim_server(backend=make_app(), policy=CORP_ONLY)
    assert_denied(gw.request("/prod/pets", principal=ALICE, source="127.0.0.9"), outcome="ExplicitDeny")
"""

STRICT_INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
AUTO_INI = STRICT_INI + "asyncio_mode = auto\n"


def _closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_the_entry_point_is_registered() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert found.get("gatewaysim") == "gatewaysim.pytest_plugin"


def test_importing_the_plugin_loads_nothing_heavy() -> None:
    code = (
        "import sys; import gatewaysim.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.startswith(('gatewaysim.', 'aiohttp', 'botocore', 'jwt'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.replace("'", '"')) == [
        "gatewaysim.pytest_plugin",
        "gatewaysim.testing",
        "gatewaysim.testing.plugin",
    ]


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_async_factory(pytester: pytest.Pytester, mode: str) -> None:
    pytester.makeini(AUTO_INI if mode == "auto" else STRICT_INI)
    body = ASYNC_TESTS if mode == "auto" else ASYNC_TESTS.replace("\nasync def", "\n@pytest.mark.asyncio\nasync def")
    pytester.makepyfile(test_user=COMMON + body)
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=2)
    assert _closed(int(Path(pytester.path, "ports.txt").read_text()))  # stopped after the test


def test_sync_factory(pytester: pytest.Pytester) -> None:
    pytester.makeini(STRICT_INI)
    pytester.makepyfile(test_user=COMMON + SYNC_TESTS)
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=1)
    assert _closed(int(Path(pytester.path, "ports.txt").read_text()))


def test_failed_expectations_show_the_decision(pytester: pytest.Pytester) -> None:
    pytester.makeini(AUTO_INI)
    pytester.makepyfile(test_user=COMMON + FAILING)
    result = pytester.runpytest("-q")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: expected the gateway to allow the request",
            "*GET /prod/pets -> 403 AccessDeniedException",
            "*caller: anonymous; source ip: 127.0.0.9",
            "*resource: arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pets",
            "*verdict: * -> ImplicitDeny",
            "*resource policy (inline policy):",
            "*ImplicitDeny: no statement applies",
            "*statement*effect*applies*why",
            "*Statement[[]0] (Corp)*Allow*no*IpAddress aws:SourceIp: request has `127.0.0.9`",
            "*Statement[[]1] (Endpoint)*Allow*no*Principal does not match `anonymous`",
            "*Statement[[]2] (NoAdmin)*Deny*no*Resource does not match*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: expected outcome ExplicitDeny, got ImplicitDeny",
            "*caller: arn:aws:iam::111122223333:user/alice*",
        ]
    )
    assert "gatewaysim/expect.py" not in result.stdout.str()  # the helpers hide their own frames


def test_a_bad_config_fails_the_factory_call(pytester: pytest.Pytester) -> None:
    pytester.makeini(AUTO_INI)
    pytester.makepyfile(
        test_user=COMMON
        + """
from gatewaysim.errors import ConfigError, PolicyError


async def test_bad(gatewaysim_gateway: GatewayFactory) -> None:
    with pytest.raises(ConfigError, match="--stage: must be a stage name"):
        await gatewaysim_gateway(backend=make_app(), stages=["no good"])


def test_bad_sync(gatewaysim_server: SyncGatewayFactory) -> None:
    with pytest.raises(PolicyError, match="Statement.0..Effect: must be `Allow` or `Deny`"):
        gatewaysim_server(policy={"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}]})
"""
    )
    pytester.runpytest("-q").assert_outcomes(passed=2)
