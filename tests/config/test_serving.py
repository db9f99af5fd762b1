"""Config keys for how `serve` runs: `loop`, `workers`, `store` (values, flags, located errors)."""

from __future__ import annotations

from typing import Any

import pytest

from gatewaysim.config.load import build_settings
from gatewaysim.config.serving import StoreSettings
from gatewaysim.errors import ConfigError


def test_the_defaults_run_one_process_in_process() -> None:
    settings = build_settings({})
    assert (settings.loop, settings.workers, settings.store) == (None, 1, None)


@pytest.mark.parametrize(
    ("raw", "store"),
    [
        ("redis://127.0.0.1:6379/0", StoreSettings("redis://127.0.0.1:6379/0")),
        ({"url": "unix:///run/redis.sock", "namespace": "team-a"}, StoreSettings("unix:///run/redis.sock", "team-a")),
        ({"url": "rediss://cache:6380/1"}, StoreSettings("rediss://cache:6380/1")),
    ],
)
def test_store_forms(raw: Any, store: StoreSettings) -> None:
    assert build_settings({"store": raw, "workers": 4}).store == store


def test_flags_win_and_the_password_never_shows() -> None:
    settings = build_settings({"workers": 2}, overrides={"workers": 3, "store": "redis://:s3cret@cache:6379/0"})
    assert settings.workers == 3
    assert "s3cret" not in repr(settings.store) and settings.store is not None
    assert settings.store.display_url == "redis://:***@cache:6379/0"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"workers": 0}, "workers: must be a number of processes from 1 to 64, got `0`"),
        ({"workers": True}, "workers: must be a number of processes from 1 to 64, got `True`"),
        (
            {"store": "http://cache:6379"},
            "store: must be a Redis url (`redis://`, `rediss://`, `unix://`), got `http://cache:6379`",
        ),
        ({"store": {"namespace": "a"}}, "store.url: is required"),
        ({"store": {"url": "redis://c:1/0", "namespace": "a b"}}, "store.namespace: must be 1-64 letters"),
        ({"store": {"url": "redis://c:1/0", "db": 1}}, "store.db: unknown key `db`"),
        ({"store": 5}, "store: must be a Redis url or a mapping with `url` and `namespace`"),
        ({"loop": "tokio"}, "loop: must be one of `uvloop`, `asyncio`, got `tokio`"),
    ],
)
def test_bad_values_are_located(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        build_settings(raw, source="g.yaml")
    assert message in str(error.value)
