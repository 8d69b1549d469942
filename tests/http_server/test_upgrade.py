"""The HTTP server's upgrade hook (gureum/http/server.py `Response.upgrade`): a 101 with
`upgrade` hands the connection (and bytes sent right behind the request) to the new protocol;
any other answer to an upgrade request closes the connection after it; other requests on the
same server keep working."""

from __future__ import annotations

import asyncio

from gureum.http.server import HttpServer, Request, Response


class Echo:
    def __init__(self, transport: asyncio.Transport, rest: bytes) -> None:
        self.transport = transport
        self.lost = asyncio.get_running_loop().create_future()
        if rest:
            self.data_received(rest)

    def data_received(self, data: bytes) -> None:
        self.transport.write(b"echo:" + data)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(True)


async def _scenario() -> None:
    owners: list[Echo] = []

    async def handler(req: Request) -> Response:
        if req.headers.get("upgrade") and req.raw_path == "/yes":
            def take(transport: asyncio.Transport, rest: bytes) -> Echo:
                owners.append(Echo(transport, rest))
                return owners[-1]

            return Response(101, [("upgrade", "test"), ("connection", "Upgrade")], upgrade=take)
        if req.headers.get("upgrade"):
            return Response(403, [], b"no")
        return Response(200, [], b"plain")

    server = HttpServer(handler)
    host, port = await server.start("127.0.0.1", 0)
    try:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /yes HTTP/1.1\r\nHost: x\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\nearly")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 101 ") and b"content-length" not in head.lower()
        assert b"connection: close" not in head.lower()
        assert await asyncio.wait_for(reader.readexactly(10), 10) == b"echo:early"
        writer.write(b"GET / HTTP/1.1\r\n\r\n")  # no longer HTTP: the new protocol's bytes
        assert await asyncio.wait_for(reader.readexactly(23), 10) == b"echo:GET / HTTP/1.1\r\n\r\n"
        writer.close()
        assert await asyncio.wait_for(owners[0].lost, 10)

        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /no HTTP/1.1\r\nHost: x\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 10)  # read to EOF: the server closed
        assert answer.startswith(b"HTTP/1.1 403 ") and answer.endswith(b"no")
        writer.close()

        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"plain"), 10)
        assert head.startswith(b"HTTP/1.1 200 ")
        writer.close()
    finally:
        await server.stop(1.0)


def test_upgrade_hands_the_connection_over() -> None:
    asyncio.run(_scenario())
