"""The README's first command: `gatewaysim serve` with nothing else shows both an allow and a deny."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest


@pytest.fixture
def default_gateway(request: pytest.FixtureRequest) -> Iterator[str]:
    extra = list(getattr(request, "param", []))
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatewaysim", "serve", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in first, first
        yield first.split("listening on ", 1)[1].strip()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if proc.stdout is not None:
            proc.stdout.close()


def get(url: str, **headers: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_curl_walkthrough_of_the_embedded_default(default_gateway: str) -> None:
    status, body = get(f"{default_gateway}/prod/hr-systems")
    assert status == 403
    assert body == {
        "Message": "User: anonymous is not authorized to perform: execute-api:Invoke on resource: "
        "arn:aws:execute-api:us-east-1:********9012:abcdef1234/prod/GET/hr-systems"
    }
    status, body = get(f"{default_gateway}/prod/hr-systems", **{"X-Forwarded-For": "203.0.113.10"})
    assert status == 200
    assert body["path"] == "/hr-systems" and body["method"] == "GET"
    status, _ = get(f"{default_gateway}/prod/hr-systems", **{"X-Forwarded-For": "198.18.0.1"})
    assert status == 403


@pytest.mark.parametrize(
    ("default_gateway", "arn"),
    [
        (["--api-id", "myapi12345"], "arn:aws:execute-api:us-east-1:********9012:myapi12345"),
        (
            ["--account", "210987654321", "--region", "eu-west-1"],
            "arn:aws:execute-api:eu-west-1:********4321:abcdef1234",
        ),
    ],
    indirect=["default_gateway"],
)
def test_the_embedded_default_follows_the_api_settings(default_gateway: str, arn: str) -> None:
    """The default policy names `execute-api:/*`: another api id, account or region changes the API, not the answer."""
    status, body = get(f"{default_gateway}/prod/hr-systems", **{"X-Forwarded-For": "203.0.113.10"})
    assert status == 200 and body["path"] == "/hr-systems"
    status, body = get(f"{default_gateway}/prod/hr-systems", **{"X-Forwarded-For": "198.18.0.1"})
    assert status == 403 and body["Message"].endswith(f"{arn}/prod/GET/hr-systems")
