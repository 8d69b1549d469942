"""The billing and metrics CloudFormation types through boto3 against a real gureum.

Budgets: a budget with a generated name and a notification to an SNS topic and an email
address, and a named one; the limit changed in place (same name), the notification changed
(a new budget: replaced, the old one gone); the outputs (Ref, Fn::GetAtt Id); deletion removes
both; ResourceTags (with the stack's system tags) set, changed in place. Budgets' own tag
operations with their errors.

Cost Explorer (in a gureum of its own, whose only costs are two Lambda invocations): a cost
category whose rules (a USAGE_TYPE rule, a value inherited from a tag, a default) split the
costs as GetCostAndUsage's GroupBy COST_CATEGORY and CostCategories filter show; the default
value dropped in place; deletion; Cost Explorer's errors for cost categories."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness import GureumProcess
from waiting import wait_for

from .helpers import error_of, failures, settle, uniq

BUDGETS = """
Parameters:
  Amount: {Type: Number, Default: 100}
  Email: {Type: String, Default: alerts@example.com}
  Team: {Type: String, Default: red}
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
      ResourceTags: [{Key: team, Value: !Ref Team}]
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
    tags = budgets.list_tags_for_resource(ResourceARN=f"arn:aws:budgets::{account}:budget/{first}")["ResourceTags"]
    assert {t["Key"]: t["Value"] for t in tags} == {
        "team": "red", "aws:cloudformation:stack-name": name, "aws:cloudformation:stack-id": stack["StackId"],
        "aws:cloudformation:logical-id": "Budget"}
    named = budgets.describe_budget(AccountId=account, BudgetName=out["Named"])["Budget"]
    assert named["TimeUnit"] == "CUSTOM"
    assert named["TimePeriod"]["Start"].year == 2026 and named["TimePeriod"]["End"].year == 2028

    # the limit and the tags in place: the same budget
    params = [{"ParameterKey": "Amount", "ParameterValue": "250"}, {"ParameterKey": "Team", "ParameterValue": "blue"}]
    cfn.update_stack(StackName=name, TemplateBody=BUDGETS, Parameters=params)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    assert _outputs(stack)["Budget"] == first
    got = budgets.describe_budget(AccountId=account, BudgetName=first)["Budget"]
    assert got["BudgetLimit"]["Amount"] == "250.0"
    tags = budgets.list_tags_for_resource(ResourceARN=f"arn:aws:budgets::{account}:budget/{first}")["ResourceTags"]
    assert {"Key": "team", "Value": "blue"} in tags and len(tags) == 4

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


def test_budget_tags_and_their_errors(gureum: Any) -> None:
    budgets = gureum.client("budgets")
    account = gureum.client("sts").get_caller_identity()["Account"]
    name = uniq("budtags")
    arn = f"arn:aws:budgets::{account}:budget/{name}"
    budget = {"BudgetName": name, "BudgetLimit": {"Amount": "1", "Unit": "USD"}, "TimeUnit": "MONTHLY", "BudgetType": "COST"}
    code, _ = error_of(lambda: budgets.create_budget(AccountId=account, Budget=budget,
                                                     ResourceTags=[{"Key": "aws:x", "Value": "1"}]))
    assert code == "InvalidParameterException"
    budgets.create_budget(AccountId=account, Budget=budget, ResourceTags=[{"Key": "a", "Value": "1"}])
    budgets.tag_resource(ResourceARN=arn, ResourceTags=[{"Key": "b", "Value": "2"}])
    budgets.untag_resource(ResourceARN=arn, ResourceTagKeys=["a", "absent"])
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [{"Key": "b", "Value": "2"}]
    budgets.update_budget(AccountId=account, NewBudget={**budget, "BudgetLimit": {"Amount": "2", "Unit": "USD"}})
    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [{"Key": "b", "Value": "2"}]
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(200)]
    code, _ = error_of(lambda: budgets.tag_resource(ResourceARN=arn, ResourceTags=many))
    assert code == "ServiceQuotaExceededException"
    code, _ = error_of(lambda: budgets.tag_resource(ResourceARN=arn, ResourceTags=[{"Key": "aws:x", "Value": "1"}]))
    assert code == "InvalidParameterException"
    for missing, expected in ((f"arn:aws:budgets::{account}:budget/no-such-budget", "NotFoundException"),
                              (f"arn:aws:sqs:us-east-1:{account}:q", "InvalidParameterException")):
        code, _ = error_of(lambda missing=missing: budgets.list_tags_for_resource(ResourceARN=missing))
        assert code == expected, missing
    code, _ = error_of(lambda: budgets.list_tags_for_resource(ResourceARN=f"arn:aws:budgets::999988887777:budget/{name}"))
    assert code == "AccessDeniedException"  # another account's budget: the gate refuses it
    budgets.delete_budget(AccountId=account, BudgetName=name)


CATEGORY = """
Parameters:
  Default: {Type: String, Default: other}
Resources:
  Kind:
    Type: AWS::CE::CostCategory
    Properties:
      Name: !Sub "${AWS::StackName}"
      RuleVersion: CostCategoryExpression.v1
      DefaultValue: !Ref Default
      Rules: >-
        [{"Value": "compute", "Rule": {"Dimensions": {"Key": "USAGE_TYPE", "Values": ["GB-Second"],
          "MatchOptions": ["ENDS_WITH"]}}},
         {"Type": "INHERITED_VALUE", "InheritedValue": {"DimensionName": "TAG", "DimensionKey": "team"}}]
Outputs:
  Arn: {Value: !Ref Kind}
  GetAttArn: {Value: !GetAtt Kind.Arn}
  Start: {Value: !GetAtt Kind.EffectiveStart}
"""


@pytest.fixture(scope="module")
def billed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    """A gureum of its own whose only costs are two invocations of one Lambda function."""
    g = GureumProcess(tmp_path_factory.mktemp("cecat") / "data", env={"GUREUM_LAMBDA_RUNTIME_DATE": "2026-05-01"})
    g.start()
    try:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("app.py", "def handler(e, c):\n    return 1\n")
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        role = g.client("iam").create_role(RoleName=uniq("r"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        lam = g.client("lambda")
        name = uniq("cat")
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                            Code={"ZipFile": buf.getvalue()})
        wait_for("function active", lambda: lam.get_function(FunctionName=name)["Configuration"]["State"] == "Active", 60)
        for _ in range(2):
            lam.invoke(FunctionName=name)
        yield g
    finally:
        g.stop()


def _costs(ce: Any, **query: Any) -> dict[str, float]:
    today = datetime.now(UTC)
    period = {"Start": today.strftime("%Y-%m-%d"), "End": (today + timedelta(days=1)).strftime("%Y-%m-%d")}
    out = ce.get_cost_and_usage(TimePeriod=period, Granularity="DAILY", Metrics=["UnblendedCost"], **query)
    [day] = out["ResultsByTime"]
    if day["Groups"]:
        return {g["Keys"][0]: float(g["Metrics"]["UnblendedCost"]["Amount"]) for g in day["Groups"]}
    return {"": float(day["Total"]["UnblendedCost"]["Amount"])}


def test_cost_category(billed: GureumProcess) -> None:
    cfn, ce = billed.client("cloudformation"), billed.client("ce")
    name = uniq("kind")
    cfn.create_stack(StackName=name, TemplateBody=CATEGORY)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = _outputs(stack)
    arn = out["Arn"]
    account = billed.client("sts").get_caller_identity()["Account"]
    assert arn == out["GetAttArn"] and arn.startswith(f"arn:aws:ce::{account}:costcategory/")
    assert out["Start"] == datetime.now(UTC).strftime("%Y-%m-01T00:00:00Z")
    got = ce.describe_cost_category_definition(CostCategoryArn=arn)["CostCategory"]
    assert got["Name"] == name and got["DefaultValue"] == "other" and len(got["Rules"]) == 2
    [ref] = [r for r in ce.list_cost_category_definitions()["CostCategoryReferences"] if r["CostCategoryArn"] == arn]
    assert ref["NumberOfRules"] == 2 and ref["Values"] == ["compute", "other"]

    # the items: GB-seconds are "compute", the requests fall to the default
    total = _costs(ce)[""]
    compute = _costs(ce, Filter={"Dimensions": {"Key": "USAGE_TYPE", "Values": ["USE1-Lambda-GB-Second"]}})[""]
    assert total > compute > 0
    grouped = _costs(ce, GroupBy=[{"Type": "COST_CATEGORY", "Key": name}])
    assert set(grouped) == {f"{name}$compute", f"{name}$other"}
    assert grouped[f"{name}$compute"] == pytest.approx(compute, abs=1e-12)
    assert grouped[f"{name}$other"] == pytest.approx(total - compute, abs=1e-12)
    only = _costs(ce, Filter={"CostCategories": {"Key": name, "Values": ["compute"]}})
    assert only[""] == pytest.approx(compute, abs=1e-12)

    # the default value in place: the same category, no default (the requests uncategorized)
    cfn.update_stack(StackName=name, TemplateBody=CATEGORY.replace("      DefaultValue: !Ref Default\n", ""))
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    assert _outputs(stack)["Arn"] == arn
    assert "DefaultValue" not in ce.describe_cost_category_definition(CostCategoryArn=arn)["CostCategory"]
    assert set(_costs(ce, GroupBy=[{"Type": "COST_CATEGORY", "Key": name}])) == {f"{name}$compute", f"{name}$"}

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", failures(cfn, stack["StackId"])
    code, _ = error_of(lambda: ce.describe_cost_category_definition(CostCategoryArn=arn))
    assert code == "ResourceNotFoundException"


def test_cost_category_errors(billed: GureumProcess) -> None:
    ce = billed.client("ce")
    rules = [{"Value": "all", "Rule": {"Dimensions": {"Key": "SERVICE", "Values": ["AWS Lambda"]}}}]
    name = uniq("cat")
    arn = ce.create_cost_category_definition(Name=name, RuleVersion="CostCategoryExpression.v1", Rules=rules)["CostCategoryArn"]
    code, _ = error_of(lambda: ce.create_cost_category_definition(Name=name, RuleVersion="CostCategoryExpression.v1",
                                                                  Rules=rules))
    assert code == "ValidationException"
    code, message = error_of(lambda: ce.create_cost_category_definition(
        Name=uniq("cat"), RuleVersion="CostCategoryExpression.v1", Rules=rules,
        SplitChargeRules=[{"Source": "all", "Targets": ["x"], "Method": "EVEN"}]))
    assert code == "ValidationException" and "SplitChargeRules" in message
    code, _ = error_of(lambda: ce.create_cost_category_definition(
        Name=uniq("cat"), RuleVersion="CostCategoryExpression.v1",
        Rules=[{"Value": "x", "Rule": {"Dimensions": {"Key": "NOPE", "Values": ["a"]}}}]))
    assert code == "ValidationException"
    ce.delete_cost_category_definition(CostCategoryArn=arn)
    code, _ = error_of(lambda: ce.delete_cost_category_definition(CostCategoryArn=arn))
    assert code == "ResourceNotFoundException"
