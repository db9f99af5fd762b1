"""``gatewaysim serve`` tunes its process's garbage collector; an embedded gateway does not."""

from __future__ import annotations

import asyncio
import gc
import io
from collections.abc import Iterator

import pytest

from gatewaysim.config.load import build_settings
from gatewaysim.gateway.gc_settings import YOUNG_THRESHOLD, tune_for_serving
from gatewaysim.gateway.service import serve
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

OPEN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}


@pytest.fixture
def restored_gc() -> Iterator[tuple[int, int, int]]:
    """The test process's collector settings, put back afterwards."""
    before = gc.get_threshold()
    yield before
    gc.unfreeze()
    gc.set_threshold(*before)


def test_tune_for_serving_freezes_startup_objects_and_raises_the_young_threshold(
    restored_gc: tuple[int, int, int],
) -> None:
    startup_objects = [object() for _ in range(10)], {"compiled": "policy"}
    tune_for_serving()
    assert gc.get_threshold() == (YOUNG_THRESHOLD, restored_gc[1], restored_gc[2])
    assert gc.get_freeze_count() > 0
    assert not any(obj is startup_objects for obj in gc.get_objects())  # frozen: no collection walks it


async def test_serve_tunes_the_collector_once_listening(restored_gc: tuple[int, int, int]) -> None:
    async with RecordingBackend() as backend:
        settings = build_settings({"api": {"backend": backend.url, "policy": OPEN}, "port": 0})
        out, stop = io.StringIO(), asyncio.Event()
        serving = asyncio.ensure_future(serve(settings, out, stop))
        while "listening" not in out.getvalue() and not serving.done():
            await asyncio.sleep(0.01)
        tuned = gc.get_threshold()
        stop.set()
        await serving
    assert tuned[0] == YOUNG_THRESHOLD


async def test_an_embedded_gateway_leaves_the_process_collector_alone(restored_gc: tuple[int, int, int]) -> None:
    async with RecordingBackend() as backend, GatewayServer(policy=OPEN, backend=backend.url) as gw:
        assert (await request_from(gw.url + "/prod/x")).status == 200
    assert gc.get_threshold() == restored_gc
