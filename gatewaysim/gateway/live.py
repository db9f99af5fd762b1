"""Live policies: a policy put through the admin API or the control plane reaches every process.

``LiveSlots.attach(runtime, slot, attached)`` is how the admin API and the control plane replace an
API's resource policy (slot ``attached``) or shadow policy (``shadow``). In one process that is one
attribute assignment (the request path reads the slot once per request).

With a shared store (``SharedLiveSlots``) the change also goes to every other process of the
gateway (``serve --workers N``) and of every gateway sharing the store's namespace: the record is
stored under ``{namespace}:live:{api}:{slot}`` and published; every process attaches it and
acknowledges, and ``attach`` returns once every process that received it did (at most
``ACK_TIMEOUT_S``), so the next request sees the new policy whichever process serves it.

A process that starts later (a worker started again, a gateway joining) takes a stored record
when it was made on top of the same policy its own config gives (``base``: a fingerprint of that
policy); once the config's policy changed, the config wins, as hot reload's rule is (a file's
change replaces a policy put through the admin API). Hot reload itself needs no sharing: every
process watches the files.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from gatewaysim.errors import PolicyError, StoreError
from gatewaysim.gateway.attached import AttachedPolicy, attach_policy

if TYPE_CHECKING:
    from gatewaysim.gateway.runtime import ApiRuntime
    from gatewaysim.store.redis import RedisStore

__all__ = ["ACK_TIMEOUT_S", "SLOTS", "LiveSlots", "SharedLiveSlots", "fingerprint"]

logger = logging.getLogger("gatewaysim.gateway.live")

SLOTS: Final = ("attached", "shadow")
ACK_TIMEOUT_S: Final = 2.0
_CONFIG_FIELDS: Final = {
    "attached": ("policy_source", "policy_document"),
    "shadow": ("shadow_policy_source", "shadow_policy_document"),
}


def fingerprint(runtime: ApiRuntime, slot: str) -> str:
    """What identifies the policy the API's config gives for ``slot`` (its source and document)."""
    source, document = (getattr(runtime.settings, name) for name in _CONFIG_FIELDS[slot])
    text = json.dumps([source, document], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class LiveSlots:
    """Replaces an API's live policy in this process (one assignment)."""

    async def start(self, apis: Mapping[str, ApiRuntime]) -> None:
        """Nothing to take from elsewhere in one process."""

    async def attach(self, runtime: ApiRuntime, slot: str, attached: AttachedPolicy | None) -> None:
        """Make ``attached`` the API's policy in ``slot`` for the next request (None: no policy)."""
        setattr(runtime, slot, attached)


class SharedLiveSlots(LiveSlots):
    """``LiveSlots`` for every process sharing ``store`` (module docstring)."""

    def __init__(self, store: RedisStore, apis: Mapping[str, ApiRuntime]) -> None:
        self.store = store
        self.apis = apis
        self.channel = store.key("live")
        store.on(self.channel, self._on_change)

    async def start(self, apis: Mapping[str, ApiRuntime]) -> None:
        """Take the stored records made on top of this config's policies (module docstring)."""
        for api_id, runtime in apis.items():
            for slot in SLOTS:
                raw = await self.store.client.get(self.store.key("live", api_id, slot))
                if raw is None:
                    continue
                record = json.loads(raw)
                if record.get("base") == fingerprint(runtime, slot):
                    self._apply(record)

    async def attach(self, runtime: ApiRuntime, slot: str, attached: AttachedPolicy | None) -> None:
        """Attach here, store and publish the change, wait until every process has it."""
        setattr(runtime, slot, attached)
        api_id = runtime.settings.api_id
        ack = self.store.key("ack", uuid.uuid4().hex)
        record = {
            "api": api_id,
            "slot": slot,
            "document": attached.document if attached is not None else None,
            "source": attached.source if attached is not None else None,
            "base": fingerprint(runtime, slot),
            "ack": ack,
        }
        payload = json.dumps(record, separators=(",", ":"), default=str).encode()
        try:
            await self.store.client.set(self.store.key("live", api_id, slot), payload)
        except Exception as exc:
            raise StoreError(f"cannot reach the store `{self.store.display_url}`: {exc}") from None
        receivers = await self.store.publish(self.channel, payload)
        await self._acknowledged(ack, receivers)

    async def _acknowledged(self, key: str, receivers: int) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ACK_TIMEOUT_S
        for count in range(receivers):
            left = deadline - loop.time()
            popped = await self.store.client.blpop([key], timeout=max(left, 0.01)) if left > 0 else None
            if popped is None:
                logger.warning("%d of %d processes confirmed the policy change in time", count, receivers)
                return

    async def _on_change(self, data: bytes) -> None:
        record = json.loads(data)
        if record.get("api") in self.apis:
            self._apply(record)
        async with self.store.client.pipeline(transaction=False) as pipe:
            pipe.rpush(record["ack"], b"1")
            pipe.expire(record["ack"], 30)
            await pipe.execute()

    def _apply(self, record: Mapping[str, Any]) -> None:
        runtime = self.apis.get(str(record.get("api")))
        slot = record.get("slot")
        if runtime is None or slot not in SLOTS:
            return
        document = record.get("document")
        try:
            attached = (
                attach_policy(document, api_arn=runtime.settings.arn, source=str(record.get("source")))
                if isinstance(document, Mapping)
                else None
            )
        except PolicyError as exc:  # the sender checked it; a record from elsewhere may not be
            logger.error(
                "api `%s`: a shared policy change is not valid, kept the last one: %s", runtime.settings.api_id, exc
            )
            return
        setattr(runtime, str(slot), attached)
