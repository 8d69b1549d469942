"""The roster's rules on values (gureum/roster.py), and the handover hooks' transactions
(Lambda's async_queue.release, ECS's nodes.unclaim), over the in-memory store: which state a
row is in as a reader sees it, who is gone, what a leaving node gives back. Starts no gureum."""

from __future__ import annotations

import asyncio
from typing import Any

from gureum import roster
from gureum.services.ecs import model as ecs_model
from gureum.services.ecs import nodes
from gureum.services.lambda_ import async_queue
from gureum.store.base import Txn
from gureum.store.memory import MemoryStore

TIMEOUT = 15.0


def _in_txn(fn: Any) -> Any:
    async def go() -> Any:
        store = MemoryStore()
        try:
            return await store.run(fn)
        finally:
            await store.close()

    return asyncio.run(go())


def _doc(node: str, started: float) -> dict[str, Any]:
    return {"node": node, "host": "h", "roles": ["api"], "started": started}


def test_a_node_is_up_while_it_beats_dead_after_the_missed_beats_and_left_once_it_leaves() -> None:
    def txn(t: Txn) -> list[dict[str, str]]:
        roster.register(t, _doc("a", 1.0), 100.0, TIMEOUT)
        roster.register(t, _doc("b", 2.0), 100.0, TIMEOUT)
        roster.register(t, _doc("c", 3.0), 100.0, TIMEOUT)
        assert roster.beat(t, "a", 110.0, {"lambda": {"busy": 1}})
        assert not roster.beat(t, "forgotten", 110.0, {})  # its caller registers it again
        roster.mark(t, "c", "left", 101.0)
        seen = [{"node": r["node"], "state": r["state"]} for r in roster.view(t, 114.0, TIMEOUT)]
        seen += [{"node": r["node"], "state": r["state"]} for r in roster.view(t, 116.0, TIMEOUT)]
        assert roster.view(t, 114.0, TIMEOUT)[0]["runs"] == {"lambda": {"busy": 1}}
        assert roster.is_gone(t, "c", 114.0, TIMEOUT) and not roster.is_gone(t, "a", 114.0, TIMEOUT)
        assert roster.is_gone(t, "b", 116.0, TIMEOUT)
        assert not roster.is_gone(t, "never-registered", 116.0, TIMEOUT)  # an older gureum's claims stay its own
        return seen

    assert _in_txn(txn) == [
        {"node": "a", "state": "up"}, {"node": "b", "state": "up"}, {"node": "c", "state": "left"},
        {"node": "a", "state": "up"}, {"node": "b", "state": "dead"}, {"node": "c", "state": "left"},
    ]  # fmt: skip


def test_a_node_leaving_is_shown_leaving_and_a_dead_one_is_forgotten_after_a_day() -> None:
    def txn(t: Txn) -> tuple[list[str], list[str]]:
        roster.register(t, _doc("a", 1.0), 100.0, TIMEOUT)
        roster.register(t, _doc("b", 2.0), 100.0, TIMEOUT)
        roster.mark(t, "a", "leaving", 105.0)
        states = [r["state"] for r in roster.view(t, 106.0, TIMEOUT)]
        roster.register(t, _doc("c", 3.0), 110.0 + roster.FORGET_AFTER, TIMEOUT)
        return states, [r["node"] for r in roster.view(t, 110.0 + roster.FORGET_AFTER, TIMEOUT)]

    states, left = _in_txn(txn)
    assert states == ["leaving", "up"]
    assert left == ["c"]


def test_a_leaving_node_gives_back_only_its_own_async_event_claims() -> None:
    def txn(t: Txn) -> tuple[int, dict[str, Any]]:
        for key, owner in (("0000000000001/e1", "a"), ("0000000000002/e2", "b"), ("0000000000003/e3", None)):
            row: dict[str, Any] = {"request_id": key[-2:]}
            if owner:
                row |= {"owner": owner, "lease": 10**15}
            t.put(async_queue.EVENTS, key, row)
        n = async_queue.release(t, "a")
        return n, dict(t.scan(async_queue.EVENTS))

    n, rows = _in_txn(txn)
    assert n == 1
    assert "owner" not in rows["0000000000001/e1"] and "lease" not in rows["0000000000001/e1"]
    assert rows["0000000000002/e2"]["owner"] == "b"


def test_an_event_claimed_by_a_node_the_roster_reports_dead_is_claimed_at_once() -> None:
    def txn(t: Txn) -> tuple[Any, Any]:
        roster.register(t, _doc("a", 1.0), 100.0, TIMEOUT)
        roster.register(t, _doc("b", 1.0), 130.0, TIMEOUT)
        t.put(async_queue.EVENTS, "k1", {"request_id": "e1", "owner": "b", "lease": 10**15})
        t.put(async_queue.EVENTS, "k2", {"request_id": "e2", "owner": "a", "lease": 10**15})
        live = async_queue.claim(t, "k1", "c", 131_000, dead_after=TIMEOUT)  # b beats: its claim holds
        dead = async_queue.claim(t, "k2", "c", 131_000, dead_after=TIMEOUT)  # a silent 31 s: dead
        return live, dead

    live, dead = _in_txn(txn)
    assert live is None
    assert dead is not None and dead["owner"] == "c"


def test_a_leaving_node_unclaims_the_fargate_tasks_it_has_not_started() -> None:
    def task(status: str, desired: str, owner: str | None, instance: str | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {"lastStatus": status, "desiredStatus": desired, "_": {"node": owner}}
        if instance:
            doc["containerInstanceArn"] = instance
        return doc

    def txn(t: Txn) -> tuple[int, dict[str, Any]]:
        t.put(ecs_model.TASKS, "t1", task("PROVISIONING", "RUNNING", "a"))
        t.put(ecs_model.TASKS, "t2", task("RUNNING", "RUNNING", "a"))
        t.put(ecs_model.TASKS, "t3", task("PROVISIONING", "RUNNING", "b"))
        t.put(ecs_model.TASKS, "t4", task("PROVISIONING", "RUNNING", "a", instance="ci"))  # placed on a's instance
        t.put(ecs_model.TASKS, "t5", task("PROVISIONING", "STOPPED", "a"))
        return nodes.unclaim(t, "a"), {k: d["_"]["node"] for k, d in t.scan(ecs_model.TASKS)}

    n, owners = _in_txn(txn)
    assert n == 1
    assert owners == {"t1": None, "t2": "a", "t3": "b", "t4": "a", "t5": "a"}
