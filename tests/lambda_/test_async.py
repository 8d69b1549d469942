"""Event invocations: a durable queue, AWS's retries, destinations, survival of kill -9."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import GureumProcess
from lambda_helpers import TRUST, zip_of
from waiting import wait_for

RECORDER = "import json\ndef handler(e, c):\n    print('RECORD ' + json.dumps(e))\n    return 'ok'\n"
FAILING = "def handler(e, c):\n    raise RuntimeError('always fails ' + str(e.get('n')))\n"


@pytest.fixture
def fast_retries(tmp_path: Path) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path / "data", extra_args=["--set", "lambda.async_retry_delays=1,1"])
    proc.start()
    yield proc
    proc.stop()


def _setup(g: GureumProcess) -> tuple[Any, str]:
    role = g.client("iam").create_role(RoleName=f"r-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(TRUST))
    return g.client("lambda"), role["Role"]["Arn"]


def _create(lam: Any, role: str, code: str) -> str:
    name = f"fn-{uuid.uuid4().hex[:8]}"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": zip_of({"app.py": code})})
    return name


def _records(g: GureumProcess, function: str, want: int, timeout: float) -> list[dict[str, Any]]:
    logs = g.client("logs")
    found: list[dict[str, Any]] = []

    def enough() -> list[dict[str, Any]]:
        nonlocal found
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}", filterPattern="RECORD")["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        found = [json.loads(e["message"].split("RECORD ", 1)[1]) for e in events if "RECORD " in e["message"]]
        return found if len(found) >= want else []

    try:
        return wait_for(f"{want} records of {function}", enough, timeout)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; {len(found)} found:\n{g.log_tail()}") from None


def _destination_arn(lam: Any, name: str) -> str:
    return lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def test_event_invoke_runs_and_success_destination_gets_the_record(fast_retries):
    lam, role = _setup(fast_retries)
    target = _create(lam, role, "def handler(e, c):\n    return {'doubled': e['n'] * 2}\n")
    sink = _create(lam, role, RECORDER)
    lam.put_function_event_invoke_config(FunctionName=target, DestinationConfig={"OnSuccess": {"Destination": _destination_arn(lam, sink)}})
    assert lam.invoke(FunctionName=target, InvocationType="Event", Payload=b'{"n": 21}')["StatusCode"] == 202
    record = _records(fast_retries, sink, 1, 30)[0]
    assert record["version"] == "1.0"
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["functionArn"].endswith(f"{target}:$LATEST")
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestPayload"] == {"n": 21}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"doubled": 42}


def test_failed_event_is_retried_twice_then_sent_to_failure_destination(fast_retries):
    lam, role = _setup(fast_retries)
    target = _create(lam, role, FAILING)
    sink = _create(lam, role, RECORDER)
    lam.put_function_event_invoke_config(FunctionName=target, DestinationConfig={"OnFailure": {"Destination": _destination_arn(lam, sink)}})
    lam.invoke(FunctionName=target, InvocationType="Event", Payload=b'{"n": 7}')
    record = _records(fast_retries, sink, 1, 40)[0]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "always fails 7"
    events = fast_retries.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{target}", filterPattern='"START RequestId"')["events"]
    assert len(events) == 3


def test_retry_attempts_zero_sends_straight_to_failure(fast_retries):
    lam, role = _setup(fast_retries)
    target = _create(lam, role, FAILING)
    sink = _create(lam, role, RECORDER)
    lam.put_function_event_invoke_config(
        FunctionName=target, MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": _destination_arn(lam, sink)}}
    )
    lam.invoke(FunctionName=target, InvocationType="Event", Payload=b'{"n": 1}')
    assert _records(fast_retries, sink, 1, 30)[0]["requestContext"]["approximateInvokeCount"] == 1


def test_queued_events_survive_kill_9(tmp_path: Path):
    g = GureumProcess(tmp_path / "data", extra_args=["--set", "lambda.async_retry_delays=3,3"])
    g.start()
    try:
        lam, role = _setup(g)
        target = _create(lam, role, FAILING)
        sink = _create(lam, role, RECORDER)
        lam.put_function_event_invoke_config(FunctionName=target, DestinationConfig={"OnFailure": {"Destination": _destination_arn(lam, sink)}})
        lam.invoke(FunctionName=target, InvocationType="Event", Payload=b'{"n": 9}')
        logs = g.client("logs")

        def first_attempt_failed() -> bool:
            try:
                return bool(logs.filter_log_events(logGroupName=f"/aws/lambda/{target}", filterPattern="REPORT")["events"])
            except logs.exceptions.ResourceNotFoundException:
                return False

        wait_for("the first attempt to run and fail (its REPORT line)", first_attempt_failed, timeout=30, interval=0.1)
        g.kill9()
        g.start()
        record = _records(g, sink, 1, 40)[0]
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestPayload"] == {"n": 9}
    finally:
        g.stop()


def test_account_concurrency_limit_throttles_unreserved_functions(tmp_path: Path):
    import threading

    from botocore.exceptions import ClientError

    g = GureumProcess(tmp_path / "data", extra_args=["--set", "lambda.concurrency=1"])
    g.start()
    try:
        lam, role = _setup(g)
        assert lam.get_account_settings()["AccountLimit"]["ConcurrentExecutions"] == 1
        slow = _create(lam, role, "import time\ndef handler(e, c):\n    time.sleep(6)\n    return 1\n")
        other = _create(lam, role, "def handler(e, c):\n    return 2\n")
        def slow_ran() -> bool:  # our own probes may take the slot first: retry until it runs
            try:
                lam.invoke(FunctionName=slow)
            except ClientError:
                return False
            return True

        t = threading.Thread(target=wait_for, args=("the slow function to get the slot", slow_ran, 60, 0.05))
        t.start()
        # While the slow invoke holds the only slot, another function is throttled (poll:
        # on a loaded machine the slow invoke may take a while to reach its slot).
        throttled: list[ClientError] = []
        client = g.client("lambda")

        def other_throttled() -> bool:
            try:
                client.invoke(FunctionName=other)
            except ClientError as err:
                throttled.append(err)
            return bool(throttled) or not t.is_alive()

        wait_for("an invoke of another function throttled", other_throttled, timeout=60, interval=0.1)
        t.join()
        assert throttled, "no invoke was throttled while the only slot was taken"
        assert throttled[0].response["Error"]["Code"] == "TooManyRequestsException"
        assert throttled[0].response["Reason"] == "ConcurrentInvocationLimitExceeded"
        assert json.loads(lam.invoke(FunctionName=other)["Payload"].read()) == 2
    finally:
        g.stop()


def test_idle_environments_expire(tmp_path: Path):
    import base64

    g = GureumProcess(tmp_path / "data", extra_args=["--set", "lambda.idle_timeout=1"])
    g.start()
    try:
        lam, role = _setup(g)
        name = _create(lam, role, "def handler(e, c):\n    return 1\n")
        tail = lambda: base64.b64decode(lam.invoke(FunctionName=name, LogType="Tail")["LogResult"]).decode()  # noqa: E731
        before = g.descendants()
        assert "Init Duration" in tail()
        assert "Init Duration" not in tail()
        environment = g.descendants() - before  # the warm environment's processes
        assert environment
        # invoking would keep it warm: wait, without invoking, until the reaper destroyed it
        wait_for("the idle environment's processes to exit", lambda: not (environment & g.descendants()), timeout=30)
        assert "Init Duration" in tail()  # the warm one was reaped: a cold start again
    finally:
        g.stop()


def test_prewarm_setting_starts_an_environment_before_the_first_invoke(tmp_path: Path):
    import base64

    g = GureumProcess(tmp_path / "data", extra_args=["--set", "lambda.prewarm=1"])
    g.start()
    try:
        lam, role = _setup(g)
        # each environment's init draws a token and logs it; the handler answers with it
        name = _create(lam, role, "import uuid\nTOKEN = uuid.uuid4().hex\nprint('MODULE LOADED ' + TOKEN, flush=True)\ndef handler(e, c):\n    return TOKEN\n")
        logs = g.client("logs")

        def loaded() -> list[str]:
            try:
                events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern="MODULE")["events"]
            except logs.exceptions.ResourceNotFoundException:
                return []
            return [e["message"].split("MODULE LOADED ", 1)[1].strip() for e in events if "MODULE LOADED " in e["message"]]

        (token,) = wait_for("the prewarmed environment's init (its module's log line), before any invoke", loaded, timeout=30)
        out = lam.invoke(FunctionName=name, LogType="Tail")
        log = base64.b64decode(out["LogResult"]).decode()
        assert "Init Duration" in log  # reported on the environment's first invoke, as AWS does
        assert json.loads(out["Payload"].read()) == token  # the invoke ran on the environment initialised before it
    finally:
        g.stop()


def test_failure_record_goes_to_an_sqs_destination_and_the_event_to_the_dead_letter_queue(fast_retries):
    sqs = fast_retries.client("sqs")
    dest_url = sqs.create_queue(QueueName=f"dest-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    dlq_url = sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    arn = lambda url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]  # noqa: E731
    lam, role = _setup(fast_retries)
    name = f"fn-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
        Code={"ZipFile": zip_of({"app.py": FAILING})}, DeadLetterConfig={"TargetArn": arn(dlq_url)},
    )
    lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": arn(dest_url)}}
    )
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 5}')

    def one(url: str) -> str:
        try:  # a long poll: it waits for messages itself
            msgs = wait_for(f"a message in {url}", lambda: sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages"), timeout=30, interval=0)
        except AssertionError as exc:
            raise AssertionError(f"{exc}:\n{fast_retries.log_tail()}") from None
        return msgs[0]["Body"]

    record = json.loads(one(dest_url))
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responsePayload"]["errorMessage"] == "always fails 5"
    assert json.loads(one(dlq_url)) == {"n": 5}
