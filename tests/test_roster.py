"""The node roster (gureum/roster.py) with real nodes sharing one PostgreSQL store (issue 24):
`gureum status` on any node lists every node with its roles and heartbeat; a node killed with
kill -9 is reported dead once its heartbeats stop; a node stopped with SIGTERM or `gureum down` is `left` the
moment it has exited, and the async Lambda event it was running is run by another node at once
rather than when its 16-minute claim expires; the event of a node killed with kill -9 is run by
another node once the roster reports it dead."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import ROOT, GureumProcess
from waiting import wait_for

pytestmark = pytest.mark.xdist_group("multinode")
INTERVAL = 0.3  # roster.interval: a node is dead after 3 missed beats, under a second


TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _zip(name: str, code: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, code)
    return buf.getvalue()


def _args(db: str, blobs: Path) -> list[str]:
    return [
        "--state", db, "--set", f"storage.blob_dir={blobs}", "--set", "ecs.enabled=0", "--set", f"roster.interval={INTERVAL}", "--set", "roster.misses=3",
        "--set", "lambda.follow_interval=0.1", "--set", "lambda.concurrency_share_interval=0.1",
    ]  # fmt: skip


def _node_id(node: GureumProcess) -> str:
    with urllib.request.urlopen(node.endpoint + "/_gureum/status", timeout=5) as resp:
        return str(json.load(resp)["node"])


def _status(node: GureumProcess, *extra: str) -> subprocess.CompletedProcess[str]:
    """`gureum status` run as a user runs it, against `node`."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "gureum", "status", "--endpoint", node.endpoint, *extra],
                          capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=30, check=True)


def _roster(node: GureumProcess) -> dict[str, dict[str, Any]]:
    doc = json.loads(_status(node, "--json").stdout)
    return {n["node"]: n for n in doc["roster"]["nodes"]}


def _listing(node: GureumProcess, ids: list[str]) -> dict[str, dict[str, Any]] | None:
    """The roster as `node` shows it, once it lists every node of `ids`."""
    roster = _roster(node)
    return roster if set(ids) <= set(roster) else None


def _in_state(node: GureumProcess, nid: str, state: str) -> dict[str, Any] | None:
    """Node `nid`'s row as `node` shows it, once it is in `state`."""
    row = _roster(node).get(nid)
    return row if row is not None and row["state"] == state else None


@pytest.fixture(scope="module")
def three(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[GureumProcess]]:
    base = tmp_path_factory.mktemp("roster")
    nodes = [GureumProcess(base / name, extra_args=_args(pg_database, base / "blobs")) for name in "abc"]
    try:
        for n in nodes:
            n.start()
        yield nodes
    finally:
        for n in nodes:
            n.stop()


def test_every_node_lists_every_node_with_its_roles_in_gureum_status(three: list[GureumProcess]) -> None:
    ids = [_node_id(n) for n in three]
    assert len(set(ids)) == 3
    for node in three:
        roster = wait_for("all three nodes in the roster", lambda node=node: _listing(node, ids), timeout=20)
        for nid, n in zip(ids, three, strict=True):
            row = roster[nid]
            assert row["state"] == "up"
            assert row["api"] == n.endpoint.replace("127.0.0.1", "localhost") or row["api"] == n.endpoint
            assert "api" in row["roles"] and "lambda" in row["roles"] and "ecs" not in row["roles"]  # ecs.enabled=0
            assert isinstance(row["heartbeatAge"], float) and row["started"] > 0
    text = _status(three[1]).stdout
    for nid in ids:
        assert nid[:12] in text  # the NODES table names each node
    assert text.count(" up ") >= 3


def test_a_node_killed_with_kill_9_is_reported_dead_once_its_heartbeats_stop(three: list[GureumProcess]) -> None:
    victim = three[2]
    vid = _node_id(victim)
    assert wait_for("the victim beating", lambda: _roster(three[0]).get(vid, {}).get("state") == "up", timeout=20)
    victim.kill9()
    row = wait_for("the killed node reported dead", lambda: _in_state(three[0], vid, "dead"), timeout=20, interval=0.1)
    assert row["heartbeatAge"] > 3 * INTERVAL
    assert _roster(three[1])[vid]["state"] == "dead"  # every node sees it so


def test_a_node_stopped_with_gureum_down_has_left_as_soon_as_it_exits(three: list[GureumProcess]) -> None:
    leaver = three[1]
    lid = _node_id(leaver)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    down = subprocess.run([sys.executable, "-m", "gureum", "down", "--data-dir", str(leaver.data_dir)],
                          capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=90, check=False)
    assert down.returncode == 0, down.stderr
    assert _roster(three[0])[lid]["state"] == "left"  # no waiting: it said so before it let go of its data dir
    # `down` returns once the node let its data dir go; the interpreter's own teardown (the
    # loop's executor) follows within moments: wait for that exit, never signal it again
    assert leaver.proc is not None and leaver.proc.wait(60) == 0  # it exits, cleanly
    leaver.stop()
    again = subprocess.run([sys.executable, "-m", "gureum", "down", "--data-dir", str(leaver.data_dir)],
                           capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=30, check=False)
    assert again.returncode == 1 and "no gureum runs" in again.stderr


@pytest.fixture
def fresh_db(pg_url: str) -> Iterator[str]:
    """A database of its own: no other node competes for the events of this test."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = "g_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunsplit(urlsplit(pg_url)._replace(path="/" + name))
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


SLOW = "import time\ndef handler(e, c):\n    print('START', e['n'], flush=True)\n    time.sleep(e['s'])\n    return e['n']\n"


def _run_event_then_lose_its_node(db: str, tmp_path: Path, kill: bool) -> None:
    """An async event starts on a first node (alone then); a second node joins; the first is
    stopped (SIGTERM) or killed (kill -9) mid-invocation: the second runs the event again well
    before the first node's claim (16 minutes) would have expired."""
    first = GureumProcess(tmp_path / "first", extra_args=_args(db, tmp_path / "blobs"))
    second = GureumProcess(tmp_path / "second", extra_args=_args(db, tmp_path / "blobs"))
    first.start()
    try:
        lam = first.client("lambda")
        role = first.client("iam").create_role(RoleName=f"r-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        name = f"ho-{uuid.uuid4().hex[:8]}"
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler", Timeout=120,
                            Code={"ZipFile": _zip("app.py", SLOW)})
        lam.get_waiter("function_active_v2").wait(FunctionName=name)
        lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
        assert lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 7, "s": 30}')["StatusCode"] == 202

        def starts(node: GureumProcess) -> int:
            logs = node.client("logs")
            try:
                events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern='"START 7"')["events"]
            except logs.exceptions.ResourceNotFoundException:
                return 0
            return len(events)

        wait_for("the event running on the first node", lambda: starts(first) == 1, timeout=60)
        second.start()  # the event is the first node's: claimed, its lease 16 minutes long
        fid = _node_id(first)
        if kill:
            first.kill9()
            wait_for("the killed node reported dead", lambda: _in_state(second, fid, "dead"), timeout=20, interval=0.1)
        else:
            assert first.stop() == 0
            assert _roster(second)[fid]["state"] == "left"  # said so before it exited
        # the second node runs it again now, not when the claim would expire
        wait_for("the event run again on the second node", lambda: starts(second) >= 2, timeout=60)
    finally:
        second.stop()
        first.stop()


def test_a_node_leaving_hands_its_async_event_to_another_at_once(fresh_db: str, tmp_path: Path) -> None:
    _run_event_then_lose_its_node(fresh_db, tmp_path, kill=False)


def test_the_async_event_of_a_node_killed_mid_invocation_runs_once_the_roster_reports_it_dead(fresh_db: str, tmp_path: Path) -> None:
    _run_event_then_lose_its_node(fresh_db, tmp_path, kill=True)


def _get_status(node: GureumProcess, key: str | None = None, secret: str = "") -> tuple[int, dict[str, Any]]:
    """GET /_gureum/status, unsigned or SigV4-signed (signing name "gureum") by key:secret."""
    import urllib.error

    headers: dict[str, str] = {}
    if key is not None:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        req = AWSRequest(method="GET", url=node.endpoint + "/_gureum/status")
        SigV4Auth(Credentials(key, secret), "gureum", "us-east-1").add_auth(req)
        headers = dict(req.headers.items())
    try:
        with urllib.request.urlopen(urllib.request.Request(node.endpoint + "/_gureum/status", headers=headers), timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_on_sqlite_the_roster_is_this_node_alone_and_strict_mode_shows_it_only_to_the_operator(tmp_path: Path) -> None:
    strict = GureumProcess(tmp_path / "data", extra_args=["--auth", "strict", "--set", "ecs.enabled=0"])
    strict.start()
    try:
        iam = strict.client("iam")
        iam.create_user(UserName="tenant")
        iam.attach_user_policy(UserName="tenant", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        k = iam.create_access_key(UserName="tenant")["AccessKey"]

        status, doc = _get_status(strict)
        assert (status, doc["error"]) == (403, "MissingAuthenticationToken")  # hosts, pids and addresses are the operator's
        status, doc = _get_status(strict, "test", "wrong-secret")
        assert (status, doc["error"]) == (403, "SignatureDoesNotMatch")
        status, doc = _get_status(strict, k["AccessKeyId"], k["SecretAccessKey"])
        assert (status, doc["error"]) == (403, "AccessDenied")

        status, doc = _get_status(strict, "test", "test")
        assert status == 200
        assert [n["node"] for n in doc["nodes"]] == [doc["node"]]
        assert doc["nodes"][0]["state"] == "up" and doc["nodes"][0]["pid"] == strict.proc.pid  # type: ignore[union-attr]
    finally:
        strict.stop()
