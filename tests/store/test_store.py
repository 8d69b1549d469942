"""One suite for every store backend (memory, sqlite, postgres): the Store contract."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from waiting import wait_for_async

from gureum.store import sqlite as sqlite_mod
from gureum.store.base import Event, Store, Txn
from gureum.store.threaded import ReadOnlyTxnError

REPO = Path(__file__).resolve().parents[2]


class Boom(Exception):
    pass


# --- documents ----------------------------------------------------------------------------


async def test_put_then_get_returns_an_equal_copy(store: Store) -> None:
    doc = {"name": "zone", "n": 3, "f": 1.5, "ok": True, "none": None, "l": [1, "é", {"x": "\U0001f600"}]}
    await store.run(lambda t: t.put("zones", "a/1", doc))
    got = await store.read(lambda t: t.get("zones", "a/1"))
    assert got == doc
    got["n"] = 99
    assert (await store.read(lambda t: t.get("zones", "a/1")))["n"] == 3
    assert await store.read(lambda t: t.get("zones", "missing")) is None
    assert await store.read(lambda t: t.get("other", "a/1")) is None


async def test_a_document_reads_back_as_json_reads_it(store: Store) -> None:
    """Rows are parsed with orjson, and with json where orjson refuses the text (integers past
    64 bits, NaN and infinities, lone surrogates): every document reads back as before."""
    import json
    import math

    from gureum.store.threaded import dumps

    docs = {
        "plain": {"Name": "h1.example.com.", "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": "192.0.2.1"}]},
        "numbers": {"big": 2**70, "neg": -(2**64), "max": 2**63 - 1, "f": 0.1, "tiny": 1e-7, "z": -0.0, "e": 1e308,
                    "min1": -(2**63) - 1, "u64": 2**64, "in_text": "12345678901234567890123"},
        "nan": {"v": [math.inf, -math.inf]},
        "surrogate": {"s": "\ud800 alone", "pair": "\U0001f600", "esc": "tab\tquote\"nul\u0001"},
        "nested": {"a": [[], {}, [None, True, False, ""]]},
    }
    await store.run(lambda t: [t.put("docs", k, v) for k, v in docs.items()])
    got = dict(await store.read(lambda t: t.scan("docs")))
    assert got == {k: json.loads(dumps(v)) for k, v in docs.items()}
    assert all(type(got["numbers"][k]) is int for k in ("big", "neg", "max", "min1", "u64"))
    assert math.copysign(1.0, got["numbers"]["z"]) == -1.0
    await store.run(lambda t: t.put("docs", "nan", {"v": math.nan}))
    assert math.isnan((await store.read(lambda t: t.get("docs", "nan")))["v"])


async def test_put_overwrites(store: Store) -> None:
    await store.run(lambda t: t.put("t", "k", {"v": 1}))
    await store.run(lambda t: t.put("t", "k", {"v": 2}))
    assert await store.read(lambda t: t.get("t", "k")) == {"v": 2}
    assert await store.read(lambda t: t.count("t")) == 1


async def test_insert_writes_only_when_absent(store: Store) -> None:
    assert await store.run(lambda t: t.insert("t", "k", {"v": 1})) is True
    assert await store.run(lambda t: t.insert("t", "k", {"v": 2})) is False
    assert await store.read(lambda t: t.get("t", "k")) == {"v": 1}


async def test_delete_says_whether_a_row_was_deleted(store: Store) -> None:
    await store.run(lambda t: t.put("t", "k", {}))
    assert await store.run(lambda t: t.delete("t", "k")) is True
    assert await store.run(lambda t: t.delete("t", "k")) is False
    assert await store.read(lambda t: t.get("t", "k")) is None


async def test_keys_must_be_str_without_nul(store: Store) -> None:
    with pytest.raises(ValueError):
        await store.run(lambda t: t.put("t", "a\x00b", {}))
    with pytest.raises(TypeError):
        await store.run(lambda t: t.put("t", 1, {}))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await store.run(lambda t: t.put("t", "k", {"not json": object()}))
    assert await store.read(lambda t: t.count("t")) == 0


# --- ordered scans ------------------------------------------------------------------------

KEYS = sorted(
    {
        "", "a", "a/", "a/1", "a/10", "a/2", "a0", "ab", "abc", "b", "B", "z", "~", "\x01", "\x7f",
        "é", "éa", "\u00ff", "\u0100", "\uffef", "\uffff", "\U00010000", "\U0001f600",
        "a\U0010ffff", "a\U0010ffffb", "a\U0010ffff\U0010ffff", "\U0010ffff", "\ud7ff", "\ue000",
    }
)


def _expected(prefix: str, start: str | None, end: str | None, limit: int | None, reverse: bool) -> list[str]:
    keys = [k for k in KEYS if k.startswith(prefix) and (start is None or k >= start) and (end is None or k < end)]
    if reverse:
        keys.reverse()
    return keys if limit is None else keys[:limit]


async def test_scan_is_bytewise_ordered_and_honours_prefix_start_end_limit_reverse(store: Store) -> None:
    assert KEYS == sorted(KEYS, key=lambda k: k.encode("utf-8"))  # code-point order == UTF-8 byte order

    def fill(t: Txn) -> None:
        for i, k in enumerate(KEYS):
            t.put("s", k, {"i": i})
        t.put("r", "a", {})  # another table must not leak in
        t.put("t", "a", {})

    await store.run(fill)
    prefixes = ["", "a", "a/", "a/1", "b", "é", "\U0010ffff", "a\U0010ffff", "zz"]
    bounds = [None, "", "a", "a/10", "a0", "ab", "éa", "\U0001f600", "a\x00", "b\x00z"]

    def check(t: Txn) -> int:
        n = 0
        for prefix, start, end, limit, reverse in itertools.product(prefixes, bounds, bounds, [None, 0, 1, 3], [False, True]):
            got = t.scan("s", prefix, start=start, end=end, limit=limit, reverse=reverse)
            want = _expected(prefix, start, end, limit, reverse)
            assert [k for k, _ in got] == want, (prefix, start, end, limit, reverse)
            assert all(v == {"i": KEYS.index(k)} for k, v in got)
            n += 1
        return n

    assert await store.read(check) > 1000
    assert [k for k, _ in await store.read(lambda t: t.scan("s"))] == KEYS


async def test_count_and_delete_prefix_use_the_prefix_only(store: Store) -> None:
    def fill(t: Txn) -> None:
        for k in ["a", "a/1", "a/2", "a/2/x", "a0", "b/1", "a\U0010ffff"]:
            t.put("t", k, {})
        t.put("u", "a/1", {})

    await store.run(fill)
    assert await store.read(lambda t: (t.count("t"), t.count("t", "a/"), t.count("t", "a"), t.count("t", "c"))) == (7, 3, 6, 0)
    assert await store.run(lambda t: t.delete_prefix("t", "a/")) == 3
    assert [k for k, _ in await store.read(lambda t: t.scan("t"))] == ["a", "a0", "a\U0010ffff", "b/1"]
    assert await store.run(lambda t: t.delete_prefix("t", "")) == 4
    assert await store.read(lambda t: (t.count("t"), t.count("u"))) == (0, 1)


async def test_iter_scan_pages_through_a_large_table(store: Store) -> None:
    keys = [f"k/{i:05d}" for i in range(1234)] + ["k/00005/child"]
    await store.run(lambda t: [t.put("big", k, {"k": k}) for k in keys])
    got = await store.read(lambda t: [k for k, _ in store.iter_scan(t, "big", "k/", page=100)])
    assert got == sorted(keys)


async def test_next_id_counts_up_per_name(store: Store) -> None:
    assert await store.run(lambda t: [t.next_id("a"), t.next_id("a"), t.next_id("b")]) == [1, 2, 1]
    assert await store.run(lambda t: t.next_id("a")) == 3
    with pytest.raises(Boom):
        await store.run(lambda t: (t.next_id("a"), _raise(Boom())))
    assert await store.run(lambda t: t.next_id("a")) > 3


# --- transactions ---------------------------------------------------------------------------


def _raise(e: BaseException) -> None:
    raise e


async def test_a_raising_fn_rolls_back_everything_and_its_exception_propagates(store: Store) -> None:
    await store.run(lambda t: (t.put("t", "keep", {"v": 1}), t.put("t", "gone", {"v": 1})))
    seen: list[Event] = []
    store.subscribe("", seen.append)

    def fn(t: Txn) -> None:
        t.put("t", "keep", {"v": 2})
        t.put("t", "new", {})
        t.delete("t", "gone")
        t.delete_prefix("t", "")
        t.next_id("n")
        t.publish("topic", {"x": 1})
        raise Boom("no")

    with pytest.raises(Boom, match="no"):
        await store.run(fn)
    await store.run(lambda t: t.publish("marker", {}))  # delivered after anything the failed fn published
    await wait_for_async("the marker event delivered", lambda: seen, timeout=20)
    assert await store.read(lambda t: t.scan("t")) == [("gone", {"v": 1}), ("keep", {"v": 1})]
    assert [e.topic for e in seen] == ["marker"]
    assert [e.topic for e in await store.events_since(0)] == ["marker"]
    assert await store.run(lambda t: t.next_id("n")) >= 1


async def test_reads_inside_a_txn_see_its_own_writes(store: Store) -> None:
    await store.run(lambda t: t.put("t", "a", {"v": 0}))

    def fn(t: Txn) -> tuple:
        t.put("t", "b", {"v": 1})
        t.put("t", "a", {"v": 2})
        first = (t.get("t", "a"), t.get("t", "b"), t.count("t"), [k for k, _ in t.scan("t")])
        t.delete("t", "a")
        second = (t.get("t", "a"), t.count("t"), t.insert("t", "a", {"v": 3}), t.get("t", "a"))
        return first, second

    first, second = await store.run(fn)
    assert first == ({"v": 2}, {"v": 1}, 2, ["a", "b"])
    assert second == (None, 1, True, {"v": 3})


async def test_one_failing_fn_in_a_group_commit_loses_nothing_else(store: Store, backend) -> None:
    gate, holding = threading.Event(), threading.Event()
    if backend.name == "memory":
        gate.set()  # memory runs fns inline on the loop: nothing to hold back

    def slow(t: Txn) -> str:  # holds the writer while the others queue into one batch
        holding.set()
        gate.wait(5)
        t.put("g", "slow", {})
        return "slow"

    def fn(i: int):
        def body(t: Txn) -> int:
            t.put("g", f"k{i:03d}", {"i": i})
            t.publish("g", {"i": i})
            if i % 7 == 3:
                raise Boom(i)
            return i

        return body

    async def release() -> None:  # gathered last: it runs once every run() before it has queued its fn
        gate.set()

    seen: list[int] = []
    store.subscribe("g", lambda e: seen.append(e.data["i"]))
    first = asyncio.ensure_future(store.run(slow))
    await wait_for_async("the slow fn holding the writer", holding.is_set, timeout=20)
    commits = getattr(store, "commits", 0)
    results = await asyncio.gather(*(store.run(fn(i)) for i in range(200)), release(), return_exceptions=True)
    assert await first == "slow"
    if backend.name != "memory":
        assert store.commits - commits <= 2  # the 200 fns shared one or two transactions
    for i, r in enumerate(results[:200]):
        if i % 7 == 3:
            assert isinstance(r, Boom) and r.args == (i,)
        else:
            assert r == i
    keys = [k for k, _ in await store.read(lambda t: t.scan("g"))]
    good = [i for i in range(200) if i % 7 != 3]
    assert keys == [f"k{i:03d}" for i in good] + ["slow"]
    assert sorted(seen) == good
    assert [e.data["i"] for e in await store.events_since(0, limit=1000)] == good


async def test_read_refuses_writes(store: Store) -> None:
    await store.run(lambda t: t.put("t", "k", {}))
    writes = [
        lambda t: t.put("t", "x", {}),
        lambda t: t.insert("t", "x", {}),
        lambda t: t.delete("t", "k"),
        lambda t: t.delete_prefix("t", ""),
        lambda t: t.next_id("n"),
        lambda t: t.publish("p", {}),
    ]
    for w in writes:
        with pytest.raises(ReadOnlyTxnError):
            await store.read(w)
    assert await store.read(lambda t: t.scan("t")) == [("k", {})]
    assert isinstance(ReadOnlyTxnError(), RuntimeError)


async def test_async_transaction_functions_are_refused(store: Store) -> None:
    async def fn(t: Txn) -> None:
        t.put("t", "k", {})

    with pytest.raises(TypeError):
        await store.run(fn)  # type: ignore[arg-type]
    assert await store.read(lambda t: t.count("t")) == 0


async def test_a_txn_cannot_be_used_after_its_fn_returns(store: Store) -> None:
    leaked = await store.run(lambda t: t)
    with pytest.raises(RuntimeError):
        leaked.put("t", "k", {})


async def test_read_sees_one_snapshot(store: Store, backend) -> None:
    if backend.name == "memory":
        pytest.skip("memory reads hold the store lock: no concurrent writer can interleave")
    await store.run(lambda t: t.put("t", "k", {"v": 1}))

    def fn(t: Txn) -> tuple:
        before = t.get("t", "k")
        store.run_sync(lambda w: w.put("t", "k", {"v": 2}))  # commits while this read is open
        return before, t.get("t", "k"), t.count("t")

    assert await store.read(fn) == ({"v": 1}, {"v": 1}, 1)
    assert await store.read(lambda t: t.get("t", "k")) == {"v": 2}


async def test_reads_do_not_queue_behind_a_slow_write(store: Store, backend) -> None:
    if backend.name == "memory":
        pytest.skip("memory transactions run inline")
    await store.run(lambda t: t.put("t", "k", {"v": 1}))
    writing, release = threading.Event(), threading.Event()

    def slow(t: Txn) -> None:
        t.put("t", "k", {"v": 2})
        writing.set()
        release.wait(30)  # the write stays open until the read has answered

    w = asyncio.ensure_future(store.run(slow))
    assert await asyncio.to_thread(writing.wait, 30)
    try:
        # answered while the write is still open (queued behind it, the read would time out)
        assert await asyncio.wait_for(store.read(lambda t: t.get("t", "k")), 20) == {"v": 1}
        assert not w.done()
    finally:
        release.set()
    await w
    assert await store.read(lambda t: t.get("t", "k")) == {"v": 2}


async def test_hundreds_of_concurrent_read_modify_writes_are_serialised(store: Store) -> None:
    await store.run(lambda t: t.put("c", "n", {"n": 0}))

    def incr(t: Txn) -> int:
        doc = t.get("c", "n")
        doc["n"] += 1
        t.put("c", "n", doc)
        return t.next_id("ids")

    ids = await asyncio.gather(*(store.run(incr) for _ in range(500)))
    assert sorted(ids) == list(range(1, 501))
    assert await store.read(lambda t: t.get("c", "n")) == {"n": 500}


def test_run_sync_works_off_the_loop_and_refuses_on_it(store: Store) -> None:
    out: list = []
    th = threading.Thread(target=lambda: out.append(store.run_sync(lambda t: (t.put("t", "k", {"v": 1}), t.next_id("x"))[1])))
    th.start()
    th.join()
    assert out == [1]

    async def on_loop() -> None:
        with pytest.raises(RuntimeError):
            store.run_sync(lambda t: None)
        assert await store.read(lambda t: t.get("t", "k")) == {"v": 1}

    asyncio.run(on_loop())


async def test_run_sync_inside_a_write_transaction_refuses_to_deadlock(store: Store, backend) -> None:
    if backend.name == "memory":
        pytest.skip("memory transactions run inline and nest")
    with pytest.raises(RuntimeError, match="deadlock"):
        await store.run(lambda t: store.run_sync(lambda u: None))


def test_blocking_forms_for_tools(store: Store) -> None:
    store.run_sync(lambda t: t.put("t", "k", {"v": 1}))
    assert store.read_sync(lambda t: t.get("t", "k")) == {"v": 1}  # type: ignore[attr-defined]
    store.close_sync()  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError):
        store.run_sync(lambda t: None)


async def test_a_closed_store_refuses_work(store: Store) -> None:
    pending = [asyncio.ensure_future(store.run(lambda t, i=i: t.put("t", str(i), {}))) for i in range(50)]
    await asyncio.sleep(0)  # one loop turn, not a wait: each task above takes its first step and queues its fn
    await store.close()
    await asyncio.gather(*pending)  # queued work finishes
    with pytest.raises(RuntimeError):
        await store.run(lambda t: None)
    await store.close()  # idempotent


async def test_data_survives_reopening(backend) -> None:
    if not backend.durable:
        pytest.skip("memory is not durable")
    s1 = backend.open()
    await s1.run(lambda t: (t.put("t", "k", {"v": 1}), t.next_id("n"), t.publish("p", {"a": 1})))
    await s1.close()
    s2 = backend.open()
    assert await s2.read(lambda t: t.get("t", "k")) == {"v": 1}
    assert await s2.run(lambda t: t.next_id("n")) == 2
    assert [e.topic for e in await s2.events_since(0)] == ["p"]


# --- events ------------------------------------------------------------------------------


async def test_subscribers_get_committed_events_on_the_loop_before_run_returns(store: Store) -> None:
    seen: list[tuple[str, dict, int]] = []
    loop_thread = threading.get_ident()
    unsubscribe = store.subscribe("zone.", lambda e: seen.append((e.topic, e.data, threading.get_ident())))

    def fn(t: Txn) -> None:
        t.put("t", "k", {})
        t.publish("zone.created", {"name": "a"})
        t.publish("other", {"x": 1})
        t.publish("zone.changed", {"name": "a"})

    await store.run(fn)
    assert seen == [("zone.created", {"name": "a"}, loop_thread), ("zone.changed", {"name": "a"}, loop_thread)]
    unsubscribe()
    still: list[str] = []
    store.subscribe("zone.", lambda e: still.append(e.topic))
    await store.run(lambda t: t.publish("zone.deleted", {}))
    await wait_for_async("the event delivered to the subscriber still subscribed", lambda: still, timeout=20)
    assert len(seen) == 2


async def test_a_failing_subscriber_does_not_break_the_others(store: Store) -> None:
    seen: list[str] = []
    store.subscribe("", lambda e: _raise(Boom()))
    store.subscribe("", lambda e: seen.append(e.topic))
    await store.run(lambda t: t.publish("a", {}))
    await wait_for_async("the event delivered to the second subscriber", lambda: seen, timeout=20)
    assert seen == ["a"]


async def test_events_since_follows_the_change_log_in_order(store: Store) -> None:
    for i in range(5):
        await store.run(lambda t, i=i: [t.publish(f"t{i}", {"i": i, "j": j}) for j in range(2)])
    events = await store.events_since(0)
    assert [(e.topic, e.data) for e in events] == [(f"t{i}", {"i": i, "j": j}) for i in range(5) for j in range(2)]
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == 10
    assert await store.events_since(seqs[3]) == events[4:]
    assert await store.events_since(seqs[3], limit=2) == events[4:6]
    assert await store.events_since(seqs[-1]) == []


async def test_the_change_log_is_trimmed(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from gureum.store import memory, postgres, threaded

    for mod in (sqlite_mod, memory, postgres, threaded):
        monkeypatch.setattr(mod, "EVENTS_KEEP", 10)
    monkeypatch.setattr(threaded, "TRIM_EVERY_EVENTS", 5)
    for i in range(30):
        await store.run(lambda t, i=i: t.publish("e", {"i": i}))
    events = await store.events_since(0)
    assert 10 <= len(events) <= 15
    assert events[-1].data == {"i": 29}


# --- PostgreSQL: several nodes on one database -----------------------------------------------


async def test_two_nodes_share_state_and_a_follower_misses_no_event(backend) -> None:
    if backend.name != "postgres":
        pytest.skip("several nodes share a store only on PostgreSQL")
    a, b = backend.open(), backend.open()

    def bump(node: str, i: int):
        def fn(t: Txn) -> None:
            doc = t.get("c", "n") or {"n": 0}
            doc["n"] += 1
            t.put("c", "n", doc)
            t.publish("e", {"node": node, "i": i})

        return fn

    followed: list[Event] = []
    done = False
    seq = 0

    async def caught_up() -> bool:
        nonlocal seq
        # Whether every write had committed before this read began: only an empty read that
        # began after that ends the follow (a read whose snapshot predates the last group
        # commit may come back empty after `done` is set).
        finishing = done
        batch = await a.events_since(seq)
        followed.extend(batch)
        if batch:
            seq = batch[-1].seq
            return False
        return finishing

    follower = asyncio.ensure_future(wait_for_async("the follower to read past the last write", caught_up, timeout=25, interval=0.001))
    await asyncio.gather(*(s.run(bump(name, i)) for i in range(150) for name, s in (("a", a), ("b", b))))
    done = True
    await follower
    assert await b.read(lambda t: t.get("c", "n")) == {"n": 300}
    assert len(followed) == 300
    assert sorted((e.data["node"], e.data["i"]) for e in followed) == sorted((n, i) for n in "ab" for i in range(150))


async def test_change_follower_applies_every_event_once_from_either_path(backend) -> None:
    """In-process delivery and log polling meet: each of this node's and the other node's
    events is applied exactly once, and polling never skips an event that another node
    committed with a smaller sequence number than one already delivered in-process."""
    from gureum.store.follow import ChangeFollower

    if backend.name != "postgres":
        pytest.skip("several nodes share a store only on PostgreSQL")
    a, b = backend.open(), backend.open()
    applied: list[tuple[str, int]] = []
    follower = ChangeFollower(a, "job", lambda e: applied.append((e.data["node"], e.data["i"])))
    await a.run(lambda t: t.publish("job", {"node": "before", "i": 0}))  # before start: not applied
    await follower.start()

    def job(node: str, i: int):
        return lambda t: (t.publish("job", {"node": node, "i": i}), t.publish("other", {"i": i}))

    await asyncio.gather(*(s.run(job(name, i)) for i in range(60) for name, s in (("a", a), ("b", b))))
    await follower.poll()
    await asyncio.gather(*(s.run(job(name, i)) for i in range(60, 80) for name, s in (("a", a), ("b", b))))
    await follower.poll()
    follower.stop()
    assert sorted(applied) == sorted((n, i) for n in "ab" for i in range(80))


async def test_nodes_claiming_async_lambda_events_never_take_the_same_one(backend) -> None:
    """Two nodes racing for every due event of the Lambda async queue: each event goes to
    exactly one; a claim whose lease ran out can be taken over; the owner may re-take its own."""
    from gureum.services.lambda_.async_queue import CLAIM_LEASE_MS, EVENTS, claim

    if backend.name != "postgres":
        pytest.skip("several nodes share a store only on PostgreSQL")
    a, b = backend.open(), backend.open()
    keys = [f"{i:013d}/ev-{i}" for i in range(100)]
    await a.run(lambda t: [t.put(EVENTS, k, {"request_id": k}) for k in keys])
    now = 1_000

    async def race(store: Store, node: str) -> list[str]:
        got = await asyncio.gather(*(store.run(lambda t, k=k: claim(t, k, node, now)) for k in keys))
        return [k for k, row in zip(keys, got, strict=True) if row is not None]

    won_a, won_b = await asyncio.gather(race(a, "node-a"), race(b, "node-b"))
    assert sorted(won_a + won_b) == keys  # every event claimed, none twice
    k = (won_a or won_b)[0]
    owner, other = ("node-a", "node-b") if won_a else ("node-b", "node-a")
    assert await b.run(lambda t: claim(t, k, other, now + 1)) is None
    assert (await a.run(lambda t: claim(t, k, owner, now + 1)))["owner"] == owner
    assert (await b.run(lambda t: claim(t, k, other, now + CLAIM_LEASE_MS + 2)))["owner"] == other


async def test_a_fn_that_swallows_a_database_error_fails_alone(backend) -> None:
    if backend.name != "postgres":
        pytest.skip("only PostgreSQL refuses this key (btree index rows are limited to ~2.7 kB)")
    store = backend.open()
    huge = os.urandom(20_000).hex()
    gate = threading.Event()

    def swallow(t: Txn) -> str:
        t.put("t", "before", {})
        try:
            t.put("t", huge, {})
        except Exception:
            pass
        return "ok"

    with pytest.raises(Exception, match="caught a database error"):
        await store.run(swallow)  # alone in its transaction
    holding = threading.Event()
    hold = asyncio.ensure_future(store.run(lambda t: (holding.set(), gate.wait(5))))
    await wait_for_async("the writer held", holding.is_set, timeout=20)
    bad = asyncio.ensure_future(store.run(swallow))  # queued with others: one savepoint each
    others = [asyncio.ensure_future(store.run(lambda t, i=i: t.put("t", f"k{i}", {}))) for i in range(5)]
    asyncio.get_running_loop().call_soon(gate.set)  # after each of those has queued its fn (their first steps)
    await hold
    with pytest.raises(Exception, match="caught a database error"):
        await bad
    await asyncio.gather(*others)
    assert [k for k, _ in await store.read(lambda t: t.scan("t"))] == [f"k{i}" for i in range(5)]


# --- durability ---------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from gureum.store.sqlite import SqliteStore

    async def writer(store, w):
        for i in range(10**6):
            key = f"w{w:02d}-{i:06d}"
            await store.run(lambda t: (t.put("t", key, {"w": w, "i": i}), t.next_id("n")))
            print("acked", key, flush=True)

    async def main():
        store = SqliteStore(sys.argv[1])
        await asyncio.gather(*(writer(store, w) for w in range(20)))

    asyncio.run(main())
    """
)


def test_acknowledged_sqlite_writes_survive_kill_9(tmp_path: Path) -> None:
    from gureum.store.sqlite import SqliteStore

    db = tmp_path / "d" / "state.db"
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db)], stdout=subprocess.PIPE, env=env, text=True)
    acked: list[str] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            acked.append(line.split()[1])
            if len(acked) >= 500:
                break
    finally:
        child.send_signal(signal.SIGKILL)
        rest = child.communicate(timeout=10)[0]
    acked += [line.split()[1] for line in rest.splitlines() if line.startswith("acked ")]
    assert child.returncode == -signal.SIGKILL
    assert len(acked) >= 500

    store = SqliteStore(db)
    try:
        keys = store.read_sync(lambda t: {k for k, _ in t.scan("t")})
        counter = store.run_sync(lambda t: t.next_id("n"))
    finally:
        store.close_sync()
    missing = set(acked) - keys
    assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {sorted(missing)[:3]}"
    assert counter == len(keys) + 1  # the counter moved in the same transactions
