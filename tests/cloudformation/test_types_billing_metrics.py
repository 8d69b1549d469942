"""The billing and metrics CloudFormation types through boto3 against a real gureum.

Budgets: a budget with a generated name and a notification to an SNS topic and an email
address, and a named one; the limit changed in place (same name), the notification changed
(a new budget: replaced, the old one gone); the outputs (Ref, Fn::GetAtt Id); deletion removes
both. A budget with ResourceTags (budgets' TagResource answers 501) fails, never silently."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import error_of, failures, settle, uniq

BUDGETS = """
Parameters:
  Amount: {Type: Number, Default: 100}
  Email: {Type: String, Default: alerts@example.com}
Resources:
  Topic: {Type: AWS::SNS::Topic}
  Budget:
    Type: AWS::Budgets::Budget
    Properties:
      Budget:
        BudgetLimit: {Amount: !Ref Amount, Unit: USD}
        TimeUnit: MONTHLY
        BudgetType: COST
        CostFilters: {Service: [AWS Lambda]}
      NotificationsWithSubscribers:
        - Notification: {NotificationType: ACTUAL, ComparisonOperator: GREATER_THAN, Threshold: 80, ThresholdType: PERCENTAGE}
          Subscribers:
            - {SubscriptionType: SNS, Address: !Ref Topic}
            - {SubscriptionType: EMAIL, Address: !Ref Email}
  Named:
    Type: AWS::Budgets::Budget
    Properties:
      Budget:
        BudgetName: !Sub "${AWS::StackName}-daily"
        BudgetLimit: {Amount: 5, Unit: USD}
        TimeUnit: CUSTOM
        TimePeriod: {Start: "2026-01-01T00:00:00Z", End: "1830297600"}
        BudgetType: COST
Outputs:
  Budget: {Value: !Ref Budget}
  BudgetId: {Value: !GetAtt Budget.Id}
  Named: {Value: !Ref Named}
  Topic: {Value: !Ref Topic}
"""


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


def _outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_budgets(cfn: Any, gureum: Any) -> None:
    budgets = gureum.client("budgets")
    account = gureum.client("sts").get_caller_identity()["Account"]
    name = uniq("bud")
    cfn.create_stack(StackName=name, TemplateBody=BUDGETS)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = _outputs(stack)
    first = out["Budget"]
    assert out["BudgetId"] == first and first.startswith(f"{name}-Budget-")
    assert out["Named"] == f"{name}-daily"

    got = budgets.describe_budget(AccountId=account, BudgetName=first)["Budget"]
    assert got["BudgetLimit"] == {"Amount": "100.0", "Unit": "USD"} and got["TimeUnit"] == "MONTHLY"
    assert got["CostFilters"] == {"Service": ["AWS Lambda"]}
    notes = budgets.describe_notifications_for_budget(AccountId=account, BudgetName=first)["Notifications"]
    assert [(n["NotificationType"], n["Threshold"]) for n in notes] == [("ACTUAL", 80.0)]
    subscribers = budgets.describe_subscribers_for_notification(AccountId=account, BudgetName=first, Notification=notes[0])
    assert {(s["SubscriptionType"], s["Address"]) for s in subscribers["Subscribers"]} == {
        ("SNS", out["Topic"]), ("EMAIL", "alerts@example.com")}
    named = budgets.describe_budget(AccountId=account, BudgetName=out["Named"])["Budget"]
    assert named["TimeUnit"] == "CUSTOM"
    assert named["TimePeriod"]["Start"].year == 2026 and named["TimePeriod"]["End"].year == 2028

    # the limit in place: the same budget
    params = [{"ParameterKey": "Amount", "ParameterValue": "250"}]
    cfn.update_stack(StackName=name, TemplateBody=BUDGETS, Parameters=params)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    assert _outputs(stack)["Budget"] == first
    got = budgets.describe_budget(AccountId=account, BudgetName=first)["Budget"]
    assert got["BudgetLimit"]["Amount"] == "250.0"

    # another subscriber: NotificationsWithSubscribers replaces the budget
    params += [{"ParameterKey": "Email", "ParameterValue": "finance@example.com"}]
    cfn.update_stack(StackName=name, TemplateBody=BUDGETS, Parameters=params)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    second = _outputs(stack)["Budget"]
    assert second != first
    code, _ = error_of(lambda: budgets.describe_budget(AccountId=account, BudgetName=first))
    assert code == "NotFoundException"
    notes = budgets.describe_notifications_for_budget(AccountId=account, BudgetName=second)["Notifications"]
    subscribers = budgets.describe_subscribers_for_notification(AccountId=account, BudgetName=second, Notification=notes[0])
    assert ("EMAIL", "finance@example.com") in {(s["SubscriptionType"], s["Address"]) for s in subscribers["Subscribers"]}

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", failures(cfn, stack["StackId"])
    for gone in (second, f"{name}-daily"):
        code, _ = error_of(lambda gone=gone: budgets.describe_budget(AccountId=account, BudgetName=gone))
        assert code == "NotFoundException"


TAGGED = """
Resources:
  Budget:
    Type: AWS::Budgets::Budget
    Properties:
      Budget: {BudgetLimit: {Amount: 1, Unit: USD}, TimeUnit: MONTHLY, BudgetType: COST}
      ResourceTags: [{Key: team, Value: red}]
"""


def test_budget_resource_tags_are_refused_not_dropped(cfn: Any) -> None:
    name = uniq("budtag")
    cfn.create_stack(StackName=name, TemplateBody=TAGGED)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = [r for logical, status, r in failures(cfn, name) if logical == "Budget"]
    assert reasons and "ResourceTags" in reasons[0]
