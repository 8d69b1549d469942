"""Stack updates through boto3 against a real gureum: in-place changes, replacement (a
createOnly property), added and removed resources, "No updates are to be performed.", a failing
update rolled back completely (UPDATE_ROLLBACK_COMPLETE), exports in use blocking deletion and
change, termination protection, stack policies, TemplateURL from gureum's S3, Retain."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .helpers import error_of, settle, statuses, uniq


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


def _body(resources: dict[str, Any], outputs: dict[str, Any] | None = None, params: dict[str, Any] | None = None) -> str:
    doc: dict[str, Any] = {"Resources": resources}
    if outputs:
        doc["Outputs"] = outputs
    if params:
        doc["Parameters"] = params
    return json.dumps(doc)


def _physical(cfn: Any, stack: str) -> dict[str, str]:
    return {r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
            for r in cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]}


def test_update_in_place_replacement_add_remove_and_no_op(cfn: Any, gureum: Any) -> None:
    sqs, ssm = gureum.client("sqs"), gureum.client("ssm")
    name = uniq("up")
    v1 = _body({"Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}},
                "Gone": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "bye"}}},
               params={"V": {"Type": "String", "Default": "one"}})
    sid = cfn.create_stack(StackName=name, TemplateBody=v1)["StackId"]
    assert settle(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    before = _physical(cfn, name)
    assert error_of(lambda: cfn.update_stack(StackName=name, TemplateBody=v1)) == ("ValidationError", "No updates are to be performed.")
    # VisibilityTimeout changes in place; FifoQueue is a createOnly property: the second queue replaces
    v2 = _body({"Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 60}},
                "F": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}},
                "P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Ref": "V"}}}},
               params={"V": {"Type": "String", "Default": "one"}})
    cfn.update_stack(StackName=name, TemplateBody=v2, Parameters=[{"ParameterKey": "V", "ParameterValue": "two"}])
    stack = settle(cfn, name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", statuses(cfn, name)
    after = _physical(cfn, name)
    assert after["Q"] == before["Q"]
    assert sqs.get_queue_attributes(QueueUrl=after["Q"], AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"] == "60"
    assert "Gone" not in after
    assert error_of(lambda: ssm.get_parameter(Name=before["Gone"]))[0] == "ParameterNotFound"
    assert ssm.get_parameter(Name=after["P"])["Parameter"]["Value"] == "two"
    assert after["F"].endswith(".fifo")
    own = [s for n, s in statuses(cfn, name) if n == name]
    assert own[-3:] == ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE"]
    # UsePreviousValue keeps the parameter; a replacement of F (FifoQueue off) gets a new queue
    v3 = _body({"Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 60}},
                "F": {"Type": "AWS::SQS::Queue"},
                "P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Ref": "V"}}}},
               params={"V": {"Type": "String", "Default": "one"}})
    cfn.update_stack(StackName=name, TemplateBody=v3, Parameters=[{"ParameterKey": "V", "UsePreviousValue": True}])
    assert settle(cfn, name)["StackStatus"] == "UPDATE_COMPLETE"
    third = _physical(cfn, name)
    assert third["F"] != after["F"] and not third["F"].endswith(".fifo")
    with pytest.raises(ClientError):
        sqs.get_queue_attributes(QueueUrl=after["F"])
    assert ssm.get_parameter(Name=third["P"])["Parameter"]["Value"] == "two"
    cfn.delete_stack(StackName=name)
    assert settle(cfn, sid)["StackStatus"] == "DELETE_COMPLETE"


def test_a_failing_update_rolls_back_completely(cfn: Any, gureum: Any) -> None:
    sqs, ssm = gureum.client("sqs"), gureum.client("ssm")
    name = uniq("ur")
    v1 = _body({"Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}},
                "P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v1"}}},
               outputs={"Url": {"Value": {"Ref": "Q"}}})
    cfn.create_stack(StackName=name, TemplateBody=v1)
    assert settle(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    before = _physical(cfn, name)
    v2 = _body({"Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 90}},
                "P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v2"}},
                "New": {"Type": "AWS::SQS::Queue"},
                "Bad": {"Type": "AWS::SQS::Queue", "DependsOn": ["Q", "P", "New"], "Properties": {"DelaySeconds": 5000}}},
               outputs={"Url": {"Value": {"Ref": "Q"}}, "More": {"Value": "x"}})
    cfn.update_stack(StackName=name, TemplateBody=v2)
    stack = settle(cfn, name)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", statuses(cfn, name)
    own = [s for n, s in statuses(cfn, name) if n == name]
    assert own[-4:] == ["UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS",
                        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"]
    assert sqs.get_queue_attributes(QueueUrl=before["Q"], AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"] == "30"
    assert ssm.get_parameter(Name=before["P"])["Parameter"]["Value"] == "v1"
    assert _physical(cfn, name) == before  # New and Bad are gone from the stack...
    queues = sqs.list_queues(QueueNamePrefix=f"{name}-New").get("QueueUrls", [])
    assert queues == []  # ...and New's queue from SQS
    assert {o["OutputKey"] for o in stack["Outputs"]} == {"Url"}
    assert json.loads(json.dumps(cfn.get_template(StackName=name)["TemplateBody"])) == json.loads(v1)
    # the stack can be updated again after an update rollback
    cfn.update_stack(StackName=name, TemplateBody=_body({"Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 31}},
                                                         "P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v1"}}}))
    assert settle(cfn, name)["StackStatus"] == "UPDATE_COMPLETE"
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_exports_in_use_block_deletion_and_change(cfn: Any, gureum: Any) -> None:
    producer, consumer = uniq("ex"), uniq("im")
    export = f"{producer}-url"
    body = _body({"Q": {"Type": "AWS::SQS::Queue"}}, outputs={"Url": {"Value": {"Ref": "Q"}, "Export": {"Name": export}}})
    cfn.create_stack(StackName=producer, TemplateBody=body)
    assert settle(cfn, producer)["StackStatus"] == "CREATE_COMPLETE"
    again = uniq("dup")
    cfn.create_stack(StackName=again, TemplateBody=body)
    assert settle(cfn, again)["StackStatus"] == "ROLLBACK_COMPLETE"
    cfn.delete_stack(StackName=again)
    cfn.create_stack(StackName=consumer, TemplateBody=_body(
        {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Fn::ImportValue": export}}}}))
    assert settle(cfn, consumer)["StackStatus"] == "CREATE_COMPLETE"
    url = next(o["OutputValue"] for o in cfn.describe_stacks(StackName=producer)["Stacks"][0]["Outputs"])
    param = _physical(cfn, consumer)["P"]
    assert gureum.client("ssm").get_parameter(Name=param)["Parameter"]["Value"] == url
    assert cfn.list_imports(ExportName=export)["Imports"] == [consumer]
    assert error_of(lambda: cfn.delete_stack(StackName=producer)) == (
        "ValidationError", f"Export {export} cannot be deleted as it is in use by {consumer}")
    cfn.update_stack(StackName=producer, TemplateBody=_body({"Q": {"Type": "AWS::SQS::Queue"}}, outputs={"Url": {"Value": "other", "Export": {"Name": export}}}))
    stack = settle(cfn, producer)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    reasons = [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName=producer)["StackEvents"]]
    assert any(f"Cannot update export {export} as it is in use by {consumer}" in r for r in reasons)
    consumer_id = _stack_id(cfn, consumer)  # before the delete: once deleted, only its id finds it
    cfn.delete_stack(StackName=consumer)
    settle(cfn, consumer_id)
    assert error_of(lambda: cfn.list_imports(ExportName=export)) == ("ValidationError", f"Export '{export}' is not imported by any stack.")
    cfn.delete_stack(StackName=producer)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def _stack_id(cfn: Any, name: str) -> str:
    return str(cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"])


def test_termination_protection_stack_policy_template_url_and_retain(cfn: Any, gureum: Any) -> None:
    s3 = gureum.client("s3")
    bucket = uniq("tpl")
    s3.create_bucket(Bucket=bucket)
    body = _body({"Kept": {"Type": "AWS::SSM::Parameter", "DeletionPolicy": "Retain",
                           "Properties": {"Type": "String", "Value": "stays"}}})
    s3.put_object(Bucket=bucket, Key="t.json", Body=body.encode())
    name = uniq("tp")
    cfn.create_stack(StackName=name, TemplateURL=f"https://{bucket}.s3.amazonaws.com/t.json", EnableTerminationProtection=True,
                     StackPolicyBody='{"Statement":[{"Effect":"Allow","Action":"Update:*","Principal":"*","Resource":"*"}]}')
    stack = settle(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE" and stack["EnableTerminationProtection"] is True
    assert json.loads(cfn.get_stack_policy(StackName=name)["StackPolicyBody"])["Statement"][0]["Action"] == "Update:*"
    assert error_of(lambda: cfn.delete_stack(StackName=name)) == (
        "ValidationError", f"Stack [{name}] cannot be deleted while TerminationProtection is enabled")
    cfn.update_termination_protection(StackName=name, EnableTerminationProtection=False)
    kept = _physical(cfn, name)["Kept"]
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert gureum.client("ssm").get_parameter(Name=kept)["Parameter"]["Value"] == "stays"
    assert ("Kept", "DELETE_SKIPPED") in statuses(cfn, stack["StackId"])
    code, message = error_of(lambda: cfn.create_stack(StackName=uniq(), TemplateURL=f"https://{bucket}.s3.amazonaws.com/missing.json"))
    assert code == "ValidationError" and message.startswith("S3 error: ")


def test_cancel_update_stack_rolls_the_update_back(cfn: Any, gureum: Any) -> None:
    from waiting import wait_for

    sqs = gureum.client("sqs")
    name = uniq("cu")
    v1 = _body({"Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}}})
    cfn.create_stack(StackName=name, TemplateBody=v1)
    assert settle(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    url = _physical(cfn, name)["Q"]
    assert error_of(lambda: cfn.cancel_update_stack(StackName=name)) == (
        "ValidationError", "CancelUpdateStack cannot be called from current stack status CREATE_COMPLETE")
    assert error_of(lambda: cfn.continue_update_rollback(StackName=name))[0] == "ValidationError"
    # the queue changes at once; the wait condition would wait ten minutes for a signal
    v2 = _body({"Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 90}},
                "H": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
                "W": {"Type": "AWS::CloudFormation::WaitCondition", "DependsOn": "Q",
                      "Properties": {"Handle": {"Ref": "H"}, "Timeout": "600"}}})
    cfn.update_stack(StackName=name, TemplateBody=v2)

    def waiting_for_signal() -> bool:
        rows = cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
        return any(r["LogicalResourceId"] == "W" and r["ResourceStatus"] == "CREATE_IN_PROGRESS" for r in rows)
    wait_for("the wait condition to start", waiting_for_signal, timeout=60)
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"] == "90"
    cfn.cancel_update_stack(StackName=name)
    stack = settle(cfn, name)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", statuses(cfn, name)
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"] == "30"
    assert set(_physical(cfn, name)) == {"Q"}
    limits = {x["Name"]: x["Value"] for x in cfn.describe_account_limits()["AccountLimits"]}
    assert limits == {"StackLimit": 2000, "StackOutputsLimit": 200}
    cfn.delete_stack(StackName=name)


def test_disable_rollback_then_rollback_stack(cfn: Any, gureum: Any) -> None:
    sqs = gureum.client("sqs")
    name = uniq("rbs")
    v1 = _body({"Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}}})
    cfn.create_stack(StackName=name, TemplateBody=v1)
    assert settle(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    url = _physical(cfn, name)["Q"]
    v2 = _body({"Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 90}},
                "Bad": {"Type": "AWS::SQS::Queue", "DependsOn": "Q", "Properties": {"DelaySeconds": 5000}}})
    cfn.update_stack(StackName=name, TemplateBody=v2, DisableRollback=True)
    assert settle(cfn, name)["StackStatus"] == "UPDATE_FAILED"
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"] == "90"
    cfn.rollback_stack(StackName=name)
    assert settle(cfn, name)["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", statuses(cfn, name)
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"] == "30"
    assert error_of(lambda: cfn.rollback_stack(StackName=name)) == (
        "ValidationError", f"Stack {name} is in UPDATE_ROLLBACK_COMPLETE state and can not be rolled back.")
    cfn.delete_stack(StackName=name)

    failed = uniq("rbc")
    cfn.create_stack(StackName=failed, TemplateBody=_body({"Good": {"Type": "AWS::SQS::Queue"},
                                                           "Bad": {"Type": "AWS::SQS::Queue", "DependsOn": "Good",
                                                                   "Properties": {"DelaySeconds": 5000}}}), DisableRollback=True)
    assert settle(cfn, failed)["StackStatus"] == "CREATE_FAILED"
    good = _physical(cfn, failed)["Good"]
    cfn.rollback_stack(StackName=failed)
    assert settle(cfn, failed)["StackStatus"] == "ROLLBACK_COMPLETE"
    with pytest.raises(ClientError):
        sqs.get_queue_attributes(QueueUrl=good)
    cfn.delete_stack(StackName=failed)


def test_a_dynamodb_table_changes_billing_in_place(cfn: Any, gureum: Any) -> None:
    """A replacement before (every change of a table replaced it, and a named one could not be)."""
    name = uniq("ddb")
    table = {"Type": "AWS::DynamoDB::Table", "Properties": {
        "TableName": f"{name}-t", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}}
    cfn.create_stack(StackName=name, TemplateBody=_body({"T": table}))
    assert settle(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    table["Properties"]["BillingMode"] = "PROVISIONED"
    table["Properties"]["ProvisionedThroughput"] = {"ReadCapacityUnits": 3, "WriteCapacityUnits": 4}
    cfn.update_stack(StackName=name, TemplateBody=_body({"T": table}))
    assert settle(cfn, name)["StackStatus"] == "UPDATE_COMPLETE", statuses(cfn, name)
    described = gureum.client("dynamodb").describe_table(TableName=f"{name}-t")["Table"]
    assert described["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert described["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    cfn.delete_stack(StackName=name)
