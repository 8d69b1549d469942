"""Network Load Balancer TLS listeners' data plane (their rules are in nlb_rules.py).

`TlsListener`: the handshake is done on the listener's address and port with
the listener's certificates (SNI picks one, the default when no name matches), the security
policy's protocol versions (POLICY_VERSIONS) and the ALPN policy's preference list (ALPN_PROTOCOLS,
the server's order wins); the plaintext is spliced to a target of the default action's group
as nlb.py splices TCP (round robin, source stickiness, a reset when no target takes it);
each connection is metered (meter.py: a new connection, and the plaintext bytes both ways)
and held by the listener until it ends (nlb.hold says why).
When the target group's protocol is TLS, the load balancer opens TLS to the target without
verifying its certificate (as AWS does), offering it the ALPN protocol the client chose (the
bytes spliced are that protocol's), with the backend policy AWS documents:
ELBSecurityPolicy-TLS13-1-0-2021-06 behind a TLS 1.3 listener policy, ELBSecurityPolicy-2016-08
otherwise. Certificates change in place (`update`); a policy change rebinds (`mode`)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import ssl
import warnings
from collections.abc import Callable

from gureum.services.elbv2 import routing
from gureum.services.elbv2.meter import Meter
from gureum.services.elbv2.nlb import _group, _pick, hold
from gureum.services.elbv2.nlb_rules import ALPN_PROTOCOLS
from gureum.services.elbv2.snapshot import ListenerView, Snapshot
from gureum.services.elbv2.tls import Certs, _context, _matches, _names

log = logging.getLogger("gureum.elbv2.nlb_tls")

DEFAULT_POLICY = "ELBSecurityPolicy-2016-08"
_V = ssl.TLSVersion
POLICY_VERSIONS: dict[str, tuple[ssl.TLSVersion, ssl.TLSVersion]] = {
    "ELBSecurityPolicy-2016-08": (_V.TLSv1, _V.TLSv1_2),
    "ELBSecurityPolicy-TLS13-1-2-2021-06": (_V.TLSv1_2, _V.TLSv1_3),
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06": (_V.TLSv1_2, _V.TLSv1_3),
    "ELBSecurityPolicy-TLS-1-2-2017-01": (_V.TLSv1_2, _V.TLSv1_2),
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06": (_V.TLSv1_2, _V.TLSv1_2),
    "ELBSecurityPolicy-FS-1-2-Res-2020-10": (_V.TLSv1_2, _V.TLSv1_2),
    "ELBSecurityPolicy-TLS13-1-3-2021-06": (_V.TLSv1_3, _V.TLSv1_3),
}


def mode(view: ListenerView) -> str:
    """What the data plane binds for a TLS listener: "tls:<policy digest>:<certificates digest>";
    only the certificates part may change in place."""
    policy = hashlib.sha256(repr((view.ssl_policy, view.alpn)).encode()).hexdigest()[:16]
    return f"tls:{policy}:" + hashlib.sha256(repr(view.certs).encode()).hexdigest()


def same_socket(new: str | None, old: str | None) -> bool:
    """Whether a TLS listener bound as `old` can take `new` in place (its certificates only)."""
    return bool(new and old and new.startswith("tls:") and new.rsplit(":", 1)[0] == old.rsplit(":", 1)[0])


# --- data plane ----------------------------------------------------------------------------

async def _counted(r: asyncio.StreamReader, w: asyncio.StreamWriter, moved: list[int]) -> None:
    """nlb.py's splice, adding the bytes it moves to `moved[0]` (the usage ledger's "bytes")."""
    try:
        while data := await r.read(65536):
            moved[0] += len(data)
            w.write(data)
            await w.drain()
        if w.can_write_eof():
            w.write_eof()
    except (ConnectionError, OSError):
        pass


def _server_context(chain: str, key: str, policy: str, alpn: str) -> ssl.SSLContext:
    ctx = _context(chain, key)
    low, high = POLICY_VERSIONS.get(policy, POLICY_VERSIONS[DEFAULT_POLICY])
    if low < _V.TLSv1_2:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # TLS 1.0 and 1.1 as the 2016-08 policy offers them
    with warnings.catch_warnings():  # TLS 1.0 is deprecated in Python; the 2016-08 policy still offers it
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version, ctx.maximum_version = low, high
    protocols = ALPN_PROTOCOLS.get(alpn or "None", [])
    if protocols:
        ctx.set_alpn_protocols(protocols)
    return ctx


def _target_context(policy: str, alpn: str | None = None) -> ssl.SSLContext:
    """The load balancer's side of a TLS connection to a target: not verified, as AWS does;
    offering the protocol negotiated with the client (the bytes spliced are that protocol's)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if alpn:
        ctx.set_alpn_protocols([alpn])
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    tls13 = POLICY_VERSIONS.get(policy, POLICY_VERSIONS[DEFAULT_POLICY])[1] == _V.TLSv1_3
    ctx.maximum_version = _V.TLSv1_3 if tls13 else _V.TLSv1_2
    return ctx


class TlsListener:
    """One NLB TLS listener; `update` swaps its certificates for the next handshakes."""

    def __init__(self, view: ListenerView, snapshot: Callable[[], Snapshot], rr: routing.RoundRobin,
                 meter: Meter) -> None:
        self.key = (view.address, view.port)
        self.policy, self.alpn = view.ssl_policy or DEFAULT_POLICY, view.alpn
        self.certs: Certs = view.certs
        self.snapshot = snapshot
        self.rr = rr
        self.meter = meter
        self.server: asyncio.Server | None = None
        self.live: set[asyncio.Task[None]] = set()  # the connections being spliced (nlb.hold)
        self._default: ssl.SSLContext | None = None
        self._by_name: list[tuple[str, ssl.SSLContext]] = []
        self._to_target = {proto: _target_context(self.policy, proto or None) for proto in ("", "h2", "http/1.1", "http/1.0")}

    def update(self, certs: Certs) -> None:
        """Serve `certs` (the default first) from the next handshake on."""
        default = _server_context(certs[0][1], certs[0][2], self.policy, self.alpn)
        by_name: list[tuple[str, ssl.SSLContext]] = []
        for _, chain, key in certs:
            ctx = default if chain == certs[0][1] else _server_context(chain, key, self.policy, self.alpn)
            by_name += [(n, ctx) for n in _names(chain)]
        self.certs, self._default, self._by_name = certs, default, by_name

    def _pick_cert(self, sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        chosen = self._default
        if name:
            chosen = next((ctx for pattern, ctx in self._by_name if _matches(pattern, name.lower())), chosen)
        if chosen is not None:
            sock.context = chosen

    async def start(self) -> None:
        self.update(self.certs)
        dispatch = _server_context(self.certs[0][1], self.certs[0][2], self.policy, self.alpn)
        dispatch.sni_callback = self._pick_cert
        self.server = await asyncio.start_server(self._conn, self.key[0], self.key[1], ssl=dispatch,
                                                 reuse_address=True)

    async def _conn(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        hold(self.live)
        peer = w.get_extra_info("peername") or ("", 0)
        snap = self.snapshot()
        view = snap.listeners.get(self.key)
        if view is not None:
            self.meter.connection(view.lb_key)
        group = _group(snap, self.key)
        target = _pick(group, self.rr, peer[0]) if group is not None else None
        encrypt = group is not None and group.doc.get("Protocol") == "TLS"
        try:
            if target is None:
                raise ConnectionRefusedError("no target")
            if encrypt:
                tls = w.get_extra_info("ssl_object")
                chosen = (tls.selected_alpn_protocol() if tls is not None else None) or ""
                tr, tw = await asyncio.open_connection(target[0], target[1], ssl=self._to_target.get(chosen, self._to_target[""]),
                                                       server_hostname=None)
            else:
                tr, tw = await asyncio.open_connection(target[0], target[1])
        except (OSError, ssl.SSLError) as e:
            log.info("TLS connection from %s to %s:%d closed: %s (target %s)", peer[0], self.key[0], self.key[1], e, target)
            raw = w.get_extra_info("socket")
            if raw is not None:  # RST, as a load balancer with nowhere to send the bytes
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            w.close()
            return
        moved = [0]
        up = asyncio.ensure_future(_counted(r, tw, moved))
        try:
            await _counted(tr, w, moved)  # the target closed: so does the client's TLS connection (no half-close in TLS)
        finally:
            up.cancel()
            await asyncio.gather(up, return_exceptions=True)
            tw.close()
            w.close()
            if view is not None:
                self.meter.of(view.lb_key).bytes += moved[0]  # NLCU's processed bytes, both ways

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
