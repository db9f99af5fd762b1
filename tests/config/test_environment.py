"""``${NAME}`` / ``${NAME:-default}`` in a config file: as docker compose reads them; policies untouched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gatewaysim.config.environment import expand_environment
from gatewaysim.config.load import load_settings
from gatewaysim.errors import ConfigError, Problem

ENV = {"BACKEND_HOST": "127.0.0.1", "EMPTY": "", "PORT_9": "9009"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://${BACKEND_HOST}:9000", "http://127.0.0.1:9000"),
        ("http://${BACKEND_HOST:-backend}:9000", "http://127.0.0.1:9000"),
        ("http://${AUTH_HOST:-authorizer}:9001", "http://authorizer:9001"),  # unset: the default
        ("${EMPTY:-fallback}", "fallback"),  # set but empty: the default, as compose does
        ("${EMPTY}", ""),
        ("http://x:${PORT_9}/${BACKEND_HOST}", "http://x:9009/127.0.0.1"),
        ("$${BACKEND_HOST}", "${BACKEND_HOST}"),  # escaped: literal
        ("${aws:username}", "${aws:username}"),  # IAM policy variables are not ours
        ("${lower_case}", "${lower_case}"),
        ("${stageVariables.url}", "${stageVariables.url}"),
        ("no variables", "no variables"),
    ],
)
def test_expand(text: str, expected: str) -> None:
    problems: list[Problem] = []
    assert expand_environment(text, ENV, problems) == expected
    assert problems == []


def test_unset_without_default_is_located() -> None:
    problems: list[Problem] = []
    raw = {"api": {"authorizers": {"tokens": {"url": "http://${AUTH_HOST}:9001"}}}}
    expand_environment(raw, {}, problems)
    assert [p.render() for p in problems] == [
        "api.authorizers.tokens.url: environment variable `AUTH_HOST` is not set (give `${AUTH_HOST:-default}`)"
    ]


def test_inline_policies_are_left_as_written() -> None:
    policy = {"Statement": [{"Resource": "arn:aws:s3:::${BUCKET}/${aws:username}"}]}
    raw: dict[str, Any] = {"api": {"policy": policy, "backend": "http://${BACKEND_HOST}"}}
    out = expand_environment(raw, ENV, [])
    assert out["api"] == {"policy": policy, "backend": "http://127.0.0.1"}


def test_a_config_file_reads_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "g.yaml"
    config.write_text("api: {backend: 'http://${GS_TEST_HOST:-backend}:${GS_TEST_PORT:-9000}'}\n")
    assert load_settings(config).apis[0].backend == "http://backend:9000"
    monkeypatch.setenv("GS_TEST_HOST", "127.0.0.1")
    monkeypatch.setenv("GS_TEST_PORT", "9100")
    assert load_settings(config).apis[0].backend == "http://127.0.0.1:9100"
    config.write_text("api: {backend: 'http://${GS_TEST_UNSET}:9000'}\n")
    with pytest.raises(ConfigError, match=r"config `.*g.yaml`: api.backend: environment variable `GS_TEST_UNSET`"):
        load_settings(config)
