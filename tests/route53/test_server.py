"""The `dns` component on its own: start-up load, following change events, port fallback."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import dns.asyncquery
import dns.message
import dns.rcode
import pytest
from harness import free_port
from waiting import wait_for_async

from gureum import periodic
from gureum.config import Config
from gureum.services.logs.writer import LogWriter
from gureum.services.route53 import model, server
from gureum.services.route53.slots import DNS
from gureum.settings import SettingsCache
from gureum.slots import Parts
from gureum.store.memory import MemoryStore

ACCOUNT = "000000000000"


class MiniApp:
    """Just what the component uses of gureum.app.App."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = MemoryStore()
        self.notes: list[str] = []
        self.dns_address = None
        self.parts = Parts()
        self.settings = SettingsCache(config.setting)
        self.logs = LogWriter(self.store)
        self.status: dict = {}

    def every(self, interval, fn, *, name, jitter=0.1, first=None):
        return self.spawn(periodic.run_every(interval, fn, name=name, jitter=jitter, first=first), name)

    def set_status(self, name, state, reason=""):
        self.status[name] = state

    def spawn(self, coro, name):
        return asyncio.get_running_loop().create_task(coro, name=name)


async def started(app: MiniApp) -> asyncio.Task:
    task = asyncio.create_task(server.run(app))

    def up() -> bool:
        if task.done():
            task.result()  # it failed: say why
        return app.parts.get(DNS) is not None

    await wait_for_async("the dns component to start", up, timeout=30, interval=0.01)
    return task


async def ask(port: int, name: str) -> dns.message.Message:
    return await dns.asyncquery.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=port, timeout=2)


async def _rcode_is(port: int, name: str, rcode: dns.rcode.Rcode) -> bool:
    return (await ask(port, name)).rcode() == rcode


async def create(app: MiniApp, name: str, records: list[tuple[str, str]]) -> str:
    zone = (await app.store.run(lambda txn: model.create_zone(txn, ACCOUNT, name, name, None, False, None, None)))["zone"]
    zid = model.bare_id(zone["Id"])
    changes = [{"Action": "CREATE", "ResourceRecordSet": {"Name": n, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": v}]}} for n, v in records]
    if changes:
        await app.store.run(lambda txn: model.change_record_sets(txn, ACCOUNT, zid, {"Changes": changes}))
    return zid


def test_loads_zones_at_start_and_follows_changes(tmp_path: Path):
    async def main():
        app = MiniApp(Config(dns_port=free_port(), data_dir=tmp_path))
        await create(app, "before.test", [("www.before.test", "192.0.2.1")])
        task = await started(app)
        try:
            port = app.dns_address[1]
            assert app.status["route53"] == "running"
            assert (await ask(port, "www.before.test")).answer[0][0].to_text() == "192.0.2.1"
            zid = await create(app, "after.test", [("www.after.test", "192.0.2.2")])

            async def answer() -> list[str]:
                return [rr.to_text() for rrset in (await ask(port, "www.after.test")).answer for rr in rrset]

            # in-process events arrive on the loop
            assert await wait_for_async("the new zone answered", answer, timeout=10) == ["192.0.2.2"]
            await app.store.run(lambda txn: model.change_record_sets(txn, ACCOUNT, zid, {"Changes": [
                {"Action": "DELETE", "ResourceRecordSet": {"Name": "www.after.test", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.2"}]}}]}))
            await wait_for_async("the deleted record gone", lambda: _rcode_is(port, "www.after.test", dns.rcode.NXDOMAIN), timeout=10)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())


def test_falls_back_to_10053_when_the_port_is_taken(tmp_path: Path):
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.bind(("127.0.0.1", server.FALLBACK_PORT))
    except OSError:
        pytest.skip("port 10053 is in use here")
    finally:
        probe.close()
    busy_port = free_port()
    busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    busy.bind(("127.0.0.1", busy_port))
    busy.listen()

    async def main():
        app = MiniApp(Config(dns_port=busy_port, data_dir=tmp_path))
        task = await started(app)
        try:
            assert app.dns_address == ("127.0.0.1", server.FALLBACK_PORT)
            assert any("10053" in note for note in app.notes)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    try:
        asyncio.run(main())
    finally:
        busy.close()


def test_latest_seq_finds_the_newest_event():
    from gureum.store.follow import latest_seq

    async def main():
        store = MemoryStore()
        assert await latest_seq(store) == 0
        for _i in range(3000):
            await store.run(lambda txn: txn.publish("x", {"i": 1}))
        assert await latest_seq(store) == 3000

    asyncio.run(main())


def test_follower_polls_changes_committed_elsewhere():
    """Events not delivered in-process (another node's commits) are read from the change log."""

    class Recorder:
        def __init__(self):
            self.applied = []

        def apply_event(self, data):
            self.applied.append(data["n"])

    async def main():
        store = MemoryStore()  # nobody subscribed: like a commit on another node
        rec = Recorder()
        follower = server.Follower(rec, store, model.EVENT_TOPIC)
        follower.go_live()
        for n in range(3):
            await store.run(lambda txn, n=n: (txn.publish(model.EVENT_TOPIC, {"n": n}), txn.publish("other", {"n": -1})))
        task = asyncio.create_task(follower.changes.poll_forever(0.01))
        await wait_for_async("the 3 events applied", lambda: len(rec.applied) >= 3, timeout=10, interval=0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert rec.applied == [0, 1, 2] and follower.changes.position == 6
        follower.changes.on_local(store.log[1])  # an old event delivered late is not applied twice
        assert rec.applied == [0, 1, 2]

    asyncio.run(main())


def test_replaying_events_the_snapshot_already_has_changes_nothing():
    from gureum.services.route53.engine import Engine

    async def main():
        app = MiniApp(Config(dns_port=free_port()))
        await app.store.run(lambda txn: model.set_serial_increments(txn, True))  # as with secondaries
        zid = await create(app, "replay.test", [("a.replay.test", "192.0.2.1")])
        await app.store.run(lambda txn: model.change_record_sets(txn, ACCOUNT, zid, {"Changes": [
            {"Action": "UPSERT", "ResourceRecordSet": {"Name": "a.replay.test", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.2"}]}}]}))
        srv = server.DnsServer(Engine())
        srv.load(await app.store.read(model.load_all_zones), model.now())
        follower = server.Follower(srv, app.store, model.EVENT_TOPIC)
        follower.queued = [e for e in app.store.log if e.topic == model.EVENT_TOPIC]
        follower.go_live()
        zone = srv.index.zones[zid]
        assert zone.serial == 3 and zone.nodes[(b"a", b"replay", b"test")][1][0].to_text() == "192.0.2.2"
        assert all(srv.serves(model.bare_id(e.data["change_id"])) for e in follower.queued or app.store.log if e.topic == model.EVENT_TOPIC)

    asyncio.run(main())


def test_listeners_survive_garbage_over_udp_and_tcp(tmp_path: Path):
    import os
    import random

    async def main():
        app = MiniApp(Config(dns_port=free_port(), data_dir=tmp_path))
        await create(app, "garbage.test", [("www.garbage.test", "192.0.2.1")])
        task = await started(app)
        port = app.dns_address[1]
        rng = random.Random(1)
        try:
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for _ in range(300):
                udp.sendto(os.urandom(rng.randrange(0, 600)), ("127.0.0.1", port))
            udp.close()
            for payload in (b"\x00\x00", b"\xff\xff" + b"x" * 100, b"\x00\x05abc", os.urandom(2000), b"\x00\x0c" + b"\x00" * 12):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(payload)
                await writer.drain()
                writer.close()
            q = dns.message.make_query("www.garbage.test", "A")
            r = await dns.asyncquery.tcp(q, "127.0.0.1", port=port, timeout=2)
            assert r.answer[0][0].to_text() == "192.0.2.1"
            assert (await ask(port, "www.garbage.test")).answer[0][0].to_text() == "192.0.2.1"
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
