"""Two gureum nodes on one PostgreSQL store run one Kinesis event source mapping: the
stream's shards are leased half to each node (never one shard to both), every record reaches
the function exactly once, and when a node dies the other takes its shards over from their
checkpoints, losing nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from harness import GureumProcess
from lambda_helpers import TRUST, zip_of
from test_stream_esm import HANDLER, seen
from waiting import wait_for

pytestmark = pytest.mark.xdist_group("multinode")


@pytest.fixture(scope="module")
def nodes(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GureumProcess, GureumProcess]]:
    base = tmp_path_factory.mktemp("stream-multinode")
    shared = ["--state", pg_database, "--set", f"storage.blob_dir={base / 'shared-blobs'}", "--set", "ecs.enabled=0",
              "--set", "lambda.follow_interval=0.1"]
    a = GureumProcess(base / "a", extra_args=shared)
    b = GureumProcess(base / "b", extra_args=shared)
    a.start()
    try:
        b.start()
        yield a, b
    finally:
        b.stop()
        a.stop()


def leases(db: str) -> dict[str, str]:
    with psycopg.connect(db) as conn:
        rows = conn.execute("SELECT k, v FROM gureum_kv WHERE tbl = 'lambda.esm_shard_leases'").fetchall()
    return {k.rsplit("/", 1)[1]: json.loads(v)["node"] for k, v in rows}


def test_shards_split_between_nodes_and_every_record_runs_once(nodes: Any, pg_database: str) -> None:
    a, b = nodes
    iam, lam, kin = a.client("iam"), a.client("lambda"), a.client("kinesis")
    role = iam.create_role(RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    fn = f"fn-{uuid.uuid4().hex[:8]}"
    lam.create_function(FunctionName=fn, Runtime="python3.12", Role=role, Handler="app.handler",
                        Code={"ZipFile": zip_of({"app.py": HANDLER})}, Timeout=10)
    wait_for("function active", lambda: lam.get_function(FunctionName=fn)["Configuration"]["State"] == "Active", 60)
    kin.create_stream(StreamName="shared", ShardCount=4)
    wait_for("stream active", lambda: kin.describe_stream_summary(StreamName="shared")["StreamDescriptionSummary"]
             ["StreamStatus"] == "ACTIVE", 30, 0.1)
    lam.create_event_source_mapping(EventSourceArn=kin.describe_stream_summary(StreamName="shared")
                                    ["StreamDescriptionSummary"]["StreamARN"], FunctionName=fn, StartingPosition="TRIM_HORIZON")
    split = wait_for("shards leased two and two", lambda: (held := leases(pg_database)) and len(held) == 4
                     and sorted(list(held.values()).count(n) for n in set(held.values())) == [2, 2] and held, 90, 0.5)
    assert len(set(split.values())) == 2
    values = [f"r{i}" for i in range(40)]
    for i, v in enumerate(values):
        (a if i % 2 else b).client("kinesis").put_record(StreamName="shared", Data=v.encode(), PartitionKey=f"k{i}")
    wait_for("all delivered", lambda: set(values) <= set(seen(a, fn)), 90, 0.5)
    got = seen(a, fn)
    assert all(got.count(v) == 1 for v in values)
    # one node dies: the other takes its shards once their leases run out, from their checkpoints
    b.kill9()
    more = [f"s{i}" for i in range(20)]
    for i, v in enumerate(more):
        kin.put_record(StreamName="shared", Data=v.encode(), PartitionKey=f"k{i}")
    wait_for("delivered after the failover", lambda: set(more) <= set(seen(a, fn)), 120, 1.0)
    got = seen(a, fn)
    assert all(got.count(v) == 1 for v in values)
    assert len(set(leases(pg_database).values())) == 1  # the survivor holds every shard
    b.restart()
