"""Hot reload: poll the config file and the policy files; attach a changed policy without a restart.

Every ``reload.interval_s`` (0.5 s) the reloader compares each watched file's (mtime, size, inode)
with what it last saw. On a change it loads the settings again, the way the gateway was started
(same file, same flags), off the event loop. Then:

* a good load replaces the policy of each API whose policy document changed, one attribute
  assignment each (``ApiRuntime.attached``): requests in flight finish with the policy they
  started with, the next ones get the new one; nothing is dropped;
* a bad load (a located ``ConfigError``/``PolicyError``) is logged, one line per problem, and the
  last good policy keeps answering;
* other changes (host, port, backend, stages, a new API ...) are logged as needing a restart.

The API's ``shadow_policy`` is watched and swapped the same way (``ApiRuntime.shadow``). A file's
policy replaces one attached through the admin API only when the file itself changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatewaysim.config.load import ApiSettings, Settings
from gatewaysim.errors import GatewaysimError
from gatewaysim.gateway.attached import attached_from_settings, shadow_from_settings

if TYPE_CHECKING:
    from gatewaysim.gateway.runtime import ApiRuntime

__all__ = ["Reloader", "SettingsLoader", "changed_fields", "watched_files"]

logger = logging.getLogger("gatewaysim.gateway.reload")

SettingsLoader = Callable[[], Settings]
"""Loads the settings again, as at startup (e.g. ``lambda: load_settings(path, flags)``)."""

_Signature = tuple[int, int, int] | None
_POLICY_KEYS = frozenset(
    {"policy", "policy_source", "policy_document", "shadow_policy", "shadow_policy_source", "shadow_policy_document"}
)


def watched_files(settings: Settings) -> list[Path]:
    """The config file and every policy and template file the settings were loaded from."""
    files = [Path(settings.source)] if settings.source else []
    sources = [source for api in settings.apis for source in (api.policy_source, api.shadow_policy_source)]
    files += [Path(source) for source in sources if source and _is_path(source)]
    files += [Path(api.template_file) for api in settings.apis if api.template_file]
    return list(dict.fromkeys(files))


def _is_path(source: str) -> bool:
    return Path(source).is_file()


def _signature(path: Path) -> _Signature:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def changed_fields(old: Any, new: Any, ignore: Iterable[str] = ()) -> list[str]:
    """Names of the dataclass fields whose values differ (``ignore`` left out)."""
    skip = set(ignore)
    return [
        f.name for f in dataclasses.fields(old) if f.name not in skip and getattr(old, f.name) != getattr(new, f.name)
    ]


class Reloader:
    """Watches the files behind ``settings`` and swaps the policies of ``apis`` when they change."""

    def __init__(
        self, apis: Mapping[str, ApiRuntime], settings: Settings, load: SettingsLoader, interval_s: float
    ) -> None:
        self.apis = apis
        self.settings = settings
        self.load = load
        self.interval_s = interval_s
        self.reloads = 0  # successful reloads, for tests and the log
        self._seen = self._signatures(settings)

    def _signatures(self, settings: Settings) -> dict[Path, _Signature]:
        return {path: _signature(path) for path in watched_files(settings)}

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Poll while the gateway runs (entered by ``Gateway.lifecycle``)."""
        task = asyncio.create_task(self._poll(), name="gatewaysim-reload")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.check()
            except Exception:  # the watcher must outlive any bug in one round
                logger.exception("hot reload failed")

    async def check(self) -> bool:
        """Reload when a watched file changed; True when a new configuration was applied."""
        seen = {path: _signature(path) for path in self._seen}
        if seen == self._seen:
            return False
        changed = ", ".join(f"`{path}`" for path, signature in seen.items() if signature != self._seen[path])
        self._seen = seen
        try:
            settings = await asyncio.to_thread(self.load)
        except GatewaysimError as exc:
            for line in str(exc).splitlines():
                logger.error("reload after a change to %s failed, the last good policy stays: %s", changed, line)
            return False
        self.apply(settings)
        # the signatures taken before loading, so a write during the load is seen next round
        self._seen = {path: seen.get(path, now) for path, now in self._signatures(settings).items()}
        return True

    def apply(self, settings: Settings) -> None:
        """Attach every changed policy; log what needs a restart."""
        old = {api.api_id: api for api in self.settings.apis}
        for api in settings.apis:
            runtime = self.apis.get(api.api_id)
            before = old.get(api.api_id)
            if runtime is None or before is None:
                logger.warning("api `%s` is new: it needs a restart", api.api_id)
                continue
            if _document(before) != _document(api):
                runtime.attached = attached_from_settings(api)  # one assignment (see the module docstring)
                runtime.settings = _with_policies(runtime.settings, api)  # what the config gives now (gateway.live)
                logger.info("api `%s`: resource policy reloaded from %s", api.api_id, api.policy_source or "none")
            if _shadow_document(before) != _shadow_document(api):
                runtime.shadow = shadow_from_settings(api)
                runtime.settings = _with_policies(runtime.settings, api)
                logger.info("api `%s`: shadow policy reloaded from %s", api.api_id, api.shadow_policy_source or "none")
            stale = changed_fields(before, api, _POLICY_KEYS)
            if stale:
                logger.warning("api `%s`: a change to %s needs a restart", api.api_id, ", ".join(stale))
        removed = sorted(set(old) - {api.api_id for api in settings.apis})
        if removed:
            logger.warning("api %s removed from the config: it needs a restart", ", ".join(f"`{a}`" for a in removed))
        stale = changed_fields(self.settings, settings, ("apis", "source", "warnings", "findings"))
        if stale:
            logger.warning("a change to %s needs a restart", ", ".join(stale))
        self.settings = settings
        self.reloads += 1


def _with_policies(current: ApiSettings, loaded: ApiSettings) -> ApiSettings:
    """``current`` with the policy fields of ``loaded`` (the rest needs a restart)."""
    return dataclasses.replace(current, **{name: getattr(loaded, name) for name in sorted(_POLICY_KEYS)})


def _document(api: ApiSettings) -> tuple[str | None, Any]:
    """What identifies an API's policy as loaded: where it came from and its text or mapping."""
    return (api.policy_source, api.policy_document)


def _shadow_document(api: ApiSettings) -> tuple[str | None, Any]:
    return (api.shadow_policy_source, api.shadow_policy_document)
