"""The replay documentation runs as written, against the embedded default of ``gatewaysim serve``.

* README "Before you change a policy": the ``sh`` block runs in bash (curl from the seed's
  offices through loopback, the heredoc, ``gatewaysim replay``) and its output is the one shown,
  up to the times, request ids and port.
* docs/replay.md's shadow walkthrough: every ``curl`` line's status after ``->`` and each
  `` `quoted` `` text after it must hold.
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest

from gatewaysim.testing import GatewayServer

ROOT = Path(__file__).resolve().parents[2]
_BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.S)
_LOCAL = "http://127.0.0.1:8080"
_EXPECT = re.compile(r"#\s*->\s*(?P<status>\d{3})\b(?P<rest>.*)$")
_VARYING = (
    (re.compile(r"at \d{4}-\d\d-\d\dT[\d:.]+Z"), "at TIME"),
    (re.compile(r"\[[0-9a-f-]{36}\]"), "[ID]"),
    (re.compile(r"http://127\.0\.0\.1:\d+"), _LOCAL),
)
pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (.ci/run installs it)")


def _section(text: str, heading: str) -> list[tuple[str, str]]:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return _BLOCK.findall(text[start : end if end > 0 else None])


def _normal(text: str) -> str:
    for pattern, replacement in _VARYING:
        text = pattern.sub(replacement, text)
    return text.strip()


def _embedded_default() -> GatewayServer:
    """What `gatewaysim serve` runs without flags: the seed's policy, the demo backend, XFF from loopback."""
    return GatewayServer(trusted_proxies=["127.0.0.0/8", "::1/128"])


async def test_the_readme_replay_section_runs_and_prints_what_it_shows(tmp_path: Path) -> None:
    blocks = _section((ROOT / "README.md").read_text(), "## Before you change a policy")
    script, shown = blocks[0][1], blocks[1][1]
    assert script.startswith("gatewaysim serve &")
    script = script.split("\n", 1)[1]  # the gateway is the test's
    async with _embedded_default() as gw:
        script = script.replace(_LOCAL, gw.url).replace("gatewaysim replay", f"{sys.executable} -m gatewaysim replay")
        script = script.replace("--policy one-office.json", f"--policy one-office.json --url {gw.url}")
        process = await asyncio.create_subprocess_exec(
            "bash", "-c", script, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await process.communicate()
    assert process.returncode == 1, err.decode()  # replay's exit: something changes
    assert _normal(out.decode()) == _normal(shown)


async def test_the_shadow_walkthrough_runs_as_written(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "replay.md").read_text()
    blocks = _section(page, "## Shadow policy")
    candidate = next(body for kind, body in blocks if kind == "json" and '"Statement"' in body)
    (tmp_path / "one-office.json").write_text(json.dumps(json.loads(candidate)))
    lines = [line for kind, body in blocks if kind == "sh" for line in body.splitlines() if line.startswith("curl ")]
    assert len(lines) == 5
    async with _embedded_default() as gw:
        for line in lines:
            expect = _EXPECT.search(line)
            assert expect is not None, line
            args = shlex.split(line[: expect.start()].replace(_LOCAL, gw.url))
            process = await asyncio.create_subprocess_exec(*args, cwd=tmp_path, stdout=asyncio.subprocess.PIPE)
            out = (await process.communicate())[0].decode()
            assert out.split(" ", 2)[1] == expect.group("status"), f"{line}\n{out}"
            for text in re.findall(r"`([^`]*)`", expect.group("rest")):
                assert text in out, f"{line}: `{text}` not in\n{out}"
