"""`gatewaysim serve --workers 2`: two processes share the port, and one gateway's state reaches both.

Every check sends real HTTP to each worker on purpose (a kept-alive connection per worker, found
through `/_gatewaysim/health`, which names the worker's pid). Without `store`, the supervisor
starts a private redis-server (Debian's, which `.ci/run` installs).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from gatewaysim.gateway.workers import WorkerRole, WorkersError, worker_arguments
from tests.live_support import policy, statement
from tests.workers_support import ServeProcess, eventually, json_of, send, worker_connections

OFFICE = "203.0.113.10"  # allowed by the seed's corporate-network policy
HOME = "198.18.0.1"


def _only(cidr: str) -> dict[str, Any]:
    return policy(statement(Condition={"IpAddress": {"aws:SourceIp": cidr}}))


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServeProcess, Path]]:
    folder = tmp_path_factory.mktemp("workers")
    policy_file = folder / "policy.json"
    policy_file.write_text(json.dumps(_only("203.0.113.0/24")))
    config = folder / "gateway.yaml"
    config.write_text(
        "port: 0\n"
        "api: {policy: policy.json, backend: demo}\n"
        "identity: {trusted_proxies: [127.0.0.0/8]}\n"
        "reload: {interval_s: 0.1}\n"
        f"log: {{file: {folder / 'access.log'}}}\n"
    )
    served = ServeProcess("--config", str(config), "--workers", "2")
    try:
        yield served, policy_file
    finally:
        served.stop()


def _status(conn: Any, source: str) -> int:
    return send(conn, "GET", "/prod/hr-systems", {"X-Forwarded-For": source})[0]


def test_the_banner_says_how_it_runs(gateway: tuple[ServeProcess, Path]) -> None:
    served, _ = gateway
    assert any(line.startswith("  workers: 2 processes sharing port ") for line in served.banner)
    assert "  store: a private redis-server, shared by every worker" in served.banner
    assert not any(line.startswith("  worker: ") for line in served.banner)  # the supervisor speaks for them


def test_a_policy_put_through_the_admin_api_reaches_every_worker(gateway: tuple[ServeProcess, Path]) -> None:
    served, _ = gateway
    with worker_connections(served.url, 2) as connections:
        _put_and_delete(*connections.values())


def _put_and_delete(first: Any, second: Any) -> None:
    body = json.dumps(_only("198.18.0.0/16")).encode()
    assert send(first, "PUT", "/_gatewaysim/apis/abcdef1234/policy", body=body)[0] == 200
    for conn in (first, second):  # the next request, whichever worker serves it
        assert (_status(conn, HOME), _status(conn, OFFICE)) == (200, 403)
        stored = json_of(send(conn, "GET", "/_gatewaysim/apis/abcdef1234/policy"))
        assert stored["Statement"][0]["Condition"] == {"IpAddress": {"aws:SourceIp": "198.18.0.0/16"}}
    assert send(second, "PUT", "/_gatewaysim/apis/abcdef1234/shadow-policy", body=body)[0] == 200
    assert send(first, "GET", "/_gatewaysim/apis/abcdef1234/shadow-policy")[0] == 200
    assert send(second, "DELETE", "/_gatewaysim/apis/abcdef1234/policy")[0] == 204
    for conn in (first, second):  # no policy: every caller is allowed
        assert (_status(conn, HOME), _status(conn, OFFICE)) == (200, 200)
        assert send(conn, "GET", "/_gatewaysim/apis/abcdef1234/policy")[0] == 404


def test_update_rest_api_through_the_control_plane_reaches_every_worker(gateway: tuple[ServeProcess, Path]) -> None:
    served, _ = gateway
    client = boto3.client(
        "apigateway",
        endpoint_url=served.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    document = json.dumps(_only("192.0.2.0/24"))
    client.update_rest_api(
        restApiId="abcdef1234", patchOperations=[{"op": "replace", "path": "/policy", "value": document}]
    )
    with worker_connections(served.url, 2) as connections:
        for conn in connections.values():
            assert (_status(conn, "192.0.2.9"), _status(conn, OFFICE)) == (200, 403)


def test_hot_reload_reaches_every_worker(gateway: tuple[ServeProcess, Path]) -> None:
    served, policy_file = gateway
    with worker_connections(served.url, 2) as connections:
        policy_file.write_text(json.dumps(_only("198.51.100.0/24")))
        for conn in connections.values():  # each worker watches the file itself
            eventually(lambda conn=conn: True if _status(conn, "198.51.100.4") == 200 else None)
            assert _status(conn, OFFICE) == 403


def test_a_worker_that_dies_is_started_again_with_the_live_policy(gateway: tuple[ServeProcess, Path]) -> None:
    served, _ = gateway
    with worker_connections(served.url, 2) as connections:
        first = next(iter(connections.values()))
        body = json.dumps(_only("10.9.0.0/16")).encode()
        assert send(first, "PUT", "/_gatewaysim/apis/abcdef1234/policy", body=body)[0] == 200
        victim = sorted(connections)[1]
    os.kill(victim, signal.SIGKILL)  # a worker of the gateway this test started

    def replaced() -> list[tuple[int, int]] | None:
        try:
            with worker_connections(served.url, 2, attempts=40) as held:
                if victim in held:
                    return None
                return [(_status(conn, "10.9.1.1"), _status(conn, OFFICE)) for conn in held.values()]
        except AssertionError:  # the new worker is not serving yet
            return None

    assert eventually(replaced, timeout=45) == [(200, 403), (200, 403)]  # the new worker took the live policy


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--config", "g.yaml", "--workers", "4"], ["--config", "g.yaml"]),
        (["--workers=4", "--loop", "asyncio"], ["--loop", "asyncio"]),
        (["--policy", "p.json"], ["--policy", "p.json"]),
    ],
)
def test_a_worker_gets_the_users_arguments_without_workers(argv: list[str], expected: list[str]) -> None:
    role = WorkerRole(2, 4)
    assert worker_arguments(argv, 8080, role, None) == [*expected, "--port", "8080", "--worker", "2/4"]
    with_store = worker_arguments(argv, 8080, role, "unix:///tmp/r.sock")
    assert with_store[-4:] == ["--store", "unix:///tmp/r.sock", "--worker", "2/4"]


@pytest.mark.parametrize("text", ["0/2", "3/2", "x", "1/", "-1/2"])
def test_a_bad_worker_role_is_an_error(text: str) -> None:
    with pytest.raises(WorkersError, match="`--worker` must be I/N"):
        WorkerRole.parse(text)


def test_decisions_requests_and_the_dashboard_see_every_worker(gateway: tuple[ServeProcess, Path]) -> None:
    served, _ = gateway
    with worker_connections(served.url, 2) as connections:
        ids = {
            pid: send(conn, "GET", "/prod/seen", {"X-Forwarded-For": HOME})[1]["x-amzn-RequestId"]
            for pid, conn in connections.items()
        }
        for conn in connections.values():  # whichever worker is asked answers for both
            events = json_of(send(conn, "GET", "/_gatewaysim/decisions?limit=all"))["events"]
            assert set(ids.values()) <= {event["requestId"] for event in events}
            times = [event["eventTime"] for event in events]
            assert times == sorted(times, reverse=True)  # newest first across workers
            records = json_of(send(conn, "GET", "/_gatewaysim/requests?limit=50"))["requests"]
            assert set(ids.values()) <= {record["requestId"] for record in records}
            for request_id in ids.values():
                found = json_of(send(conn, "GET", f"/_gatewaysim/requests?request_id={request_id}"))
                assert [record["requestId"] for record in found["requests"]] == [request_id]
                page = send(conn, "GET", f"/_gatewaysim/ui/requests/{request_id}")
                assert page[0] == 200 and request_id.encode() in page[2]
            table = send(conn, "GET", "/_gatewaysim/ui")[2]
            assert all(request_id.encode() in table for request_id in ids.values())


def test_the_live_stream_follows_every_worker(gateway: tuple[ServeProcess, Path]) -> None:
    served, _ = gateway
    with worker_connections(served.url, 2) as connections:
        other_pid, other = next(iter(connections.items()))
        stream = _stream_elsewhere(served.port, other_pid)  # follows on the worker that does not serve
        with stream:
            received = bytearray()

            def arrives() -> bool | None:  # the other worker learns within a second that someone follows
                request_id = send(other, "GET", "/prod/streamed", {"X-Forwarded-For": HOME})[1]["x-amzn-RequestId"]
                deadline = time.monotonic() + 1.5
                while time.monotonic() < deadline:
                    with contextlib.suppress(TimeoutError):
                        received.extend(stream.recv(65536))
                    if request_id.encode() in received:
                        return True
                return None

            assert eventually(arrives, timeout=20)


def _stream_elsewhere(port: int, not_pid: int) -> socket.socket:
    """A connection to a worker other than ``not_pid``, following the event stream."""
    for _ in range(200):
        stream = socket.create_connection(("127.0.0.1", port), timeout=10)
        stream.sendall(b"GET /_gatewaysim/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        health = stream.recv(65536)
        if f'"pid": {not_pid}'.encode() in health:
            stream.close()
            continue
        stream.sendall(b"GET /_gatewaysim/requests/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        received = bytearray()
        while b": following" not in received:
            received.extend(stream.recv(65536))
        stream.settimeout(0.2)
        return stream
    raise AssertionError("no connection reached the other worker")
