"""``SharedLiveSlots``: every live write reaches every process sharing the store, before the answer.

Each write (``gateway.live``: a policy, the API keys and usage-plan keys, an API's stage
variables) is stored as a record (``{namespace}:live:{api}:{slot}``, ``{namespace}:live:keys``,
``{namespace}:live:{api}:variables``; the forms are ``gateway.live_records``'), published, and
applied here; every process applies it and acknowledges, and the write returns once every process
that received it did (at most ``ACK_TIMEOUT_S``), so the next request sees it whichever process
serves it. A store that cannot be reached changes no process (``StoreError``: the admin API and
the control plane answer 503). Reads-modify-writes (create a key, patch a variable)
run under one lock in the store (``writing``), so two writes sent to two workers at once never lose
one another.

**Late joiners** (a worker started again, a gateway joining the store) take a stored record only
when it was made on top of the same config they were started with (``base``: a fingerprint of the
config's policy, of its keys and plans, of the API's stage variables); once the config changed, the
config wins, as hot reload's rule is for policies (a file's change replaces a policy put live).
Hot reload swaps policies in every process (each watches the files); keys, usage plans and stage
variables changed in the file need a restart (the reloader says so): restart the whole gateway,
since a worker restarted alone takes the new file while the others keep what they hold. A record
from a gateway with another config (another base) is acknowledged and left alone. The first
process to start stores its keys, so keys whose values the config leaves to be generated have the
same values in every worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from gatewaysim.errors import PolicyError, StoreError
from gatewaysim.gateway.attached import AttachedPolicy, attach_policy
from gatewaysim.gateway.live import ACK_TIMEOUT_S, SLOTS, LiveSlots, fingerprint
from gatewaysim.gateway.live_records import (
    keys_base,
    keys_record,
    ring_from_record,
    variables_base,
    variables_from_record,
    variables_record,
)

if TYPE_CHECKING:
    from gatewaysim.gateway.door.keys import KeyHolder, KeyRing
    from gatewaysim.gateway.runtime import ApiRuntime
    from gatewaysim.store.redis import RedisStore

__all__ = ["LOCK_WAIT_S", "SharedLiveSlots"]

logger = logging.getLogger("gatewaysim.gateway.live")

LOCK_WAIT_S: Final = 5.0
"""How long a write waits for another process's write to finish (each holds the lock ~ one ack round)."""
_LOCK_TTL_MS: Final = 10_000  # a process that died holding the lock frees it after this
_RELEASE: Final = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
_ADOPT_OR_STORE: Final = """
local stored = redis.call('GET', KEYS[1])
if stored then
  local ok, record = pcall(cjson.decode, stored)
  if ok and type(record) == 'table' and record['base'] == ARGV[1] then return stored end
end
redis.call('SET', KEYS[1], ARGV[2])
return false
"""
"""The stored record when it was made on top of the same config (adopt it), else store ours."""


def _dumps(record: Mapping[str, Any]) -> bytes:
    return json.dumps(record, separators=(",", ":"), default=str).encode()


class SharedLiveSlots(LiveSlots):
    """``LiveSlots`` for every process sharing ``store`` (module docstring)."""

    def __init__(self, store: RedisStore, apis: Mapping[str, ApiRuntime], holder: KeyHolder | None = None) -> None:
        self.store = store
        self.apis = apis
        self.holder = holder
        self.channel = store.key("live")
        self.config_ring = holder.keyring if holder is not None else None  # the keys and plans the config gives
        self.keys_base = keys_base(self.config_ring) if self.config_ring is not None else ""
        self.variables_bases = {api_id: variables_base(rt.settings.stage_variables) for api_id, rt in apis.items()}
        self._appliers: Mapping[str, Callable[[Mapping[str, Any]], None]] = {
            "policy": self._apply_policy,
            "keys": self._apply_keys,
            "variables": self._apply_variables,
        }
        store.on(self.channel, self._on_change)

    async def start(self, apis: Mapping[str, ApiRuntime]) -> None:
        """Take the stored records made on top of this config (module docstring)."""
        for api_id, runtime in apis.items():
            for slot in SLOTS:
                raw = await self.store.client.get(self.store.key("live", api_id, slot))
                record = json.loads(raw) if raw is not None else {}
                if record.get("base") == fingerprint(runtime, slot):
                    self._apply_policy(record)
            if api_id in self.variables_bases:
                variables = variables_record(runtime.settings.stage_variables)
                own = {"kind": "variables", "api": api_id, "variables": variables}
                where = self.store.key("live", api_id, "variables")
                await self._adopt_or_store(where, own, self.variables_bases[api_id])
        if self.holder is not None:
            own_keys = {"kind": "keys", **keys_record(self.holder.keyring)}
            await self._adopt_or_store(self.store.key("live", "keys"), own_keys, self.keys_base)

    async def _adopt_or_store(self, key: str, own: dict[str, Any], base: str) -> None:
        stored = await self.store.client.eval(_ADOPT_OR_STORE, 1, key, base, _dumps({**own, "base": base}))
        if stored:
            self._appliers[str(own["kind"])](json.loads(stored))

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """Hold the store's write lock (``StoreError`` when another write keeps it past ``LOCK_WAIT_S``)."""
        key, token = self.store.key("live", "lock"), uuid.uuid4().hex
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOCK_WAIT_S
        try:
            while not await self.store.client.set(key, token, nx=True, px=_LOCK_TTL_MS):
                if loop.time() > deadline:
                    raise StoreError(f"another live write held the store `{self.store.display_url}` too long")
                await asyncio.sleep(0.01)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"cannot reach the store `{self.store.display_url}`: {exc}") from None
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # else it expires
                await self.store.client.eval(_RELEASE, 1, key, token)

    async def attach(self, runtime: ApiRuntime, slot: str, attached: AttachedPolicy | None) -> None:
        """Store and publish the change, attach here, wait until every process has it."""
        api_id = runtime.settings.api_id
        record = {
            "kind": "policy",
            "api": api_id,
            "slot": slot,
            "document": attached.document if attached is not None else None,
            "source": attached.source if attached is not None else None,
            "base": fingerprint(runtime, slot),
        }
        ack, receivers = await self._publish(self.store.key("live", api_id, slot), record)
        setattr(runtime, slot, attached)
        await self._acknowledged(ack, receivers, "policy")

    async def replace_keys(self, holder: KeyHolder, ring: KeyRing) -> None:
        """Store and publish the ring, replace it here, wait until every process has it."""
        record = {"kind": "keys", **keys_record(ring), "base": self.keys_base}
        ack, receivers = await self._publish(self.store.key("live", "keys"), record)
        holder.keyring = ring
        await self._acknowledged(ack, receivers, "api keys")

    async def replace_variables(self, runtime: ApiRuntime, stage_variables: Mapping[str, Mapping[str, str]]) -> None:
        """Store and publish the API's stage variables, replace them here, wait until every process has them."""
        api_id = runtime.settings.api_id
        record = {
            "kind": "variables",
            "api": api_id,
            "variables": variables_record(stage_variables),
            "base": self.variables_bases.get(api_id, ""),
        }
        ack, receivers = await self._publish(self.store.key("live", api_id, "variables"), record)
        await super().replace_variables(runtime, stage_variables)
        await self._acknowledged(ack, receivers, "stage variables")

    async def _publish(self, key: str, record: dict[str, Any]) -> tuple[str, int]:
        """Store ``record`` and publish it: the key its acknowledgements come to, how many processes received it.

        When the store cannot be reached (``StoreError``) no process changes: callers apply the
        change here only after this returns (a record stored whose publish then failed is taken
        only by a process starting later)."""
        ack = self.store.key("ack", uuid.uuid4().hex)
        payload = _dumps({**record, "ack": ack})
        try:
            await self.store.client.set(key, payload)
        except Exception as exc:
            raise StoreError(f"cannot reach the store `{self.store.display_url}`: {exc}") from None
        return ack, await self.store.publish(self.channel, payload)

    async def _acknowledged(self, key: str, receivers: int, what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ACK_TIMEOUT_S
        for count in range(receivers):
            left = deadline - loop.time()
            popped = await self.store.client.blpop([key], timeout=max(left, 0.01)) if left > 0 else None
            if popped is None:
                logger.warning("%d of %d processes confirmed the %s change in time", count, receivers, what)
                return

    async def _on_change(self, data: bytes) -> None:
        record = json.loads(data)
        apply = self._appliers.get(str(record.get("kind", "policy")))
        if apply is not None:
            apply(record)
        async with self.store.client.pipeline(transaction=False) as pipe:
            pipe.rpush(record["ack"], b"1")
            pipe.expire(record["ack"], 30)
            await pipe.execute()

    def _apply_policy(self, record: Mapping[str, Any]) -> None:
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

    def _apply_keys(self, record: Mapping[str, Any]) -> None:
        if self.holder is None or self.config_ring is None or record.get("base") != self.keys_base:
            return  # another config's keys: not this gateway's to take
        try:
            ring = ring_from_record(record, self.config_ring)
        except ValueError as exc:
            logger.error("a shared change of the api keys is not valid, kept the last ones: %s", exc)
            return
        self.holder.keyring = ring

    def _apply_variables(self, record: Mapping[str, Any]) -> None:
        api_id = str(record.get("api"))
        runtime = self.apis.get(api_id)
        if runtime is None or record.get("base") != self.variables_bases.get(api_id):
            return
        try:
            variables = variables_from_record(record)
        except ValueError as exc:
            logger.error(
                "api `%s`: a shared change of stage variables is not valid, kept the last ones: %s", api_id, exc
            )
            return
        runtime.settings = dataclasses.replace(runtime.settings, stage_variables=variables)
