"""The README's "managing policies" walkthrough, line by line, with the real `aws` CLI against `gatewaysim serve`.

The CLI (the `awscli` package) runs as a subprocess with dummy credentials; the gateway is the real
``gatewaysim serve`` on a free port (the README's ``127.0.0.1:8080`` is replaced by it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gatewaysim.config.load import default_policy_text

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
README_URL = "http://127.0.0.1:8080"
MARK = "@@@"


def _walkthrough() -> list[str]:
    """The command lines of the README's AWS CLI walkthrough block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("The AWS CLI walkthrough")
    block = text[text.index("```sh\n", start) + 6 : text.index("```", text.index("```sh\n", start) + 6)]
    return [line for line in block.splitlines() if line.strip()]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    env = {**os.environ, "HOME": str(tmp_path)}
    process = subprocess.Popen(
        [str(BIN / "gatewaysim"), "serve", "--port", "0", "--no-reload"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
        env=env,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
        assert found is not None, first
        yield found.group(1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _run(lines: list[str], url: str, cwd: Path) -> list[tuple[int, str]]:
    """Each line in one bash script; (exit status, stdout and stderr) per line."""
    script = "".join(f"echo '{MARK}'\n{line.replace(README_URL, url)} 2>&1\necho \"{MARK} $?\"\n" for line in lines)
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(cwd),
        "AWS_CONFIG_FILE": str(cwd / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(cwd / "no-credentials"),
    }
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
    parts = done.stdout.split(f"{MARK}\n")[1:]
    results = []
    for part in parts:
        output, _, status = part.rpartition(f"{MARK} ")
        results.append((int(status.strip()), output))
    return results


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("curl") is None, reason="needs bash and curl")
def test_the_readme_walkthrough_with_the_real_aws_cli(served: str, tmp_path: Path) -> None:
    seed = json.loads(default_policy_text())
    ranges = seed["Statement"][0]["Condition"]["IpAddress"]["aws:SourceIp"]
    seed["Statement"][0]["Condition"]["IpAddress"]["aws:SourceIp"] = [r for r in ranges if r != "192.0.2.0/24"]
    (tmp_path / "policy.json").write_text(json.dumps(seed, indent=2))
    lines = _walkthrough()
    assert lines[0].startswith("export AWS_ACCESS_KEY_ID=")
    results = _run(lines, served, tmp_path)
    assert len(results) == len(lines)
    status = [code for code, _ in results]
    out = [text.strip() for _, text in results]
    assert status == [0, 0, 0, 0, 0, 0, 0, 255, 0], out
    assert out[1] == "abcdef1234"  # get-rest-apis lists the configured API
    assert "192.0.2.0\\/24" in out[2]  # the policy as AWS returns it: escaped JSON
    assert out[3] == "abcdef1234" and out[4] == "403"  # the replaced policy refuses the next request
    resource_id = out[5]
    assert f"--resource-id {resource_id} " in lines[6]  # the id in the README is the one derived from the path
    assert out[6].startswith("403") and "IpAddress aws:SourceIp: request has `192.0.2.10`" in out[6]
    assert "BadRequestException" in out[7] and "Invalid policy document." in out[7]
    assert out[8] == "abcdef1234"
