"""Change sets through boto3 and the AWS CLI against a real gureum: a CREATE change set makes
the stack REVIEW_IN_PROGRESS and executing it creates it; an UPDATE change set lists Add,
Modify (Replacement True/False/Conditional) and Remove; "didn't contain changes" as AWS says
it; ChangeSetNotFoundException; executing deletes the stack's other change sets."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .helpers import error_of, settle, uniq


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


def _body(resources: dict[str, Any]) -> str:
    return json.dumps({"Resources": resources})


def _changes(cfn: Any, cs: str, stack: str) -> dict[str, dict[str, Any]]:
    out = cfn.describe_change_set(ChangeSetName=cs, StackName=stack)
    return {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in out["Changes"]}


def test_create_and_update_change_sets(cfn: Any, gureum: Any) -> None:
    name = uniq("cs")
    v1 = _body({"Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}},
                "F": {"Type": "AWS::SQS::Queue"},
                "Old": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "x"}}})
    out = cfn.create_change_set(StackName=name, ChangeSetName="first", ChangeSetType="CREATE", TemplateBody=v1)
    assert out["Id"].startswith("arn:aws:cloudformation:us-east-1:000000000000:changeSet/first/")
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "REVIEW_IN_PROGRESS"
    cfn.get_waiter("change_set_create_complete").wait(ChangeSetName="first", StackName=name, WaiterConfig={"Delay": 1})
    added = _changes(cfn, "first", name)
    assert {k: v["Action"] for k, v in added.items()} == {"Q": "Add", "F": "Add", "Old": "Add"}
    described = cfn.describe_change_set(ChangeSetName=out["Id"])
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    cfn.execute_change_set(ChangeSetName="first", StackName=name)
    assert settle(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    assert cfn.describe_change_set(ChangeSetName=out["Id"])["ExecutionStatus"] == "EXECUTE_COMPLETE"

    v2 = _body({"Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 60}},
                "F": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}},
                "New": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Ref": "Q"}}}})
    cfn.create_change_set(StackName=name, ChangeSetName="second", TemplateBody=v2)
    cfn.create_change_set(StackName=name, ChangeSetName="other", TemplateBody=v2)
    ch = _changes(cfn, "second", name)
    assert ch["Q"]["Action"] == "Modify" and ch["Q"]["Replacement"] == "False"
    assert ch["Q"]["Details"][0]["Target"] == {"Attribute": "Properties", "Name": "VisibilityTimeout", "RequiresRecreation": "Never"}
    assert ch["F"]["Action"] == "Modify" and ch["F"]["Replacement"] == "True"
    assert ch["F"]["Details"][0]["Target"]["RequiresRecreation"] == "Always"
    assert ch["New"]["Action"] == "Add" and ch["Old"]["Action"] == "Remove"
    assert {s["ChangeSetName"] for s in cfn.list_change_sets(StackName=name)["Summaries"]} == {"first", "second", "other"}
    # the AWS CLI sees the same change set
    cli = gureum.aws("cloudformation", "describe-change-set", "--change-set-name", "second", "--stack-name", name)
    assert cli["Status"] == "CREATE_COMPLETE"
    cfn.execute_change_set(ChangeSetName="second", StackName=name)
    assert settle(cfn, name)["StackStatus"] == "UPDATE_COMPLETE"
    with pytest.raises(cfn.exceptions.ChangeSetNotFoundException):  # the wire code is ChangeSetNotFound
        cfn.describe_change_set(ChangeSetName="other", StackName=name)
    assert error_of(lambda: cfn.describe_change_set(ChangeSetName="other", StackName=name)) == (
        "ChangeSetNotFound", "ChangeSet [other] does not exist")
    # the same template again: a change set with nothing in it fails as AWS words it
    cfn.create_change_set(StackName=name, ChangeSetName="same", TemplateBody=v2)
    same = cfn.describe_change_set(ChangeSetName="same", StackName=name)
    assert (same["Status"], same["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert same["StatusReason"] == ("The submitted information didn't contain changes. "
                                    "Submit different information to create a change set.")
    assert error_of(lambda: cfn.execute_change_set(ChangeSetName="same", StackName=name))[0] == "InvalidChangeSetStatus"
    cfn.delete_change_set(ChangeSetName="same", StackName=name)
    assert error_of(lambda: cfn.delete_change_set(ChangeSetName="same", StackName=name))[0] == "ChangeSetNotFound"
    assert error_of(lambda: cfn.create_change_set(StackName=name, ChangeSetName="again", ChangeSetType="CREATE",
                                                  TemplateBody=v2))[0] == "AlreadyExistsException"
    assert error_of(lambda: cfn.create_change_set(StackName=uniq(), ChangeSetName="u", TemplateBody=v2))[0] == "ValidationError"
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_replacement_is_conditional_when_a_create_only_property_references_a_replaced_resource(cfn: Any) -> None:
    name = uniq("cc")
    v1 = _body({"Q": {"Type": "AWS::SQS::Queue"},
                "P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v", "Name": {"Fn::Sub": "/${Q.QueueName}"}}}})
    cfn.create_stack(StackName=name, TemplateBody=v1)
    assert settle(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    v2 = _body({"Q": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}},
                "P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v", "Name": {"Fn::Sub": "/${Q.QueueName}"}}}})
    cfn.create_change_set(StackName=name, ChangeSetName="c", TemplateBody=v2)
    ch = _changes(cfn, "c", name)
    assert ch["Q"]["Replacement"] == "True"
    assert ch["P"]["Replacement"] == "Conditional"
    assert ch["P"]["Details"][0]["Evaluation"] == "Dynamic"
    cfn.delete_stack(StackName=name)


def test_deleting_a_review_stack_and_unknown_change_sets(cfn: Any) -> None:
    name = uniq("rv")
    cfn.create_change_set(StackName=name, ChangeSetName="c", ChangeSetType="CREATE", TemplateBody=_body({"Q": {"Type": "AWS::SQS::Queue"}}))
    sid = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
    cfn.delete_stack(StackName=name)
    assert cfn.describe_stacks(StackName=sid)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert error_of(lambda: cfn.describe_change_set(ChangeSetName="arn:aws:cloudformation:us-east-1:000000000000:changeSet/x/y")) == (
        "ChangeSetNotFound", "ChangeSet [arn:aws:cloudformation:us-east-1:000000000000:changeSet/x/y] does not exist")
