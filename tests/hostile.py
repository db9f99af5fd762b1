"""Hostile inputs shared by the hardening tests (issue 17)."""

from __future__ import annotations

import asyncio

__all__ = ["RawBackend", "open_raw", "read_answer", "read_response", "yaml_bomb"]


def yaml_bomb(levels: int, width: int) -> bytes:
    """A "billion laughs" YAML document: ``levels`` anchors each aliasing the previous one ``width``
    times, so it expands to ``width ** levels`` values in a few hundred bytes."""
    names = [f"a{i}" for i in range(levels)]
    lines = [f"{names[0]}: &{names[0]} [" + ",".join(["x"] * width) + "]"]
    lines += [f"{b}: &{b} [" + ",".join([f"*{a}"] * width) + "]" for a, b in zip(names, names[1:], strict=False)]
    return "\n".join(lines).encode()


class RawBackend:
    """A plain TCP backend that counts what reaches it: connections accepted and bytes received.

    It answers every complete request (``Content-Length`` or chunked framing) with ``200 ok``.
    """

    def __init__(self) -> None:
        self.connections = 0
        self.received = 0
        self.requests = 0
        self.lines: list[bytes] = []  # request lines, in order
        self.port = 0
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> RawBackend:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = await reader.read(65536)
                    if not chunk:
                        return
                    self.received += len(chunk)
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                self.lines.append(head.partition(b"\r\n")[0])
                buffer = await self._body(reader, head.lower(), buffer)
                self.requests += 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")
                await writer.drain()
        except ConnectionError:
            return
        finally:
            writer.close()

    async def _body(self, reader: asyncio.StreamReader, head: bytes, buffer: bytes) -> bytes:
        length = 0
        for line in head.split(b"\r\n"):
            if line.startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        chunked = b"transfer-encoding: chunked" in head
        while (len(buffer) < length) if not chunked else (b"0\r\n\r\n" not in buffer):
            chunk = await reader.read(65536)
            if not chunk:
                raise ConnectionResetError("backend: client went away")
            self.received += len(chunk)
            buffer += chunk
        if chunked:
            return buffer.partition(b"0\r\n\r\n")[2]
        return buffer[length:]


async def open_raw(port: int, source: str = "127.0.0.1") -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A raw client connection to ``127.0.0.1:port``."""
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


async def read_answer(reader: asyncio.StreamReader, timeout: float = 5.0) -> tuple[int, bytes]:
    """The status and everything the server sent until it closed (or ``timeout``)."""
    data = b""
    try:
        async with asyncio.timeout(timeout):
            while chunk := await reader.read(65536):
                data += chunk
    except TimeoutError:
        pass
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
    return status, data


async def read_response(reader: asyncio.StreamReader, timeout: float = 5.0) -> tuple[int, bytes, bytes]:
    """One HTTP/1.1 answer framed by ``Content-Length``: status, head and body (the connection stays open)."""
    async with asyncio.timeout(timeout):
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.lower().split(b"\r\n"):
            if line.startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        body = await reader.readexactly(length)
    return int(head.split(b" ", 2)[1]), head, body
