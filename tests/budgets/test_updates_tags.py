"""The rest of a budget's life through boto3: UpdateNotification and UpdateSubscriber (old to
new, AWS's NotFoundException and DuplicateRecordException), the account's notifications,
performance history (budgeted vs actual per period, the actual priced by hand from a Lambda
workload), and tags on budgets and budget actions (ResourceTags at creation too)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess

from .workload import priced_lambda_workload

PCT50 = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 50.0, "ThresholdType": "PERCENTAGE"}
PCT80 = {**PCT50, "Threshold": 80.0}
EMAIL = {"SubscriptionType": "EMAIL", "Address": "ops@example.com"}


@pytest.fixture(scope="module")
def g(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("budupd") / "data", env={"GUREUM_LAMBDA_RUNTIME_DATE": "2026-05-01"})
    proc.start()
    yield proc
    proc.stop()


def _account(g: GureumProcess) -> str:
    return str(g.client("sts").get_caller_identity()["Account"])


def _budget(name: str, amount: str = "100", **extra: object) -> dict[str, object]:
    return {"BudgetName": name, "BudgetLimit": {"Amount": amount, "Unit": "USD"}, "TimeUnit": "MONTHLY", "BudgetType": "COST", **extra}


def test_update_notification_and_subscriber(g: GureumProcess) -> None:
    b = g.client("budgets")
    acct = _account(g)
    name = f"upd-{uuid.uuid4().hex[:6]}"
    b.create_budget(AccountId=acct, Budget=_budget(name), NotificationsWithSubscribers=[
        {"Notification": PCT50, "Subscribers": [EMAIL]}, {"Notification": {**PCT50, "Threshold": 90.0}, "Subscribers": [EMAIL]}])
    b.update_notification(AccountId=acct, BudgetName=name, OldNotification=PCT50, NewNotification=PCT80)
    thresholds = sorted(n["Threshold"] for n in b.describe_notifications_for_budget(AccountId=acct, BudgetName=name)["Notifications"])
    assert thresholds == [80.0, 90.0]
    subs = b.describe_subscribers_for_notification(AccountId=acct, BudgetName=name, Notification=PCT80)["Subscribers"]
    assert subs == [EMAIL]  # the subscribers stay with it
    with pytest.raises(ClientError) as e:  # the old one is gone
        b.update_notification(AccountId=acct, BudgetName=name, OldNotification=PCT50, NewNotification=PCT80)
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    with pytest.raises(ClientError) as e:  # the new one already exists
        b.update_notification(AccountId=acct, BudgetName=name, OldNotification=PCT80, NewNotification={**PCT50, "Threshold": 90.0})
    assert e.value.response["Error"]["Code"] == "DuplicateRecordException"

    other = {"SubscriptionType": "EMAIL", "Address": "finance@example.com"}
    b.update_subscriber(AccountId=acct, BudgetName=name, Notification=PCT80, OldSubscriber=EMAIL, NewSubscriber=other)
    assert b.describe_subscribers_for_notification(AccountId=acct, BudgetName=name, Notification=PCT80)["Subscribers"] == [other]
    with pytest.raises(ClientError) as e:
        b.update_subscriber(AccountId=acct, BudgetName=name, Notification=PCT80, OldSubscriber=EMAIL, NewSubscriber=other)
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    b.create_subscriber(AccountId=acct, BudgetName=name, Notification=PCT80, Subscriber=EMAIL)
    with pytest.raises(ClientError) as e:
        b.update_subscriber(AccountId=acct, BudgetName=name, Notification=PCT80, OldSubscriber=EMAIL, NewSubscriber=other)
    assert e.value.response["Error"]["Code"] == "DuplicateRecordException"
    with pytest.raises(ClientError) as e:
        b.update_subscriber(AccountId=acct, BudgetName=name, Notification=PCT80, OldSubscriber=EMAIL,
                            NewSubscriber={"SubscriptionType": "SNS", "Address": "not-an-arn"})
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"

    listed = b.get_paginator("describe_budget_notifications_for_account").paginate(AccountId=acct, MaxResults=1).build_full_result()
    mine = [x for x in listed["BudgetNotificationsForAccount"] if x["BudgetName"] == name]
    assert [sorted(n["Threshold"] for n in x["Notifications"]) for x in mine] == [[80.0, 90.0]]


def test_performance_history_is_budgeted_against_hand_priced_actual(g: GureumProcess) -> None:
    b = g.client("budgets")
    acct = _account(g)
    cost = priced_lambda_workload(g)
    name = f"perf-{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC)
    start = datetime(now.year - 1 if now.month <= 2 else now.year, (now.month - 3) % 12 + 1, 1, tzinfo=UTC)  # two periods back
    b.create_budget(AccountId=acct, Budget=_budget(name, "5", CostFilters={"Service": ["AWS Lambda"]},
                                                   TimePeriod={"Start": start, "End": datetime(2087, 6, 15, tzinfo=UTC)}))
    hist = b.describe_budget_performance_history(AccountId=acct, BudgetName=name)["BudgetPerformanceHistory"]
    assert hist["BudgetName"] == name and hist["TimeUnit"] == "MONTHLY" and hist["BudgetType"] == "COST"
    rows = hist["BudgetedAndActualAmountsList"]
    assert [r["TimePeriod"]["Start"].month for r in rows] == [(start.month + i - 1) % 12 + 1 for i in range(3)]
    assert all(r["BudgetedAmount"] == {"Amount": "5.0", "Unit": "USD"} for r in rows)
    assert [float(r["ActualAmount"]["Amount"]) for r in rows[:2]] == [0.0, 0.0]
    assert float(rows[2]["ActualAmount"]["Amount"]) == pytest.approx(cost, rel=1e-6)
    page = b.describe_budget_performance_history(AccountId=acct, BudgetName=name, MaxResults=1)
    assert len(page["BudgetPerformanceHistory"]["BudgetedAndActualAmountsList"]) == 1 and page["NextToken"]
    with pytest.raises(ClientError) as e:
        b.describe_budget_performance_history(AccountId=acct, BudgetName="no-such-budget")
    assert e.value.response["Error"]["Code"] == "NotFoundException"


def test_tags_on_budgets_and_actions(g: GureumProcess) -> None:
    b, iam = g.client("budgets"), g.client("iam")
    acct = _account(g)
    tag = uuid.uuid4().hex[:6]
    name = f"tags-{tag}"
    b.create_budget(AccountId=acct, Budget=_budget(name), ResourceTags=[{"Key": "team", "Value": "ops"}])
    budget_arn = f"arn:aws:budgets::{acct}:budget/{name}"
    assert b.list_tags_for_resource(ResourceARN=budget_arn)["ResourceTags"] == [{"Key": "team", "Value": "ops"}]
    b.tag_resource(ResourceARN=budget_arn, ResourceTags=[{"Key": "team", "Value": "finance"}, {"Key": "env", "Value": "prod"}])
    assert b.list_tags_for_resource(ResourceARN=budget_arn)["ResourceTags"] == [{"Key": "team", "Value": "finance"},
                                                                                {"Key": "env", "Value": "prod"}]
    b.untag_resource(ResourceARN=budget_arn, ResourceTagKeys=["team"])
    assert b.list_tags_for_resource(ResourceARN=budget_arn)["ResourceTags"] == [{"Key": "env", "Value": "prod"}]

    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "budgets.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName=f"exec-{tag}", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    action_id = b.create_budget_action(
        AccountId=acct, BudgetName=name, NotificationType="ACTUAL", ActionType="APPLY_IAM_POLICY",
        ActionThreshold={"ActionThresholdValue": 90.0, "ActionThresholdType": "PERCENTAGE"},
        Definition={"IamActionDefinition": {"PolicyArn": "arn:aws:iam::aws:policy/AWSDenyAll", "Users": [f"u-{tag}"]}},
        ExecutionRoleArn=role, ApprovalModel="MANUAL", Subscribers=[EMAIL],
        ResourceTags=[{"Key": "kind", "Value": "guard"}])["ActionId"]
    action_arn = f"{budget_arn}/action/{action_id}"
    assert b.list_tags_for_resource(ResourceARN=action_arn)["ResourceTags"] == [{"Key": "kind", "Value": "guard"}]
    b.tag_resource(ResourceARN=action_arn, ResourceTags=[{"Key": "owner", "Value": "sre"}])
    assert {t["Key"] for t in b.list_tags_for_resource(ResourceARN=action_arn)["ResourceTags"]} == {"kind", "owner"}

    for arn, code in ((f"arn:aws:budgets::{acct}:budget/no-such-budget", "NotFoundException"),
                      (f"{budget_arn}/action/{uuid.uuid4()}", "NotFoundException"),
                      (f"arn:aws:sqs:us-east-1:{acct}:q", "InvalidParameterException")):
        with pytest.raises(ClientError) as e:
            b.list_tags_for_resource(ResourceARN=arn)
        assert e.value.response["Error"]["Code"] == code, arn
    with pytest.raises(ClientError) as e:
        b.tag_resource(ResourceARN=budget_arn, ResourceTags=[{"Key": "aws:reserved", "Value": "x"}])
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
