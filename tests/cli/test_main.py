"""The command line: `gatewaysim serve`, its errors, and a real process stopped by a signal."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gatewaysim.cli import COMMANDS, main
from gatewaysim.cli.main import build_parser
from gatewaysim.config.load import load_settings
from gatewaysim.gateway.banner import banner, describe_methods
from gatewaysim.testing import RecordingBackend, request_from
from tests.hostile import yaml_bomb

REPO = Path(__file__).resolve().parents[2]

OPEN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}],
}


def test_commands_table() -> None:
    assert "serve" in COMMANDS
    assert all(command.help for command in COMMANDS.values())


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "gatewaysim 0.1.0"


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "serve" in capsys.readouterr().err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "eighty"]) == 2
    assert "invalid int value" in capsys.readouterr().err


def test_missing_config_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["serve", "--config", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err == f"gatewaysim: config `{missing}`: cannot read the file: No such file or directory\n"


def test_every_config_problem_one_line_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "g.yaml"
    config.write_text("port: x\napi: {region: Mars, colour: red}\n")
    assert main(["serve", "--config", str(config), "--account", "12"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 4
    assert all(line.startswith(f"gatewaysim: config `{config}`: ") for line in lines)
    assert any("--account: must be a 12-digit account id" in line for line in lines)
    assert "Traceback" not in "".join(lines)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (yaml_bomb(7, 10), "YAML aliases expand the document to over 1000000 values: line 6"),
        (b"\xff\xfe", "not UTF-8 text: byte `0xff` at line 1, column 1"),
        (b"[" * 100_000, "nested deeper than 100 levels: line 1"),
    ],
)
def test_a_hostile_config_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: bytes, problem: str
) -> None:
    config = tmp_path / "g.yaml"
    config.write_bytes(text)
    assert main(["serve", "--config", str(config)]) == 2
    assert capsys.readouterr().err == f"gatewaysim: config `{config}`: {problem}\n"


def test_bad_policy_file_is_located(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.json"
    policy.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "x"}]}')
    assert main(["serve", "--policy", str(policy)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gatewaysim: policy `{policy}`: Statement[0]")
    assert "Traceback" not in err


def test_port_in_use_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port), "--backend", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gatewaysim: cannot listen on 127.0.0.1:{port}: ")
    assert len(err.splitlines()) == 1


async def _start(*args: str) -> tuple[asyncio.subprocess.Process, str, list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gatewaysim",
        "serve",
        "--port",
        "0",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    banner: list[str] = []
    while not banner or not banner[-1].lstrip().startswith("health:"):
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        assert line, "the gateway exited before printing its banner"
        banner.append(line.decode().rstrip())
    match = re.search(r"listening on (http://\S+)", banner[0])
    assert match is not None, banner
    return process, match.group(1), banner


async def test_serve_embedded_default_prints_what_it_enforces() -> None:
    process, url, banner = await _start()
    try:
        text = "\n".join(banner)
        assert "resource policy: embedded default (corporate network)" in text
        assert "IpAddress aws:SourceIp in 203.0.113.0/24, 198.51.100.0/24, 192.0.2.0/24" in text
        assert "backend: built-in demo backend http://127.0.0.1:" in text
        assert f"invoke url: {url}/prod/" in text
        assert "    methods: every path and method -> NONE" in banner
        denied = await request_from(url + "/prod/hr-systems")
        assert denied.status == 403
        assert denied.json()["Message"].startswith("User: anonymous is not authorized")
        health = await request_from(url + "/_gatewaysim/health")
        assert health.status == 200
    finally:
        process.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0
    record = json.loads(err.decode().splitlines()[0])  # the access log, on stderr
    assert (record["decision"], record["status"], record["path"]) == ("ImplicitDeny", 403, "/prod/hr-systems")


async def test_sigterm_drains_in_flight_requests(tmp_path: Path) -> None:
    policy = tmp_path / "open.json"
    policy.write_text(json.dumps(OPEN))
    log = tmp_path / "access.log"
    async with RecordingBackend(delay=0.5) as slow:
        process, url, _ = await _start(
            "--policy", str(policy), "--backend", slow.url, "--log-format", "text", "--log-file", str(log)
        )
        pending = asyncio.ensure_future(request_from(url + "/prod/slow"))
        while not slow.seen:
            await asyncio.sleep(0.01)
        process.send_signal(signal.SIGTERM)
        reply = await pending
        out, _ = await asyncio.wait_for(process.communicate(), 20)
    assert reply.status == 200 and reply.json()["path"] == "/slow"
    assert process.returncode == 0
    assert '"GET /prod/slow" 200 ' in log.read_text()
    said = out.decode().splitlines()
    assert said[0].startswith("gatewaysim: SIGTERM: draining in-flight requests (up to 10 s)"), said
    assert re.fullmatch(r"gatewaysim: stopped at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", said[-1]), said


async def test_malformed_request_logs_one_line_no_traceback(tmp_path: Path) -> None:
    process, url, _ = await _start("--backend", "demo")
    port = int(url.rsplit(":", 1)[1])
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /prod/a b HTTP/1.1\r\nHost: gw\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        assert answer.startswith(b"HTTP/1.") and b" 400 " in answer.split(b"\r\n")[0]
        assert (await request_from(url + "/prod/ok")).status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 20)
    text = err.decode()
    assert "Traceback" not in text
    line = (
        "gatewaysim: gatewaysim.gateway.connections: 400 for a request that could not be parsed (BadStatusLine)"
        " from 127.0.0.1"
    )
    assert line + "\n" in text


def test_banner_lists_each_method_and_its_authorization() -> None:
    auth = load_settings(REPO / "config" / "auth-example.yaml").apis[0].auth
    lines = describe_methods(auth)
    assert lines[0] == "methods:" and lines[-1] == "  any other -> 403 Missing Authentication Token"
    assert "  GET /public -> NONE" in lines
    assert "  PUT /pets/{petId} -> CUSTOM (tenants)" in lines
    assert "  ANY /admin/{proxy+} -> AWS_IAM" in lines
    assert "  GET /orders -> COGNITO_USER_POOLS (pool), scopes orders/read" in lines


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["simulat", "--policy", "p.json"], "unknown command `simulat` (did you mean `simulate`?)"),
        (["chek"], "unknown command `chek` (did you mean `check`?)"),
        (["policy", "lst"], "unknown command `policy lst` (did you mean `list`?)"),
        (["polcy", "get"], "unknown command `polcy` (did you mean `policy`?)"),
    ],
)
def test_unknown_sub_command_suggests_the_closest(
    argv: list[str], suggestion: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"gatewaysim: {suggestion}" in err, err
    assert "Traceback" not in err


def _sub_commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices) if actions else {}


def _helps(parser: argparse.ArgumentParser, prog: str) -> Iterator[tuple[str, argparse.ArgumentParser, str]]:
    for name, sub in _sub_commands(parser).items():
        yield f"{prog} {name}", sub, parser.format_help()
        yield from _helps(sub, f"{prog} {name}")


def test_every_help_lists_every_verb() -> None:
    """A command with verbs names each of them in its own help and in its line of its parent's help."""
    checked = 0
    for prog, parser, parent_help in _helps(build_parser(), "gatewaysim"):
        verbs = _sub_commands(parser)
        if not verbs:
            continue
        own_help = parser.format_help()
        line = next(text for text in parent_help.splitlines() if text.strip().startswith(prog.split()[-1] + " "))
        for verb in verbs:
            assert re.search(rf"\b{verb}\b", own_help), (prog, verb)
            assert re.search(rf"\b{verb}\b", parser.description or ""), (prog, verb, parser.description)
            assert re.search(rf"\b{verb}\b", line), (prog, verb, line)
        checked += 1
    assert checked >= 1  # `policy` has verbs


def test_banner_shows_integrations_and_config_warnings(tmp_path: Path) -> None:
    config = tmp_path / "g.yaml"
    config.write_text(
        "api:\n"
        "  backend: http://127.0.0.1:9\n"
        "  routes:\n"
        "    - {resource: /m, method: OPTIONS, integration: {type: MOCK}}\n"
        "    - resource: /h\n"
        "      method: GET\n"
        "      integration: {type: HTTP_PROXY, uri: 'http://h/x', contentHandling: CONVERT_TO_TEXT}\n"
    )
    settings = load_settings(config)
    lines = describe_methods(settings.apis[0].auth)
    assert "  OPTIONS /m -> NONE; MOCK" in lines
    assert "  GET /h -> NONE; HTTP_PROXY http://h/x" in lines
    text = banner(settings, {}, "http://127.0.0.1:8080")
    warning = (
        f"  warning: config `{config}`: api.routes[1].integration.contentHandling: "
        "payload conversion (`contentHandling`) is not emulated; bodies pass as they are"
    )
    assert warning in text.splitlines()
    assert text.splitlines()[-1].startswith("  health:")


@pytest.mark.parametrize(
    ("trusted", "shown"),
    [
        ("", "X-Gatewaysim-Source-Vpce -> aws:SourceVpce"),  # everyone's count: nothing added
        ("  trust_headers_from: [10.0.0.0/8]\n", "aws:SourceVpce (believed only from 10.0.0.0/8)"),
        ("  trust_headers_from: []\n", "aws:SourceVpce (believed only from nobody)"),
    ],
)
def test_banner_says_whose_identity_headers_count(tmp_path: Path, trusted: str, shown: str) -> None:
    # with identity.trust_headers_from the headers of everyone else are ignored: the banner says so
    config = tmp_path / "g.yaml"
    config.write_text("api: {backend: 'http://127.0.0.1:9'}\nidentity:\n  trusted_proxies: []\n" + trusted)
    line = next(x for x in banner(load_settings(config), {}, "http://h").splitlines() if "identity headers" in x)
    assert line.endswith(shown), line
