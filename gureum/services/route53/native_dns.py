"""The native DNS data plane: C workers (native_dns.c) answering UDP from a shared-memory
table (native_table.py) that this module fills from the Python engine; Python stays the
control plane and answers whatever the workers forward.

`NativeDns.start` binds one UDP socket on the DNS address and starts the workers
(`route53.native_dns_workers`, default one per core) on it, each with a SOCK_SEQPACKET unix
socket back to gureum. The workers share that one socket (whichever is free reads the next
batch) rather than each having an SO_REUSEPORT socket of its own: the kernel spreads
SO_REUSEPORT sockets' traffic by the clients' addresses and ports, so a few clients (a
resolver or two, dnsperf's 4 sockets) land on one worker as often as not, and the others idle. A worker answers a query found in the table and forwards every
other datagram (with the client's address) to Python, which answers it through
`Engine.answer` exactly as the pure-Python listener does and sends the answer back for the
worker to send from the DNS port. The table is filled as Python answers:
  - `learn` (the engine's hook) adds a static answer (never a fallback's answer, or an
    answer of a zone whose queries are logged);
  - `learn_routed` adds a routed question's program and the answer cached for the decisions
    Python took (weighted draws, failover/multivalue by health, geolocation and IP-based
    routing when the query carries a client subnet; by the source address stays Python's);
  - a health change (ZoneIndex.on_health) moves the table's health epoch: every program is
    then stale (its queries go to Python, which writes the program anew on the next answer)
    while the answers, static or per decision, stay: a flapping health check costs one
    forwarded query per routed question, not the whole table;
  - on every index change (ZoneIndex.generation moves) the table is cleared at once and,
    soon after on the loop, refilled with the public view's existing names (native NXDOMAIN:
    `_names`), unless some other service answers unzoned names (fallbacks) or private views
    make the answers depend on the client (then NXDOMAIN stays Python's).
Billing: each answer's (account, zone, unit) has a counter in the table; `drain` adds what
the workers counted to the engine's own counts (`Engine.metered`), which the server hands to
the ledger as before. Workers die with gureum (PR_SET_PDEATHSIG) and when it closes their
socket. The binary is built at first use with the host's C compiler and cached per source
version (as sandbox/launcher.py does); without a compiler (or off x86-64) there is none and
the server stays pure Python.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import dns.rcode
import dns.rdatatype

from gureum.services.route53 import metering, routing
from gureum.services.route53.engine import ecs_address
from gureum.services.route53.native_table import F_NXD, F_VIEWS, NO_COUNTER, AnswerTable, supported

if TYPE_CHECKING:
    from gureum.services.route53.engine import Engine
    from gureum.services.route53.index import Zone

_Entry = tuple[bytes, bytes, "str | None", "tuple[str, str, str] | None"]
_LOCATED = frozenset({routing.GEOLOCATION, routing.GEOPROXIMITY, routing.LATENCY, routing.CIDR})

log = logging.getLogger("gureum.dns")

SOURCE = Path(__file__).with_name("native_dns.c")
_HDR = 20  # family, 0, port (big-endian), 16 address bytes
_A = dns.rdatatype.A


def default_cache_dir() -> Path:
    """Where built binaries are kept, shared by every gureum of this user."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gureum"


def worker_binary(cache_dir: Path | None = None) -> Path | None:
    """The worker binary for the current native_dns.c, built if needed; None when it cannot
    be (no C compiler, a build failure, a machine the table's memory model does not cover)."""
    if not supported():
        return None
    cache_dir = cache_dir or default_cache_dir()
    source = SOURCE.read_bytes()
    target = cache_dir / f"gureum-dns-{hashlib.sha256(source).hexdigest()[:16]}"
    if target.exists():
        return target
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".build-")
    except OSError:
        return None
    os.close(fd)
    try:
        proc = subprocess.run([cc, "-O2", "-o", tmp, "-x", "c", "-"], input=source, capture_output=True, timeout=120)
        if proc.returncode != 0:
            log.warning("native DNS: the worker did not build: %s", proc.stderr.decode(errors="replace")[-500:])
            return None
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)  # atomic: concurrent builders agree on the result
    except (OSError, subprocess.TimeoutExpired):
        return None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def address_key(ip: str) -> bytes | None:
    """The 17 bytes (family, address) a worker appends to keys when answers depend on the client."""
    try:
        if ":" in ip:
            return b"\x06" + socket.inet_pton(socket.AF_INET6, ip)
        return b"\x04" + socket.inet_pton(socket.AF_INET, ip) + bytes(12)
    except OSError:
        return None


def wire_name(labels: tuple[bytes, ...]) -> bytes:
    return b"".join(bytes((len(label),)) + label for label in labels) + b"\x00"


class NativeDns:
    """The workers of one UDP address, their table and the forwarding socket pairs."""

    def __init__(self, engine: Engine, binary: Path, logged: Callable[[str], bool], workers: int = 0) -> None:
        self.engine = engine
        self.binary = binary
        self.logged = logged
        self.workers = workers or os.cpu_count() or 1
        self.table = AnswerTable()
        self.procs: list[subprocess.Popen[bytes]] = []
        self._pairs: list[socket.socket] = []
        self._counters: dict[tuple[str, str, str], int] = {}
        self._drained: dict[int, int] = {}
        self._ready = False  # the table holds the current generation's names and flags
        self._views = False
        self._pending = False
        self._programs: dict[bytes, int] = {}  # "R" key -> the health epoch its program was taken in
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- life -----------------------------------------------------------------------
    def start(self, host: str, port: int) -> None:
        """Bind a UDP socket on host:port and start `workers` workers sharing it."""
        self._loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        socks = []
        try:
            s = socket.socket(family, socket.SOCK_DGRAM)
            socks.append(s)
            for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
                try:
                    s.setsockopt(socket.SOL_SOCKET, opt, 8 << 20)
                except OSError:
                    pass
            s.bind((host, port))
            for _ in range(self.workers):
                ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                for end in (ours, theirs):
                    for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
                        end.setsockopt(socket.SOL_SOCKET, opt, 4 << 20)
                try:
                    proc = subprocess.Popen(
                        [str(self.binary), str(s.fileno()), str(theirs.fileno()), str(self.table.fd),
                         str(self.table.size), str(os.getpid())],
                        pass_fds=(s.fileno(), theirs.fileno(), self.table.fd), stdin=subprocess.DEVNULL)
                finally:
                    theirs.close()
                self.procs.append(proc)
                ours.setblocking(False)
                self._pairs.append(ours)
                self._loop.add_reader(ours.fileno(), self._on_forwarded, ours)
        except BaseException:
            self.close_nowait()
            raise
        finally:
            for s in socks:
                s.close()  # the workers hold them now
        self.engine.learn = self.learn
        self.engine.learn_routed = self.learn_routed
        self.engine.index.on_generation.append(self._changed)
        self.engine.index.on_health.append(self._health)
        self._changed()

    def close_nowait(self) -> None:
        """Stop the workers and forget the table (the counts are drained first)."""
        if self.engine.learn == self.learn:
            self.engine.learn = None
        if self.engine.learn_routed == self.learn_routed:
            self.engine.learn_routed = None
        if self._changed in self.engine.index.on_generation:
            self.engine.index.on_generation.remove(self._changed)
        if self._health in self.engine.index.on_health:
            self.engine.index.on_health.remove(self._health)
        for ours in self._pairs:
            if self._loop is not None:
                self._loop.remove_reader(ours.fileno())
            ours.close()  # a worker stops when its socket closes
        self._pairs.clear()
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log.warning("native DNS worker %d did not stop", proc.pid)
        self.procs.clear()
        self.drain()
        self.table.close()

    # --- forwarded queries ------------------------------------------------------------
    def _on_forwarded(self, sock: socket.socket) -> None:
        answer = self.engine.answer
        for _ in range(64):
            try:
                msg = sock.recv(65536 + _HDR)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if not msg:  # the worker is gone
                if self._loop is not None:
                    self._loop.remove_reader(sock.fileno())
                return
            if len(msg) < _HDR:
                continue
            if msg[0] == 4:
                ip = socket.inet_ntop(socket.AF_INET, msg[4:8])
            elif msg[0] == 6:
                ip = socket.inet_ntop(socket.AF_INET6, msg[4:20])
            else:
                continue
            try:
                reply = answer(msg[_HDR:], ip)
            except Exception:  # a bug must not stop the listener
                log.exception("DNS engine failed on a UDP query")
                continue
            if isinstance(reply, bytes):  # (a list, a zone transfer, is TCP only)
                try:
                    sock.send(msg[:_HDR] + reply)
                except OSError:  # the worker lags: UDP may drop
                    pass

    # --- filling the table ------------------------------------------------------------
    def _changed(self) -> None:
        """The index changed (any thread): nothing of the old table may be served."""
        self._ready = False
        self.table.clear(0)
        self._programs = {}
        if not self._pending and self._loop is not None:
            self._pending = True
            self._loop.call_soon_threadsafe(self._names)

    def _health(self) -> None:
        """Health moved (any thread): the programs taken before are not followed any more."""
        self.table.epoch = self.engine.index.health_epoch

    def _names(self) -> None:
        """Set the flags and, for native NXDOMAIN, put every existing name of the public
        view (each in the zone that serves it) with what a name below it that does not
        exist is answered (module docstring of native_table)."""
        self._pending = False
        engine, index = self.engine, self.engine.index
        self._views = bool(engine.private_views.cidrs and index.has_private)
        nxd = not self._views and not engine.has_fallbacks
        view = index.public
        zones = list({id(z): z for z in view.values()}.values())
        if nxd and sum(len(z.names) for z in zones) > self.table.nslots // 4:
            nxd = False  # so many names: they would crowd out the answers (NXDOMAIN stays Python's)
        self.table.clear(F_VIEWS if self._views else 0)
        cleared = self.table.clears
        self._programs = {}
        self.table.epoch = index.health_epoch
        if nxd:  # on once every name is in (native_table.add_flags); cleared meanwhile: stays off
            if self._put_names(zones, view):
                self.table.add_flags(F_NXD, cleared)
            else:
                self.table.clear(F_VIEWS if self._views else 0)  # the table is full: NXDOMAIN stays Python's
        self._ready = True

    def _put_names(self, zones: list[Zone], view: dict[tuple[bytes, ...], Zone]) -> bool:
        index = self.engine.index
        for zone in zones:
            answerable = (bool(zone.neg_soa_wire) and not zone.public_fallback and not self.logged(zone.zone_id)
                          and all(name in zone.names for name, _ in zone.groups))
            signed = zone.zone_id in index.signers and zone.neg_soa is not None
            counter = self.counter((zone.account, zone.zone_id, metering.STANDARD)) if zone.account else NO_COUNTER
            answerable = answerable and (counter != NO_COUNTER or not zone.account)
            head = bytes((len(zone.origin),)) + zone.neg_soa_wire
            for name in zone.names:
                if index.zone_for(view, name) is not zone:
                    continue  # under a zone of its own
                ok = answerable and (b"*",) + name not in zone.nodes and zone.find_cut(name, _A) is None
                if not self.table.put(b"N" + wire_name(name), bytes((int(ok) | int(signed) << 1,)) + head, b"", counter):
                    return False
        return True

    def learn(self, base: bytes, ecs: bytes | None, entry: _Entry, client_ip: str) -> None:
        """The engine answered `base` (its cache key without view or ECS) with a static cached
        `entry`: put it in the table when a worker may serve it exactly."""
        tail = self._tail(base, ecs, entry, client_ip)
        if tail is not None:
            self._put(b"A" + tail, entry)

    def learn_routed(self, base: bytes, ecs: bytes | None, groups: list[routing.Group], decisions: bytes,
                     entry: _Entry, client_ip: str, other: Callable[[bytes], _Entry | None] | None = None) -> None:
        """The engine answered a routed question from the answer it cached for `decisions`
        (routing.decision_key per group): put that answer in the table, and the question's
        program (how a worker takes the same decisions: native_table.py) when each group's
        decision is a table: weighted draws over the healthy pool, failover and multivalue by
        health, location-based ones fixed by the query's EDNS Client Subnet. A program taken
        in an older health epoch is replaced. With a new program of one weighted draw, the
        answers for every member of its pool are put too (`other` builds the missing ones):
        the workers' draws then find their answers at once instead of going to Python until
        Python's own draw picks each member (a 10% member: ~100 queries to Python)."""
        tail = self._tail(base, ecs, entry, client_ip)
        if tail is None:
            return
        key = b"R" + tail
        epoch = self.engine.index.health_epoch & 0xFFFFFFFF
        if self._programs.get(key) != epoch:
            program = self._program(groups, ecs)
            if program is None:
                return
            if not self.table.put(key, epoch.to_bytes(4, "little") + program, replace=True):
                if key in self._programs:  # full of replaced programs: start afresh
                    self._changed()
                return
            self._programs[key] = epoch
            if other is not None and len(groups) == 1 and program[1] == 1:
                for m in program[3 : 3 + 5 * program[2] : 5]:
                    alt = bytes((1, m))
                    if alt != decisions and not self.table.has(b"A" + tail + alt):
                        got = other(alt)
                        if got is not None:
                            self._put(b"A" + tail + alt, got)
        self._put(b"A" + tail + decisions, entry)

    def _tail(self, base: bytes, ecs: bytes | None, entry: _Entry, client_ip: str) -> bytes | None:
        """The table key (after its kind byte) of an answer a worker may serve, or None."""
        if not self._ready:
            return None
        full, _truncated, zone_id, _meter = entry
        if zone_id is not None and self.logged(zone_id):
            return None  # query logs stay complete: that zone's queries are Python's
        if self.engine.has_fallbacks and len(full) > 3 and full[3] & 15 in (dns.rcode.REFUSED, dns.rcode.NXDOMAIN):
            return None  # another service may answer these names (and what it answers changes)
        tail = base + (b"\x08" + ecs if ecs is not None else b"")
        if self._views:
            addr = address_key(client_ip)
            if addr is None:
                return None
            tail += addr
        return tail

    def _put(self, key: bytes, entry: _Entry) -> None:
        if self.table.has(key):
            return
        meter = entry[3]
        counter = self.counter(meter) if meter is not None else NO_COUNTER
        if meter is not None and counter == NO_COUNTER:
            return  # every counter taken: only Python can bill this one
        self.table.put(key, entry[0], entry[1], counter)

    def _program(self, groups: list[routing.Group], ecs: bytes | None) -> bytes | None:
        """The decisions of `groups` as a worker takes them (None: not a table, Python's)."""
        index = self.engine.index
        if not groups or len(groups) > 255:
            return None
        ip = ecs_address(ecs) if ecs is not None else None
        out = bytearray((len(groups),))
        for g in groups:
            if g.kind in _LOCATED and ecs is None:
                return None  # decided by the client's own address: Python's
            if g._epoch != index.health_epoch:
                return None
            w = g._weights
            if g.kind == routing.WEIGHTED and w is not None and len(w[0]) > 1:
                pool, cum, total = w
                if len(pool) > 255 or any(m > 255 for m in pool) or total <= 0 or total >= 1 << 32:
                    return None
                out += bytes((1, len(pool)))
                for m, c in zip(pool, cum, strict=True):
                    out += bytes((m,)) + int(c).to_bytes(4, "little")
                out += int(total).to_bytes(4, "little")
                continue
            d = g.quick(index, ip if ecs is not None else None)
            if d is None or len(d) > 255 or any(m > 255 for m in d):
                return None
            out += b"\x00" + routing.decision_key(d)
        return bytes(out)

    # --- billing ---------------------------------------------------------------------
    def counter(self, meter: tuple[str, str, str]) -> int:
        """The table's counter of one (account, zone id, unit) (NO_COUNTER when all are taken)."""
        idx = self._counters.get(meter)
        if idx is None:
            if len(self._counters) >= self.table.ncounters:
                return NO_COUNTER
            idx = self._counters[meter] = len(self._counters)
        return idx

    def drain(self) -> None:
        """Add what the workers counted since the last call to the engine's counts."""
        metered = self.engine.metered
        for meter, idx in self._counters.items():
            now = self.table.counter(idx)
            delta = now - self._drained.get(idx, 0)
            if delta:
                self._drained[idx] = now
                metered[meter] = metered.get(meter, 0) + delta
