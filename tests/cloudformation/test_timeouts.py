"""A stack's TimeoutInMinutes enforced on create, on a gureum whose minute is 10 seconds
(`cloudformation.minute_seconds`, so no test waits a real minute): a wait condition never
signalled is cancelled ("Resource creation cancelled"), the stack says its creation time
exceeded the timeout and rolls back what it made (or stays CREATE_FAILED with DisableRollback);
a stack done in time is CREATE_COMPLETE."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from harness import GureumProcess

from .helpers import events, settle, uniq

MINUTE = 10


@pytest.fixture(scope="module")
def fast(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("cfntimeout") / "data",
                         ["--set", f"cloudformation.minute_seconds={MINUTE}", "--set", "ecs.enabled=0"])
    proc.start()
    yield proc
    proc.stop()


def _body(queue: str) -> str:
    return json.dumps({"Resources": {
        "Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": queue}},
        "H": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "W": {"Type": "AWS::CloudFormation::WaitCondition", "DependsOn": "Q",
              "Properties": {"Handle": {"Ref": "H"}, "Timeout": "3600"}}}})


def _stack_events(cfn: Any, name: str) -> list[tuple[str, str, str]]:
    return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", "")) for e in events(cfn, name)]


def test_a_create_past_its_timeout_is_cancelled_and_rolled_back(fast: GureumProcess) -> None:
    cfn, sqs = fast.client("cloudformation"), fast.client("sqs")
    name, queue = uniq("to"), uniq("toq")
    cfn.create_stack(StackName=name, TemplateBody=_body(queue), TimeoutInMinutes=1)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert stack["TimeoutInMinutes"] == 1
    seen = _stack_events(cfn, name)
    assert ("W", "CREATE_FAILED", "Resource creation cancelled") in seen
    assert (name, "ROLLBACK_IN_PROGRESS", "Stack creation time exceeded the specified timeout. Rollback requested by user.") in seen
    assert ("Q", "DELETE_COMPLETE", "") in seen
    assert not [u for u in sqs.list_queues(QueueNamePrefix=queue).get("QueueUrls", []) if u.endswith(f"/{queue}")]


def test_disable_rollback_leaves_a_timed_out_create_failed(fast: GureumProcess) -> None:
    cfn, sqs = fast.client("cloudformation"), fast.client("sqs")
    name, queue = uniq("to"), uniq("toq")
    cfn.create_stack(StackName=name, TemplateBody=_body(queue), TimeoutInMinutes=1, DisableRollback=True)
    stack = settle(cfn, name, timeout=120)
    assert (stack["StackStatus"], stack["StackStatusReason"]) == ("CREATE_FAILED", "Stack creation time exceeded the specified timeout. ")
    assert sqs.get_queue_url(QueueName=queue)["QueueUrl"].endswith(f"/{queue}")  # kept, as the stack was left
    cfn.delete_stack(StackName=name)


def test_a_create_done_in_time_completes(fast: GureumProcess) -> None:
    cfn = fast.client("cloudformation")
    name = uniq("to")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}),
                     TimeoutInMinutes=10)
    assert settle(cfn, name, timeout=120)["StackStatus"] == "CREATE_COMPLETE"
    cfn.delete_stack(StackName=name)
