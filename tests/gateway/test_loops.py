"""`gatewaysim serve` runs on uvloop unless told `--loop asyncio` (or `loop: asyncio`); the banner says which."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from gatewaysim.cli import main
from gatewaysim.errors import ConfigError
from gatewaysim.gateway.loops import event_loop


def _serve(*flags: str) -> Iterator[tuple[str, list[str]]]:
    """A real `gatewaysim serve` process: its URL and the banner lines, stopped afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatewaysim", "serve", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    try:
        lines = [proc.stdout.readline()]
        while "health:" not in lines[-1]:
            lines.append(proc.stdout.readline())
            assert lines[-1], "the gateway stopped before its banner ended"
        yield lines[0].split("listening on ", 1)[1].strip(), [line.strip() for line in lines]
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        proc.stdout.close()


def _allowed(url: str) -> int:
    request = urllib.request.Request(f"{url}/prod/pets", headers={"X-Forwarded-For": "203.0.113.10"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not build for Windows")
def test_serve_runs_on_uvloop_by_default() -> None:
    for url, lines in _serve():
        assert any(line.startswith("event loop: uvloop ") for line in lines), lines
        assert _allowed(url) == 200


def test_loop_asyncio_opts_out(tmp_path: Path) -> None:
    for url, lines in _serve("--loop", "asyncio"):
        assert "event loop: asyncio" in lines
        assert _allowed(url) == 200
    config = tmp_path / "gateway.yaml"
    config.write_text("loop: asyncio\n")
    for _, lines in _serve("--config", str(config)):
        assert "event loop: asyncio" in lines


def test_without_uvloop_the_default_is_asyncio_and_asking_for_it_is_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Where uvloop cannot be installed (Windows, PyPy), `import uvloop` fails: the default falls back."""
    monkeypatch.setitem(sys.modules, "uvloop", None)  # `import uvloop` raises ImportError, as where it is absent
    assert event_loop(None) == (None, "asyncio (uvloop is not installed)")
    assert event_loop("asyncio") == (None, "asyncio")
    with pytest.raises(ConfigError) as error:
        event_loop("uvloop", "g.yaml")
    assert str(error.value).startswith("config `g.yaml`: loop: `uvloop` is not installed here")
    assert main(["serve", "--loop", "uvloop", "--port", "0"]) == 2
    assert "gatewaysim: config: loop: `uvloop` is not installed here" in capsys.readouterr().err


def test_a_bad_loop_in_the_config_is_a_located_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text("loop: tokio\n")
    assert main(["serve", "--config", str(config)]) == 2
    assert f"config `{config}`: loop: must be one of `uvloop`, `asyncio`, got `tokio`" in capsys.readouterr().err


def test_the_readme_install_brings_uvloop_on_linux() -> None:
    """A dependency with a platform marker, not an extra nobody installs."""
    requirements = importlib.metadata.requires("gatewaysim") or []
    uvloop = [r for r in requirements if r.startswith("uvloop")]
    assert len(uvloop) == 1 and "extra ==" not in uvloop[0] and "sys_platform" in uvloop[0]
    assert not any('extra == "speed"' in r for r in requirements)
    if sys.platform == "linux":
        importlib.metadata.version("uvloop")  # installed by `pip install -e .`
