"""The door feature pages run as written: each page's config (its first ``yaml`` block) is served,
then every ``curl`` line of its ``sh`` blocks runs against it, and the status after ``->`` and each
``"quoted"`` text after it (looked for in curl's ``-si`` output: headers and body) must hold.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatewaysim.testing import GatewayServer

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = ("api-keys.md", "throttling.md", "gateway-responses.md", "request-validation.md", "cors.md")
_BLOCK = re.compile(r"```(yaml|sh)\n(.*?)```", re.S)
_EXPECT = re.compile(r"#\s*->\s*(?P<status>\d{3})\b(?P<rest>.*)$")
_LOCAL = "http://127.0.0.1:8080"


def _page(name: str) -> tuple[dict[str, Any], list[tuple[str, int, list[str]]]]:
    text = (DOCS / name).read_text()
    blocks = _BLOCK.findall(text)
    config = yaml.safe_load(next(body for kind, body in blocks if kind == "yaml"))
    lines = []
    for kind, body in blocks:
        for line in body.splitlines() if kind == "sh" else []:
            expect = _EXPECT.search(line)
            if line.startswith("curl ") and expect is not None:
                quoted = re.findall(r'"([^"]*)"', expect.group("rest"))
                lines.append((line[: expect.start()].strip(), int(expect.group("status")), quoted))
    return config, lines


async def _curl(command: str, url: str) -> str:
    args = shlex.split(command.replace(_LOCAL, url))
    process = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    return out.decode("utf-8", "replace")


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (.ci/run installs it)")
@pytest.mark.parametrize("page", PAGES)
async def test_the_walkthrough_runs_as_written(page: str) -> None:
    config, lines = _page(page)
    assert lines, f"{page} has no curl lines"
    async with GatewayServer(config=config) as gw:
        for command, status, quoted in lines:
            out = await _curl(command, gw.url)
            assert out.split(" ", 2)[1] == str(status), f"{command}\n{out}"
            for text in quoted:
                assert text in out, f"{command}: `{text}` not in\n{out}"
