"""API selection without sockets: Host forms, the `/restapis/` prefix, conflicts (gatewaysim.gateway.dispatch)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gatewaysim.config.load import ApiSettings
from gatewaysim.gateway.dispatch import HostApi, Selected, host_api, invoke_urls, select_api, strip_prefix
from gatewaysim.gateway.paths import Rejected


@dataclass
class Runtime:
    settings: ApiSettings


ALPHA = Runtime(ApiSettings(api_id="alphaapi01", account="111111111111", region="us-east-1"))
BRAVO = Runtime(ApiSettings(api_id="bravoapi02", account="222222222222", region="eu-west-1"))
TWO = {"alphaapi01": ALPHA, "bravoapi02": BRAVO}
ONE = {"alphaapi01": ALPHA}
# A SAM template: the implicit API serves Prod and the extra Stage, an explicit one dev and Stage.
SAM = {
    "serverless": Runtime(ApiSettings(api_id="serverless", stages=("Prod", "Stage"))),
    "myapi": Runtime(ApiSettings(api_id="myapi", stages=("dev", "Stage"))),
}


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("alphaapi01.execute-api.localhost", HostApi("alphaapi01", None)),
        ("alphaapi01.execute-api.localhost:8080", HostApi("alphaapi01", None)),
        ("AlphaApi01.Execute-Api.LOCALHOST:1", HostApi("alphaapi01", None)),
        ("alphaapi01.execute-api.localhost.", HostApi("alphaapi01", None)),
        ("alphaapi01.execute-api.us-east-1.amazonaws.com", HostApi("alphaapi01", "us-east-1")),
        ("alphaapi01.execute-api.eu-west-1.amazonaws.com:443", HostApi("alphaapi01", "eu-west-1")),
        ("localhost:8080", None),
        ("127.0.0.1", None),
        ("[::1]:8080", None),
        ("alphaapi01.localhost", None),
        ("alphaapi01.execute-api.localhost.evil.example", None),
        ("x.alphaapi01.execute-api.localhost", None),
        ("execute-api.localhost", None),
        ("", None),
    ],
)
def test_host_forms(host: str, expected: HostApi | None) -> None:
    assert host_api(host) == expected


@pytest.mark.parametrize(
    ("target", "api_id", "rest"),
    [
        ("/restapis/a1/prod/_user_request_/pets/1?x=1", "a1", "/prod/pets/1?x=1"),
        ("/restapis/a1/prod/_user_request_/", "a1", "/prod/"),
        ("/restapis/a1/prod/_user_request_", "a1", "/prod"),
        ("/restapis/a1/prod/_user_request_?q", "a1", "/prod?q"),
        ("/rest%61pis/a1/prod/%5Fuser_request_/%61", "a1", "/prod/a"),  # decoded once, then matched
        ("/restapis/a1/prod/_user_request_/../admin", "a1", "/prod/../admin"),  # parse_target refuses it
    ],
)
def test_prefix_is_stripped(target: str, api_id: str, rest: str) -> None:
    found = strip_prefix(target)
    assert not isinstance(found, Rejected) and found is not None
    assert (found.api_id, found.raw_target) == (api_id, rest)


@pytest.mark.parametrize("target", ["/prod/pets", "/restapisx/a/prod/_user_request_/x", "/", "/prod/restapis/a"])
def test_no_prefix(target: str) -> None:
    assert strip_prefix(target) is None


@pytest.mark.parametrize(
    "target",
    [
        "/restapis",
        "/restapis/a1",
        "/restapis/a1/prod",
        "/restapis/a1/prod/x",
        "/restapis//prod/_user_request_/x",
        "/restapis/a1//_user_request_/x",
        "/restapis/a1/prod/_USER_REQUEST_/x",
        "/restapis/a1/prod/_user_request_%2Fx",
    ],
)
def test_malformed_prefix_is_refused(target: str) -> None:
    found = strip_prefix(target)
    if "%2F" in target:
        assert found is None  # an encoded slash is refused by the path rules themselves
    else:
        assert isinstance(found, Rejected) and "malformed `/restapis/` prefix" in found.reason


def _pick(apis: dict[str, Runtime], host: str, target: str) -> tuple[str, str] | str:
    found = select_api(apis, host, target)
    if isinstance(found, Rejected):
        return found.reason
    assert isinstance(found, Selected)
    return found.api.settings.api_id, found.raw_target


@pytest.mark.parametrize(
    ("apis", "host", "target", "expected"),
    [
        (TWO, "alphaapi01.execute-api.localhost:9", "/prod/x", ("alphaapi01", "/prod/x")),
        (TWO, "bravoapi02.execute-api.eu-west-1.amazonaws.com", "/prod/x", ("bravoapi02", "/prod/x")),
        (TWO, "localhost:9", "/restapis/bravoapi02/prod/_user_request_/x", ("bravoapi02", "/prod/x")),
        (TWO, "bravoapi02.execute-api.localhost", "/restapis/bravoapi02/v1/_user_request_/", ("bravoapi02", "/v1/")),
        (ONE, "anything.example:1", "/prod/x", ("alphaapi01", "/prod/x")),
        (ONE, "localhost", "/restapis/alphaapi01/prod/_user_request_/x", ("alphaapi01", "/prod/x")),
        # no Host and no prefix: the one API with that stage (rule 3)
        (SAM, "127.0.0.1:8080", "/Prod/hello", ("serverless", "/Prod/hello")),
        (SAM, "127.0.0.1:8080", "/dev/keyed?x=1", ("myapi", "/dev/keyed?x=1")),
        (SAM, "127.0.0.1:8080", "//dev/keyed", ("myapi", "//dev/keyed")),
        (SAM, "myapi.execute-api.localhost", "/Prod/hello", ("myapi", "/Prod/hello")),  # the Host wins (no stage Prod)
    ],
)
def test_selected(apis: dict[str, Runtime], host: str, target: str, expected: tuple[str, str]) -> None:
    assert _pick(apis, host, target) == expected


@pytest.mark.parametrize(
    ("apis", "host", "target", "reason"),
    [
        (TWO, "localhost:9", "/prod/x", "stage `prod` is served by apis `alphaapi01`, `bravoapi02`; use"),
        (TWO, "localhost:9", "/beta/x", "no api for host `localhost:9`"),
        (SAM, "localhost", "/Stage/hello", "stage `Stage` is served by apis `serverless`, `myapi`"),
        (SAM, "localhost", "/prod/hello", "no api for host"),  # stages are case-sensitive
        (SAM, "localhost", "/%2e%2e/Prod/hello", "no api for host"),
        (TWO, "zulu.execute-api.localhost", "/prod/x", "no api `zulu` (host `zulu.execute-api.localhost`)"),
        (TWO, "alphaapi01.execute-api.eu-west-1.amazonaws.com", "/prod/x", "no api `alphaapi01` in `eu-west-1`"),
        (TWO, "localhost", "/restapis/zulu/prod/_user_request_/x", "no api `zulu` (path prefix)"),
        (
            TWO,
            "bravoapi02.execute-api.localhost",
            "/restapis/alphaapi01/prod/_user_request_/x",
            "host `bravoapi02.execute-api.localhost` names api `bravoapi02` but the path names `alphaapi01`",
        ),
        (ONE, "bravoapi02.execute-api.localhost", "/prod/x", "no api `bravoapi02`"),
        (ONE, "localhost", "/restapis/bravoapi02/prod/_user_request_/x", "no api `bravoapi02` (path prefix)"),
        (ONE, "localhost", "/restapis/alphaapi01/prod", "malformed `/restapis/` prefix"),
    ],
)
def test_refused(apis: dict[str, Runtime], host: str, target: str, reason: str) -> None:
    found = _pick(apis, host, target)
    assert isinstance(found, str) and found.startswith(reason)


def test_invoke_urls() -> None:
    assert invoke_urls("http://127.0.0.1:8080", "a1", "prod", single=True) == ["http://127.0.0.1:8080/prod/"]
    assert invoke_urls("http://127.0.0.1:8080", "a1", "dev", single=False, unique=True)[0] == (
        "http://127.0.0.1:8080/dev/"
    )
    assert invoke_urls("http://[::1]:81", "a1", "prod", single=False) == [
        "http://a1.execute-api.localhost:81/prod/",
        "http://[::1]:81/restapis/a1/prod/_user_request_/",
    ]
