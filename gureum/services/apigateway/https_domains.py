"""Custom domain names over HTTPS (the "apigateway-https" component), for REST and HTTP APIs
alike: one TLS listener (setting `apigateway.https_port`) answering each domain name whose
ACM certificate (regionalCertificateArn / certificateArn, of the domain's own account) is
ISSUED with that certificate, picked by SNI; a client naming no such domain (or none) fails
the handshake. A domain with mutual TLS (its `_truststorePem`, truststore.py) requires a
client certificate issued by that truststore: a certificate no truststore of the table trusts
fails the handshake, and the connection is closed before any request when it has none or one
only another domain's truststore issued (Python's ssl verifies per context, not per
connection: `context_of`). While any domain has mutual TLS, every handshake asks for an
optional client certificate, so a client that offers an untrusted one to a domain without
mutual TLS is refused too (AWS does not ask there).

The decrypted request goes to a private HTTP server on 127.0.0.1 whose handler runs the node's
ordinary dispatch (`app.handle`: the custom domain host routes of apigateway and apigatewayv2)
with the connection's facts in the context variable `PEER`: the real client address, the SNI
name, and the client certificate as AWS hands it to integrations ({"clientCertPem",
"subjectDN", "issuerDN", "serialNumber", "validity": {"notBefore", "notAfter"}}). A Host
header naming another domain than the SNI is refused (403 Forbidden). Requests for a domain
with mutual TLS that arrive any other way (plain HTTP on the API port) are refused by the data
plane (`needs_client_cert`), so the truststore cannot be side-stepped.

The table (domain name -> SSL context, and the names with mutual TLS) lives in memory on each
node, rebuilt from the store at start and after every domains.TOPIC event (directory.follow),
ACM keys read through ACM's port."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import ssl
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from gureum.aws import arn as arns
from gureum.http.server import HttpServer, Response
from gureum.services.acm import port as acm
from gureum.services.apigateway import domains
from gureum.services.apigateway.directory import follow
from gureum.services.apigateway.settings import ApiGatewaySettings
from gureum.services.apigateway.slots import TLS_DOMAINS

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.http.server import Request
    from gureum.store import Event, Txn

log = logging.getLogger("gureum.apigateway")
Doc = dict[str, Any]


@dataclass(frozen=True)
class Peer:
    client: tuple[str, int]
    server_name: str
    client_cert: Doc | None


PEER: contextvars.ContextVar[Peer | None] = contextvars.ContextVar("apigateway_tls_peer", default=None)


@dataclass(frozen=True)
class Entry:
    name: str
    chain: str
    key: str
    truststore: str | None


def entries(txn: Txn) -> list[Entry]:
    """Every domain name that can be served over TLS: an ISSUED certificate of its account."""
    out: list[Entry] = []
    for name, doc in txn.scan(domains.DOMAINS):
        cert = doc.get("regionalCertificateArn") or doc.get("certificateArn")
        parsed = arns.try_parse(str(cert)) if cert else None
        if parsed is None or parsed.service != "acm" or parsed.account != doc["account"]:
            continue
        pair = acm.key_pair(txn, str(cert))
        if pair is not None:
            out.append(Entry(name, pair[0], pair[1], doc.get("_truststorePem") or None))
    return out


def context_of(entry: Entry | None, trusted: str) -> ssl.SSLContext:
    """A server context with `entry`'s certificate (None: none, the handshake's first
    context). Python cannot set verification per connection, and a context switched in by
    SNI keeps the first one's verify mode: with any truststore in the table, every context
    asks for an optional client certificate verified against all truststores (`trusted`),
    and the connection then checks it against its own domain's (`issued_by`)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if entry is not None:
        fd, path = tempfile.mkstemp(suffix=".pem")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(entry.chain + "\n" + entry.key)
            ctx.load_cert_chain(path)
        finally:
            os.unlink(path)
    if trusted:
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.load_verify_locations(cadata=trusted)
    return ctx


def issued_by(der: bytes, truststore: str) -> bool:
    """Whether the client certificate `der` is issued by a certificate of `truststore`."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature

    try:
        cert = x509.load_der_x509_certificate(der)
        anchors = x509.load_pem_x509_certificates(truststore.encode())
    except ValueError:
        return False
    for ca in anchors:
        if ca.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(ca)
            return True
        except (InvalidSignature, TypeError, ValueError):  # a forged signature, an unsupported key type
            continue
    return False


def client_cert(der: bytes) -> Doc:
    """A client certificate as API Gateway passes it on."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    cert = x509.load_der_x509_certificate(der)
    stamp = "%b %d %H:%M:%S %Y GMT"
    return {"clientCertPem": cert.public_bytes(Encoding.PEM).decode(), "subjectDN": cert.subject.rfc4514_string(),
            "issuerDN": cert.issuer.rfc4514_string(), "serialNumber": format(cert.serial_number, "X"),
            "validity": {"notBefore": cert.not_valid_before_utc.strftime(stamp),
                         "notAfter": cert.not_valid_after_utc.strftime(stamp)}}


class TlsDomains:
    """The node's table of domain names served over TLS (module docstring)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.contexts: dict[str, ssl.SSLContext] = {}
        self.names_of: dict[int, str] = {}  # id(context) -> its domain name
        self.mutual: dict[str, str] = {}  # domain name -> its truststore (mutual TLS)
        self.first = context_of(None, "")  # the one context every handshake starts with (`_first`)
        self.first.sni_callback = self._pick
        self.loaded = asyncio.Event()
        self._lock = asyncio.Lock()
        self._stale = True
        follow(app, domains.TOPIC, self._on_event)

    def _on_event(self, event: Event) -> None:
        self._stale = True
        self.app.spawn(self.reload(), name="apigateway-tls-domains")

    async def reload(self) -> None:
        async with self._lock:
            if not self._stale:
                return
            self._stale = False
            found = await self.app.store.read(entries)
            trusted = "\n".join(e.truststore for e in found if e.truststore)
            contexts: dict[str, ssl.SSLContext] = {}
            for e in found:
                try:
                    contexts[e.name] = context_of(e, trusted)
                except (ssl.SSLError, ValueError) as exc:
                    log.warning("custom domain %s: cannot serve its certificate: %s", e.name, exc)
            self.contexts = contexts
            self.names_of = {id(c): n for n, c in contexts.items()}
            self.mutual = {e.name: e.truststore for e in found if e.truststore}
            self._first(trusted)
            self.loaded.set()

    def _first(self, trusted: str) -> None:
        """Bring the first context (no certificate; the SNI name picks the domain's) in line:
        the listener holds it, so it is changed in place. A context switched in by SNI keeps
        the first one's verify mode; its own store verifies (truststores are only added here:
        one removed since still lets a handshake through, and the connection's own check
        refuses it)."""
        self.first.verify_mode = ssl.CERT_OPTIONAL if trusted else ssl.CERT_NONE
        if trusted:
            self.first.load_verify_locations(cadata=trusted)

    def _pick(self, sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> int | None:
        found = self.contexts.get((name or "").lower().rstrip("."))
        if found is None:
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        sock.context = found
        return None


def tls_domains(app: App) -> TlsDomains:
    return app.parts.lazy(TLS_DOMAINS, lambda: TlsDomains(app))


async def needs_client_cert(app: App, host: str) -> bool:
    """Whether a request for custom domain `host` must be refused for not having come
    through the TLS listener with a client certificate (a domain with mutual TLS)."""
    peer = PEER.get()
    table = tls_domains(app)
    if not table.loaded.is_set():
        await table.reload()
    if peer is not None and peer.client_cert is not None and peer.server_name == host:
        return False
    return host in table.mutual


async def _pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    try:
        while chunk := await r.read(65536):
            w.write(chunk)
            await w.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            w.write_eof()
        except (OSError, RuntimeError, AttributeError):
            pass


class Listener:
    def __init__(self, app: App, table: TlsDomains) -> None:
        self.app, self.table = app, table
        self.inner = HttpServer(self.handle)
        self.inner_port = 0
        self.peers: dict[int, Peer] = {}  # the relay's source port -> the TLS connection's facts
        self.server: asyncio.Server | None = None
        self.port = 0
        # The running connection handlers. asyncio's stream protocol holds a handler's task only
        # through the client's transport, which lets go once the client half-closes: without
        # this set a garbage collection could destroy a relay still waiting for its answer.
        self.live: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        if not self.inner_port:
            _, self.inner_port = await self.inner.start("127.0.0.1", 0)
        self.server = await asyncio.start_server(self._conn, host, port, ssl=self.table.first, reuse_address=True,
                                                 ssl_handshake_timeout=30)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def _conn(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:  # held until it ends (see `live`)
            self.live.add(cast("asyncio.Task[None]", task))
            task.add_done_callback(self.live.discard)
        peer_address = w.get_extra_info("peername") or ("", 0)
        sslobj = w.get_extra_info("ssl_object")
        name = self.table.names_of.get(id(sslobj.context)) if sslobj is not None else None
        if sslobj is None or name is None:
            w.close()
            return
        cert: Doc | None = None
        truststore = self.table.mutual.get(name)
        if truststore is not None:  # mutual TLS: a certificate its own truststore issued, or nothing
            der = sslobj.getpeercert(binary_form=True)
            if not der or not issued_by(der, truststore):
                w.close()
                return
            cert = client_cert(der)
        try:
            ir, iw = await asyncio.open_connection("127.0.0.1", self.inner_port)
        except OSError:
            w.close()
            return
        local = iw.get_extra_info("sockname")[1]
        self.peers[local] = Peer((str(peer_address[0]), int(peer_address[1])), name, cert)
        up = asyncio.ensure_future(_pipe(r, iw))
        try:
            await _pipe(ir, w)
        finally:
            up.cancel()
            await asyncio.gather(up, return_exceptions=True)
            self.peers.pop(local, None)
            iw.close()
            w.close()

    async def handle(self, request: Request) -> Response:
        peer = self.peers.get(request.client[1]) if request.client[0] == "127.0.0.1" else None
        host = request.host.lower().rsplit(":", 1)[0] if not request.host.startswith("[") else ""
        if peer is None or host != peer.server_name:
            return Response(403, [("content-type", "application/json")], b'{"message":"Forbidden"}')
        request.client = peer.client
        token = PEER.set(peer)
        try:
            return await self.app.handle(request)
        finally:
            PEER.reset(token)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        await self.inner.stop(grace=1.0)


async def run(app: App) -> None:
    """Component: the HTTPS listener of custom domain names, until the node stops."""
    wanted = app.settings(ApiGatewaySettings).https_port
    if wanted == 0:
        return
    table = tls_domains(app)
    await table.reload()
    listener = Listener(app, table)
    host = app.config.host
    try:
        port = await listener.start(host, wanted if wanted is not None else app.http_address[1] + 2)
    except OSError:
        if wanted is not None:
            raise
        port = await listener.start(host, 0)
    log.info("custom domain names answer HTTPS on %s:%d", host, port)
    try:
        await asyncio.Event().wait()
    finally:
        await listener.close()
