"""docs/dashboard.md's curl walkthrough, run as written against `gatewaysim serve` (its port mapped)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "dashboard.md"


def _walkthrough() -> list[str]:
    block = DOC.read_text().split("## Walkthrough (curl)", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.startswith("curl ")]


def test_the_walkthrough_answers_as_written(tmp_path: Path) -> None:
    curl = shutil.which("curl")
    assert curl is not None, "the walkthrough needs curl (.ci/run installs it)"
    server = subprocess.Popen(
        [sys.executable, "-m", "gatewaysim", "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        assert server.stdout is not None
        match = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", server.stdout.readline())
        assert match is not None
        port = match.group(1).decode()
        lines = _walkthrough()
        assert len(lines) == 5
        statuses = []
        for line in lines[:3]:  # `# 403: ...`, `# 200: ...`, `# 403: ...`
            args = shlex.split(line.split("#", 1)[0].replace(":8080", f":{port}"))
            out = subprocess.run([curl, "-o", "/dev/null", "-w", "%{http_code}", *args[1:]], capture_output=True)
            statuses.append(int(out.stdout))
        assert statuses == [int(re.search(r"# (\d{3})", line)[1]) for line in lines[:3]]  # type: ignore[index]
        listed = subprocess.run(
            shlex.split(lines[3].split("#", 1)[0].replace(":8080", f":{port}")), capture_output=True
        )
        records = json.loads(listed.stdout)["requests"]
        assert [r["refusedBy"] for r in records] == ["route", None, "policy"]
        stream_args = shlex.split(lines[4].split("#", 1)[0].replace(":8080", f":{port}"))
        followed = subprocess.run([*stream_args, "--max-time", "1"], capture_output=True)
        assert followed.stdout.startswith(b": following")
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=20)
