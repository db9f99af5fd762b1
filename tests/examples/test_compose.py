"""docker-compose.yml without Docker: its services' commands run as local processes, then the walkthrough.

The compose file is read with PyYAML; each service's ``command`` is started with ``subprocess``
(``python``/``gatewaysim`` from this environment, the ``./config:/config`` mount replaced by a copy
of ``config/``, service host names by ``127.0.0.1``, ports by free ones), each health check's own
command is run until it succeeds, then every ``curl`` line of docs/compose-walkthrough.md runs
against them. (`.ci/run` validates the file itself with ``docker-compose config``.)
"""

from __future__ import annotations

import json
import os
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


def _rewrite_config(path: Path, gateway: Service) -> None:
    """The gateway's port -> the free one, in its config."""
    data = yaml.safe_load(path.read_text())
    data["port"] = gateway.port
    path.write_text(yaml.safe_dump(data))


def _service_environment(services: dict[str, Service]) -> dict[str, str]:
    """What the compose network's DNS does: ``{NAME}_HOST`` and ``{NAME}_PORT`` for every other service."""
    env = {}
    for s in services.values():
        env[f"{s.name.upper()}_HOST"] = "127.0.0.1"
        env[f"{s.name.upper()}_PORT"] = str(s.port)
    return env


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
    _rewrite_config(config, gateway)
    order = [n for n in services if n != "gateway"] + ["gateway"]
    try:
        for name in order:
            service = services[name]
            service.log = tmp / f"{name}.log"
            with service.log.open("wb") as log:
                service.process = subprocess.Popen(
                    _local_command(service, config_dir),
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    cwd=tmp,
                    env={**os.environ, **_service_environment(services)},
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


def test_the_config_names_the_compose_services_by_default() -> None:
    """Without the variables set (in the compose network) the hosts are the services' names."""
    from gatewaysim.config.load import load_settings

    api = load_settings(ROOT / "config" / "compose.yaml").apis[0]
    assert api.backend == "http://backend:9000"
    assert api.auth.authorizers["tokens"]["url"] == "http://authorizer:9001/authorize"


def test_services_share_the_image_and_are_health_checked() -> None:
    services = _compose()["services"]
    assert {s["image"] for s in services.values()} == {"gatewaysim:local"}
    assert all(s["build"] == "." for s in services.values())
    assert all("urllib.request.urlopen" in s["healthcheck"]["test"][3] for s in services.values())
    depends = services["gateway"]["depends_on"]
    assert depends == {"backend": {"condition": "service_healthy"}, "authorizer": {"condition": "service_healthy"}}


def _run_walkthrough(hosts: dict[str, str]) -> list[int]:
    """Every curl line of the walkthrough, ``localhost:PORT`` mapped by ``hosts``; the gateway's statuses."""
    curl = shutil.which("curl")
    assert curl is not None, "the walkthrough needs curl (.ci/run installs it)"
    steps = _walkthrough()
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
    return [s for c, s, _ in steps if "localhost:8080/prod" in c]


def test_walkthrough(stack: dict[str, Service]) -> None:
    logged_before = len(_records(stack["gateway"]))
    gateway_steps = _run_walkthrough(_published(stack))
    deadline = time.monotonic() + 5
    while (
        len(records := _records(stack["gateway"])[logged_before:]) < len(gateway_steps) and time.monotonic() < deadline
    ):
        time.sleep(0.01)  # the line is written just after the last byte of the answer
    assert [r["status"] for r in records] == gateway_steps  # one access-log line per request


def _without_docker() -> list[tuple[dict[str, str], list[str]]]:
    """The walkthrough's "Without Docker" lines: (environment, command) each, run in the background."""
    block = WALKTHROUGH.read_text().split("## Without Docker", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = []
    for line in block.splitlines():
        words = shlex.split(line.removesuffix("&"))
        env = dict(w.split("=", 1) for w in words if re.fullmatch(r"[A-Z_]+=\S*", w))
        lines.append((env, words[len(env) :]))
    return lines


def _start_local(env: dict[str, str], command: list[str], port: int, log: Path) -> subprocess.Popen[bytes]:
    program = {"python": sys.executable, "gatewaysim": str(BIN / "gatewaysim")}[command[0]]
    args = [program, *command[1:]]
    if "--port" in args:
        args[args.index("--port") + 1] = str(port)
    else:
        args += ["--port", str(port)]  # the gateway: its config says 8080
    with log.open("wb") as out:
        return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=out, cwd=ROOT, env={**os.environ, **env})


def test_without_docker(tmp_path: Path) -> None:
    """The documented no-Docker commands, ports mapped to free ones, answer every curl line the same."""
    lines = _without_docker()
    names = ["backend", "authorizer", "gateway"]
    assert [c[-1] if c[0] == "python" else c[1] for _, c in lines] == ["9000", "9001", "serve"]
    ports = {name: _free_port() for name in names}
    env_ports = {"BACKEND_PORT": str(ports["backend"]), "AUTHORIZER_PORT": str(ports["authorizer"])}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, (env, command) in zip(names, lines, strict=True):
            environment = {**env, **env_ports} if name == "gateway" else env
            processes.append(_start_local(environment, command, ports[name], tmp_path / f"{name}.log"))
            health = "/health" if name == "authorizer" else "/_gatewaysim/health"
            _wait_local(f"http://127.0.0.1:{ports[name]}{health}", processes[-1], tmp_path / f"{name}.log")
        hosts = {
            "localhost:8080": f"127.0.0.1:{ports['gateway']}",
            "localhost:9001": f"127.0.0.1:{ports['authorizer']}",
        }
        _run_walkthrough(hosts)
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
            process.wait(10)


def _wait_local(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while True:
        assert process.poll() is None, log.read_text()
        try:
            with urlopen(url, timeout=2):
                return
        except OSError:
            assert time.monotonic() < deadline, f"{url} never answered\n{log.read_text()}"
            time.sleep(0.05)


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
