"""Durable functions with AWS's own durable execution SDK (aws-durable-execution-sdk-python,
zipped with the function): Invoke starts a durable execution; steps are checkpointed and
not run again when the function is replayed after a wait and after a callback
(SendDurableExecutionCallbackSuccess); the execution's state, history and listing are
AWS's; a synchronous Invoke answers the execution's result; StopDurableExecution ends one."""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path
from typing import Any

import aws_durable_execution_sdk_python
import pytest
from botocore.exceptions import ClientError
from lambda_helpers import log_lines
from waiting import wait_for

APP = textwrap.dedent(
    """
    from aws_durable_execution_sdk_python import DurableContext, durable_execution, durable_step
    from aws_durable_execution_sdk_python.config import Duration

    @durable_step
    def double(step_context, x):
        print("step runs", x)
        return x * 2

    @durable_execution
    def handler(event, context: DurableContext):
        a = context.step(double(event["x"]), name="double")
        context.wait(Duration.from_seconds(1), name="pause")
        if not event.get("approve"):
            return {"a": a}
        callback = context.create_callback(name="approval")
        return {"a": a, "approved": callback.result()}
    """
)


def _sdk_files() -> dict[str, str | bytes]:
    root = Path(aws_durable_execution_sdk_python.__file__).parent
    files: dict[str, str | bytes] = {}
    for path in root.rglob("*.py"):
        files[str(path.relative_to(root.parent))] = path.read_bytes()
    return files


@pytest.fixture
def durable_function(make_function: Any, lam: Any) -> str:
    name = make_function({"app.py": APP, **_sdk_files()}, runtime="python3.11", Timeout=30,
                         DurableConfig={"ExecutionTimeout": 600, "RetentionPeriodInDays": 1})
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def _history(lam: Any, arn: str) -> list[dict[str, Any]]:
    return lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]


def test_a_durable_execution_checkpoints_waits_and_resumes_on_a_callback(gureum, lam, durable_function):
    name = durable_function
    assert lam.get_function_configuration(FunctionName=name)["DurableConfig"]["ExecutionTimeout"] == 600
    started = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"x": 21, "approve": True}).encode())
    assert started["StatusCode"] == 202
    arn = started["DurableExecutionArn"]
    assert f":function:{name}:$LATEST/durable-execution/" in arn

    def callback_id() -> str | None:
        for e in _history(lam, arn):
            if e["EventType"] == "CallbackStarted":
                return str(e["CallbackStartedDetails"]["CallbackId"])
        return None

    cid = wait_for("the callback started", callback_id, timeout=90)
    running = lam.get_durable_execution(DurableExecutionArn=arn)
    assert running["Status"] == "RUNNING"
    assert json.loads(running["InputPayload"]) == {"x": 21, "approve": True}
    kinds = [e["EventType"] for e in _history(lam, arn)]
    for kind in ("ExecutionStarted", "StepStarted", "StepSucceeded", "WaitStarted", "WaitSucceeded", "CallbackStarted"):
        assert kind in kinds, kinds

    lam.send_durable_execution_callback_success(CallbackId=cid, Result=b"yes")  # handed to the SDK as it is

    def finished() -> dict[str, Any] | None:
        got = lam.get_durable_execution(DurableExecutionArn=arn)
        return got if got["Status"] != "RUNNING" else None

    done = wait_for("the execution finished", finished, timeout=90)
    assert done["Status"] == "SUCCEEDED", done
    assert json.loads(done["Result"]) == {"a": 42, "approved": "yes"}
    history = _history(lam, arn)
    assert sum(e["EventType"] == "InvocationCompleted" for e in history) == 3  # first run, after the wait, after the callback
    assert history[-1]["EventType"] == "ExecutionSucceeded"
    # the step ran once: the two later invocations replayed its checkpointed result
    lines = log_lines(gureum, name, "step runs")
    wait_for("the last invocation's REPORT", lambda: sum(line.startswith("REPORT") for line in log_lines(gureum, name, "REPORT")) >= 3)
    assert sum("step runs 21" in line for line in log_lines(gureum, name, "step runs")) == 1, lines

    listed = lam.list_durable_executions_by_function(FunctionName=name)["DurableExecutions"]
    assert [(e["DurableExecutionArn"], e["Status"]) for e in listed] == [(arn, "SUCCEEDED")]
    with pytest.raises(ClientError) as err:  # a callback answers once
        lam.send_durable_execution_callback_success(CallbackId=cid, Result=b'"again"')
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_a_synchronous_invoke_answers_the_executions_result_and_stop_ends_one(lam, durable_function):
    name = durable_function
    got = lam.invoke(FunctionName=name, Payload=json.dumps({"x": 5}).encode(), DurableExecutionName=f"run-{uuid.uuid4().hex[:6]}")
    assert "FunctionError" not in got
    assert json.loads(got["Payload"].read()) == {"a": 10}
    assert lam.get_durable_execution(DurableExecutionArn=got["DurableExecutionArn"])["Status"] == "SUCCEEDED"

    waiting = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"x": 1, "approve": True}).encode())
    arn = waiting["DurableExecutionArn"]
    wait_for("the callback started", lambda: any(e["EventType"] == "CallbackStarted" for e in _history(lam, arn)), timeout=90)
    stopped = lam.stop_durable_execution(DurableExecutionArn=arn)
    assert stopped["StopTimestamp"]
    assert lam.get_durable_execution(DurableExecutionArn=arn)["Status"] == "STOPPED"
    # (the invocation that started the callback may end after the stop: its InvocationCompleted comes later)
    assert "ExecutionStopped" in [e["EventType"] for e in _history(lam, arn)]
    lam.delete_durable_execution(DurableExecutionArn=arn)
    with pytest.raises(ClientError) as err:
        lam.get_durable_execution(DurableExecutionArn=arn)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_checkpoints_need_the_live_token(lam, durable_function):
    name = durable_function
    got = lam.invoke(FunctionName=name, Payload=json.dumps({"x": 2}).encode())
    arn = got["DurableExecutionArn"]
    with pytest.raises(ClientError) as err:  # the execution has ended: no token is live
        lam.checkpoint_durable_execution(DurableExecutionArn=arn, CheckpointToken="stale",
                                         Updates=[{"Id": "x", "Type": "STEP", "Action": "START"}])
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as err:
        lam.get_durable_execution_state(DurableExecutionArn=arn, CheckpointToken="stale")
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as err:
        lam.send_durable_execution_callback_success(CallbackId="bm9uZQ==", Result=b"1")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


RETRYING = textwrap.dedent(
    """
    from aws_durable_execution_sdk_python import DurableContext, durable_execution, durable_step
    from aws_durable_execution_sdk_python.config import Duration, JitterStrategy, StepConfig
    from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy

    @durable_step
    def flaky(step_context):
        print("attempt", step_context.attempt)
        if step_context.attempt < 2:
            raise RuntimeError("not yet")
        return "made it"

    RETRY = create_retry_strategy(RetryStrategyConfig(max_attempts=3, initial_delay=Duration.from_seconds(1),
                                                      jitter_strategy=JitterStrategy.NONE))

    @durable_execution
    def handler(event, context: DurableContext):
        return context.step(flaky(), name="flaky", config=StepConfig(retry_strategy=RETRY))
    """
)


def test_a_failed_step_is_retried_after_its_delay(gureum, lam, make_function):
    name = make_function({"app.py": RETRYING, **_sdk_files()}, runtime="python3.11", Timeout=30, DurableConfig={"ExecutionTimeout": 300})
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    got = lam.invoke(FunctionName=name, Payload=b"{}")
    assert json.loads(got["Payload"].read()) == "made it"
    history = _history(lam, got["DurableExecutionArn"])
    failed = [e for e in history if e["EventType"] == "StepFailed"]
    assert [(e["StepFailedDetails"]["RetryDetails"]["CurrentAttempt"], e["StepFailedDetails"]["Error"]["Payload"]["ErrorMessage"])
            for e in failed] == [(1, "not yet")]
    succeeded = [e for e in history if e["EventType"] == "StepSucceeded"]
    assert succeeded[0]["StepSucceededDetails"]["RetryDetails"]["CurrentAttempt"] == 2
    def attempts() -> list[str] | None:
        # (the SDK's error log line for attempt 1 may end without a newline, so the next print
        # shares its log event)
        found = [f"attempt {n}" for line in log_lines(gureum, name, "attempt 1") for n in (1, 2) if line.endswith(f"attempt {n}")]
        return found if "attempt 2" in found else None

    assert wait_for("both attempts logged", attempts) == ["attempt 1", "attempt 2"]  # each attempt ran once


FROM_SNS = textwrap.dedent(
    """
    import json
    from aws_durable_execution_sdk_python import DurableContext, durable_execution, durable_step

    @durable_step
    def double(step_context, x):
        return x * 2

    @durable_execution
    def handler(event, context: DurableContext):
        message = json.loads(event["Records"][0]["Sns"]["Message"])
        return context.step(double(message["x"]), name="double")
    """
)


def test_an_asynchronous_event_starts_a_durable_execution(gureum, lam, make_function):
    name = make_function({"app.py": FROM_SNS, **_sdk_files()}, runtime="python3.11", Timeout=30, DurableConfig={"ExecutionTimeout": 300})
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    fn_arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    sns = gureum.client("sns")
    topic = sns.create_topic(Name=f"durable-{uuid.uuid4().hex[:8]}")["TopicArn"]
    lam.add_permission(FunctionName=name, StatementId="sns", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com",
                       SourceArn=topic)
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn_arn)
    sns.publish(TopicArn=topic, Message=json.dumps({"x": 4}))

    def succeeded() -> list[dict[str, Any]]:
        return [e for e in lam.list_durable_executions_by_function(FunctionName=name)["DurableExecutions"] if e["Status"] == "SUCCEEDED"]

    done = wait_for("the SNS event's durable execution", succeeded, timeout=90)
    assert lam.get_durable_execution(DurableExecutionArn=done[0]["DurableExecutionArn"])["Result"] == "8"


PARENT = textwrap.dedent(
    """
    import os
    from aws_durable_execution_sdk_python import DurableContext, durable_execution

    @durable_execution
    def handler(event, context: DurableContext):
        doubled = context.invoke(os.environ["CHILD"], {"x": event["x"], "approve": False}, name="child")
        return {"child": doubled}
    """
)


def test_a_chained_invoke_runs_the_other_durable_function_to_its_end(lam, durable_function, make_function):
    child = durable_function
    parent = make_function({"app.py": PARENT, **_sdk_files()}, runtime="python3.11", Timeout=30,
                           DurableConfig={"ExecutionTimeout": 300}, Environment={"Variables": {"CHILD": child}})
    lam.get_waiter("function_active_v2").wait(FunctionName=parent)
    got = lam.invoke(FunctionName=parent, Payload=json.dumps({"x": 7}).encode())
    assert "FunctionError" not in got
    assert json.loads(got["Payload"].read()) == {"child": {"a": 14}}
    kinds = [e["EventType"] for e in _history(lam, got["DurableExecutionArn"])]
    assert "ChainedInvokeStarted" in kinds and "ChainedInvokeSucceeded" in kinds, kinds
    children = lam.list_durable_executions_by_function(FunctionName=child)["DurableExecutions"]
    assert [c["Status"] for c in children] == ["SUCCEEDED"]
