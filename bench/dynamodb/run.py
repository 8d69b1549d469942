"""DynamoDB call rates and latencies: gureum against its own floor (STS GetCallerIdentity p50
on the same connection) and against moto's server and MiniStack (when installed), in the same run.

    python bench/dynamodb/run.py [--calls 300] [--big 20000] [--skip-moto] [--skip-ministack] [--million 1000000]

Per server: PutItem, GetItem, PartiQL ExecuteStatement SELECT by full key, and Query (one
partition of 1,000 items, Limit 10) p50 in ms and calls/s (sequential, one client),
BatchWriteItem items/s, and Query p50 on a table of `--big` items against the 1,000-item table
(a key-range read should not grow with the table). `--million N` (gureum only) then stops
gureum, bulk-loads N items into a table straight through the store (items.write, the function
every API write uses, in transactions of 20,000 items: not N API calls), starts gureum again on
the same data and reports Query p50 on that table next to the 1,000-item table's, same run.
Loopback only; the servers are started and stopped here.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import ROOT, Gureum, Server, client, measure_each, ministack_server, moto_server, p50_rate  # noqa: E402


def gureum(data_dir: str | None = None) -> Gureum:
    return Gureum(data_dir, prefix="gureum-ddb-bench-", settings=["ecs.enabled=0"])


def fill(ddb: Any, table: str, n: int, partitions: int) -> float:
    t0 = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for i in range(n):
        batch.append({"PutRequest": {"Item": {"pk": {"S": f"p{i % partitions}"}, "sk": {"N": str(i)}, "v": {"S": "x" * 100}}}})
        if len(batch) == 25:
            ddb.batch_write_item(RequestItems={table: batch})
            batch = []
    if batch:
        ddb.batch_write_item(RequestItems={table: batch})
    return n / (time.perf_counter() - t0)


def bench(name: str, url: str, calls: int, big: int) -> dict[str, float]:
    ddb = client(url, "dynamodb")
    sts = client(url, "sts")
    for t in ("small", "big"):
        ddb.create_table(TableName=t, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
                         BillingMode="PAY_PER_REQUEST")
    out: dict[str, float] = {}
    out["batch items/s"] = fill(ddb, "small", 1000, 1)
    fill(ddb, "big", big, 20)
    item = {"pk": {"S": "hot"}, "sk": {"N": "1"}, "v": {"S": "x" * 100}}
    for _ in range(30):  # warm-up
        sts.get_caller_identity()
        ddb.put_item(TableName="small", Item=item)
    out["floor p50"], _ = p50_rate(lambda i: sts.get_caller_identity(), calls)
    out["PutItem p50"], out["PutItem/s"] = p50_rate(lambda i: ddb.put_item(
        TableName="small", Item={"pk": {"S": "w"}, "sk": {"N": str(i)}, "v": {"S": "x" * 100}}), calls)
    out["GetItem p50"], out["GetItem/s"] = p50_rate(lambda i: ddb.get_item(
        TableName="small", Key={"pk": {"S": "p0"}, "sk": {"N": str(i % 1000)}}), calls)
    out["PartiQL get p50"], out["PartiQL get/s"] = p50_rate(lambda i: ddb.execute_statement(
        Statement='SELECT * FROM "small" WHERE pk = ? AND sk = ?', Parameters=[{"S": "p0"}, {"N": str(i % 1000)}]), calls)
    q = {"KeyConditionExpression": "pk = :p AND sk > :s", "Limit": 10}
    out["Query p50 (1k)"], out["Query/s"] = p50_rate(lambda i: ddb.query(
        TableName="small", ExpressionAttributeValues={":p": {"S": "p0"}, ":s": {"N": str(i % 900)}}, **q), calls)
    out[f"Query p50 ({big // 1000}k)"], _ = p50_rate(lambda i: ddb.query(
        TableName="big", ExpressionAttributeValues={":p": {"S": "p3"}, ":s": {"N": str(i * 20 % big)}}, **q), calls)
    return out


def bulk_load(data_dir: str, arn: str, n: int, partitions: int) -> float:
    """Items written straight into gureum's store (gureum stopped), through items.write."""
    sys.path.insert(0, str(ROOT))
    from gureum.services.dynamodb import items as I
    from gureum.services.dynamodb import tables as T
    from gureum.store import Txn, open_store

    store = open_store(f"sqlite:///{Path(data_dir) / 'state.db'}")
    t0 = time.perf_counter()
    step = 20000
    for lo in range(0, n, step):
        def txn(t: Txn, lo: int = lo) -> None:
            account, region, doc = T.by_arn(t, arn)
            s = I.schema(account, region, doc)
            for i in range(lo, min(lo + step, n)):
                I.write(t, s, None, {"pk": {"S": f"p{i % partitions}"}, "sk": {"N": str(i)}, "v": {"S": "x" * 100}})
        store.run_sync(txn)
    import asyncio
    asyncio.run(store.close())
    return n / (time.perf_counter() - t0)


def million(calls: int, n: int) -> dict[str, float]:
    data_dir = tempfile.mkdtemp(prefix="gureum-ddb-bench-1m-")
    server = gureum(data_dir).start()
    ddb = client(server.endpoint, "dynamodb")
    try:
        for t in ("small", "huge"):
            ddb.create_table(TableName=t, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
                             BillingMode="PAY_PER_REQUEST")
        fill(ddb, "small", 1000, 1)
        arn = ddb.describe_table(TableName="huge")["Table"]["TableArn"]
    finally:
        server.stop(60)
    out = {"bulk load items/s": bulk_load(data_dir, arn, n, 1000)}
    server = gureum(data_dir).start()
    ddb = client(server.endpoint, "dynamodb")
    try:
        out["huge ItemCount"] = float(ddb.describe_table(TableName="huge")["Table"]["ItemCount"])
        q = {"KeyConditionExpression": "pk = :p AND sk > :s", "Limit": 10}
        for _ in range(30):
            ddb.query(TableName="small", ExpressionAttributeValues={":p": {"S": "p0"}, ":s": {"N": "0"}}, **q)
        out["Query p50 (1k)"], _ = p50_rate(lambda i: ddb.query(
            TableName="small", ExpressionAttributeValues={":p": {"S": "p0"}, ":s": {"N": str(i % 900)}}, **q), calls)
        out[f"Query p50 ({n // 1000}k)"], _ = p50_rate(lambda i: ddb.query(
            TableName="huge", ExpressionAttributeValues={":p": {"S": f"p{i % 1000}"}, ":s": {"N": str(i * 37 % n)}}, **q), calls)
        out["Query p50 (1k) again"], _ = p50_rate(lambda i: ddb.query(
            TableName="small", ExpressionAttributeValues={":p": {"S": "p0"}, ":s": {"N": str(i % 900)}}, **q), calls)
    finally:
        server.stop(60)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--big", type=int, default=20000)
    ap.add_argument("--skip-moto", action="store_true")
    ap.add_argument("--skip-ministack", action="store_true")
    ap.add_argument("--million", type=int, default=0, help="also bulk-load this many items and compare Query p50")
    ap.add_argument("--only-million", action="store_true")
    args = ap.parse_args()
    if args.million:
        for k, v in million(args.calls, args.million).items():
            print(f"{k:24}{v:14.2f}")
        if args.only_million:
            return
    servers: dict[str, Callable[[], Server | None]] = {"gureum": gureum}
    if not args.skip_moto:
        servers["moto_server"] = moto_server
    if not args.skip_ministack:
        servers["ministack"] = ministack_server
    results = measure_each(servers, lambda name, server: bench(name, server.endpoint, args.calls, args.big))
    keys = list(results["gureum"])
    print(f"{'':24}" + "".join(f"{n:>14}" for n in results))
    for k in keys:
        print(f"{k:24}" + "".join(f"{results[n].get(k, float('nan')):14.2f}" for n in results))
    g = results["gureum"]
    print(f"gureum PutItem/floor {g['PutItem p50'] / g['floor p50']:.2f}x  GetItem/floor {g['GetItem p50'] / g['floor p50']:.2f}x")


if __name__ == "__main__":
    main()
