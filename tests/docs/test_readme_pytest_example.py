"""The README's pytest example, as printed, passes in a fresh project (pytest-asyncio's default strict mode)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def example() -> str:
    """The python block of the README's "Testing with pytest" section."""
    section = README.read_text(encoding="utf-8").split("## Testing with pytest", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the section has one python example"
    return blocks[0]


def test_the_readme_example_passes_as_printed(tmp_path: Path) -> None:
    (tmp_path / "test_readme_example.py").write_text(example(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_readme_example.py"],
        cwd=tmp_path,  # no ini file: pytest-asyncio runs in its default (strict) mode
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b2 passed\b", result.stdout), result.stdout


def test_every_public_attribute_of_the_fixture_object_is_documented() -> None:
    """The README's table names what a fixture call returns: every public property and method of LiveGateway."""
    from gatewaysim.testing import LiveGateway

    section = README.read_text(encoding="utf-8").split("## Testing with pytest", 1)[1].split("\n## ", 1)[0]
    public = {name for name in vars(LiveGateway) if not name.startswith("_") and name not in ("start", "close")}
    missing = sorted(name for name in public if f"`{name}" not in section)
    assert public >= {"url", "records", "request"} and missing == [], missing
