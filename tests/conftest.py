"""Shared fixtures for the gateway tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gatewaysim.testing import RecordingBackend


@pytest.fixture
async def backend() -> AsyncIterator[RecordingBackend]:
    """A recording backend on 127.0.0.1, port 0."""
    async with RecordingBackend() as server:
        yield server
