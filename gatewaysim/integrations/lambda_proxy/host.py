"""Every function of the config while the gateway serves: local pools and remote endpoints.

Workers start lazily (a function's first request is its cold start) and stop with the gateway;
remote functions share one HTTP client session. With ``reload_functions`` a watcher restarts a
function's workers when its code changes (``watch``), and each invocation first looks at the
handler's own file.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping

import aiohttp

from gatewaysim.config.functions import FunctionSettings
from gatewaysim.integrations.lambda_proxy.environment import worker_environment
from gatewaysim.integrations.lambda_proxy.outcome import Invoked
from gatewaysim.integrations.lambda_proxy.pool import FunctionPool
from gatewaysim.integrations.lambda_proxy.process import FunctionLog
from gatewaysim.integrations.lambda_proxy.remote import RemoteFunction
from gatewaysim.integrations.lambda_proxy.watch import watch_code

__all__ = ["FunctionHost", "Invokable", "function_arn"]

Invokable = FunctionPool | RemoteFunction


def function_arn(partition: str, region: str, account: str, name: str) -> str:
    """``arn:aws:lambda:{region}:{account}:function:{name}``."""
    return f"arn:{partition}:lambda:{region}:{account}:function:{name}"


def _init(function: FunctionSettings, env: Mapping[str, str]) -> dict[str, object]:
    return {
        "functionName": function.name,
        "functionVersion": "$LATEST",
        "memorySize": function.memory_mb,
        "logGroupName": env["AWS_LAMBDA_LOG_GROUP_NAME"],
        "logStreamName": env["AWS_LAMBDA_LOG_STREAM_NAME"],
        "codeDir": str(function.code_dir),
        "module": function.module,
        "file": str(function.file) if function.file is not None else None,
        "attribute": function.attribute,
    }


class FunctionHost:
    """The functions of one gateway, by name."""

    def __init__(
        self,
        functions: Mapping[str, FunctionSettings],
        *,
        region: str = "us-east-1",
        reload_functions: bool = False,
        interval_s: float = 0.5,
    ) -> None:
        self.functions = dict(functions)
        self.region = region
        self.reload_functions = reload_functions
        self.interval_s = interval_s
        self.pools: dict[str, FunctionPool] = {}
        self._remote: dict[str, RemoteFunction] = {}
        self._session: aiohttp.ClientSession | None = None
        self._watcher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Prepare every function (no worker starts yet) and the code watcher."""
        for name, function in self.functions.items():
            log = FunctionLog(name)
            if function.is_local:
                env = worker_environment(function, self.region, os.environ)
                self.pools[name] = FunctionPool(
                    function, _init(function, env), env, log, check_handler=self.reload_functions
                )
            else:
                if self._session is None:
                    self._session = aiohttp.ClientSession(trust_env=False)
                self._remote[name] = RemoteFunction(function, self._session, log)
        if self.reload_functions and self.pools:
            self._watcher = asyncio.create_task(watch_code(self.pools.values(), self.interval_s))

    def get(self, name: str) -> Invokable | None:
        """The function named ``name``, None when the config has none."""
        return self.pools.get(name) or self._remote.get(name)

    def log(self, name: str) -> FunctionLog:
        """The log of function ``name`` (any name: a missing function's problems are logged under it)."""
        found = self.get(name)
        return found.log if found is not None else FunctionLog(name)

    async def invoke(
        self, name: str, event: bytes, request_id: str, arn: str, trace_id: str, deadline: float
    ) -> Invoked | None:
        """Invoke function ``name``; None when there is no such function."""
        found = self.get(name)
        if found is None:
            return None
        return await found.invoke(event, request_id, arn, trace_id, deadline)

    async def close(self) -> None:
        """Stop the watcher, kill every worker, close the session (idempotent)."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        for pool in self.pools.values():
            await pool.close()
        session, self._session = self._session, None
        if session is not None:
            await session.close()
