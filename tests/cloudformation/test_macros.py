"""CloudFormation macros through boto3 against a real gureum: a stack makes two
AWS::CloudFormation::Macro resources backed by a real Python Lambda function; a second stack
calls one as a template-level Transform (it adds an SQS queue named from a template
parameter) and the other as Fn::Transform with Parameters on a queue's Properties (it
prefixes the queue name); the queues are checked through SQS, GetTemplate shows both stages.
CreateStack needs CAPABILITY_AUTO_EXPAND; a change set does not. A macro answering "failure",
one whose function raises, and one not registered fail CreateStack with AWS's messages (a
change set is created FAILED with the macro's message as its StatusReason); a macro
name taken twice fails the second resource; a macro's Description changes in place; deleting
the macro stack removes the macros. A nested stack's template (YAML from S3) runs both
kinds of macro, one a `!Transform` list item, only under a root created with
CAPABILITY_AUTO_EXPAND; a `!Transform` alone (no Transform section) is processed too. A
failing macro with a LogGroupName writes one line to that (existing) group, read back through
CloudWatch Logs; none through a role CloudFormation may not assume, none to a missing group,
none for a success."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import pytest
from waiting import wait_for

from .helpers import error_of, failures, settle, statuses, uniq

HANDLER = """
def handler(event, context):
    params = event["params"]
    if params.get("Fail") == "status":
        return {"requestId": event["requestId"], "status": "failure", "errorMessage": "asked to fail"}
    if params.get("Fail") == "raise":
        raise ValueError("macro exploded")
    if params.get("Mode") == "upper":  # a list item's snippet: the item is what it returns
        return {"requestId": event["requestId"], "status": "success", "fragment": params["Value"].upper()}
    fragment = event["fragment"]
    if "Resources" in fragment:
        base = event["templateParameterValues"]["Base"]
        fragment["Resources"]["Added"] = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": base.upper() + "-ADDED"}}
        fragment.setdefault("Outputs", {})["Region"] = {"Value": event["region"] + "/" + event["accountId"]}
    else:
        fragment["QueueName"] = params["Prefix"] + "-" + fragment["QueueName"]
    return {"requestId": event["requestId"], "status": "SUCCESS", "fragment": fragment}
"""


def _macro_body(adder: str, namer: str, description: str = "adds a queue") -> str:
    return json.dumps({"Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "index.handler", "Timeout": 30,
                                                               "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"ZipFile": HANDLER}}},
        "Adder": {"Type": "AWS::CloudFormation::Macro", "Properties": {"Name": adder, "FunctionName": {"Fn::GetAtt": ["Fn", "Arn"]},
                                                                       "Description": description}},
        "Namer": {"Type": "AWS::CloudFormation::Macro", "Properties": {"Name": namer, "FunctionName": {"Ref": "Fn"}}},
        # the same function with error logging: to a group that exists, through a role
        # CloudFormation may assume; through one it may not; to a group that does not exist
        "Group": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"/macros/{namer}"}},
        "LogRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
        "Logged": {"Type": "AWS::CloudFormation::Macro", "Properties": {
            "Name": f"{namer}Log", "FunctionName": {"Ref": "Fn"}, "LogGroupName": {"Ref": "Group"},
            "LogRoleARN": {"Fn::GetAtt": ["LogRole", "Arn"]}}},
        "Untrusted": {"Type": "AWS::CloudFormation::Macro", "Properties": {
            "Name": f"{namer}Untrusted", "FunctionName": {"Ref": "Fn"}, "LogGroupName": {"Ref": "Group"},
            "LogRoleARN": {"Fn::GetAtt": ["Role", "Arn"]}}},
        "Lost": {"Type": "AWS::CloudFormation::Macro", "Properties": {
            "Name": f"{namer}Lost", "FunctionName": {"Ref": "Fn"}, "LogGroupName": f"/macros/{namer}-missing"}}},
        "Outputs": {"Adder": {"Value": {"Ref": "Adder"}}, "Id": {"Value": {"Fn::GetAtt": ["Namer", "Id"]}}}})


def _macro_stack(cfn: Any, adder: str, namer: str) -> str:
    """The stack id of a stack making the macros `adder` and `namer`."""
    name = uniq("mac")
    cfn.create_stack(StackName=name, TemplateBody=_macro_body(adder, namer), Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]} == {"Adder": adder, "Id": namer}
    return str(stack["StackId"])


def _user(adder: str, namer: str, queue: str, **params: str) -> str:
    return json.dumps({
        "Transform": [adder],
        "Parameters": {"Base": {"Type": "String", "Default": "base"}},
        "Resources": {"Named": {"Type": "AWS::SQS::Queue", "Properties": {
            "Fn::Transform": {"Name": namer, "Parameters": {"Prefix": "pre", **params}}, "QueueName": queue}}}})


def _settled(cfn: Any, stack: str) -> dict[str, Any] | None:
    change_set: dict[str, Any] = cfn.describe_change_set(StackName=stack, ChangeSetName="one")
    return None if change_set["Status"].endswith(("_PENDING", "_IN_PROGRESS")) else change_set


def _doc(body: Any) -> Any:
    """GetTemplate's TemplateBody as a document (boto3 parses a JSON body itself)."""
    return json.loads(body) if isinstance(body, str) else json.loads(json.dumps(body))


@pytest.fixture(scope="module")
def macro_names(gureum: Any) -> tuple[str, str, str]:
    cfn = gureum.client("cloudformation")
    adder, namer = uniq("Adder"), uniq("Namer")
    return adder, namer, _macro_stack(cfn, adder, namer)


def test_template_and_snippet_macros(gureum: Any, macro_names: tuple[str, str, str]) -> None:
    cfn, sqs = gureum.client("cloudformation"), gureum.client("sqs")
    adder, namer, _ = macro_names
    name, queue, base = uniq("use"), uniq("q"), uniq("b")
    body = _user(adder, namer, queue)
    code, message = error_of(lambda: cfn.create_stack(StackName=name, TemplateBody=body))
    assert (code, message) == ("InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_AUTO_EXPAND]")
    cfn.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_AUTO_EXPAND"],
                     Parameters=[{"ParameterKey": "Base", "ParameterValue": base}])
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    assert stack["Outputs"][0]["OutputValue"].startswith("us-east-1/")
    urls = {sqs.get_queue_url(QueueName=q)["QueueUrl"] for q in (f"pre-{queue}", base.upper() + "-ADDED")}
    assert len(urls) == 2
    resources = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cfn.describe_stack_resources(StackName=name)["StackResources"]}
    assert set(resources) == {"Named", "Added"} and resources["Named"].endswith(f"/pre-{queue}")
    processed = _doc(cfn.get_template(StackName=name, TemplateStage="Processed")["TemplateBody"])
    assert "Transform" not in processed and processed["Resources"]["Named"]["Properties"] == {"QueueName": f"pre-{queue}"}
    assert processed["Resources"]["Added"]["Properties"]["QueueName"] == base.upper() + "-ADDED"
    assert _doc(cfn.get_template(StackName=name)["TemplateBody"]) == json.loads(body)
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"


def test_a_change_set_expands_macros_without_the_capability(gureum: Any, macro_names: tuple[str, str, str]) -> None:
    cfn = gureum.client("cloudformation")
    adder, namer, _ = macro_names
    name, queue = uniq("cs"), uniq("q")
    cfn.create_change_set(StackName=name, ChangeSetName="one", ChangeSetType="CREATE", TemplateBody=_user(adder, namer, queue))
    cfn.get_waiter("change_set_create_complete").wait(StackName=name, ChangeSetName="one", WaiterConfig={"Delay": 1})
    changes = cfn.describe_change_set(StackName=name, ChangeSetName="one")["Changes"]
    assert sorted(c["ResourceChange"]["LogicalResourceId"] for c in changes) == ["Added", "Named"]
    cfn.delete_stack(StackName=name)


def test_failing_and_unknown_macros(gureum: Any, macro_names: tuple[str, str, str]) -> None:
    cfn = gureum.client("cloudformation")
    adder, namer, _ = macro_names
    account = gureum.client("sts").get_caller_identity()["Account"]
    caps = ["CAPABILITY_AUTO_EXPAND"]
    code, message = error_of(lambda: cfn.create_stack(StackName=uniq("f"), Capabilities=caps,
                                                      TemplateBody=_user(adder, namer, "q", Fail="status")))
    assert (code, message) == ("ValidationError", f"Transform {account}::{namer} failed with: asked to fail")
    code, message = error_of(lambda: cfn.create_stack(StackName=uniq("f"), Capabilities=caps,
                                                      TemplateBody=_user(adder, namer, "q", Fail="raise")))
    assert (code, message) == ("ValidationError", f"Received malformed response from transform {account}::{namer}")
    name = uniq("fcs")
    cfn.create_change_set(StackName=name, ChangeSetName="one", ChangeSetType="CREATE",
                          TemplateBody=_user(adder, namer, "q", Fail="status"))
    change_set = wait_for("the change set to fail", lambda: _settled(cfn, name), 60)
    assert (change_set["Status"], change_set["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert change_set["StatusReason"] == f"Transform {account}::{namer} failed with: asked to fail"
    cfn.delete_stack(StackName=name)
    missing = uniq("Missing")
    code, message = error_of(lambda: cfn.create_stack(StackName=uniq("f"), Capabilities=caps,
                                                      TemplateBody=_user(missing, namer, "q")))
    assert (code, message) == ("ValidationError", f"No transform named {account}::{missing} found.")


def test_a_taken_name_and_the_macro_stack_deleted(gureum: Any) -> None:
    cfn = gureum.client("cloudformation")
    adder, namer = uniq("Adder"), uniq("Namer")
    first = _macro_stack(cfn, adder, namer)
    second = uniq("dup")
    cfn.create_stack(StackName=second, TemplateBody=json.dumps({"Resources": {"M": {
        "Type": "AWS::CloudFormation::Macro", "Properties": {"Name": adder, "FunctionName": "whatever"}}}}))
    assert settle(cfn, second, timeout=120)["StackStatus"] == "ROLLBACK_COMPLETE", statuses(cfn, second)
    assert any("already exists" in reason for _, _, reason in failures(cfn, second)), failures(cfn, second)
    cfn.delete_stack(StackName=second)
    cfn.update_stack(StackName=first, TemplateBody=_macro_body(adder, namer, "changed"), Capabilities=["CAPABILITY_IAM"])
    assert settle(cfn, first, timeout=120)["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, first)
    adder_row = cfn.describe_stack_resource(StackName=first, LogicalResourceId="Adder")["StackResourceDetail"]
    assert adder_row["PhysicalResourceId"] == adder
    user = uniq("use")
    cfn.create_stack(StackName=user, TemplateBody=_user(adder, namer, uniq("q")), Capabilities=["CAPABILITY_AUTO_EXPAND"])
    assert settle(cfn, user, timeout=120)["StackStatus"] == "CREATE_COMPLETE", failures(cfn, user)
    cfn.delete_stack(StackName=user)
    cfn.delete_stack(StackName=first)
    assert settle(cfn, first, timeout=180)["StackStatus"] == "DELETE_COMPLETE"
    account = gureum.client("sts").get_caller_identity()["Account"]
    code, message = error_of(lambda: cfn.create_stack(StackName=uniq("gone"), Capabilities=["CAPABILITY_AUTO_EXPAND"],
                                                      TemplateBody=_user(adder, namer, "q")))
    assert (code, message) == ("ValidationError", f"No transform named {account}::{namer} found.")


def _nested_child(adder: str, namer: str, queue: str) -> str:
    """A child template (YAML) using both macros: the Transform section's and, in the short
    form inside a list item, a snippet that is the item itself."""
    return f"""
Transform: {adder}
Parameters:
  Base: {{Type: String}}
Resources:
  Named:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Join ['-', [{queue}, !Transform {{Name: {namer}, Parameters: {{Mode: upper, Value: item}}}}]]
Outputs:
  Named: {{Value: !GetAtt Named.QueueName}}
"""


def test_macros_run_in_nested_stacks_and_list_items(gureum: Any, macro_names: tuple[str, str, str]) -> None:
    cfn, sqs, s3 = gureum.client("cloudformation"), gureum.client("sqs"), gureum.client("s3")
    adder, namer, _ = macro_names
    bucket, queue, base = uniq("nestmac"), uniq("q"), uniq("b")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="child.yaml", Body=_nested_child(adder, namer, queue).encode())
    parent = json.dumps({"Resources": {"Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {
        "TemplateURL": f"https://{bucket}.s3.amazonaws.com/child.yaml", "Parameters": {"Base": base}}}},
        "Outputs": {"Named": {"Value": {"Fn::GetAtt": ["Child", "Outputs.Named"]}}}})
    # the parent's template has no macro, its nested stack's has: AWS wants the capability
    # on the stack created from the template (the root) and fails the nested stack without it
    name = uniq("nomac")
    cfn.create_stack(StackName=name, TemplateBody=parent)
    assert settle(cfn, name, timeout=180)["StackStatus"] == "ROLLBACK_COMPLETE", statuses(cfn, name)
    reasons = [reason for logical, _, reason in failures(cfn, name) if logical == "Child"]
    assert reasons and "Requires capabilities : [CAPABILITY_AUTO_EXPAND]" in reasons[0], failures(cfn, name)
    cfn.delete_stack(StackName=name)
    name = uniq("nest")
    cfn.create_stack(StackName=name, TemplateBody=parent, Capabilities=["CAPABILITY_AUTO_EXPAND"])
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    assert stack["Outputs"][0]["OutputValue"] == f"{queue}-ITEM"
    child = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Child")["StackResourceDetail"]["PhysicalResourceId"]
    resources = {r["LogicalResourceId"] for r in cfn.describe_stack_resources(StackName=child)["StackResources"]}
    assert resources == {"Named", "Added"}
    for q in (f"{queue}-ITEM", base.upper() + "-ADDED"):
        assert sqs.get_queue_url(QueueName=q)["QueueUrl"].endswith("/" + q)
    processed = _doc(cfn.get_template(StackName=child, TemplateStage="Processed")["TemplateBody"])
    assert processed["Resources"]["Named"]["Properties"]["QueueName"] == {"Fn::Join": ["-", [queue, "ITEM"]]}
    # an update of the parent runs the nested template's macros again, with the new value
    renamed = uniq("b")
    cfn.update_stack(StackName=name, TemplateBody=parent.replace(base, renamed), Capabilities=["CAPABILITY_AUTO_EXPAND"])
    assert settle(cfn, name, timeout=180)["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    assert sqs.get_queue_url(QueueName=renamed.upper() + "-ADDED")["QueueUrl"].endswith("-ADDED")
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE"


def test_a_short_form_snippet_alone_is_processed(gureum: Any, macro_names: tuple[str, str, str]) -> None:
    """A YAML template whose only macro is a `!Transform` list item (no Transform section)."""
    cfn = gureum.client("cloudformation")
    _, namer, _ = macro_names
    queue = uniq("q")
    body = f"""
Resources:
  Named:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Join ['-', [{queue}, !Transform {{Name: {namer}, Parameters: {{Mode: upper, Value: short}}}}]]
"""
    code, message = error_of(lambda: cfn.create_stack(StackName=uniq("short"), TemplateBody=body))
    assert (code, message) == ("InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_AUTO_EXPAND]")
    name = uniq("short")
    cfn.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_AUTO_EXPAND"])
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    physical = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Named")["StackResourceDetail"]["PhysicalResourceId"]
    assert physical.endswith(f"/{queue}-SHORT")
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"


def _snippet_user(macro: str, **params: str) -> str:
    return json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {
        "Fn::Transform": {"Name": macro, "Parameters": params}}}}}})


def test_a_failing_macro_logs_to_its_log_group(gureum: Any, macro_names: tuple[str, str, str]) -> None:
    cfn, logs = gureum.client("cloudformation"), gureum.client("logs")
    _, namer, macro_stack = macro_names
    account = gureum.client("sts").get_caller_identity()["Account"]
    group, caps = f"/macros/{namer}", ["CAPABILITY_AUTO_EXPAND"]
    # a role CloudFormation may not assume, and a group that does not exist: nothing written
    for macro in (f"{namer}Untrusted", f"{namer}Lost"):
        code, message = error_of(partial(cfn.create_stack, StackName=uniq("f"), Capabilities=caps,
                                         TemplateBody=_snippet_user(macro, Fail="status")))
        assert (code, message) == ("ValidationError", f"Transform {account}::{macro} failed with: asked to fail")
    # a successful invocation logs nothing; the failure of the logged macro is one line
    logged = f"{namer}Log"
    ok = uniq("ok")
    cfn.create_stack(StackName=ok, Capabilities=caps, TemplateBody=_snippet_user(logged, Mode="upper", Value=uniq("v")))
    assert settle(cfn, ok, timeout=120)["StackStatus"] == "CREATE_COMPLETE", failures(cfn, ok)
    cfn.delete_stack(StackName=ok)
    code, message = error_of(lambda: cfn.create_stack(StackName=uniq("f"), Capabilities=caps,
                                                      TemplateBody=_snippet_user(logged, Fail="raise")))
    assert (code, message) == ("ValidationError", f"Received malformed response from transform {account}::{logged}")

    def written() -> list[dict[str, Any]] | None:
        found = logs.filter_log_events(logGroupName=group)["events"]
        return found or None

    found = wait_for("the macro's failure in its log group", written, 30)
    assert [e["logStreamName"] for e in found] == [logged]
    entry = json.loads(found[0]["message"])
    assert entry["transformId"] == f"{account}::{logged}" and entry["errorMessage"] == message
    function = cfn.describe_stack_resource(StackName=macro_stack, LogicalResourceId="Fn")["StackResourceDetail"]
    assert entry["requestId"] and entry["functionName"] == function["PhysicalResourceId"]
    assert [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]] == [logged]
    assert logs.describe_log_groups(logGroupNamePrefix=f"{group}-missing")["logGroups"] == []
