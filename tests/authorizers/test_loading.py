"""Resolving handler specs: ``module:callable``, ``file.py:callable`` and entry points."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gatewaysim.authorizers.loading import ENTRY_POINT_GROUP, load_callable, resolve
from gatewaysim.errors import ConfigError

HANDLER_SOURCE = textwrap.dedent(
    """
    def handler(event, context):
        return {"who": "file", "event": event}

    class Auth:
        @staticmethod
        def check(event, context):
            return "static"

    NOT_CALLABLE = 42
    """
)


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text)
    return path


def test_module_colon_callable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, "gs_test_authmod.py", HANDLER_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    handler = load_callable("gs_test_authmod:handler")
    assert handler({"a": 1}, None) == {"who": "file", "event": {"a": 1}}
    assert load_callable("gs_test_authmod:Auth.check")({}, None) == "static"


def test_stdlib_module_callable() -> None:
    assert load_callable("json:dumps")({"a": 1}) == '{"a": 1}'


def test_relative_file_path_uses_base_dir(tmp_path: Path) -> None:
    _write(tmp_path / "auth", "token_auth.py", HANDLER_SOURCE)
    handler = load_callable("auth/token_auth.py:handler", base_dir=tmp_path)
    assert handler({}, None)["who"] == "file"
    again = load_callable("auth/token_auth.py:handler", base_dir=tmp_path)
    assert again is handler  # a file is loaded once per path


def test_absolute_file_path(tmp_path: Path) -> None:
    path = _write(tmp_path, "abs_auth.py", HANDLER_SOURCE)
    assert load_callable(f"{path}:handler")({}, None)["who"] == "file"


def test_bare_file_name_ending_in_py(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, "plain.py", HANDLER_SOURCE)
    monkeypatch.chdir(tmp_path)
    assert load_callable("plain.py:handler")({}, None)["who"] == "file"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("missing/file.py:handler", "cannot load `missing/file.py:handler`: FileNotFoundError"),
        ("auth.py:nope", "has no attribute `nope`"),
        ("auth.py:NOT_CALLABLE", "`auth.py:NOT_CALLABLE` is not callable"),
        ("gs_no_such_module_xyz:handler", "ModuleNotFoundError"),
        ("broken.py:handler", "ZeroDivisionError"),
        (":handler", "expected `module:attr`"),
        ("gs_no_such_entry_point", f"no entry point `gs_no_such_entry_point` in group `{ENTRY_POINT_GROUP}`"),
    ],
)
def test_failures_are_located_config_errors(tmp_path: Path, spec: str, message: str) -> None:
    _write(tmp_path, "auth.py", HANDLER_SOURCE)
    _write(tmp_path, "broken.py", "1 / 0\n")
    with pytest.raises(ConfigError) as caught:
        load_callable(spec, base_dir=tmp_path, where="authorizers.tok.handler", source="gw.yaml")
    (problem,) = caught.value.problems
    assert problem.path == "authorizers.tok.handler"
    assert message in problem.message
    assert str(caught.value).startswith("config `gw.yaml`: authorizers.tok.handler: ")


def test_a_broken_file_is_not_left_half_imported(tmp_path: Path) -> None:
    path = _write(tmp_path, "flaky.py", "1 / 0\n")
    with pytest.raises(ConfigError):
        load_callable("flaky.py:handler", base_dir=tmp_path)
    path.write_text(HANDLER_SOURCE)
    assert load_callable("flaky.py:handler", base_dir=tmp_path)({}, None)["who"] == "file"


def test_entry_point_from_an_installed_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    _write(site, "gs_fake_plugin.py", HANDLER_SOURCE)
    dist_info = site / "gs_fake_plugin-1.0.dist-info"
    _write(dist_info, "METADATA", "Metadata-Version: 2.1\nName: gs-fake-plugin\nVersion: 1.0\n")
    _write(
        dist_info,
        "entry_points.txt",
        f"[{ENTRY_POINT_GROUP}]\nfake-token = gs_fake_plugin:handler\nfake-class = gs_fake_plugin:Auth\n",
    )
    monkeypatch.syspath_prepend(str(site))
    handler = load_callable("fake-token")
    assert handler({"x": 1}, None) == {"who": "file", "event": {"x": 1}}
    assert resolve("fake-class").check({}, None) == "static"
