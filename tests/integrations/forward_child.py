"""A proxy process for the streaming-memory test (not a test module).

``python tests/forward_child.py BACKEND_URL`` serves a Forwarder-only proxy on 127.0.0.1, prints
its port on one line, and stops when its stdin closes.
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web

from gatewaysim.integrations.http_proxy.forwarder import Forwarder, ForwardSettings


async def main(backend: str) -> None:
    forwarder = Forwarder(ForwardSettings(max_body_bytes=1 << 40, timeout_s=60))
    await forwarder.start()

    async def handle(request: web.Request) -> web.StreamResponse:
        path, _, query = request.raw_path.partition("?")
        result = await forwarder.forward(
            request, backend_url=backend, path=path, query_string=query, headers=request.headers
        )
        return result.response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()
    await forwarder.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
