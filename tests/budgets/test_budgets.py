"""Budgets through boto3: budgets, notifications and subscribers with AWS's rules and errors;
spend computed from a known Lambda workload (priced by hand here); a crossed threshold sent
to an SNS topic (seen through an SQS queue subscribed to it) once per period."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import uuid
import zipfile
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess
from waiting import wait_for

from gureum.services.budgets import evaluator, model, spend
from gureum.store import open_store

GB_SECOND = 0.0000166667
REQUEST = 0.20 / 1_000_000
N = 3
MEMORY = 512


@pytest.fixture(scope="module")
def g(tmp_path_factory):
    proc = GureumProcess(tmp_path_factory.mktemp("budgets") / "data",
                         env={"GUREUM_LAMBDA_RUNTIME_DATE": "2026-05-01", "GUREUM_BUDGETS_INTERVAL": "0.5"})
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def cost(g):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(e, c):\n    return 1\n")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = g.client("iam").create_role(RoleName=f"r-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(trust))
    lam = g.client("lambda")
    name = f"b-{uuid.uuid4().hex[:6]}"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"], Handler="app.handler",
                        Code={"ZipFile": buf.getvalue()}, MemorySize=MEMORY)
    wait_for("function active", lambda: lam.get_function(FunctionName=name)["Configuration"]["State"] == "Active", timeout=60)
    billed = 0
    for _ in range(N):
        out = lam.invoke(FunctionName=name, LogType="Tail")
        billed += int(re.search(r"Billed Duration: (\d+) ms", base64.b64decode(out["LogResult"]).decode()).group(1))
    return billed / 1000 * MEMORY / 1024 * GB_SECOND + N * REQUEST


def _account(g) -> str:
    return g.client("sts").get_caller_identity()["Account"]


def _budget(name: str, amount: str = "10", **extra) -> dict:
    return {"BudgetName": name, "BudgetLimit": {"Amount": amount, "Unit": "USD"}, "TimeUnit": "MONTHLY", "BudgetType": "COST", **extra}


PCT50 = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 50.0, "ThresholdType": "PERCENTAGE"}


def test_budget_crud_and_aws_errors(g):
    b = g.client("budgets")
    acct = _account(g)
    name = f"monthly-{uuid.uuid4().hex[:6]}"
    b.create_budget(AccountId=acct, Budget=_budget(name, "100"))
    got = b.describe_budget(AccountId=acct, BudgetName=name)["Budget"]
    assert got["BudgetLimit"] == {"Amount": "100.0", "Unit": "USD"} and got["TimeUnit"] == "MONTHLY"
    now = datetime.now(UTC)
    assert got["TimePeriod"]["Start"] == datetime(now.year, now.month, 1, tzinfo=UTC).astimezone(got["TimePeriod"]["Start"].tzinfo)
    assert got["TimePeriod"]["End"].year == 2087
    assert got["CalculatedSpend"]["ActualSpend"]["Unit"] == "USD"
    with pytest.raises(ClientError) as e:
        b.create_budget(AccountId=acct, Budget=_budget(name))
    assert e.value.response["Error"]["Code"] == "DuplicateRecordException"
    for bad in (_budget("a:b"), {**_budget("x"), "BudgetLimit": {"Amount": "-1", "Unit": "USD"}},
                {k: v for k, v in _budget("y").items() if k != "BudgetLimit"}):
        with pytest.raises(ClientError) as e:
            b.create_budget(AccountId=acct, Budget=bad)
        assert e.value.response["Error"]["Code"] == "InvalidParameterException", bad
    b.update_budget(AccountId=acct, NewBudget=_budget(name, "250"))
    assert b.describe_budget(AccountId=acct, BudgetName=name)["Budget"]["BudgetLimit"]["Amount"] == "250.0"
    names = [x["BudgetName"] for x in b.get_paginator("describe_budgets").paginate(AccountId=acct, MaxResults=1).build_full_result()["Budgets"]]
    assert name in names
    b.delete_budget(AccountId=acct, BudgetName=name)
    with pytest.raises(ClientError) as e:
        b.describe_budget(AccountId=acct, BudgetName=name)
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    assert e.value.response["Error"]["Message"] == f"Unable to get budget: {name} - the budget doesn't exist."
    with pytest.raises(ClientError) as e:
        b.describe_budgets(AccountId="999999999999")
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"


def test_notifications_and_subscribers_with_limits(g):
    b = g.client("budgets")
    acct = _account(g)
    name = f"n-{uuid.uuid4().hex[:6]}"
    b.create_budget(AccountId=acct, Budget=_budget(name))
    email = {"SubscriptionType": "EMAIL", "Address": "ops@example.com"}
    b.create_notification(AccountId=acct, BudgetName=name, Notification=PCT50, Subscribers=[email])
    with pytest.raises(ClientError) as e:
        b.create_notification(AccountId=acct, BudgetName=name, Notification=PCT50, Subscribers=[email])
    assert e.value.response["Error"]["Code"] == "DuplicateRecordException"
    [n] = b.describe_notifications_for_budget(AccountId=acct, BudgetName=name)["Notifications"]
    assert n["Threshold"] == 50.0 and n["NotificationState"] == "OK"
    b.create_subscriber(AccountId=acct, BudgetName=name, Notification=PCT50, Subscriber={"SubscriptionType": "EMAIL", "Address": "b@example.com"})
    subs = b.describe_subscribers_for_notification(AccountId=acct, BudgetName=name, Notification=PCT50)["Subscribers"]
    assert {s["Address"] for s in subs} == {"ops@example.com", "b@example.com"}
    topic = g.client("sns").create_topic(Name=f"t-{uuid.uuid4().hex[:6]}")["TopicArn"]
    b.create_subscriber(AccountId=acct, BudgetName=name, Notification=PCT50, Subscriber={"SubscriptionType": "SNS", "Address": topic})
    with pytest.raises(ClientError) as e:  # one SNS subscriber per notification
        b.create_subscriber(AccountId=acct, BudgetName=name, Notification=PCT50, Subscriber={"SubscriptionType": "SNS", "Address": topic + "2"})
    assert e.value.response["Error"]["Code"] == "CreationLimitExceededException"
    b.delete_subscriber(AccountId=acct, BudgetName=name, Notification=PCT50, Subscriber=email)
    b.delete_notification(AccountId=acct, BudgetName=name, Notification=PCT50)
    assert b.describe_notifications_for_budget(AccountId=acct, BudgetName=name)["Notifications"] == []
    with pytest.raises(ClientError) as e:
        b.delete_notification(AccountId=acct, BudgetName=name, Notification=PCT50)
    assert e.value.response["Error"]["Code"] == "NotFoundException"


def test_crossed_threshold_is_sent_to_sns_with_hand_priced_spend(g, cost):
    b = g.client("budgets")
    acct = _account(g)
    sqs, sns = g.client("sqs"), g.client("sns")
    queue = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name=f"alerts-{uuid.uuid4().hex[:6]}")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    name = f"tiny-{uuid.uuid4().hex[:6]}"
    limit = cost * 1.5  # 50% of it is crossed by the workload; 1000 USD is not
    never = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 1000.0, "ThresholdType": "ABSOLUTE_VALUE"}
    b.create_budget(AccountId=acct, Budget=_budget(name, f"{limit:.12f}", CostFilters={"Service": ["AWS Lambda"]}),
                    NotificationsWithSubscribers=[
                        {"Notification": PCT50, "Subscribers": [{"SubscriptionType": "SNS", "Address": topic}]},
                        {"Notification": never, "Subscribers": [{"SubscriptionType": "SNS", "Address": topic}]}])
    actual_text = b.describe_budget(AccountId=acct, BudgetName=name)["Budget"]["CalculatedSpend"]["ActualSpend"]["Amount"]
    assert "e" not in actual_text
    actual = float(actual_text)
    assert actual == pytest.approx(cost, rel=1e-6)

    def message():
        got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages")
        return got[0] if got else None

    msg = wait_for("the budget alert in the queue", message, timeout=30, interval=0.1)
    body = json.loads(msg["Body"])
    assert body["Subject"] == f"AWS Budgets: {name} has exceeded your alert threshold"
    assert f"Budget Name: {name}" in body["Message"] and "Alert Type: ACTUAL" in body["Message"]
    states = {n["ThresholdType"]: n["NotificationState"] for n in b.describe_notifications_for_budget(AccountId=acct, BudgetName=name)["Notifications"]}
    assert states == {"PERCENTAGE": "ALARM", "ABSOLUTE_VALUE": "OK"}
    g.restart()  # budgets, their notifications and the period a notification fired in are durable
    b = g.client("budgets")
    states = {n["ThresholdType"]: n["NotificationState"] for n in b.describe_notifications_for_budget(AccountId=acct, BudgetName=name)["Notifications"]}
    assert states == {"PERCENTAGE": "ALARM", "ABSOLUTE_VALUE": "OK"}
    assert b.describe_budget(AccountId=acct, BudgetName=name)["Budget"]["CostFilters"] == {"Service": ["AWS Lambda"]}


def test_a_notification_fires_once_per_period(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/state.sqlite")
    try:
        budget = model.normalize(_budget("b", "1"), datetime(2026, 12, 3, tzinfo=UTC).timestamp())
        store.run_sync(lambda t: model.create(t, "111122223333", budget, [{"Notification": PCT50, "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "a@example.com"}]}]))
        dec = spend.Spend(datetime(2026, 12, 1, tzinfo=UTC).timestamp(), datetime(2027, 1, 1, tzinfo=UTC).timestamp(), 0.6, 0.9)
        jan = spend.Spend(datetime(2027, 1, 1, tzinfo=UTC).timestamp(), datetime(2027, 2, 1, tzinfo=UTC).timestamp(), 0.7, 0.9)
        below = spend.Spend(dec.period_start, dec.period_end, 0.4, 0.5)
        run = lambda s: store.run_sync(lambda t: evaluator.mark(t, "111122223333", "b", s, s.period_start + 10))  # noqa: E731
        assert run(below) == []
        assert len(run(dec)) == 1
        assert run(dec) == []  # the same period: not again
        assert len(run(jan)) == 1  # the next period: again
    finally:
        asyncio.run(store.close())


def test_amounts_are_written_without_exponents():
    assert [model.written(x) for x in (100.0, 12.34, 0.00003)] == ["100.0", "12.34", "0.00003"]


def test_forecasted_and_absolute_thresholds():
    s = spend.Spend(0.0, 100.0, actual=30.0, forecast=120.0)
    assert spend.crossed({"NotificationType": "FORECASTED", "ComparisonOperator": "GREATER_THAN", "Threshold": 100.0}, 100.0, s)
    assert not spend.crossed({"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 100.0}, 100.0, s)
    assert spend.crossed({"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 25.0, "ThresholdType": "ABSOLUTE_VALUE"}, 100.0, s)
    assert spend.crossed({"NotificationType": "ACTUAL", "ComparisonOperator": "LESS_THAN", "Threshold": 50.0}, 100.0, s)


def test_bad_input_gets_budgets_errors(g):
    b = g.client("budgets")
    acct = _account(g)
    with pytest.raises(ClientError) as e:
        b.describe_budgets(AccountId=acct, NextToken="garbage")
    assert e.value.response["Error"]["Code"] == "InvalidNextTokenException"
    bad_period = _budget(f"p-{uuid.uuid4().hex[:6]}", TimePeriod={"Start": datetime(2027, 1, 1, tzinfo=UTC), "End": datetime(2026, 1, 1, tzinfo=UTC)})
    with pytest.raises(ClientError) as e:
        b.create_budget(AccountId=acct, Budget=bad_period)
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        b.create_budget(AccountId=acct, Budget={**_budget("ri"), "BudgetType": "RI_UTILIZATION"})
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        b.create_budget(AccountId=acct, Budget=_budget(f"s-{uuid.uuid4().hex[:6]}"), NotificationsWithSubscribers=[
            {"Notification": PCT50, "Subscribers": [{"SubscriptionType": "SNS", "Address": "not-an-arn"}]}])
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        b.update_budget(AccountId=acct, NewBudget=_budget("no-such-budget"))
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    with pytest.raises(ClientError) as e:
        b.create_notification(AccountId=acct, BudgetName="no-such-budget", Notification=PCT50,
                              Subscribers=[{"SubscriptionType": "EMAIL", "Address": "a@example.com"}])
    assert e.value.response["Error"]["Code"] == "NotFoundException"


def test_crossed_threshold_is_mailed_to_an_email_subscriber(g, cost):
    import urllib.request

    b = g.client("budgets")
    acct = _account(g)
    name = f"mail-{uuid.uuid4().hex[:6]}"
    rcpt = f"ops-{uuid.uuid4().hex[:6]}@example.com"  # not verified: AWS's own mail needs no identity or sandbox pass
    b.create_budget(AccountId=acct, Budget=_budget(name, f"{cost * 1.5:.12f}", CostFilters={"Service": ["AWS Lambda"]}),
                    NotificationsWithSubscribers=[{"Notification": PCT50, "Subscribers": [{"SubscriptionType": "EMAIL", "Address": rcpt}]}])

    def mails():
        with urllib.request.urlopen(f"{g.endpoint}/_gureum/ses?email={rcpt}") as r:
            return json.loads(r.read())["messages"]

    got = wait_for("the budget alert at /_gureum/ses", mails, timeout=30)
    assert len(got) == 1
    assert "aws-budgets@email.amazon.com" in got[0]["source"]
    assert got[0]["destination"] == [rcpt]
    assert got[0]["subject"] == f"AWS Budgets: {name} has exceeded your alert threshold"
    assert f"Budget Name: {name}" in got[0]["body"]["text"] and "Alert Type: ACTUAL" in got[0]["body"]["text"]
    assert g.client("ses").get_send_quota()["SentLast24Hours"] == 0  # not the account's own sending
