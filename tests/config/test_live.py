"""Config of the live features: `admin`, `reload`, `log.decisions_*`, and the flags that set them."""

from __future__ import annotations

from typing import Any

import pytest

from gatewaysim.config.live import AdminSettings, ReloadSettings
from gatewaysim.config.load import build_settings
from gatewaysim.errors import ConfigError


def test_defaults() -> None:
    settings = build_settings({})
    assert settings.admin == AdminSettings(enabled=True, token=None, allow_remote=False)
    assert settings.reload == ReloadSettings(enabled=True, interval_s=0.5)
    assert (settings.log.decisions_file, settings.log.decisions_ring) == (None, 1000)


def test_values() -> None:
    raw = {
        "admin": {"token": "t", "allow_remote": True},
        "reload": {"enabled": False, "interval_s": 2},
        "log": {"decisions_file": "d.jsonl", "decisions_ring": 10},
    }
    settings = build_settings(raw)
    assert settings.admin == AdminSettings(enabled=True, token="t", allow_remote=True)
    assert settings.reload == ReloadSettings(enabled=False, interval_s=2)
    assert (settings.log.decisions_file, settings.log.decisions_ring) == ("d.jsonl", 10)


def test_the_token_never_shows_in_a_repr() -> None:
    assert "t0ps3cret" not in repr(build_settings({"admin": {"token": "t0ps3cret"}}))


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (
            {"admin": {"allow_remote": True}},
            "admin.allow_remote: needs `token`: a remote admin API without one is open to anyone",
        ),
        ({"admin": {"token": ""}}, "admin.token: must be a string or null, got ``"),
        ({"admin": {"tokn": "x"}}, "admin.tokn: unknown key `tokn` (did you mean `token`?)"),
        ({"reload": {"interval_s": 0}}, "reload.interval_s: must be a number above 0, got `0`"),
        ({"reload": {"enabled": "no"}}, "reload.enabled: must be true or false, got `no`"),
        ({"log": {"decisions_ring": 0}}, "log.decisions_ring: must be an integer above 0, got `0`"),
    ],
)
def test_problems_are_located(raw: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build_settings(raw, source="g.yaml")
    assert [p.render() for p in caught.value.problems] == [problem]


def test_flags() -> None:
    settings = build_settings({}, overrides={"reload": False, "reload_interval": 0.25, "decisions_file": "x.jsonl"})
    assert settings.reload == ReloadSettings(enabled=False, interval_s=0.25)
    assert settings.log.decisions_file == "x.jsonl"


def test_a_bad_flag_is_reported_under_its_name() -> None:
    with pytest.raises(ConfigError) as caught:
        build_settings({}, overrides={"reload_interval": -1})
    assert [p.render() for p in caught.value.problems] == ["--reload-interval: must be a number above 0, got `-1`"]
