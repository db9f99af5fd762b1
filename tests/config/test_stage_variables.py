"""Stage variables in the config: per stage, AWS's name and value rules (spec 20.2), every problem located."""

from __future__ import annotations

from typing import Any

import pytest

from gatewaysim.config.load import build_settings
from gatewaysim.config.stage_variables import variable_problems
from gatewaysim.errors import ConfigError


def _api(**api: Any) -> dict[str, Any]:
    return {"api": {"backend": "http://127.0.0.1:9", **api}}


def _problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        build_settings(raw)
    return [p.render() for p in exc.value.problems]


def test_variables_per_stage() -> None:
    raw = _api(stages=["prod", "beta"], stage_variables={"prod": {"backendHost": "api.example.com", "n": 3}})
    (api,) = build_settings(raw).apis
    assert api.variables("prod") == {"backendHost": "api.example.com", "n": "3"}
    assert api.variables("beta") == {}
    assert api.stage_variables == {"prod": {"backendHost": "api.example.com", "n": "3"}}


@pytest.mark.parametrize(
    ("name", "value", "part"),
    [
        ("owner:application-name", "x", "name"),  # the name AWS refused in serverless#6133
        ("has-dash", "x", "name"),
        ("", "x", "name"),
        ("a" * 65, "x", "name"),
        ("ok", "", "value"),
        ("ok", "has space", "value"),
        ("ok", "semi;colon", "value"),
        ("ok", "x" * 513, "value"),
        ("ok", {"nested": 1}, "value"),
    ],
)
def test_names_and_values_aws_refuses(name: str, value: Any, part: str) -> None:
    assert [p for p, _ in variable_problems(name, value)] == [part]


@pytest.mark.parametrize(
    ("name", "value"),
    [("word_chars_9", "x"), ("a" * 64, "y" * 512), ("url", "https://h.example.com:8443/p?q=1&r=2#f"), ("t", "-._~,=")],
)
def test_names_and_values_aws_accepts(name: str, value: str) -> None:
    assert variable_problems(name, value) == []


def test_every_problem_is_located() -> None:
    raw = _api(stages=["prod"], stage_variables={"prod": {"bad-name": "x", "ok": "bad value"}, "dev": {"a": "b"}})
    assert _problems(raw) == [
        "api.stage_variables.prod.bad-name: invalid stage variable name `bad-name`: use only word characters "
        "(letters, digits, `_`)",
        "api.stage_variables.prod.ok: invalid stage variable value `bad value`: use only letters, digits and "
        "`-._~:/?#&=,` (and at least one)",
    ]
    assert _problems(_api(stages=["prod"], stage_variables={"dev": {"a": "b"}})) == [
        "api.stage_variables.dev: `dev` is not a stage of this api (stages: `prod`)"
    ]


def test_at_most_one_hundred_variables() -> None:
    many = {f"v{i}": "x" for i in range(101)}
    assert _problems(_api(stage_variables={"prod": many})) == [
        "api.stage_variables.prod: a stage holds at most 100 variables, got 101"
    ]


def test_url_style() -> None:
    assert build_settings(_api()).apis[0].url_style == "stage"
    assert build_settings(_api(url_style="bare")).apis[0].url_style == "bare"
    assert _problems(_api(url_style="flat")) == ["api.url_style: must be one of `stage`, `bare`, got `flat`"]
    assert _problems(_api(url_style="bare", stages=["prod", "beta"])) == [
        "api.url_style: `bare` serves one stage; choose one in `stages` (now `prod`, `beta`)"
    ]
