"""The HTTP server's file bodies (gureum/http/server.py `FileBody`): a range of an open file
sent by the kernel with a Content-Length, several on one keep-alive connection; HEAD sends
only the headers; the server closes the file in every case, also when the client is gone."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from waiting import wait_for_async

from gureum.http.server import FileBody, HttpServer, Request, Response


async def _read_response(reader: asyncio.StreamReader, method: str = "GET") -> tuple[bytes, bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = b"" if method == "HEAD" else await asyncio.wait_for(reader.readexactly(length), 10)
    return head, body


async def _scenario(path: Path, data: bytes) -> None:
    opened: list[FileBody] = []

    async def handler(req: Request) -> Response:
        start, _, end = req.raw_path.strip("/").partition("-")
        body = FileBody(open(path, "rb"), int(start), int(end) - int(start))  # noqa: SIM115 - the server closes it
        opened.append(body)
        return Response(206 if start != "0" else 200, [("content-type", "application/octet-stream")], body)

    server = HttpServer(handler)
    host, port = await server.start("127.0.0.1", 0)
    try:
        reader, writer = await asyncio.open_connection(host, port)
        for start, end in ((0, len(data)), (5, 1 << 20), (len(data) - 7, len(data)), (3, 3)):
            writer.write(f"GET /{start}-{end} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            head, body = await _read_response(reader)
            assert f"content-length: {end - start}".encode() in head.lower()
            assert body == data[start:end]
        writer.write(b"HEAD /0-100 HTTP/1.1\r\nHost: x\r\n\r\n")
        head, body = await _read_response(reader, "HEAD")
        assert b"content-length: 100" in head.lower() and body == b""
        writer.write(b"GET /1-2 HTTP/1.1\r\nHost: x\r\n\r\n")  # the connection still serves
        assert (await _read_response(reader))[1] == data[1:2]
        writer.close()

        # A client that goes away while a large body is being sent: the file is closed anyway.
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(f"GET /0-{len(data)} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        writer.transport.abort()
        await wait_for_async("every file body to be closed", lambda: all(b.file.closed for b in opened), 10)
        assert len(opened) == 7
    finally:
        await server.stop()


def test_file_bodies_send_ranges_keep_alive_and_are_always_closed(tmp_path: Path) -> None:
    data = os.urandom(8 << 20)
    path = tmp_path / "blob"
    path.write_bytes(data)
    asyncio.run(_scenario(path, data))
