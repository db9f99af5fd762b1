"""The rings keep each request compactly and give back exactly what the stages returned, through real HTTP.

The decision ring packs a request's own values into one blob (``gateway.decision_pack``); the
request feed keeps each access record as its JSON line. Packing is for speed only: every field
unpacked must equal the one packed, and what cannot be packed (a lone surrogate) is kept as is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gatewaysim.authorizers.loading import resolve
from gatewaysim.gateway import decision_events
from gatewaysim.gateway.decision_events import DecisionValues, entry_values, render_event
from gatewaysim.gateway.decision_pack import PackedValues, pack
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

S = resolve(f"{Path(__file__).resolve().parents[1] / 'auth_support.py'}:MODULE")

POLICY = S.policy(S.statement("Allow"), S.statement("Deny", "execute-api:/*/*/admin"))


@pytest.fixture
def packed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[DecisionValues, DecisionValues | PackedValues]]:
    """Every (values, packed form) the gateway's decision entries were made from."""
    seen: list[tuple[DecisionValues, DecisionValues | PackedValues]] = []

    def recording_pack(values: DecisionValues) -> DecisionValues | PackedValues:
        result = pack(values)
        seen.append((values, result))
        return result

    monkeypatch.setattr(decision_events, "pack", recording_pack)
    return seen


async def test_every_value_comes_back_exactly(
    backend: RecordingBackend, packed: list[tuple[DecisionValues, DecisionValues | PackedValues]]
) -> None:
    config: dict[str, Any] = {"api": {"backend": backend.url, "policy": POLICY}, "log": {"decisions_ring": 10}}
    async with GatewayServer(config=config) as gw:
        allowed = await request_from(gw.url + "/prod/pets?kind=cat", headers={"X-Custom": "one"})
        denied = await request_from(gw.url + "/prod/admin")
        assert (allowed.status, denied.status) == (200, 403)
        entries = list(gw.gateway.decisions._ring)
    assert len(packed) == 2 and len(entries) == 2
    for (values, result), entry in zip(packed, entries, strict=True):
        assert isinstance(result, PackedValues) and entry.values is result
        assert entry_values(entry) == values  # every field, the context's condition values included
    forwarded = entry_values(entries[0]).integration
    assert forwarded is not None and forwarded.headers is not None
    sent = [(name, value) for name, value in forwarded.headers.items() if name.lower() == "x-custom"]
    assert sent == [("X-Custom", "one")]  # as the backend got it
    assert entry_values(entries[1]).integration is None  # the denied request never reached one


async def test_a_value_orjson_cannot_encode_is_kept_as_it_is(
    backend: RecordingBackend, packed: list[tuple[DecisionValues, DecisionValues | PackedValues]]
) -> None:
    async with GatewayServer(config={"api": {"backend": backend.url, "policy": POLICY}}) as gw:
        assert (await request_from(gw.url + "/prod/pets")).status == 200
    values, _ = packed[0]
    odd = values._replace(ctx=values.ctx._replace(principal="caller-\udcff"))  # undecodable header bytes
    assert pack(odd) is odd
    event = render_event(decision_events.DecisionEntry("id", "api", None, None, odd))
    assert event["caller"] == "caller-\udcff"


async def test_the_feed_gives_back_each_record_the_access_log_wrote(backend: RecordingBackend) -> None:
    async with GatewayServer(config={"api": {"backend": backend.url, "policy": POLICY}}) as gw:
        for path in ("/prod/pets", "/prod/admin", "/prod/pets/caf%C3%A9"):
            await request_from(gw.url + path)
        records = gw.records
        recent = gw.gateway.feed.recent(10)
        assert recent == records[::-1]  # newest first, equal field for field
        assert gw.gateway.feed.find(records[1]["requestId"]) == records[1]
        assert gw.gateway.feed.find("not-a-request-id") is None
        assert gw.gateway.feed.recent(2) == records[:0:-1]
