"""Two gureum nodes sharing one PostgreSQL store and one blob directory
(`--set storage.blob_dir=…`): each serves what the other stored (an S3 object, a function's
code); event invocations queued through one node run once each, on whichever node claims
them first; a function updated through one node runs its new code on the other; and a
reserved concurrency holds across both."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
from harness import GureumProcess
from lambda_helpers import TRUST, zip_of
from waiting import wait_for

pytestmark = pytest.mark.xdist_group("multinode")
RECORDER = "import json\ndef handler(e, c):\n    print('RECORD ' + json.dumps(e))\n    return {'n': e.get('n')}\n"


@pytest.fixture(scope="module")
def nodes(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GureumProcess, GureumProcess]]:
    base = tmp_path_factory.mktemp("multinode")
    shared = [
        "--state", pg_database, "--set", f"storage.blob_dir={base / 'shared-blobs'}", "--set", "ecs.enabled=0",
        "--set", "lambda.concurrency_share_interval=0.1", "--set", "lambda.follow_interval=0.1",
    ]  # fmt: skip
    a = GureumProcess(base / "a", extra_args=shared)
    b = GureumProcess(base / "b", extra_args=shared)
    a.start()
    b.start()
    try:
        yield a, b
    finally:
        b.stop()
        a.stop()


def test_an_object_put_through_one_node_is_read_through_the_other(nodes) -> None:
    a, b = nodes
    bucket = f"mn-{uuid.uuid4().hex[:8]}"
    a.client("s3").create_bucket(Bucket=bucket)
    a.client("s3").put_object(Bucket=bucket, Key="k", Body=b"shared bytes" * 1000)
    assert b.client("s3").get_object(Bucket=bucket, Key="k")["Body"].read() == b"shared bytes" * 1000


def test_functions_run_on_either_node_and_each_event_runs_once(nodes) -> None:
    a, b = nodes
    role = a.client("iam").create_role(RoleName=f"mn-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    name = f"mn-{uuid.uuid4().hex[:8]}"
    a.client("lambda").create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": zip_of({"app.py": RECORDER})})
    b.client("lambda").get_waiter("function_active_v2").wait(FunctionName=name)
    out = b.client("lambda").invoke(FunctionName=name, Payload=b'{"n": -1}')  # code stored by a, run by b
    assert json.loads(out["Payload"].read()) == {"n": -1}

    for n in range(12):
        assert a.client("lambda").invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"n": n}).encode())["StatusCode"] == 202
    logs = a.client("logs")

    def recorded() -> list[int]:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern='"RECORD"')["events"]
        return [json.loads(e["message"].split("RECORD ", 1)[1])["n"] for e in events]

    wait_for("the 12 events recorded", lambda: len([n for n in recorded() if n >= 0]) >= 12, timeout=60)
    time.sleep(2)  # real time: a window in which a second run of any event, on either node, would be logged
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern='"RECORD"')["events"]
    seen = sorted(json.loads(e["message"].split("RECORD ", 1)[1])["n"] for e in events)
    assert seen == [-1, *range(12)]


def _function(a: GureumProcess, code: str, **kw) -> str:
    role = a.client("iam").create_role(RoleName=f"mn-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    name = f"mn-{uuid.uuid4().hex[:8]}"
    lam = a.client("lambda")
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": zip_of({"app.py": code})}, **kw)
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def test_code_updated_through_one_node_runs_on_the_other(nodes) -> None:
    a, b = nodes
    name = _function(a, "def handler(e, c):\n    return 'v1'\n")
    assert json.loads(b.client("lambda").invoke(FunctionName=name)["Payload"].read()) == "v1"  # b now has a warm v1
    a.client("lambda").update_function_code(FunctionName=name, ZipFile=zip_of({"app.py": "def handler(e, c):\n    return 'v2'\n"}))
    a.client("lambda").get_waiter("function_updated_v2").wait(FunctionName=name)
    wait_for("b running the new code", lambda: json.loads(b.client("lambda").invoke(FunctionName=name)["Payload"].read()) == "v2", timeout=10, interval=0.1)


def test_reserved_concurrency_holds_across_nodes(nodes) -> None:
    import threading

    a, b = nodes
    code = "import time\ndef handler(e, c):\n    print('RUNNING', e['s'], flush=True)\n    time.sleep(e['s'])\n    return 'done'\n"
    name = _function(a, code, Timeout=30)
    a.client("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    results: list[str] = []
    slow = threading.Thread(target=lambda: results.append(json.loads(a.client("lambda").invoke(FunctionName=name, Payload=b'{"s": 10}')["Payload"].read())))
    slow.start()
    logs = a.client("logs")

    def running() -> bool:  # the slow invocation has reached its handler (its slot is taken)
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern='"RUNNING 10"')["events"]
        except logs.exceptions.ResourceNotFoundException:
            return False
        return bool(events)

    wait_for("the slow invocation on a running", running, timeout=30)
    lam_b = b.client("lambda")
    with pytest.raises(lam_b.exceptions.TooManyRequestsException) as e:
        lam_b.invoke(FunctionName=name, Payload=b'{"s": 0}')
    assert e.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    slow.join(30)
    assert results == ["done"]

    def invoked_on_b() -> str | None:  # once a's count is back to zero in the store
        try:
            return json.loads(lam_b.invoke(FunctionName=name, Payload=b'{"s": 0}')["Payload"].read())
        except lam_b.exceptions.TooManyRequestsException:
            return None

    assert wait_for("an invoke on b after a's invocation ended", invoked_on_b, timeout=30) == "done"
