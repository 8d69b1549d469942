"""SQS throughput with several gureum nodes on one PostgreSQL, against the single-node SQLite
fast path in the same run (issue 24): messages/s for send + receive + delete, and what the
store does per message.

    python bench/cluster/run.py [--messages 2000] [--clients 4] [--rounds 2] [--baseline REV] [--events 200] [--no-sqs]

Setups, each on a fresh database: 1 node on SQLite (the in-memory index, engine.py), 1 node on
PostgreSQL, 2 and 3 nodes on PostgreSQL (the index in the store, cluster.py), and 1 node on
PostgreSQL running the baseline revision (default 7a0a350, whose index was in memory on every
store: correct for one node only), exported with `git archive` as bench/calls does. `--clients` client
threads (spread over the nodes) each loop SendMessageBatch(10) -> ReceiveMessage(10) ->
DeleteMessageBatch on one standard queue until `--messages` messages have been deleted; the
rate is messages deleted per second of wall time. PostgreSQL runs with its default durability
(fsync on). For PostgreSQL setups the row operations on gureum's tables per message are read
from PostgreSQL's statistics (index and table scans, row inserts/updates/deletes on gureum_kv,
gureum_counters and gureum_events: an upsert counts as a lookup and a write, so this is
above the statement count, which is each one client round trip) and the transactions per
message (`xact_commit`: group commits and read snapshots). Loopback only. The setups
alternate over `--rounds`; each prints its median.

Lambda (`--events`, default 200): Event invocations per second with 1, 2 and 3 nodes on one
PostgreSQL (a fresh database each, one shared blob directory), the 1-node rate the same-run
baseline: `--clients` threads queue the events over the nodes (a warm sandbox on every node
first); the rate counts from the first invoke to the moment lambda.events is empty (every
run finished). `--no-sqs` runs only these.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from pg import PgCluster  # noqa: E402

from bench.common import LAMBDA_TRUST, Gureum, run_threads, zip_package  # noqa: E402
from bench.common import client as common_client  # noqa: E402

TABLES = ("gureum_kv", "gureum_counters", "gureum_events")


def start_node(state: str | None, tree: Path = ROOT, extra: list[str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    data = tempfile.mkdtemp(prefix="gureum-cluster-bench-")
    node = Gureum(data, tree=tree, settings=["ecs.enabled=0"], args=[*(extra or []), *(["--state", state] if state else [])],
                  log=Path(data + ".log")).start()  # the log is kept: a node that misbehaves is looked into
    return node.process, node.endpoint


def sqs(url: str) -> Any:
    return client("sqs", url)


def pg_stats(url: str) -> tuple[int, int]:
    """(statements on gureum's tables, committed transactions) of the current database so far."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(coalesce(idx_scan,0)+coalesce(seq_scan,0)+n_tup_ins+n_tup_upd+n_tup_del),0) "
            "FROM pg_stat_user_tables WHERE relname = ANY(%s)", (list(TABLES),)).fetchone()
        xacts = conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname=current_database()").fetchone()
        conn.execute("SELECT pg_stat_clear_snapshot()")
    assert row is not None and xacts is not None
    return int(row[0]), int(xacts[0])


def workload(urls: list[str], messages: int, clients: int) -> float:
    """Messages per second for send+receive+delete through `clients` threads over the nodes."""
    q = sqs(urls[0]).create_queue(QueueName=f"bench-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    for u in urls[1:]:
        sqs(u).get_queue_url(QueueName=q.rsplit("/", 1)[1])
    done = [0]
    lock = threading.Lock()
    errors: list[BaseException] = []

    def client(url: str) -> None:
        c = sqs(url)
        try:
            while True:
                with lock:
                    if done[0] >= messages:
                        return
                c.send_message_batch(QueueUrl=q, Entries=[{"Id": str(i), "MessageBody": "x" * 100} for i in range(10)])
                got = c.receive_message(QueueUrl=q, MaxNumberOfMessages=10).get("Messages", [])
                if got:
                    c.delete_message_batch(QueueUrl=q, Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
                    with lock:
                        done[0] += len(got)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    elapsed = run_threads(clients, lambda i: client(urls[i % len(urls)]))
    if errors:
        raise errors[0]
    return done[0] / elapsed


def run_setup(nodes: int, cluster: PgCluster | None, messages: int, clients: int, tree: Path = ROOT) -> dict[str, float]:
    state = None
    db_url = ""
    if cluster is not None:
        import psycopg

        name = "bench_" + uuid.uuid4().hex[:10]
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        db_url = cluster.url.replace("/postgres?", f"/{name}?")
        state = db_url
    procs = [start_node(state, tree) for _ in range(nodes)]
    try:
        urls = [u for _, u in procs]
        workload(urls, 100, clients)  # warm-up: connections, imports, the queue engine
        before = pg_stats(db_url) if db_url else (0, 0)
        rate = workload(urls, messages, clients)
    finally:
        for p, _ in procs:
            p.terminate()
            p.wait(30)
    after = pg_stats(db_url) if db_url else (0, 0)  # after the nodes exit: their statistics are flushed
    # a message counted once; the load's extra sends (sent, not yet deleted) make this an upper bound
    return {"rate": rate, "stmts": (after[0] - before[0]) / messages, "xacts": (after[1] - before[1]) / messages}


def client(service: str, url: str) -> Any:
    return common_client(url, service, retries=3)


def queued_events(db_url: str) -> int:
    """Event invocations not yet finished (rows of lambda.events: removed once run)."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM gureum_kv WHERE tbl = 'lambda.events'").fetchone()
    assert row is not None
    return int(row[0])


def lambda_workload(urls: list[str], db_url: str, events: int, clients: int) -> float:
    """Event invocations per second, from the first InvokeAsync to the last run finished:
    `clients` threads queue `events` Event invokes of one function over the nodes."""
    lam = client("lambda", urls[0])
    role = client("iam", urls[0]).create_role(RoleName=f"bench-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]["Arn"]
    name = f"bench-{uuid.uuid4().hex[:8]}"
    code = zip_package({"app.py": "def handler(event, context):\n    return event['n']\n"})
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": code})
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    for u in urls:  # a warm sandbox on every node before the clock starts
        client("lambda", u).invoke(FunctionName=name, Payload=b'{"n": -1}')
    counter = iter(range(events))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def invoker(url: str) -> None:
        c = client("lambda", url)
        try:
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                c.invoke(FunctionName=name, InvocationType="Event", Payload=f'{{"n": {n}}}'.encode())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    t0 = time.perf_counter()
    run_threads(clients, lambda i: invoker(urls[i % len(urls)]))
    if errors:
        raise errors[0]
    deadline = time.monotonic() + 600
    while queued_events(db_url):
        if time.monotonic() > deadline:
            raise RuntimeError("events still queued after 600 s")
        time.sleep(0.05)  # real time: the measurement's polling grain
    return events / (time.perf_counter() - t0)


def run_lambda_setup(nodes: int, cluster: PgCluster, events: int, clients: int) -> float:
    import psycopg

    name = "bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    db_url = cluster.url.replace("/postgres?", f"/{name}?")
    blobs = tempfile.mkdtemp(prefix="gureum-cluster-bench-blobs-")
    procs = [start_node(db_url, ROOT, ["--set", f"storage.blob_dir={blobs}"]) for _ in range(nodes)]
    try:
        return lambda_workload([u for _, u in procs], db_url, events, clients)
    finally:
        stop_nodes(procs)


def stop_nodes(procs: list[tuple[subprocess.Popen[bytes], str]]) -> None:
    """SIGTERM every node, then wait; one still running 30 s later is named and killed."""
    for p, _ in procs:
        p.terminate()
    for p, url in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            args = cast(list[str], p.args)
            print(f"  (the node at {url} did not stop within 30 s of SIGTERM: killed; its log: "
                  f"{args[args.index('--data-dir') + 1]}.log)", file=sys.stderr)
            p.kill()
            p.wait()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--baseline", default="7a0a350")
    ap.add_argument("--events", type=int, default=200, help="Event invocations per Lambda setup")
    ap.add_argument("--no-sqs", action="store_true", help="only the Lambda setups")
    args = ap.parse_args()
    base_tree = Path(tempfile.mkdtemp(prefix="gureum-cluster-base-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(base_tree, filter="data")
    cluster = PgCluster(durable=True)
    cluster.start()
    setups = [("1 node, SQLite (in-memory index)", 1, False, ROOT), ("1 node, PostgreSQL", 1, True, ROOT),
              ("2 nodes, PostgreSQL", 2, True, ROOT), ("3 nodes, PostgreSQL", 3, True, ROOT),
              (f"1 node, PostgreSQL, {args.baseline} (per node)", 1, True, base_tree)]
    if args.no_sqs:
        setups = []
    results: dict[str, list[dict[str, float]]] = {name: [] for name, _, _, _ in setups}
    lambda_rates: dict[int, list[float]] = {n: [] for n in (1, 2, 3)}
    try:
        for _ in range(args.rounds):
            for name, nodes, pg, tree in setups:
                results[name].append(run_setup(nodes, cluster if pg else None, args.messages, args.clients, tree))
            for n in lambda_rates:
                lambda_rates[n].append(run_lambda_setup(n, cluster, args.events, args.clients))
    finally:
        cluster.stop()
    print(f"Lambda Event invocations (queued to run), {args.events} events, {args.clients} client threads, "
          f"median of {args.rounds} rounds")
    one = statistics.median(lambda_rates[1])
    for n, rates in lambda_rates.items():
        rate = statistics.median(rates)
        print(f"  {n} node{'s' if n > 1 else ' '}, PostgreSQL {rate:27.1f} events/s  ({rate / one:4.2f} x 1 node)")
    if not setups:
        return
    base = statistics.median(r["rate"] for r in results[setups[0][0]])
    print(f"SQS send+receive+delete, {args.messages} messages, {args.clients} client threads, "
          f"median of {args.rounds} rounds")
    for name, _, pg, _ in setups:
        rate = statistics.median(r["rate"] for r in results[name])
        line = f"  {name:44s} {rate:8.0f} msg/s  ({rate / base:4.2f} x SQLite)"
        if pg:
            stmts = statistics.median(r["stmts"] for r in results[name])
            xacts = statistics.median(r["xacts"] for r in results[name])
            line += f"  {stmts:5.1f} row operations/msg, {xacts:5.2f} transactions/msg"
        print(line)


if __name__ == "__main__":
    main()
