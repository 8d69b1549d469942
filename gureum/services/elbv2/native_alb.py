"""The native data plane of an HTTP ALB listener: C workers (native_alb.c) accept the
listener's connections and serve the requests a plain forward decides; Python stays the
control plane and serves every other request, on the same connection, through front.py.

`NativeListener.start` hands the listener's bound socket to `elbv2.native_workers` worker
processes (default 1; 0: the listener is Python's alone), each with a SOCK_SEQPACKET unix
socket back to gureum and the shared counters. Python sends each worker the listener's
native table (`compile_table`) whenever the snapshot changes it (`refresh`, after every
reconcile): the reachable rules in priority order, each with its conditions when every one
of them is host-header, path-pattern or http-request-method (ASCII values), and its action:
a plain forward (alb.py `_Plain`) to a target group with IPv4 targets, or "Python's". The
first rule with any other condition ends the table with an unconditional "Python's": from
there on everything is decided in Python, as are access-logged and authenticated listeners
(their actions are never plain). A worker hands a connection to Python (the socket by
SCM_RIGHTS and every byte it read that Python has not seen, message `b"H" + bytes`) when the
rule is Python's, the group has no target, or the request is anything it does not serve
itself (native_alb.c says what); `AlbServer.adopt` feeds those bytes to a new front.py client
connection as if it had read them, and the connection is Python's from then on.

Table message (little-endian): b"T", u32 version, u16 port, u8 n + the load balancer's
address (the Host sent when the client sent none), u32 idle timeout in ms, u32 rule count,
rules (u8 kind 0 forward / 1 Python's, u16 group index, u8 condition count, conditions: u8
field 1 host-header / 2 path-pattern / 3 http-request-method, u8 value count, values: u16
length + bytes), u32 group count, groups (u32 counter block, u16 target count, targets: 4
address bytes + u16 port), then the listener's HTTP limits (gureum/http/limits.py): u32 max
connections, u32 per client (the worker refuses connections beyond them), u32 max request
line, u32 max header bytes (a head beyond them is handed to Python, which answers 414/431),
u32 header timeout in ms (a head still incomplete after half of it is handed to Python, 408).

Counters (`Counters`, one memfd per listener, workers add, Python reads deltas): u64 words
0 connections accepted, 1 requests decided natively, 2 connections handed off, 3 the last
table version a worker applied; then per counter block (one per target group, bound for the
listener's life) 8 u64: requests, target answers 2XX, 3XX, 4XX, 5XX, the load balancer's own
5XX (502/504), nanoseconds from decision to the answer's end, body bytes both ways. `drain`
adds them to the meter (requests, new connections, bytes, rule evaluations) and CloudWatch's
tally (one emit per class with the mean response time of the class's requests).

The binary is built at first use with the host's C compiler and cached per source hash (as
route53/native_dns.py); without a compiler (or off Linux) there is none and the listener is
served by Python alone."""

from __future__ import annotations

import array
import asyncio
import hashlib
import logging
import mmap
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from gureum.http.limits import HttpLimits
from gureum.services.elbv2.alb import AlbHandler, _Table
from gureum.services.elbv2.cw_metrics import Tally
from gureum.services.elbv2.meter import Meter
from gureum.services.elbv2.snapshot import ListenerView

if TYPE_CHECKING:
    from gureum.services.elbv2.front import AlbServer

log = logging.getLogger("gureum.elbv2")

SOURCE = Path(__file__).with_name("native_alb.c")
HEADER_WORDS = 8
BLOCKS = 4096
BLOCK_WORDS = 8
SIZE = 8 * (HEADER_WORDS + BLOCK_WORDS * BLOCKS)
FIELDS = {"host-header": (1, "HostHeaderConfig"), "path-pattern": (2, "PathPatternConfig"),
          "http-request-method": (3, "HttpRequestMethodConfig")}
FORWARD, PYTHON = 0, 1


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gureum"


def worker_binary(cache_dir: Path | None = None) -> Path | None:
    """The worker for the current native_alb.c, built if needed; None when it cannot be."""
    if not sys.platform.startswith("linux") or not hasattr(os, "memfd_create"):
        return None
    cache_dir = cache_dir or default_cache_dir()
    source = SOURCE.read_bytes()
    target = cache_dir / f"gureum-alb-{hashlib.sha256(source).hexdigest()[:16]}"
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
            log.warning("native ALB: the worker did not build: %s", proc.stderr.decode(errors="replace")[-500:])
            return None
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)  # atomic: concurrent builders agree on the result
    except (OSError, subprocess.TimeoutExpired):
        return None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _values(cond: dict[str, object]) -> list[bytes] | None:
    """A condition's values as the worker matches them, or None: not the worker's."""
    spec = FIELDS.get(str(cond.get("Field")))
    if spec is None:
        return None
    cfg = cond.get(spec[1])
    values = cfg.get("Values") if isinstance(cfg, dict) else None
    if not isinstance(values, list) or not values or len(values) > 255:
        return None
    out = []
    for v in values:
        if not isinstance(v, str) or not v.isascii() or len(v) > 0xFFFF:
            return None
        out.append(v.encode("ascii"))
    return out


def compile_table(table: _Table, block: dict[str, int], version: int, limits: HttpLimits | None = None) -> bytes:
    """The worker's table for a listener (module docstring); `block` gives each target group
    its counter block (new ones are added); `limits` the listener's HTTP limits."""
    limits = limits or HttpLimits()
    view = table.view
    rules: list[bytes] = []
    groups: list[bytes] = []
    index: dict[str, int] = {}
    for rule in table.rules:
        conds = []
        for cond in rule["Conditions"]:
            values = _values(cond)
            if values is None:
                break
            conds.append(struct.pack("<BB", FIELDS[cond["Field"]][0], len(values))
                         + b"".join(struct.pack("<H", len(v)) + v for v in values))
        else:
            plain = table.actions[id(rule)].plain
            ok = (plain is not None and len(plain.targets) < 0xFFFF and len(conds) < 256
                  and all(":" not in a and 0 < p < 65536 for a, p in plain.targets))
            if plain is not None and ok:
                if plain.arn not in index:
                    if plain.arn not in block:
                        if len(block) >= BLOCKS:
                            rules.append(struct.pack("<BHB", PYTHON, 0, 0))
                            break
                        block[plain.arn] = len(block)
                    index[plain.arn] = len(groups)
                    groups.append(struct.pack("<IH", block[plain.arn], len(plain.targets))
                                  + b"".join(socket.inet_aton(a) + struct.pack("<H", p) for a, p in plain.targets))
                rules.append(struct.pack("<BHB", FORWARD, index[plain.arn], len(conds)) + b"".join(conds))
            else:
                rules.append(struct.pack("<BHB", PYTHON, 0, len(conds)) + b"".join(conds))
            continue
        rules.append(struct.pack("<BHB", PYTHON, 0, 0))  # a condition the worker cannot evaluate: the rest is Python's
        break
    address = view.address.encode("ascii")
    return (b"T" + struct.pack("<IHB", version, view.port, len(address)) + address
            + struct.pack("<II", int(table.timeout * 1000), len(rules)) + b"".join(rules)
            + struct.pack("<I", len(groups)) + b"".join(groups)
            + struct.pack("<5I", limits.max_connections, limits.max_connections_per_client, limits.max_request_line,
                          limits.max_header_bytes, int(limits.header_timeout * 1000)))


class Counters:
    """The workers' shared counters of one listener (module docstring)."""

    def __init__(self) -> None:
        self.fd = os.memfd_create("gureum-alb", os.MFD_CLOEXEC)
        os.ftruncate(self.fd, SIZE)
        self.mm = mmap.mmap(self.fd, SIZE)
        self.words = memoryview(self.mm).cast("Q")

    def word(self, i: int) -> int:
        return int(self.words[i])

    def block(self, i: int) -> list[int]:
        base = HEADER_WORDS + BLOCK_WORDS * i
        return [int(x) for x in self.words[base:base + BLOCK_WORDS]]

    def close(self) -> None:
        self.words.release()
        self.mm.close()
        os.close(self.fd)


class NativeListener:
    """The workers of one HTTP listener, their table and the hand-off sockets."""

    def __init__(self, binary: Path, handler: AlbHandler, server: AlbServer, meter: Meter, tally: Tally,
                 workers: int = 1) -> None:
        self.binary = binary
        self.handler = handler
        self.server = server
        self.meter = meter
        self.tally = tally
        self.workers = max(1, workers)
        self.counters = Counters()
        self.procs: list[subprocess.Popen[bytes]] = []
        self.socks: list[socket.socket] = []
        self.blocks: dict[str, int] = {}  # target group ARN -> counter block
        self._sent = b""
        self._version = 0
        self._seen = [0] * (HEADER_WORDS + BLOCK_WORDS * BLOCKS)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._view: ListenerView | None = None  # the listener as last sent (its counts' owner)

    def start(self, lsock: socket.socket) -> None:
        """Start the workers on the bound, listening socket (they accept from it)."""
        self._loop = asyncio.get_running_loop()
        try:
            for _ in range(self.workers):
                ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                for end in (ours, theirs):
                    for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
                        end.setsockopt(socket.SOL_SOCKET, opt, 4 << 20)
                try:
                    proc = subprocess.Popen(
                        [str(self.binary), str(lsock.fileno()), str(theirs.fileno()), str(self.counters.fd),
                         str(os.getpid())],
                        pass_fds=(lsock.fileno(), theirs.fileno(), self.counters.fd), stdin=subprocess.DEVNULL)
                finally:
                    theirs.close()
                self.procs.append(proc)
                ours.setblocking(False)
                self.socks.append(ours)
                self._loop.add_reader(ours.fileno(), self._on_message, ours)
        except BaseException:
            self.close_nowait()
            raise
        self.refresh()

    @property
    def table_version(self) -> int:
        """The last table version a worker applied."""
        return self.counters.word(3)

    def refresh(self) -> None:
        """Send the listener's table when the snapshot changed it."""
        table = self.handler.table()
        if table is None:
            body = b""
        else:
            self._view = table.view
            body = compile_table(table, self.blocks, 0, self.server.limits)[5:]  # (the version is set below)
        if body == self._sent:
            return
        self._sent = body
        self._version += 1
        if table is None:  # the listener is going away: everything is Python's
            msg = (b"T" + struct.pack("<IHB", self._version, 0, 0) + struct.pack("<II", 60000, 1)
                   + struct.pack("<BHB", PYTHON, 0, 0) + struct.pack("<I", 0))
        else:
            msg = b"T" + struct.pack("<I", self._version) + body
        for s in self.socks:
            try:
                s.send(msg)
            except OSError as e:
                log.warning("native ALB worker did not take its table: %s", e)

    def _on_message(self, sock: socket.socket) -> None:
        for _ in range(64):
            try:
                data, anc, _flags, _addr = sock.recvmsg(1 << 20, socket.CMSG_SPACE(4))
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            fds = array.array("i")
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
            if not data and not fds:  # the worker is gone
                if self._loop is not None:
                    self._loop.remove_reader(sock.fileno())
                return
            for fd in fds[1:]:
                os.close(fd)
            if not fds:
                continue
            client = socket.socket(fileno=fds[0])
            if data[:1] != b"H":
                client.close()
                continue
            try:
                self.server.adopt(client, bytes(data[1:]))
            except Exception:  # noqa: BLE001 - a bug must not stop the listener: that client is closed
                log.exception("native ALB: a handed-off connection could not be served")
                client.close()

    def drain(self) -> None:
        """Add what the workers counted since the last call to the meter and the tally."""
        view = self._view
        if view is None:
            return
        seen, c = self._seen, self.counters
        accepted = c.word(0)
        if accepted != seen[0]:
            self.meter.of(view.lb_key).new_connections += accepted - seen[0]
            seen[0] = accepted
        now = time.time()
        for arn, i in self.blocks.items():
            base = HEADER_WORDS + BLOCK_WORDS * i
            values = c.block(i)
            delta = [v - seen[base + k] for k, v in enumerate(values)]
            if not any(delta):
                continue
            seen[base:base + BLOCK_WORDS] = values
            requests, c2, c3, c4, c5, elb5, ns, size = delta
            answered = c2 + c3 + c4 + c5
            seconds = ns / 1e9 / answered if answered else 0.0
            counts = self.meter.of(view.lb_key)
            counts.requests += requests
            counts.rule_evaluations += requests * len(view.rules)
            counts.bytes += size
            for hundred, n in ((2, c2), (3, c3), (4, c4), (5, c5)):
                if n:
                    key = f"{hundred}XX"
                    counts.codes[key] = counts.codes.get(key, 0) + n
                    self.tally.add(view.lb_arn, arn, hundred, True, seconds, now, n)
            counts.target_seconds += seconds * answered
            if elb5:
                counts.elb_codes["5XX"] = counts.elb_codes.get("5XX", 0) + elb5
                self.tally.add(view.lb_arn, arn, 5, False, 0.0, now, elb5)

    @property
    def served(self) -> int:
        """Requests the workers decided natively, since start."""
        return self.counters.word(1)

    @property
    def handed(self) -> int:
        """Connections the workers handed to Python, since start."""
        return self.counters.word(2)

    def close_nowait(self) -> None:
        """Stop the workers (counts are drained first)."""
        try:
            self.drain()
        except Exception:  # noqa: BLE001 - stopping: those counts are lost
            log.exception("native ALB counts not drained")
        for s in self.socks:
            if self._loop is not None:
                self._loop.remove_reader(s.fileno())
            s.close()  # a worker stops when its socket closes
        self.socks.clear()
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log.warning("native ALB worker %d did not stop", proc.pid)
        self.procs.clear()
        self.counters.close()
