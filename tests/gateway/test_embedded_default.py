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
def default_gateway() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatewaysim", "serve", "--port", "0"],
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
