"""The native DNS workers (route53/native_dns.py, native_dns.c): every answer they send is the
engine's own bytes; what they cannot answer exactly goes to Python; they survive hostile
packets, bill what they answer, die with gureum, and are absent without a C compiler."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import pytest
from harness import GureumProcess
from waiting import wait_for

from gureum.services.route53 import native_dns
from gureum.services.route53.engine import Engine, PrivateViews
from gureum.services.route53.server import DnsServer

from .zones import example_index, make_zone, rrset, udp

ACCOUNT = "111122223333"

needs_worker = pytest.mark.skipif(native_dns.worker_binary() is None, reason="no C compiler (or not x86-64): no native workers")


def metered_engine(views: PrivateViews | None = None) -> Engine:
    index = example_index()
    zone = index.zones["ZEXAMPLE"]
    zone.account = ACCOUNT
    index.generation += 1
    return Engine(index, views or PrivateViews())


@asynccontextmanager
async def serving(engine: Engine, logged: frozenset[str] = frozenset(), workers: int = 2) -> AsyncIterator[tuple[native_dns.NativeDns, int]]:
    binary = native_dns.worker_binary()
    assert binary is not None
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    native = native_dns.NativeDns(engine, binary, lambda zone_id: zone_id in logged, workers)
    native.start("127.0.0.1", port)
    try:
        yield native, port
    finally:
        native.close_nowait()


async def ask(port: int, wire: bytes, source: str = "127.0.0.1") -> bytes:
    """One query over UDP; its answer (other datagrams are skipped by id)."""
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.setblocking(False)
        for _ in range(3):  # UDP: a datagram may be lost (loopback: hardly ever; waits are long)
            await loop.sock_sendall(s, wire)
            try:
                while True:
                    got = await asyncio.wait_for(loop.sock_recv(s, 65535), 15.0)
                    if got[:2] == wire[:2]:
                        return got
            except TimeoutError:
                continue
    raise AssertionError("no answer")


def query(name: str, rtype: str = "A", *, rd: bool = True, cd: bool = False, qid: int = 0x1234, **kw: object) -> bytes:
    q = dns.message.make_query(name, rtype, **kw)  # type: ignore[arg-type]
    q.id = qid
    if not rd:
        q.flags &= ~dns.flags.RD
    if cd:
        q.flags |= dns.flags.CD
    return q.to_wire()


ECS = dns.edns.ECSOption("81.2.69.0", 24)
CASES = [
    query("www.example.com"),
    query("WwW.ExAmPlE.cOm", qid=7),
    query("www.example.com", "AAAA", use_edns=0, want_dnssec=True),
    query("www.example.com", rd=False, cd=True),
    query("example.com", "MX", use_edns=0, payload=4096),
    query("big.example.com", "TXT"),  # truncated without EDNS
    query("big.example.com", "TXT", use_edns=0, payload=1232),
    query("big.example.com", "TXT", use_edns=0, payload=700),
    query("alias.example.com"),
    query("Host.Wild.example.com", "TXT"),
    query("anything.wild.example.com"),  # the wildcard: answered, not NXDOMAIN
    query("a.b.example.com"),  # an empty non-terminal: NODATA
    query("x.a.b.example.com", use_edns=0),  # NXDOMAIN below it
    query("NoSuch.Example.com"),
    query("nosuch.example.com", use_edns=0, want_dnssec=True),
    query("x.y.z.example.com", "TXT", rd=False),
    query("x.sub.example.com"),  # below a delegation: a referral
    query("q.deeper.example.com"),  # NXDOMAIN in the child zone: its SOA
    query("www.example.org"),  # no zone: REFUSED
    query("www.example.com", use_edns=0, options=[ECS]),
    query("nosuch2.example.com", use_edns=0, options=[ECS]),
]


@needs_worker
def test_native_answers_are_the_engines_own_bytes() -> None:
    async def main() -> None:
        engine = metered_engine()
        async with serving(engine) as (native, port):
            for wire in CASES:
                first = await ask(port, wire)  # forwarded to Python (and learnt), or already native
                before = native.table.answered
                second = await ask(port, wire)
                assert native.table.answered > before, dns.message.from_wire(wire).question
                expected = engine.answer(wire, "127.0.0.1")
                assert first == second == expected, dns.message.from_wire(wire).question

    asyncio.run(main())


@needs_worker
def test_native_nxdomain_for_random_names_needs_no_python() -> None:
    async def main() -> None:
        engine = metered_engine()
        async with serving(engine) as (native, port):
            await ask(port, query("www.example.com"))  # the table is filled on the loop: let it run
            forwarded = native.table.forwarded
            for i in range(20):
                wire = query(f"r{i:x}.Example.com", qid=i)
                assert await ask(port, wire) == engine.answer(wire, "127.0.0.1")
            assert native.table.forwarded == forwarded

    asyncio.run(main())


def test_native_nxdomain_is_turned_on_only_once_every_name_is_in() -> None:
    """A worker reading the table while Python puts the names must not see native NXDOMAIN
    on yet: it would answer NXDOMAIN for an existing name not put so far (CI caught a worker
    answering www.example.com NXDOMAIN during the first fill)."""
    from gureum.services.route53.native_table import F_NXD, supported

    if not supported():
        pytest.skip("no shared-memory table on this machine")
    native = native_dns.NativeDns(metered_engine(), Path("/nonexistent"), lambda zone_id: False, 1)
    flags_at_each_name: list[int] = []
    put = native.table.put

    def watched(key: bytes, *args: object, **kw: object) -> bool:
        if key[:1] == b"N":
            flags_at_each_name.append(native.table.flags & F_NXD)
        return put(key, *args, **kw)  # type: ignore[arg-type]

    native.table.put = watched  # type: ignore[method-assign]
    try:
        native._names()
        assert len(flags_at_each_name) > 5 and not any(flags_at_each_name)
        assert native.table.flags & F_NXD
        cleared = native.table.clears
        native.table.clear(0)  # a change while names were being put: the flag stays off
        assert not native.table.add_flags(F_NXD, cleared) and not native.table.flags & F_NXD
    finally:
        native.table.close()


@needs_worker
def test_native_answers_are_billed_per_zone_and_unit() -> None:
    async def main() -> None:
        engine = metered_engine()
        async with serving(engine) as (native, port):
            for i in range(10):
                await ask(port, query("www.example.com", qid=i))
            for i in range(5):
                await ask(port, query(f"nx{i}.example.com", qid=100 + i))
            assert native.table.answered >= 9 + 5
            native.drain()
            assert engine.take_metered() == {(ACCOUNT, "ZEXAMPLE", "DNS-Queries"): 15}
            await ask(port, query("www.example.com", qid=200))
            native.drain()
            native.drain()  # a second drain adds nothing twice
            assert engine.take_metered() == {(ACCOUNT, "ZEXAMPLE", "DNS-Queries"): 1}

    asyncio.run(main())


@needs_worker
def test_a_change_is_never_answered_from_the_old_table() -> None:
    async def main() -> None:
        engine = metered_engine()
        old = rrset("mail.example.com", "A", "192.0.2.25", ttl=60)
        new = rrset("mail.example.com", "A", "198.51.100.9", ttl=60)
        async with serving(engine) as (native, port):
            wire = query("mail.example.com")
            await ask(port, wire)
            before = native.table.answered
            assert "192.0.2.25" in dns.message.from_wire(await ask(port, wire)).to_text()
            assert native.table.answered > before
            engine.index.apply("ZEXAMPLE", [old], [new])
            got = dns.message.from_wire(await ask(port, wire)).to_text()
            assert "198.51.100.9" in got and "192.0.2.25" not in got
            # A new name: no longer NXDOMAIN, natively or not.
            engine.index.apply("ZEXAMPLE", [], [rrset("fresh.example.com", "A", "192.0.2.77")])
            got = dns.message.from_wire(await ask(port, query("fresh.example.com")))
            assert got.rcode() == dns.rcode.NOERROR and "192.0.2.77" in got.to_text()

    asyncio.run(main())


@needs_worker
def test_logged_zones_are_answered_by_python_only() -> None:
    async def main() -> None:
        engine = metered_engine()
        async with serving(engine, logged=frozenset({"ZEXAMPLE"})) as (native, port):
            for wire in (query("www.example.com"), query("www.example.com"), query("nx.example.com"), query("nx.example.com")):
                assert await ask(port, wire) == engine.answer(wire, "127.0.0.1")
            assert native.table.answered == 0
            assert native.table.forwarded >= 4

    asyncio.run(main())


@needs_worker
def test_private_views_answer_each_client_its_own_view() -> None:
    async def main() -> None:
        index = example_index()
        index.put_zone(make_zone("ZCORP", "corp.example.net", [rrset("www.corp.example.net", "A", "10.9.9.9")],
                                 private=True, vpcs=["vpc-1"], order=5))
        engine = Engine(index, PrivateViews.parse("vpc-1=127.0.0.2/32"))
        async with serving(engine) as (native, port):
            wire = query("www.corp.example.net")
            for source, rcode in (("127.0.0.1", dns.rcode.REFUSED), ("127.0.0.2", dns.rcode.NOERROR)) * 2:
                got = await ask(port, wire, source)
                assert got == engine.answer(wire, source) and dns.message.from_wire(got).rcode() == rcode
            assert native.table.answered >= 2  # the second round

    asyncio.run(main())


def fuzz_packets(rng: random.Random) -> list[bytes]:
    good = query("www.example.com", use_edns=0, options=[ECS])
    out = [b"", b"\x00", good[:11], good[:12], good[:20], good[:-1], good + b"\x00"]
    for _ in range(1500):
        out.append(rng.randbytes(rng.randrange(0, 600)))
        cut = bytearray(good)
        cut[rng.randrange(len(cut))] = rng.randrange(256)
        out.append(bytes(cut[: rng.randrange(len(cut) + 1)]))
    head = struct.pack("!HHHHHH", 1, 0x0100, 1, 0, 0, 0)
    out.append(head + b"\xc0\x0c\x00\x01\x00\x01")  # a compression pointer to itself
    out.append(head + b"\x01a\xc0\x0c\x00\x01\x00\x01")  # a pointer loop after a label
    out.append(head + b"\x3fx" * 5)  # labels running off the end
    out.append(head + (b"\x01a" * 200) + b"\x00\x00\x01\x00\x01")  # a name over 255 bytes
    out.append(head + (b"\x01a" * 120) + b"\x07example\x03com\x00\x00\x01\x00\x01")  # 122 labels
    edns = struct.pack("!HHHHHH", 2, 0x0100, 1, 0, 0, 1) + b"\x03www\x07example\x03com\x00\x00\x01\x00\x01"
    out.append(edns + b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\xff\xff")  # OPT rdata longer than the packet
    out.append(edns + b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x08\x00\x08\xff\xff\x00\x01")  # ECS longer than its OPT
    out.append(edns + b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x04\x00\x08\x00\x00")  # ECS option with no room
    big_ecs = b"\x00\x08" + struct.pack("!H", 4000) + bytes(4000)
    out.append(edns + b"\x00\x00\x29\x10\x00\x00\x00\x00\x00" + struct.pack("!H", len(big_ecs)) + big_ecs)
    return out


@needs_worker
def test_workers_survive_hostile_packets() -> None:
    async def main() -> None:
        engine = metered_engine()
        async with serving(engine) as (native, port):
            loop = asyncio.get_running_loop()
            rng = random.Random(2026)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.setblocking(False)
                for packet in fuzz_packets(rng):
                    await loop.sock_sendto(s, packet, ("127.0.0.1", port))
            for i in range(len(native.procs) * 4):  # each worker still answers (sources spread them)
                wire = query("www.example.com", qid=1000 + i)
                assert await ask(port, wire) == engine.answer(wire, "127.0.0.1")
            assert all(proc.poll() is None for proc in native.procs)

    asyncio.run(main())


def test_without_a_compiler_there_is_no_worker_and_python_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no cc, no gcc
    assert native_dns.worker_binary(tmp_path / "cache") is None

    async def main() -> None:
        server = DnsServer(metered_engine())
        server.native_binary = None
        host, port = await server.listen("127.0.0.1", 0)
        try:
            got = dns.message.from_wire(await ask(port, query("www.example.com")))
            assert "192.0.2.1" in got.to_text() and server.native is None
        finally:
            await server.close()

    asyncio.run(main())


@needs_worker
def test_the_server_stops_its_workers_on_close() -> None:
    async def main() -> None:
        server = DnsServer(metered_engine())
        server.native_binary = native_dns.worker_binary()
        host, port = await server.listen("127.0.0.1", 0)
        native = server.native
        assert native is not None and native.procs
        procs = list(native.procs)
        try:
            got = dns.message.from_wire(await ask(port, query("www.example.com")))
            assert "192.0.2.1" in got.to_text()
        finally:
            await server.close()
        assert all(proc.poll() is not None for proc in procs)

    asyncio.run(main())


def native_workers(proc: GureumProcess) -> set[int]:
    out = set()
    for pid in proc.descendants():
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "gureum-dns":
                out.add(pid)
        except OSError:
            pass
    return out


@needs_worker
def test_workers_die_with_gureum_killed_by_sigkill(tmp_path: Path) -> None:
    proc = GureumProcess(tmp_path / "data")
    proc.start()
    try:
        proc.wait_service("route53", "running")
        workers = wait_for("native DNS workers", lambda: native_workers(proc), timeout=30)
        proc.kill9()
    finally:
        if proc.proc is not None and proc.proc.poll() is None:
            proc.stop()
    wait_for("no orphaned worker", lambda: not any(os.path.exists(f"/proc/{pid}") and _alive(pid) for pid in workers), timeout=20)


def serves_from_python(proc: GureumProcess, name: str) -> None:
    """A record made through the API is answered over UDP, and no native worker runs."""
    r53 = proc.client("route53")
    zone = r53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": f"www.{name}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.61"}]}}]})
    for _ in range(3):
        got = wait_for("the record served", lambda: udp(dns.message.make_query(f"www.{name}", "A"), proc.dns_port).answer)
        assert "192.0.2.61" in str(got[0])
    assert not native_workers(proc)


def path_without_cc(bin_dir: Path) -> str:
    """A PATH holding every program of ours but `cc` and `gcc` (what gureum looks for)."""
    bin_dir.mkdir()
    for d in reversed(os.environ.get("PATH", "").split(os.pathsep)):
        with contextlib.suppress(OSError):
            for entry in os.scandir(d):
                if entry.name not in ("cc", "gcc"):
                    with contextlib.suppress(OSError):
                        (bin_dir / entry.name).unlink(missing_ok=True)
                        (bin_dir / entry.name).symlink_to(entry.path)
    return str(bin_dir)


def test_gureum_without_a_compiler_answers_from_python(tmp_path: Path) -> None:
    proc = GureumProcess(tmp_path / "data", env={"PATH": path_without_cc(tmp_path / "bin"), "XDG_CACHE_HOME": str(tmp_path / "cache")})
    proc.start()
    try:
        proc.wait_service("route53", "running")
        serves_from_python(proc, "no-cc.test")
    finally:
        proc.stop()


@needs_worker
def test_the_setting_turns_the_workers_off(tmp_path: Path) -> None:
    proc = GureumProcess(tmp_path / "data", env={"GUREUM_ROUTE53_NATIVE_DNS": "off"})
    proc.start()
    try:
        proc.wait_service("route53", "running")
        serves_from_python(proc, "native-off.test")
    finally:
        proc.stop()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# --- routed names --------------------------------------------------------------------------------
def routed_engine() -> Engine:
    from gureum.services.route53 import geo
    from gureum.services.route53.index import ZoneIndex

    index = ZoneIndex()
    index.geodb = geo.open_db(None)
    index.put_zone(make_zone("ZPOLICY", "policy.test", [
        rrset("w.policy.test", "A", "192.0.2.1", SetIdentifier="a", Weight=50),
        rrset("w.policy.test", "A", "192.0.2.2", SetIdentifier="b", Weight=50),
        rrset("w.policy.test", "A", "192.0.2.9", SetIdentifier="c", Weight=0),
        rrset("f.policy.test", "A", "192.0.2.11", SetIdentifier="p", Failover="PRIMARY", HealthCheckId="hc-p"),
        rrset("f.policy.test", "A", "192.0.2.12", SetIdentifier="s", Failover="SECONDARY"),
        rrset("g.policy.test", "A", "192.0.2.21", SetIdentifier="gb", GeoLocation={"CountryCode": "GB"}),
        rrset("g.policy.test", "A", "192.0.2.29", SetIdentifier="any", GeoLocation={"CountryCode": "*"}),
    ]))
    return Engine(index)


@needs_worker
def test_weighted_names_are_drawn_natively_with_their_weights() -> None:
    async def main() -> None:
        engine = routed_engine()
        wire = query("w.policy.test")
        possible = {engine.answer(wire, "127.0.0.1") for _ in range(200)}  # Python's own answers
        assert len(possible) == 2  # 192.0.2.1 or 192.0.2.2, never the weight-0 record
        async with serving(engine) as (native, port):
            seen = set()
            for _ in range(200):
                got = await ask(port, wire)
                assert got in possible
                seen.add(got)
            assert seen == possible  # both drawn (a miss has odds of 2**-199)
            before = native.table.answered
            for _ in range(20):
                assert await ask(port, wire) in possible
            assert native.table.answered >= before + 20

    asyncio.run(main())


@needs_worker
def test_every_member_of_a_weighted_pool_is_learnt_with_the_first_answer() -> None:
    """A 1% member is drawn by the workers as often as by Python: once the question is
    learnt, none of its draws goes to Python (before, each member waited for Python's own
    draw to pick it: ~100 forwarded queries for a 1% member)."""
    from gureum.services.route53.index import ZoneIndex

    async def main() -> None:
        index = ZoneIndex()
        index.put_zone(make_zone("ZW", "rare.test", [
            rrset("w.rare.test", "A", "192.0.2.1", SetIdentifier="rare", Weight=1),
            rrset("w.rare.test", "A", "192.0.2.2", SetIdentifier="common", Weight=99),
        ]))
        engine = Engine(index)
        wire = query("w.rare.test")
        async with serving(engine) as (native, port):
            for _ in range(3):  # the first goes to Python (and fills its cache), then it is learnt
                await ask(port, wire)
            forwarded = native.table.forwarded
            seen = {dns.message.from_wire(await ask(port, wire)).answer[0][0].address for _ in range(300)}
            assert native.table.forwarded == forwarded
            assert "192.0.2.2" in seen

    asyncio.run(main())


@needs_worker
def test_failover_follows_health_natively() -> None:
    async def main() -> None:
        engine = routed_engine()
        engine.index.set_health({"hc-p": True})
        wire = query("f.policy.test")
        async with serving(engine) as (native, port):
            for _ in range(3):
                assert "192.0.2.11" in dns.message.from_wire(await ask(port, wire)).to_text()
            before = native.table.answered
            assert "192.0.2.11" in dns.message.from_wire(await ask(port, wire)).to_text()
            assert native.table.answered > before
            engine.index.set_health({"hc-p": False})
            for _ in range(3):
                got = await ask(port, wire)
                assert got == engine.answer(wire, "127.0.0.1") and "192.0.2.12" in dns.message.from_wire(got).to_text()
            assert native.table.answered > before + 1

    asyncio.run(main())


@needs_worker
def test_a_health_change_keeps_the_static_answers_and_replaces_only_the_programs() -> None:
    """A flapping check must not empty the table: static answers stay native, a routed
    question goes to Python once for its new program, then is native again."""
    async def main() -> None:
        engine = routed_engine()
        engine.index.set_health({"hc-p": True})
        static, routed = query("policy.test", "SOA"), query("f.policy.test")
        async with serving(engine) as (native, port):
            for _ in range(3):
                await ask(port, static)
                await ask(port, routed)
            for up, value in ((False, "192.0.2.12"), (True, "192.0.2.11"), (False, "192.0.2.12")):
                engine.index.set_health({"hc-p": up})
                forwarded = native.table.forwarded
                assert await ask(port, static) == engine.answer(static, "127.0.0.1")
                assert native.table.forwarded == forwarded  # still the table's
                for _ in range(3):
                    got = await ask(port, routed)
                    assert value in dns.message.from_wire(got).to_text()
                answered = native.table.answered
                assert value in dns.message.from_wire(await ask(port, routed)).to_text()
                assert native.table.answered == answered + 1  # the new program is followed natively

    asyncio.run(main())


@needs_worker
def test_geolocation_by_client_subnet_natively_and_by_source_in_python() -> None:
    async def main() -> None:
        engine = routed_engine()
        gb = query("g.policy.test", use_edns=0, options=[dns.edns.ECSOption("81.2.69.0", 24)])
        plain = query("g.policy.test")
        async with serving(engine) as (native, port):
            for _ in range(3):
                got = await ask(port, gb)
                assert got == engine.answer(gb, "127.0.0.1") and "192.0.2.21" in dns.message.from_wire(got).to_text()
                got = await ask(port, plain)
                assert got == engine.answer(plain, "127.0.0.1") and "192.0.2.29" in dns.message.from_wire(got).to_text()
            before, forwarded = native.table.answered, native.table.forwarded
            await ask(port, gb)
            await ask(port, plain)
            assert native.table.answered > before  # the subnet's decision is a table
            assert native.table.forwarded > forwarded  # the source's location is Python's

    asyncio.run(main())
