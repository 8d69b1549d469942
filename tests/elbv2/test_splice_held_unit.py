"""The listeners that splice connections (nlb.TcpListener, nlb_tls.TlsListener, tls.HttpsListener)
hold each one until it ends, on their own: real sockets on 127.0.0.1, no gureum.

asyncio's stream protocol holds its reader weakly and its handler task only through the
client's transport, which the event loop lets go once that transport stops reading (the
client half-closed or closed). A splice waiting then for its target's answer was reachable
from nothing: a garbage collection at that moment ("Task was destroyed but it is pending!")
closed the client's socket (a half-closed client read an empty answer: the flaky
test_tcp_listener_splices_connections_round_robin under load), and left the target's
connection open, unmetered. Each test brings a connection to that moment, collects garbage
(what the interpreter does at any allocation), and only then lets the target answer."""

from __future__ import annotations

import asyncio
import datetime
import gc
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

from waiting import wait_for_async

from gureum.services.elbv2 import routing
from gureum.services.elbv2.meter import Meter
from gureum.services.elbv2.nlb import TcpListener
from gureum.services.elbv2.nlb_tls import TlsListener
from gureum.services.elbv2.snapshot import GroupView, ListenerView, Snapshot
from gureum.services.elbv2.tls import HttpsListener

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class _SlowTarget:
    """Reads its connection to the end, then answers `answer:` + what it read once `release`
    is set, and closes. It holds its own handlers' tasks (what the listeners must do too)."""

    def __init__(self) -> None:
        self.got_eof = asyncio.Event()
        self.release = asyncio.Event()
        self.handlers: set[asyncio.Task[Any]] = set()
        self.server: asyncio.Server | None = None

    async def _conn(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handlers.add(task)
        data = await r.read()
        self.got_eof.set()
        await self.release.wait()
        w.write(b"answer:" + data)
        await w.drain()
        w.close()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        self.server = await asyncio.start_server(self._conn, host, port)
        return host, int(self.server.sockets[0].getsockname()[1])

    async def stop(self, grace: float = 5.0) -> None:
        if self.server is not None:
            self.server.close()


async def _free_port() -> int:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = int(probe.sockets[0].getsockname()[1])
    probe.close()
    await probe.wait_closed()
    return port


def _pem(cn: str) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False).sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode())


def _snapshot(port: int, protocol: str, target_port: int, certs: list[tuple[str, str, str]] | None = None) -> tuple[ListenerView, Snapshot]:
    rule = {"Actions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": "tg", "Weight": 1}]}}]}
    view = ListenerView("a/r/lb", "arn:lb", "network", "127.0.0.1", port, protocol, [rule], {}, certs or [])
    group = GroupView("tg", "a/r/tg", {"attributes": {}, "Protocol": "TCP"}, [], [("127.0.0.1", target_port)])
    return view, Snapshot(listeners={("127.0.0.1", port): view}, groups={"tg": group})


async def _collect_at_the_target(target: _SlowTarget) -> None:
    """Once the target has read the client's end (the client's side of the splice is done,
    its transport out of the event loop's hands), collect garbage, then let the target answer."""
    await asyncio.wait_for(target.got_eof.wait(), 20)
    gc.collect()
    target.release.set()


async def _tcp() -> None:
    target = _SlowTarget()
    _, target_port = await target.start()
    port = await _free_port()
    _, snap = _snapshot(port, "TCP", target_port)
    listener = TcpListener(("127.0.0.1", port), lambda: snap, routing.RoundRobin(), Meter())
    await listener.start()
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(b"hello")
        w.write_eof()  # half-closed: the answer is still read
        await _collect_at_the_target(target)
        assert await asyncio.wait_for(r.read(), 20) == b"answer:hello"
        w.close()
    finally:
        await listener.close()
        await target.stop()


def test_tcp_listener_keeps_a_half_closed_clients_splice_until_the_target_answers() -> None:
    asyncio.run(_tcp())


async def _tls_client(port: int, chain: str) -> None:
    """A TLS client that sends its line and closes without waiting for an answer."""
    ctx = ssl.create_default_context(cadata=chain)
    r, w = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="one.test")
    w.write(b"hello\n")
    await w.drain()
    w.close()
    await w.wait_closed()


async def _nlb_tls() -> None:
    target = _SlowTarget()
    _, target_port = await target.start()
    port = await _free_port()
    chain, key = _pem("one.test")
    view, snap = _snapshot(port, "TLS", target_port, [("c1", chain, key)])
    meter = Meter()
    listener = TlsListener(view, lambda: snap, routing.RoundRobin(), meter)
    await listener.start()
    try:
        await _tls_client(port, chain)
        await _collect_at_the_target(target)
        # the splice lives on to take the answer: its bytes both ways are metered when it ends
        want = len(b"hello\n") + len(b"answer:hello\n")
        await wait_for_async("the splice's bytes metered", lambda: meter.of("a/r/lb").bytes == want, 20)
    finally:
        await listener.close()
        await target.stop()


def test_nlb_tls_listener_keeps_a_closed_clients_splice_until_the_target_answers() -> None:
    asyncio.run(_nlb_tls())


async def _https() -> None:
    inner = _SlowTarget()  # in place of the ALB's private HTTP server
    port = await _free_port()
    chain, key = _pem("one.test")
    listener = HttpsListener(("127.0.0.1", port), [("c1", chain, key)], inner)
    await listener.start()
    try:
        await _tls_client(port, chain)
        await wait_for_async("the relay's client known", lambda: bool(listener.clients), 20)
        await _collect_at_the_target(inner)
        # the relay lives on to take the answer, and then forgets its client
        await wait_for_async("the relay ended", lambda: not listener.clients, 20)
    finally:
        await listener.close()


def test_https_listener_keeps_a_closed_clients_relay_until_the_inner_server_answers() -> None:
    asyncio.run(_https())
