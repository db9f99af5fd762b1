"""Correlation ids: AWS's shapes, unique, and no system call per id."""

from __future__ import annotations

import os
import re
import uuid

import pytest

from gatewaysim import ids
from gatewaysim.ids import RequestIds


def test_request_id_is_a_version_4_uuid() -> None:
    for _ in range(1000):
        value = ids.request_id()
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_apigw_id_has_the_aws_shape() -> None:
    for _ in range(1000):
        assert re.fullmatch(r"[A-Za-z0-9_-]{15}=", ids.apigw_id())


def test_trace_root_carries_the_epoch_second() -> None:
    value = ids.trace_root(1_700_000_000.7)
    assert re.fullmatch(r"Root=1-6553f100-[0-9a-f]{24}", value)


def test_ids_do_not_repeat() -> None:
    assert len({ids.request_id() for _ in range(10_000)}) == 10_000
    assert len({ids.apigw_id() for _ in range(10_000)}) == 10_000
    assert len({ids.trace_root(0) for _ in range(10_000)}) == 10_000


def test_no_urandom_per_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hot path makes three ids a request; none of them may cost a getrandom system call."""

    def refuse(n: int) -> bytes:
        raise AssertionError("os.urandom called")

    monkeypatch.setattr(os, "urandom", refuse)
    RequestIds.new()
    ids.trace_root(0)
