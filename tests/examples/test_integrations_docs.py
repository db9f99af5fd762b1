"""docs/integrations.md's SAM walkthrough runs as written: its template and handler are written to a
directory, `gatewaysim serve --template` serves them, and each curl line's status and quoted texts hold."""

from __future__ import annotations

import asyncio
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"
_BLOCK = re.compile(r"```(yaml|python|sh)\n(.*?)```", re.S)
_EXPECT = re.compile(r"#\s*->\s*(?P<status>\d{3})\b(?P<rest>.*)$")
_LOCAL = "http://127.0.0.1:8080"


def _walkthrough() -> tuple[dict[str, str], list[str], list[tuple[str, int, list[str]]]]:
    section = PAGE.read_text().split("## From a SAM template to a curl answer", 1)[1].split("\n## ", 1)[0]
    files: dict[str, str] = {}
    serve: list[str] = []
    lines = []
    for kind, body in _BLOCK.findall(section):
        first, _, rest = body.partition("\n")
        if kind in ("yaml", "python") and first.startswith("# "):
            files[first[2:].strip()] = rest
        for line in body.splitlines() if kind == "sh" else []:
            if line.startswith("gatewaysim serve"):
                serve = shlex.split(line.split("#", 1)[0])[1:]
            expect = _EXPECT.search(line)
            if line.startswith("curl ") and expect is not None:
                quoted = re.findall(r'"([^"]*)"', expect.group("rest"))
                lines.append((line[: expect.start()].strip(), int(expect.group("status")), quoted))
    return files, serve, lines


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (.ci/run installs it)")
async def test_the_sam_walkthrough_runs_as_written(tmp_path: Path) -> None:
    files, serve, lines = _walkthrough()
    assert set(files) == {"template.yaml", "hello_world/app.py"} and serve[:2] == ["serve", "--template"] and lines
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "gatewaysim", *serve, "--port", "0"),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        url = ""
        while not url:
            line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
            assert line, "serve exited before listening"
            found = re.search(r"listening on (http://\S+)", line)
            url = found[1] if found else ""
        for command, status, quoted in lines:
            curl = await asyncio.create_subprocess_exec(
                *shlex.split(command.replace(_LOCAL, url)), stdout=asyncio.subprocess.PIPE
            )
            out = (await curl.communicate())[0].decode("utf-8", "replace")
            assert out.split(" ", 2)[1] == str(status), f"{command}\n{out}"
            for text in quoted:
                assert text in out, f"{command}: `{text}` not in\n{out}"
    finally:
        process.terminate()
        _, err = await asyncio.wait_for(process.communicate(), 20)
    assert "gatewaysim: gatewaysim.function.HelloWorldFunction: [" in err.decode()
    assert "] greeting sam" in err.decode()
