"""Lambda's reset (POST /_gureum/reset, see gureum/reset.py).

One transaction drops every function, version, alias, event invoke config, function URL,
layer, event source mapping (and its poller lease) and queued asynchronous event, and
publishes "lambda.fn" for each function and "lambda.esm" for each mapping: every node's
engine forgets the function and retires its idle environments, every node's ESM runner stops
the pollers of mappings that are gone. Then this node destroys all its environments, idle and
busy (an invocation in flight ends as if its sandbox had died), and writes out the log lines
they left, so that a whole-node reset (Logs after Lambda) leaves no log group behind.

Kept: `lambda.inflight` (each node's in-flight counts, not state a client made) and the
code URL signing key. The code and layer zips stay in the blob store, referenced by nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.lambda_ import async_queue, code_signing, durable, esm, layers, model, provisioned
from gureum.services.lambda_.slots import ENGINE

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store.base import Txn

TABLES: tuple[str, ...] = (
    model.FUNCTIONS, model.VERSIONS, model.ALIASES, model.EIC, model.URLS, model.URL_IDS,
    layers.LAYERS, layers.VERSIONS, esm.ESM, esm.LEASES, esm.SHARD_LEASES, esm.CHECKPOINTS, async_queue.EVENTS, provisioned.STATUS,
    code_signing.CSC, durable.EXECUTIONS, durable.NAMES, durable.CALLBACKS, durable.LIVE,
)


def reset_txn(txn: Txn) -> int:
    for key, _doc in txn.scan(model.FUNCTIONS):
        txn.publish(model.TOPIC, {"key": key})
    for key, _doc in txn.scan(esm.ESM):
        txn.publish(esm.TOPIC, {"key": key})
    return drop_tables(txn, TABLES)


async def reset(app: App) -> None:
    await app.store.run(reset_txn)
    engine = app.parts.get(ENGINE)
    if engine is not None:
        await engine.scheduler.stop_all()
        await engine.logs.flush()  # their last lines land before CloudWatch Logs' reset
