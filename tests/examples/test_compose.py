"""docker-compose.yml without Docker: its services' commands run as local processes, then the walkthrough.

The compose file is read with PyYAML; each service's ``command`` is started with ``subprocess``
(``python``/``gatewaysim`` from this environment, the ``./config:/config`` mount replaced by a copy
of ``config/``, service host names by ``127.0.0.1``, ports by free ones), each health check's own
command is run until it succeeds, then every ``curl`` line of docs/compose-walkthrough.md runs
against them. (`.ci/run` validates the file itself with ``docker-compose config``.)
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
WALKTHROUGH = ROOT / "docs" / "compose-walkthrough.md"
BIN = Path(sys.executable).parent
HEALTH_TIMEOUT_S = 20.0
_EXPECT = re.compile(r"#\s*->\s*(?P<status>\d{3})\b(?P<rest>.*)$")


@dataclass
class Service:
    name: str
    spec: dict[str, Any]
    internal_port: int
    port: int  # the free port it really listens on here
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _mount(spec: dict[str, Any]) -> tuple[str, str]:
    """The one bind mount (``./config:/config:ro``) as (host dir, container dir)."""
    (volume,) = spec.get("volumes", [])
    host, container = volume.split(":")[:2]
    return host, container


def _internal_port(spec: dict[str, Any]) -> int:
    command = spec["command"]
    if "--port" in command:
        return int(command[command.index("--port") + 1])
    host, container = _mount(spec)
    config = command[command.index("--config") + 1].replace(container, str(ROOT / host), 1)
    return int(yaml.safe_load(Path(config).read_text())["port"])


def _local_command(service: Service, config_dir: Path) -> list[str]:
    """The service's command as it runs here: same arguments, mount and port mapped."""
    out = []
    mount = _mount(service.spec)[1] if "volumes" in service.spec else None
    for arg in service.spec["command"]:
        arg = str(arg)
        if arg in ("python", "gatewaysim"):
            arg = sys.executable if arg == "python" else str(BIN / "gatewaysim")
        elif mount is not None and arg.startswith(mount + "/"):
            arg = str(config_dir) + arg[len(mount) :]
        out.append(arg)
    if "--port" in out:
        out[out.index("--port") + 1] = str(service.port)
    return out


def _rewrite_config(path: Path, services: dict[str, Service], gateway: Service) -> None:
    """Service host names -> 127.0.0.1 and their ports -> the free ones, in the gateway's config."""
    text = path.read_text()
    for s in services.values():
        text = text.replace(f"http://{s.name}:{s.internal_port}", f"http://127.0.0.1:{s.port}")
    data = yaml.safe_load(text)
    data["port"] = gateway.port
    path.write_text(yaml.safe_dump(data))


def _healthy(service: Service) -> bool:
    kind, program, *args = service.spec["healthcheck"]["test"]
    assert (kind, program) == ("CMD", "python")
    args = [a.replace(f"127.0.0.1:{service.internal_port}", f"127.0.0.1:{service.port}") for a in args]
    return subprocess.run([sys.executable, *args], capture_output=True, timeout=10).returncode == 0


def _wait_healthy(service: Service) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while not _healthy(service):
        assert service.process is not None and service.process.poll() is None, _log(service)
        assert time.monotonic() < deadline, f"{service.name} never became healthy\n{_log(service)}"
        time.sleep(0.05)


def _log(service: Service) -> str:
    return service.log.read_text() if service.log is not None and service.log.exists() else ""


def _stop(service: Service) -> int | None:
    if service.process is None:
        return None
    if service.process.poll() is None:
        service.process.send_signal(signal.SIGTERM)
    try:
        return service.process.wait(10)
    except subprocess.TimeoutExpired:
        service.process.kill()
        service.process.wait()
        return None


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Service]]:
    """Every compose service running locally, healthy, in ``depends_on`` order."""
    spec = _compose()["services"]
    services = {name: Service(name, s, _internal_port(s), _free_port()) for name, s in spec.items()}
    tmp = tmp_path_factory.mktemp("compose")
    gateway = services["gateway"]
    host_dir, _ = _mount(gateway.spec)
    config_dir = tmp / "config"
    shutil.copytree(ROOT / host_dir, config_dir)
    command = _local_command(gateway, config_dir)
    config = Path(command[command.index("--config") + 1])
    _rewrite_config(config, services, gateway)
    order = [n for n in services if n != "gateway"] + ["gateway"]
    try:
        for name in order:
            service = services[name]
            service.log = tmp / f"{name}.log"
            with service.log.open("wb") as log:
                service.process = subprocess.Popen(
                    _local_command(service, config_dir), stdout=subprocess.DEVNULL, stderr=log, cwd=tmp
                )
            _wait_healthy(service)
        yield services
    finally:
        codes = {name: _stop(services[name]) for name in reversed(order)}
    assert codes == {name: 0 for name in reversed(order)}, "a service did not stop cleanly on SIGTERM"


def _walkthrough() -> list[tuple[str, int, str | None]]:
    block = WALKTHROUGH.read_text().split("```sh\n", 1)[1].split("```", 1)[0]
    steps = []
    for line in block.splitlines():
        if not line.startswith("curl "):
            continue
        command, _, comment = line.partition("#")
        match = _EXPECT.search("#" + comment)
        assert match is not None, f"no `# -> status` on: {line}"
        _, has, body = match["rest"].partition("body has ")
        steps.append((command.strip(), int(match["status"]), body.strip() if has else None))
    return steps


def _records(gateway: Service) -> list[dict[str, Any]]:
    """The gateway's access log (JSON lines on stderr)."""
    return [json.loads(line) for line in _log(gateway).splitlines() if line.startswith("{")]


def _published(services: dict[str, Service]) -> dict[str, str]:
    """``localhost:{published}`` -> ``127.0.0.1:{free}`` for every published port."""
    out = {}
    for s in services.values():
        for mapping in s.spec.get("ports", []):
            published, target = str(mapping).split(":")[:2]
            assert int(target) == s.internal_port
            out[f"localhost:{published}"] = f"127.0.0.1:{s.port}"
    return out


def test_the_image_runs_the_command_the_gateway_service_runs() -> None:
    cmd = next(line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD "))
    assert json.loads(cmd[4:]) == _compose()["services"]["gateway"]["command"]


def test_services_share_the_image_and_are_health_checked() -> None:
    services = _compose()["services"]
    assert {s["image"] for s in services.values()} == {"gatewaysim:local"}
    assert all(s["build"] == "." for s in services.values())
    assert all("urllib.request.urlopen" in s["healthcheck"]["test"][3] for s in services.values())
    depends = services["gateway"]["depends_on"]
    assert depends == {"backend": {"condition": "service_healthy"}, "authorizer": {"condition": "service_healthy"}}


def test_walkthrough(stack: dict[str, Service]) -> None:
    curl = shutil.which("curl")
    assert curl is not None, "the walkthrough needs curl (.ci/run installs it)"
    hosts = _published(stack)
    steps = _walkthrough()
    logged_before = len(_records(stack["gateway"]))
    assert len(steps) >= 8
    for command, status, body in steps:
        args = shlex.split(command)
        args = [re.sub(r"localhost:\d+", lambda m: hosts[m.group()], a) for a in args]
        result = subprocess.run([curl, "--max-time", "10", *args[1:]], capture_output=True, timeout=15)
        out = result.stdout.decode()
        assert result.returncode == 0, (command, result.stderr)
        first = out.split("\r\n", 1)[0]
        assert int(first.split(" ")[1]) == status, (command, out)
        if body is not None:
            assert body in out, (command, out)
    gateway_steps = [s for c, s, _ in steps if "localhost:8080/prod" in c]
    deadline = time.monotonic() + 5
    while (
        len(records := _records(stack["gateway"])[logged_before:]) < len(gateway_steps) and time.monotonic() < deadline
    ):
        time.sleep(0.01)  # the line is written just after the last byte of the answer
    assert [r["status"] for r in records] == gateway_steps  # one access-log line per request


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    try:
        with urlopen(Request(url, headers=headers or {}), timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_gateway_calls_the_authorizer_service(stack: dict[str, Service]) -> None:
    """A token on `/orders` reaches the service as a TOKEN event for the method; its answer decides."""
    calls_url = f"http://127.0.0.1:{stack['authorizer'].port}/calls"
    before = _get(calls_url)[1]["calls"]
    status, body = _get(
        f"http://127.0.0.1:{stack['gateway'].port}/prod/orders/42", {"Authorization": "Bearer allow-bob"}
    )
    assert status == 200 and body["path"] == "/orders/42"  # the demo backend echoed it
    status, calls = _get(calls_url)
    assert calls["calls"] == before + 1
    assert calls["last"] == {
        "type": "TOKEN",
        "authorizationToken": "Bearer allow-bob",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/orders/42",
    }
