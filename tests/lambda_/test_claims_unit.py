"""Which node keeps a provisioned concurrency configuration's environments and drives a
durable execution: one node at a time, taken over from a node that is gone, given back when
a node leaves cleanly (node_status.handover)."""

from __future__ import annotations

import asyncio
from typing import Any

from gureum import roster
from gureum.services.lambda_ import durable, model, node_status, provisioned
from gureum.store.base import Txn
from gureum.store.memory import MemoryStore

KEY = "000000000000/us-east-1/fn"
TIMEOUT = 15.0


def _in_txn(fn: Any) -> Any:
    async def go() -> Any:
        store = MemoryStore()
        try:
            return await store.run(fn)
        finally:
            await store.close()

    return asyncio.run(go())


def _function(t: Txn) -> None:
    t.put(model.FUNCTIONS, KEY, {"config": {}, "provisioned": {"1": {"Requested": 2, "LastModified": "", "generation": "g1"}}})


def test_one_node_keeps_a_provisioned_configuration_until_it_is_gone_or_leaves() -> None:
    def txn(t: Txn) -> list[bool]:
        _function(t)
        roster.register(t, {"node": "a", "host": "h", "roles": ["functions"], "started": 100.0}, 100.0, TIMEOUT)
        roster.register(t, {"node": "b", "host": "h", "roles": ["functions"], "started": 100.0}, 100.0, TIMEOUT)
        out = [provisioned.claim(t, KEY, "1", "g1", "a", 101.0, TIMEOUT),   # first come
               provisioned.claim(t, KEY, "1", "g1", "b", 101.0, TIMEOUT),   # a is alive: not b's
               provisioned.claim(t, KEY, "1", "g0", "a", 101.0, TIMEOUT)]   # an older generation: nobody's
        node_status.handover(t, "a")  # a leaves cleanly
        out.append(provisioned.claim(t, KEY, "1", "g1", "b", 102.0, TIMEOUT))
        out.append(provisioned.claim(t, KEY, "1", "g1", "a", 200.0, TIMEOUT))  # b silent since 100: gone, a takes it
        return out

    assert _in_txn(txn) == [True, False, False, True, True]


def test_a_leaving_node_gives_back_the_durable_executions_it_drove() -> None:
    def txn(t: Txn) -> dict[str, Any]:
        for key, node in (("000000000000/us-east-1/e1", "a"), ("000000000000/us-east-1/e2", "b")):
            t.put(durable.EXECUTIONS, key, {"status": "RUNNING", "node": node})
        node_status.handover(t, "a")
        return dict(t.scan(durable.EXECUTIONS))

    rows = _in_txn(txn)
    assert "node" not in rows["000000000000/us-east-1/e1"]
    assert rows["000000000000/us-east-1/e2"]["node"] == "b"


def test_ended_durable_executions_leave_the_live_index_and_expire_after_their_retention() -> None:
    def txn(t: Txn) -> tuple[list[str], list[str], list[str], list[str], Any]:
        doc, _ = durable.start(t, "000000000000", "us-east-1", KEY, "arn:aws:lambda:us-east-1:000000000000:function:fn:1", "1",
                               "run-1", "{}", {"DurableConfig": {"RetentionPeriodInDays": 1}})
        key = durable.key_of("000000000000", "us-east-1", doc["id"])
        running = durable.live(t)
        durable.stop(t, key, doc["arn"], None)
        after_stop = durable.live(t)
        now = durable.now_ms()
        kept = durable.expired(t, now + 86_400_000 - 60_000)  # a minute short of a day: kept
        gone = durable.expired(t, now + 86_400_000 + 60_000)
        durable.delete_expired(t, gone)
        return running, after_stop, kept, gone, t.get(durable.NAMES, f"{KEY}/run-1")

    running, after_stop, kept, gone, name = _in_txn(txn)
    assert len(running) == 1 and after_stop == [] and kept == [] and gone == running
    assert name is None  # the name can be used again
