"""Test support for the control plane: a gateway in a background thread and a real boto3 client."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from gatewaysim.testing import ThreadedGateway

__all__ = ["POLICY_ALLOW_CORP", "apigateway", "send", "serving"]

POLICY_ALLOW_CORP: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Corp",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
            "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}},
        }
    ],
}


def apigateway(url: str, *, key: str = "testing") -> Any:
    """A real boto3 ``apigateway`` client for the gateway at ``url`` (dummy credentials, no retries)."""
    return boto3.client(
        "apigateway",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30),
    )


@contextmanager
def serving(**options: Any) -> Iterator[ThreadedGateway]:
    """A gateway (``ThreadedGateway`` options) on loopback for a sync test."""
    with ThreadedGateway(**options) as gw:
        yield gw


def send(
    url: str,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    sign_for: str | None = None,
    key: str = "testing",
) -> tuple[int, dict[str, str], bytes]:
    """One plain HTTP request (``http.client``), signed with botocore's SigV4 for ``sign_for`` if given."""
    sent = dict(headers or {})
    if sign_for is not None:
        request = AWSRequest(method=method, url=url + path, data=body or b"", headers=sent)
        SigV4Auth(Credentials(key, "testing"), sign_for, "us-east-1").add_auth(request)
        sent = dict(request.headers.items())
    host, _, port = url.removeprefix("http://").partition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, path, body=body, headers=sent)
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        connection.close()
