"""`gatewaysim init`: a starter config, policy and scenario file that work together at once."""

from __future__ import annotations

import fnmatch
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from gatewaysim.cli import main
from gatewaysim.cli.init import examples
from gatewaysim.config.load import load_settings
from gatewaysim.testing import LiveGateway

REPO = Path(__file__).resolve().parents[2]


def test_init_writes_three_files_that_work_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    out = capsys.readouterr().out
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["corporate-network.json", "corporate-network.scenarios.yaml", "gateway.yaml"]
    assert "gatewaysim serve --config gateway.yaml" in out
    assert main(["test", "corporate-network.scenarios.yaml"]) == 0  # the scenarios pass against the policy
    assert main(["check", "--config", "gateway.yaml"]) == 0  # the config loads; the policy has no errors
    settings = load_settings(tmp_path / "gateway.yaml")
    assert settings.apis[0].policy_source == str(tmp_path / "corporate-network.json")


async def test_the_starter_config_serves_the_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--example", "partner-account"]) == 0
    async with LiveGateway(config=tmp_path / "gateway.yaml", port=0) as gw:
        partner = "arn:aws:iam::999888777666:user/p"
        assert (await gw.request("/prod/orders", principal=partner)).status == 200
        assert (await gw.request("/prod/orders")).status == 403


def test_init_never_overwrites_without_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gateway.yaml").write_text("mine\n")
    assert main(["init"]) == 2
    err = capsys.readouterr().err
    assert err == "gatewaysim: `gateway.yaml` already there: nothing written (give --force to overwrite)\n"
    assert (tmp_path / "gateway.yaml").read_text() == "mine\n"
    assert not (tmp_path / "corporate-network.json").exists()
    assert main(["init", "--force"]) == 0
    assert (tmp_path / "gateway.yaml").read_text().startswith("# A starter gateway config")


def test_unknown_example_suggests_and_list_names_them(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["init", "--dir", str(tmp_path), "--example", "corporate"]) == 2
    assert "no example `corporate` (did you mean `corporate-network`?)" in capsys.readouterr().err
    assert main(["init", "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert any(line.startswith("corporate-network ") for line in listed)
    assert len(listed) == len(examples()) >= 16


def test_the_examples_ship_in_the_package() -> None:
    """Read through importlib.resources (as an installed wheel is), and named by the package-data globs."""
    shipped = resources.files("gatewaysim") / "data" / "examples"
    for source in sorted((REPO / "config" / "examples").iterdir()):
        if source.is_file():
            assert shipped.joinpath(source.name).read_bytes() == source.read_bytes(), source.name
    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["gatewaysim"]
    needed = [f"data/examples/{name}.json" for name in examples()]
    needed += [f"data/examples/{name}.scenarios.yaml" for name in examples()] + ["data/starter/gateway.yaml"]
    for path in needed:
        assert any(fnmatch.fnmatch(path, glob) for glob in globs), path


def test_shipped_configs_that_trust_a_proxy_guard_their_admin_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 17: `config/gateway.yaml` trusted 127.0.0.1 and set no token; through a local proxy
    anyone could replace the policy. Every shipped config that trusts a proxy turns the admin API
    off or sets a token (`init` writes a random one, different each time)."""
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    first = load_settings(tmp_path / "gateway.yaml").admin.token
    assert main(["init", "--force"]) == 0
    capsys.readouterr()
    shipped = [load_settings(tmp_path / "gateway.yaml")] + [
        load_settings(p) for p in sorted(REPO.glob("config/*.yaml"))
    ]
    trusting = [s for s in shipped if s.identity.trusted_proxies]
    assert len(trusting) >= 2  # the starter and config/gateway.yaml
    assert all(not s.admin.enabled or s.admin.token for s in trusting)
    assert first and len(first) >= 24 and first != shipped[0].admin.token
