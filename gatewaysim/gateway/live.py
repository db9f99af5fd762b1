"""Live writes: a policy, API keys, usage-plan keys or stage variables changed while the gateway serves.

The admin API and the control plane change a running gateway only through ``LiveSlots``:

* ``attach(runtime, slot, attached)``: an API's resource policy (slot ``attached``) or shadow
  policy (``shadow``);
* ``replace_keys(holder, ring)``: the API keys and which usage plans name them (``KeyRing``);
* ``replace_variables(runtime, stage_variables)``: an API's stage variables;
* ``writing()``: held around a read-modify-write (a key created on top of the ring as it is).

In one process each is one attribute assignment (the request path reads the slot once per
request) and ``writing`` holds nothing: a change assigns before its first ``await``. With a shared
store (``gateway.live_shared.SharedLiveSlots``, loaded only then) every change also reaches every
other process of the gateway (``serve --workers N``) and every gateway sharing the store's
namespace before the answer returns; that module says what a process starting later adopts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from gatewaysim.gateway.attached import AttachedPolicy
    from gatewaysim.gateway.door.keys import KeyHolder, KeyRing
    from gatewaysim.gateway.runtime import ApiRuntime

__all__ = ["ACK_TIMEOUT_S", "SLOTS", "LiveSlots", "fingerprint"]

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
    """Applies live writes in this process (one assignment each)."""

    async def start(self, apis: Mapping[str, ApiRuntime]) -> None:
        """Nothing to take from elsewhere in one process."""

    def writing(self) -> AbstractAsyncContextManager[None]:
        """Held around a read-modify-write; in one process there is nothing to hold."""
        return contextlib.nullcontext()

    async def attach(self, runtime: ApiRuntime, slot: str, attached: AttachedPolicy | None) -> None:
        """Make ``attached`` the API's policy in ``slot`` for the next request (None: no policy)."""
        setattr(runtime, slot, attached)

    async def replace_keys(self, holder: KeyHolder, ring: KeyRing) -> None:
        """Make ``ring`` the gateway's API keys and usage-plan keys for the next request."""
        holder.keyring = ring

    async def replace_variables(self, runtime: ApiRuntime, stage_variables: Mapping[str, Mapping[str, str]]) -> None:
        """Make ``stage_variables`` (stage -> name -> value) the API's for the next request."""
        runtime.settings = dataclasses.replace(runtime.settings, stage_variables=stage_variables)
