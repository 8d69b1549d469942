"""The task agent's concerns on plain values (MemoryStore, no gureum, no containers):
pagination, awslogs targets, Fargate usage rows, heartbeat and lease, recovery of a previous
run, shutdown stop reasons and grace, and a task run driven through a test double of the
`TaskHost` protocol alone."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from gureum.aws.errors import AwsError
from gureum.sandbox import cgroups
from gureum.services.ecs import model, nodes, paging, recovery, task_logs
from gureum.services.ecs.heartbeat import Heartbeat
from gureum.services.ecs.shutdown import StopGrace, mark_stopping
from gureum.services.ecs.task_billing import usage_row
from gureum.services.ecs.taskrun import TaskRun
from gureum.services.logs import model as logs_model
from gureum.store.memory import MemoryStore

ACCOUNT, REGION = "000000000000", "us-east-1"


def _task(task_id: str, status: str, node: str | None, **extra: Any) -> tuple[str, dict[str, Any]]:
    key = model.task_key(ACCOUNT, REGION, "default", task_id)
    doc: dict[str, Any] = {
        "taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/default/{task_id}",
        "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/default",
        "lastStatus": status,
        "desiredStatus": "RUNNING",
        "launchType": "FARGATE",
        "cpu": "256",
        "memory": "512",
        "version": 1,
        "attachments": [],
        "containers": [{"name": "app", "lastStatus": "PENDING"}],
        "_": {
            "account": ACCOUNT,
            "region": REGION,
            "cluster": "default",
            "node": node,
            "containers": [{"name": "app", "image": "busybox"}],
            "taskdef": {"family": "f", "revision": 1, "networkMode": "awsvpc"},
        },
    }
    doc.update(extra)
    return key, doc


def _put(store: MemoryStore, *rows: tuple[str, dict[str, Any]]) -> None:
    def txn(t: Any) -> None:
        for key, doc in rows:
            t.put(model.TASKS, key, doc)

    store.run_sync(txn)


def _get(store: MemoryStore, key: str) -> dict[str, Any]:
    doc = store.read_sync(lambda t: t.get(model.TASKS, key))
    assert doc is not None
    return doc


# --- paging -------------------------------------------------------------------------------------
def test_pages_follow_each_other_and_the_last_has_no_token() -> None:
    items = list(range(5))
    first, token = paging.page(items, int, "listing", {"maxResults": 2})
    assert first == [0, 1] and token is not None
    second, token = paging.page(items, int, "listing", {"maxResults": 2, "nextToken": token})
    assert second == [2, 3] and token is not None
    last, token = paging.page(items, int, "listing", {"maxResults": 2, "nextToken": token})
    assert last == [4] and token is None


def test_a_token_of_another_listing_is_refused() -> None:
    _, token = paging.page(list(range(5)), int, "listing", {"maxResults": 2})
    with pytest.raises(AwsError) as e:
        paging.page(list(range(5)), int, "another", {"maxResults": 2, "nextToken": token})
    assert e.value.code == "InvalidParameterException"


@pytest.mark.parametrize("params", [{"maxResults": 101}, {"nextToken": base64.urlsafe_b64encode(b"x").decode()}])
def test_bad_page_parameters_are_invalid_parameter_errors(params: dict[str, Any]) -> None:
    with pytest.raises(AwsError) as e:
        paging.page([1, 2, 3], int, "listing", params)
    assert e.value.code == "InvalidParameterException"


# --- awslogs ------------------------------------------------------------------------------------
def test_log_target_follows_the_awslogs_options() -> None:
    spec = {"logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/g", "awslogs-stream-prefix": "p"}}}
    assert task_logs.log_target(spec, "web", "abc") == ("/g", "p/web/abc")
    no_prefix = {"logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/g"}}}
    assert task_logs.log_target(no_prefix, "web", "abc") == ("/g", "abc")
    assert task_logs.log_target({"logConfiguration": {"logDriver": "json-file"}}, "web", "abc") == (None, None)
    assert task_logs.log_target({}, "web", "abc") == (None, None)


def test_a_missing_log_group_stops_the_container_unless_it_may_be_created() -> None:
    store = MemoryStore()
    opts = {"awslogs-group": "/missing", "awslogs-region": "eu-west-1"}
    spec = {"logConfiguration": {"logDriver": "awslogs", "options": opts}}
    problem = asyncio.run(task_logs.check_log_group(store, ACCOUNT, REGION, spec, "app", "t1"))
    assert problem == task_logs.MISSING_GROUP
    creating = {"logConfiguration": {"logDriver": "awslogs", "options": {**opts, "awslogs-create-group": "true"}}}
    assert asyncio.run(task_logs.check_log_group(store, ACCOUNT, REGION, creating, "app", "t1")) is None
    store.run_sync(lambda t: logs_model.create_group(t, ACCOUNT, "eu-west-1", "/missing"))  # in awslogs-region
    assert asyncio.run(task_logs.check_log_group(store, ACCOUNT, REGION, spec, "app", "t1")) is None


# --- billing -------------------------------------------------------------------------------------
def test_a_fargate_task_is_billed_from_its_pull_with_its_size() -> None:
    run = SimpleNamespace(launch_type="FARGATE", region=REGION, arn="arn:t")
    doc = {"pullStartedAt": 100.0, "startedAt": 105.0, "cpu": "512", "memory": "2048"}
    row = usage_row(run, doc, "node-a")  # type: ignore[arg-type]
    assert row == {"region": REGION, "resource": "arn:t", "node": "node-a", "started": 100.0, "vcpu": 0.5, "memory_gb": 2.0, "arch": "x86_64"}
    assert usage_row(run, {"cpu": "256"}, "node-a") is None  # type: ignore[arg-type]  # not pulling yet
    ec2 = SimpleNamespace(launch_type="EC2", region=REGION, arn="arn:t")
    assert usage_row(ec2, doc, "node-a") is None  # type: ignore[arg-type]


# --- heartbeat -----------------------------------------------------------------------------------
def test_one_node_at_a_time_holds_the_scheduler_lease() -> None:
    store = MemoryStore()
    a = Heartbeat(store, "node-a", 5.0, 30.0, lambda: {"runs": True})
    b = Heartbeat(store, "node-b", 5.0, 30.0, lambda: {"runs": True})
    assert a.due(1000.0) and not a.due(1001.0) and a.due(1005.0)

    async def beats() -> None:
        await a.beat(1000.0)
        await b.beat(1000.5)

    asyncio.run(beats())
    assert a.leader and not b.leader
    rows = store.read_sync(lambda t: {k: d for k, d in t.scan(nodes.NODES)})
    assert set(rows) == {"node-a", "node-b"} and rows["node-a"]["runs"] is True
    asyncio.run(b.beat(1000.0 + 3 * 5.0 + 1))  # a's lease (three intervals) has run out
    assert b.leader


# --- recovery ------------------------------------------------------------------------------------
def test_reconcile_stops_what_the_previous_process_ran_and_recovers_what_it_had_not_started() -> None:
    store = MemoryStore()
    running = _task("t-running", "RUNNING", "me", startedAt=50.0)
    pending = _task("t-prov", "PROVISIONING", "me")
    unclaimed = _task("t-free", "PROVISIONING", None)
    other = _task("t-other", "RUNNING", "someone-else")
    _put(store, running, pending, unclaimed, other)
    fixed = asyncio.run(recovery.reconcile(store, "me", "i-0123"))
    assert fixed == 1
    doc = _get(store, running[0])
    assert doc["lastStatus"] == doc["desiredStatus"] == "STOPPED"
    assert doc["stopCode"] == "TerminationNotice" and doc["stoppedReason"] == "Host EC2 (instance i-0123) stopped/terminated."
    assert _get(store, other[0])["lastStatus"] == "RUNNING"
    assert _get(store, pending[0])["lastStatus"] == "PROVISIONING"
    assert sorted(asyncio.run(recovery.provisioning(store, "me"))) == sorted([pending[0], unclaimed[0]])
    assert asyncio.run(recovery.provisioning(store, "someone-else")) == [unclaimed[0]]


# --- shutdown ------------------------------------------------------------------------------------
def test_tasks_stopped_by_a_shutdown_get_the_host_gone_reasons() -> None:
    store = MemoryStore()
    started = _task("t-a", "RUNNING", "me", startedAt=50.0)
    not_started = _task("t-b", "PENDING", "me")
    own_reason = _task("t-c", "RUNNING", "me", startedAt=50.0, stopCode="UserInitiated", stoppedReason="bye")
    _put(store, started, not_started, own_reason)
    asyncio.run(mark_stopping(store, [started[0], not_started[0], own_reason[0]], "i-0123"))
    a, b, c = (_get(store, k) for k, _ in (started, not_started, own_reason))
    assert a["desiredStatus"] == "STOPPED" and a["stopCode"] == "TerminationNotice"
    assert b["stopCode"] == "TaskFailedToStart" and b["stoppedReason"] == "Host EC2 (instance i-0123) stopped/terminated."
    assert (c["stopCode"], c["stoppedReason"]) == ("UserInitiated", "bye")


def test_stop_grace_waits_for_the_exit_and_cuts_the_stop_timeout_short_at_shutdown() -> None:
    async def main() -> tuple[bool, bool]:
        grace = StopGrace(0.0)
        exited = asyncio.Event()
        asyncio.get_running_loop().call_soon(exited.set)
        seen_exit = await grace.wait_exited(exited, 3600)
        grace.begin()  # a container that never exits: the shutdown's grace (none) ends the wait
        cut_short = await asyncio.wait_for(grace.wait_exited(asyncio.Event(), 3600), 60)
        return seen_exit, cut_short

    assert asyncio.run(main()) == (True, False)


# --- a task run needs only its TaskHost ----------------------------------------------------------
class FakeHost:
    """A TaskHost on plain values: a MemoryStore, and a registry that never answers."""

    def __init__(self, store: MemoryStore, tasks_dir: Path) -> None:
        self.store = store
        self.tasks_dir = tasks_dir
        self.runc: Any = None
        self.images: Any = None
        self.cgroup_base = "gureum-test"
        self.cgroup_warmth = cgroups.MigrationWarmth()
        self.pids_limit = 64
        self.publish_host = "127.0.0.1"
        self.default_stop_timeout = 1.0
        self.calls: list[str] = []
        self.tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        return task

    async def take_network(self, task_id: str) -> Any:
        raise AssertionError("a task this node cannot run gets no network")

    def release_network(self, tn: Any) -> None:
        self.calls.append("release_network")

    async def registry_access(self, image: str, account: str, region: str, *, ec2: bool = False) -> Any:
        await asyncio.Event().wait()  # (cancelled when provisioning fails)

    async def load_env_files(self, account: str, files: Any) -> list[dict[str, str]]:
        return []

    def container_env(self, run: Any, c: Any) -> dict[str, str]:
        return {}

    def resolv_conf(self) -> str:
        return ""

    def log_target(self, run: Any, c: Any) -> tuple[str | None, str | None]:
        return None, None

    async def check_log_group(self, run: Any, c: Any) -> str | None:
        return None

    def log(self, account: str, region: str, group: str, stream: str, line: str) -> None:
        pass

    async def on_activating(self, run: Any) -> None:
        self.calls.append("activating")

    async def on_deactivating(self, run: Any) -> None:
        self.calls.append("deactivating")

    async def on_running(self, run: Any) -> None:
        self.calls.append("running")

    async def on_stopped(self, run: Any, doc: dict[str, Any]) -> None:
        self.calls.append(f"stopped:{doc['lastStatus']}")

    async def wait_exited(self, exited: asyncio.Event, timeout: float) -> bool:
        return True


def test_a_task_the_node_cannot_run_fails_to_start_through_its_host_alone(tmp_path: Path) -> None:
    store = MemoryStore()
    key, doc = _task("t-fail", "PROVISIONING", "me")
    _put(store, (key, doc))
    host = FakeHost(store, tmp_path)
    asyncio.run(TaskRun(host, key, doc, cannot_run="no runc here").run())
    final = _get(store, key)
    assert final["lastStatus"] == final["desiredStatus"] == "STOPPED"
    assert final["stopCode"] == "TaskFailedToStart"
    assert final["stoppedReason"] == "ResourceInitializationError: no runc here"
    assert [h[0] for h in final["_"]["history"]] == ["DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"]
    assert host.calls == ["deactivating", "stopped:STOPPED"]  # never activated nor billed as running
    assert not (tmp_path / "t-fail").exists()
