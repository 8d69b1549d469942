"""Two gureum nodes sharing one PostgreSQL store and one blob directory
(`--set storage.blob_dir=…`): each serves what the other stored (an S3 object, a function's
code), and event invocations queued through one node run once each, on whichever node claims
them first."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
from harness import GureumProcess
from lambda_helpers import TRUST, zip_of

pytestmark = pytest.mark.xdist_group("multinode")
RECORDER = "import json\ndef handler(e, c):\n    print('RECORD ' + json.dumps(e))\n    return {'n': e.get('n')}\n"


@pytest.fixture(scope="module")
def nodes(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GureumProcess, GureumProcess]]:
    base = tmp_path_factory.mktemp("multinode")
    shared = ["--state", pg_database, "--set", f"storage.blob_dir={base / 'shared-blobs'}", "--set", "ecs.enabled=0"]
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
    seen: list[int] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern='"RECORD"')["events"]
        seen = [json.loads(e["message"].split("RECORD ", 1)[1])["n"] for e in events]
        if len([n for n in seen if n >= 0]) >= 12:
            break
        time.sleep(0.2)
    time.sleep(2)  # a second node running the same events would have logged them by now
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern='"RECORD"')["events"]
    seen = sorted(json.loads(e["message"].split("RECORD ", 1)[1])["n"] for e in events)
    assert seen == [-1, *range(12)]
