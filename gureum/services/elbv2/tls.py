"""HTTPS listeners: TLS terminated on the listener's address and port with the listener's ACM
certificates (the default one, and the added ones chosen by SNI: a client's server name is
matched against each certificate's names, `*.` wildcards one label deep), the plaintext
relayed to a private HTTP server on 127.0.0.1 that runs the ALB's handler. The handler learns
the real client address through `client_of` (the relay's own source port -> the client).

A change of the listener's certificates (`update`) swaps the contexts the SNI callback picks
from, on the same listening socket: there is no moment at which the listener is closed, so
no connection is accepted and then dropped unanswered while certificates are added.
Each relayed connection is held by the listener until it ends (nlb.hold says why)."""

from __future__ import annotations

import asyncio
import os
import ssl
import tempfile
from typing import Protocol

from gureum.services.elbv2.nlb import _pipe, hold

Certs = list[tuple[str, str, str]]  # (ARN, chain PEM, key PEM), the default first


def _context(chain: str, key: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    fd, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(chain + "\n" + key)
        ctx.load_cert_chain(path)
    finally:
        os.unlink(path)
    return ctx


def _names(chain: str) -> list[str]:
    from cryptography import x509  # only once an HTTPS listener serves a certificate (a lean idle node)

    cert = x509.load_pem_x509_certificates(chain.encode())[0]
    try:
        return [str(n).lower() for n in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                .get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        return [str(a.value).lower() for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]


def _matches(pattern: str, name: str) -> bool:
    if pattern.startswith("*."):
        head, _, rest = name.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == name


class Inner(Protocol):
    """The private plaintext HTTP server the relay feeds (front.AlbServer)."""

    async def start(self, host: str, port: int) -> tuple[str, int]: ...

    async def stop(self, grace: float = 5.0) -> None: ...


class HttpsListener:
    def __init__(self, key: tuple[str, int], certs: Certs, inner: Inner) -> None:
        self.key = key
        self.certs = certs
        self.inner = inner
        self.inner_port = 0
        self.clients: dict[int, tuple[str, int]] = {}  # relay source port -> the real client
        self.server: asyncio.Server | None = None
        self.live: set[asyncio.Task[None]] = set()  # the connections being relayed (nlb.hold)
        self._by_name: list[tuple[str, ssl.SSLContext]] = []
        self._default: ssl.SSLContext | None = None

    def client_of(self, seen: tuple[str, int]) -> tuple[str, int]:
        return self.clients.get(seen[1], seen) if seen[0] == "127.0.0.1" else seen

    def update(self, certs: Certs) -> None:
        """Serve `certs` from the next handshake on (the listening socket stays open)."""
        default = _context(certs[0][1], certs[0][2])
        by_name: list[tuple[str, ssl.SSLContext]] = []
        for _, chain, key in certs:
            ctx = default if chain == certs[0][1] else _context(chain, key)
            by_name += [(n, ctx) for n in _names(chain)]
        self.certs, self._by_name, self._default = certs, by_name, default

    def _pick(self, sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        if name:
            for pattern, ctx in self._by_name:
                if _matches(pattern, name.lower()):
                    sock.context = ctx
                    return
        if self._default is not None:
            sock.context = self._default

    async def start(self) -> None:
        self.update(self.certs)
        assert self._default is not None
        default = self._default
        default.sni_callback = self._pick
        _, self.inner_port = await self.inner.start("127.0.0.1", 0)
        self.server = await asyncio.start_server(self._conn, self.key[0], self.key[1], ssl=default, reuse_address=True)

    async def _conn(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        hold(self.live)
        peer = w.get_extra_info("peername") or ("", 0)
        try:
            ir, iw = await asyncio.open_connection("127.0.0.1", self.inner_port)
        except OSError:
            w.close()
            return
        local = iw.get_extra_info("sockname")[1]
        self.clients[local] = (peer[0], peer[1])
        up = asyncio.ensure_future(_pipe(r, iw))
        try:
            await _pipe(ir, w)  # the private server closed: so does the client's TLS connection
        finally:
            up.cancel()
            await asyncio.gather(up, return_exceptions=True)
            self.clients.pop(local, None)
            iw.close()
            w.close()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        await self.inner.stop(grace=1.0)
