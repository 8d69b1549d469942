"""AWS::Budgets::BudgetsAction through a stack against a real gureum: a budget made with
boto3 first, then its action from the template (seen with DescribeBudgetAction, tags with
ListTagsForResource), updated in place (threshold, approval model, tags), and deleted with
the stack; an SCP action fails the resource with Budgets' refusal."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .helpers import failures, outputs, parameters, settle, uniq

TEMPLATE = """
Parameters:
  Budget: {Type: String}
  Role: {Type: String}
  Target: {Type: String}
  Threshold: {Type: Number, Default: 80}
  Approval: {Type: String, Default: MANUAL}
  Owner: {Type: String, Default: sre}
Resources:
  Guard:
    Type: AWS::Budgets::BudgetsAction
    Properties:
      BudgetName: !Ref Budget
      NotificationType: ACTUAL
      ActionType: APPLY_IAM_POLICY
      ActionThreshold: {Type: PERCENTAGE, Value: !Ref Threshold}
      Definition:
        IamActionDefinition: {PolicyArn: !Sub "arn:${AWS::Partition}:iam::aws:policy/AWSDenyAll", Roles: [!Ref Target]}
      ExecutionRoleArn: !Ref Role
      ApprovalModel: !Ref Approval
      Subscribers: [{Type: EMAIL, Address: ops@example.com}]
      ResourceTags: [{Key: owner, Value: !Ref Owner}]
Outputs:
  Ref: {Value: !Ref Guard}
  ActionId: {Value: !GetAtt Guard.ActionId}
"""


@pytest.fixture(scope="module")
def env(gureum: Any) -> dict[str, Any]:
    iam, b = gureum.client("iam"), gureum.client("budgets")
    acct = gureum.client("sts").get_caller_identity()["Account"]
    tag = uuid.uuid4().hex[:6]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "budgets.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName=f"cfn-budgets-{tag}", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    lam = {**trust, "Statement": [{**trust["Statement"][0], "Principal": {"Service": "lambda.amazonaws.com"}}]}
    target = iam.create_role(RoleName=f"cfn-target-{tag}", AssumeRolePolicyDocument=json.dumps(lam))["Role"]["RoleName"]
    budget = f"cfn-{tag}"
    b.create_budget(AccountId=acct, Budget={"BudgetName": budget, "BudgetLimit": {"Amount": "1000", "Unit": "USD"},
                                            "TimeUnit": "MONTHLY", "BudgetType": "COST"})
    return {"acct": acct, "role": role, "target": target, "budget": budget}


def _params(env: dict[str, Any], **extra: str) -> list[dict[str, str]]:
    return parameters({"Budget": env["budget"], "Role": env["role"], "Target": env["target"], **extra})


def test_budgets_action_create_update_delete(gureum: Any, env: dict[str, Any]) -> None:
    cfn, b = gureum.client("cloudformation"), gureum.client("budgets")
    name = uniq("budact")
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=_params(env))
    stack = settle(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    action_id = out["ActionId"]
    assert out["Ref"] == f"{action_id}|{env['budget']}"
    action = b.describe_budget_action(AccountId=env["acct"], BudgetName=env["budget"], ActionId=action_id)["Action"]
    assert action["ActionThreshold"] == {"ActionThresholdValue": 80.0, "ActionThresholdType": "PERCENTAGE"}
    assert action["ApprovalModel"] == "MANUAL" and action["Status"] == "STANDBY"
    assert action["Definition"]["IamActionDefinition"]["Roles"] == [env["target"]]
    assert action["Subscribers"] == [{"SubscriptionType": "EMAIL", "Address": "ops@example.com"}]
    arn = f"arn:aws:budgets::{env['acct']}:budget/{env['budget']}/action/{action_id}"
    assert b.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [{"Key": "owner", "Value": "sre"}]

    cfn.update_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=_params(env, Threshold="95", Approval="AUTOMATIC", Owner="finance"))
    assert settle(cfn, name)["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    action = b.describe_budget_action(AccountId=env["acct"], BudgetName=env["budget"], ActionId=action_id)["Action"]  # in place
    assert action["ActionThreshold"]["ActionThresholdValue"] == 95.0 and action["ApprovalModel"] == "AUTOMATIC"
    assert b.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [{"Key": "owner", "Value": "finance"}]

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE", failures(cfn, stack["StackId"])
    with pytest.raises(ClientError) as e:
        b.describe_budget_action(AccountId=env["acct"], BudgetName=env["budget"], ActionId=action_id)
    assert e.value.response["Error"]["Code"] == "NotFoundException"


def test_an_scp_action_fails_with_budgets_refusal(gureum: Any, env: dict[str, Any]) -> None:
    cfn = gureum.client("cloudformation")
    body = {"Resources": {"Scp": {"Type": "AWS::Budgets::BudgetsAction", "Properties": {
        "BudgetName": env["budget"], "NotificationType": "ACTUAL", "ActionType": "APPLY_SCP_POLICY",
        "ActionThreshold": {"Type": "PERCENTAGE", "Value": 80},
        "Definition": {"ScpActionDefinition": {"PolicyId": "p-12345678", "TargetIds": [env["acct"]]}},
        "ExecutionRoleArn": env["role"], "Subscribers": [{"Type": "EMAIL", "Address": "ops@example.com"}]}}}}
    name = uniq("budscp")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(body))
    assert settle(cfn, name)["StackStatus"] == "ROLLBACK_COMPLETE"
    [failed, *_] = failures(cfn, name)
    assert failed[:2] == ("Scp", "CREATE_FAILED") and "Organizations" in failed[2] and "HandlerErrorCode: InvalidRequest" in failed[2]
