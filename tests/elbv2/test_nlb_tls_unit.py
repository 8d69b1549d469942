"""nlb_tls.TlsListener on its own (real sockets on 127.0.0.1, no gureum): a connection is
metered (one new connection, the plaintext bytes both ways), the policy's versions bound
the handshake, and `update` serves a new certificate to the next handshake."""

from __future__ import annotations

import asyncio
import datetime
import ssl

from waiting import wait_for_async

from gureum.services.elbv2 import routing
from gureum.services.elbv2.meter import Meter
from gureum.services.elbv2.nlb_tls import TlsListener
from gureum.services.elbv2.snapshot import GroupView, ListenerView, Snapshot


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


async def _scenario() -> None:
    async def echo(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        line = await r.readline()
        w.write(b"echo:" + line)
        await w.drain()
        w.close()
    target = await asyncio.start_server(echo, "127.0.0.1", 0)
    target_port = target.sockets[0].getsockname()[1]
    probe = await asyncio.start_server(echo, "127.0.0.1", 0)  # a free port for the listener
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    chain, key = _pem("one.test")
    rule = {"Actions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": "tg", "Weight": 1}]}}]}
    view = ListenerView("a/r/lb", "arn:lb", "network", "127.0.0.1", port, "TLS", [rule], {}, [("c1", chain, key)],
                        "ELBSecurityPolicy-TLS-1-2-2017-01", "HTTP1Only")
    group = GroupView("tg", "a/r/tg", {"attributes": {}, "Protocol": "TCP"}, [], [("127.0.0.1", target_port)])
    snap = Snapshot(listeners={("127.0.0.1", port): view}, groups={"tg": group})
    meter = Meter()
    listener = TlsListener(view, lambda: snap, routing.RoundRobin(), meter)
    await listener.start()
    try:
        def client(name: str, cadata: str, **versions: ssl.TLSVersion) -> ssl.SSLContext:
            ctx = ssl.create_default_context(cadata=cadata)
            ctx.set_alpn_protocols(["h2", "http/1.1"])
            for k, v in versions.items():
                setattr(ctx, k, v)
            return ctx
        r, w = await asyncio.open_connection("127.0.0.1", port, ssl=client("one.test", chain), server_hostname="one.test")
        assert w.get_extra_info("ssl_object").selected_alpn_protocol() == "http/1.1"
        assert w.get_extra_info("ssl_object").version() == "TLSv1.2"
        w.write(b"hello\n")
        await w.drain()
        assert await r.read() == b"echo:hello\n"
        w.close()
        counts = meter.of("a/r/lb")
        # the listener's side ends right after the client's read: wait for its count
        await wait_for_async("the connection's bytes metered", lambda: counts.bytes > 0, 20)
        assert counts.new_connections == 1 and counts.bytes == len(b"hello\n") + len(b"echo:hello\n")
        # a TLS 1.3-only client is refused by a TLS 1.2 policy
        try:
            await asyncio.open_connection("127.0.0.1", port, ssl=client("one.test", chain, minimum_version=ssl.TLSVersion.TLSv1_3),
                                          server_hostname="one.test")
            raise AssertionError("TLS 1.3 accepted by ELBSecurityPolicy-TLS-1-2-2017-01")
        except OSError:  # ssl.SSLError, or the connection reset after the alert
            pass
        # a new certificate, in place, for the next handshake
        chain2, key2 = _pem("two.test")
        listener.update([("c2", chain2, key2)])
        r, w = await asyncio.open_connection("127.0.0.1", port, ssl=client("two.test", chain2), server_hostname="two.test")
        w.write(b"again\n")
        await w.drain()
        assert await r.read() == b"echo:again\n"
        w.close()
    finally:
        await listener.close()
        target.close()


def test_tls_listener_meters_bounds_versions_and_updates_certificates() -> None:
    asyncio.run(_scenario())
