"""Batched writes outlive a store that goes away (found by the cluster failure suite: while
PostgreSQL restarted, a node's log writer and usage ledger dropped the batch they were
flushing, so an Event invocation that ran left no log line). Log lines and usage rows
recorded while PostgreSQL is down are written once it is back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from pg import PgCluster, find_pg_bin
from waiting import wait_for_async

from cluster.nodes import start_postgres, stop_postgres
from gureum.billing.ledger import Ledger, usage_rows
from gureum.services.logs import model
from gureum.services.logs.writer import LogWriter
from gureum.store import Txn, open_store

pytestmark = [pytest.mark.cluster, pytest.mark.e2e, pytest.mark.xdist_group("cluster")]
ACCOUNT, REGION = "123456789012", "us-east-1"


@pytest.fixture
def pg() -> Iterator[PgCluster]:
    if find_pg_bin() is None:
        pytest.skip("PostgreSQL is not installed")
    cluster = PgCluster(durable=True)  # synchronous commits: a crash loses no committed transaction
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def test_log_lines_and_usage_rows_recorded_while_postgresql_is_down_are_written_when_it_is_back(pg: PgCluster) -> None:
    stream = model.stream_key(ACCOUNT, REGION, "/aws/lambda/f", "s")

    def lines(txn: Txn) -> list[str]:
        return [doc["m"] for _, doc in txn.scan(model.EVENTS, stream + model.SEP)]

    def usage(txn: Txn) -> int:
        return len(list(usage_rows(txn, ACCOUNT, "lambda")))

    async def scenario() -> None:
        store = open_store(pg.url)
        writer, ledger = LogWriter(store), Ledger(store)
        try:
            writer.append(ACCOUNT, REGION, "/aws/lambda/f", "s", [(1000, "before")])
            await writer.flush()
            opts = stop_postgres(pg)
            writer.append(ACCOUNT, REGION, "/aws/lambda/f", "s", [(2000, "while down")])
            ledger.record(ACCOUNT, "lambda", {"requests": 1})
            await writer.flush()  # refused: the store is away
            await ledger.flush()
            start_postgres(pg, opts)

            async def flushed() -> bool:
                await writer.flush()
                await ledger.flush()
                try:
                    return await store.read(lines) == ["before", "while down"] and await store.read(usage) == 1
                except Exception:  # noqa: BLE001 - the store reconnecting
                    return False

            written: bool = await wait_for_async("the kept batches written", flushed, timeout=30, interval=0.2)
            assert written
        finally:
            await store.close()

    asyncio.run(scenario())
