"""Budget actions through boto3 against a running gureum: an APPLY_IAM_POLICY action whose
threshold a hand-priced Lambda workload crosses really attaches its managed policy through
gureum's IAM (seen with list_attached_role_policies); MANUAL waits in PENDING for approval;
REVERSE and RESET detach; a failed execution is retried; the history records each step;
SCP and SSM actions, and execution roles Budgets may not assume, are refused; in strict mode
passing the execution role needs iam:PassRole and the role itself must be allowed to
attach the policy (iam:AttachRolePolicy); on the store: an action triggers once per
period, and a step its node left in progress is taken over once stale."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess
from waiting import wait_for

from gureum.services.budgets import actions, model
from gureum.services.budgets.runner import SESSION
from gureum.store import open_store

from .workload import priced_lambda_workload

BUDGETS_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "budgets.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
DENY_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}


@pytest.fixture(scope="module")
def g(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("budact") / "data",
                         env={"GUREUM_LAMBDA_RUNTIME_DATE": "2026-05-01", "GUREUM_BUDGETS_INTERVAL": "0.5"})
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def cost(g: GureumProcess) -> float:
    return priced_lambda_workload(g)


def _account(g: GureumProcess) -> str:
    return str(g.client("sts").get_caller_identity()["Account"])


def _setup(g: GureumProcess, cost: float) -> dict[str, Any]:
    """A budget whose 50% the workload crosses, an execution role, a target role, a policy."""
    iam, b = g.client("iam"), g.client("budgets")
    tag = uuid.uuid4().hex[:6]
    name = f"act-{tag}"
    b.create_budget(AccountId=_account(g), Budget={
        "BudgetName": name, "BudgetLimit": {"Amount": f"{cost * 1.5:.12f}", "Unit": "USD"}, "TimeUnit": "MONTHLY",
        "BudgetType": "COST", "CostFilters": {"Service": ["AWS Lambda"]}})
    exec_role = iam.create_role(RoleName=f"budgets-exec-{tag}", AssumeRolePolicyDocument=json.dumps(BUDGETS_TRUST))["Role"]["Arn"]
    target = iam.create_role(RoleName=f"target-{tag}", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["RoleName"]
    policy = iam.create_policy(PolicyName=f"deny-{tag}", PolicyDocument=json.dumps(DENY_ALL))["Policy"]["Arn"]
    return {"budget": name, "exec": exec_role, "target": target, "policy": policy, "tag": tag}


def _action(s: dict[str, Any], approval: str = "AUTOMATIC", roles: list[str] | None = None) -> dict[str, Any]:
    return {"BudgetName": s["budget"], "NotificationType": "ACTUAL", "ActionType": "APPLY_IAM_POLICY",
            "ActionThreshold": {"ActionThresholdValue": 50.0, "ActionThresholdType": "PERCENTAGE"},
            "Definition": {"IamActionDefinition": {"PolicyArn": s["policy"], "Roles": roles or [s["target"]]}},
            "ExecutionRoleArn": s["exec"], "ApprovalModel": approval,
            "Subscribers": [{"SubscriptionType": "EMAIL", "Address": f"ops-{s['tag']}@example.com"}]}


def _status(g: GureumProcess, s: dict[str, Any], action_id: str) -> str:
    got = g.client("budgets").describe_budget_action(AccountId=_account(g), BudgetName=s["budget"], ActionId=action_id)
    return str(got["Action"]["Status"])


def _attached(g: GureumProcess, role: str) -> list[str]:
    return [p["PolicyArn"] for p in g.client("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"]]


def test_an_automatic_action_attaches_its_policy_when_the_threshold_is_crossed(g: GureumProcess, cost: float) -> None:
    b = g.client("budgets")
    acct = _account(g)
    s = _setup(g, cost)
    made = b.create_budget_action(AccountId=acct, **_action(s), ResourceTags=[{"Key": "team", "Value": "ops"}])
    action_id = made["ActionId"]
    assert made["BudgetName"] == s["budget"] and made["AccountId"] == acct
    wait_for("the action to be EXECUTION_SUCCESS", lambda: _status(g, s, action_id) == "EXECUTION_SUCCESS", timeout=30, interval=0.1)
    assert _attached(g, s["target"]) == [s["policy"]]
    statuses = [h["Status"] for h in b.describe_budget_action_histories(AccountId=acct, BudgetName=s["budget"],
                                                                         ActionId=action_id)["ActionHistories"]]
    assert statuses == ["EXECUTION_SUCCESS", "EXECUTION_IN_PROGRESS", "STANDBY"]  # newest first
    mine = [a["ActionId"] for a in b.describe_budget_actions_for_budget(AccountId=acct, BudgetName=s["budget"])["Actions"]]
    assert mine == [action_id]
    everywhere = b.get_paginator("describe_budget_actions_for_account").paginate(AccountId=acct, MaxResults=1).build_full_result()
    assert action_id in [a["ActionId"] for a in everywhere["Actions"]]

    # the applied policy is effective: the target role's denial shows in IAM's simulator
    iam = g.client("iam")
    target_arn = iam.get_role(RoleName=s["target"])["Role"]["Arn"]
    sim = iam.simulate_principal_policy(PolicySourceArn=target_arn, ActionNames=["s3:ListAllMyBuckets"])
    assert sim["EvaluationResults"][0]["EvalDecision"] == "explicitDeny"

    # locked steps and wrong steps are refused
    with pytest.raises(ClientError) as e:
        b.execute_budget_action(AccountId=acct, BudgetName=s["budget"], ActionId=action_id, ExecutionType="APPROVE_BUDGET_ACTION")
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"

    # an update naming another policy: the reversal still detaches the one applied
    other = iam.create_policy(PolicyName=f"other-{s['tag']}", PolicyDocument=json.dumps(DENY_ALL))["Policy"]["Arn"]
    b.update_budget_action(AccountId=acct, BudgetName=s["budget"], ActionId=action_id,
                           Definition={"IamActionDefinition": {"PolicyArn": other, "Roles": [s["target"]]}})
    b.execute_budget_action(AccountId=acct, BudgetName=s["budget"], ActionId=action_id, ExecutionType="REVERSE_BUDGET_ACTION")
    assert _status(g, s, action_id) == "REVERSE_SUCCESS"
    assert _attached(g, s["target"]) == []
    b.execute_budget_action(AccountId=acct, BudgetName=s["budget"], ActionId=action_id, ExecutionType="RESET_BUDGET_ACTION")
    assert _status(g, s, action_id) == "STANDBY"

    gone = b.delete_budget_action(AccountId=acct, BudgetName=s["budget"], ActionId=action_id)
    assert gone["Action"]["ActionId"] == action_id
    with pytest.raises(ClientError) as e:
        b.describe_budget_action(AccountId=acct, BudgetName=s["budget"], ActionId=action_id)
    assert e.value.response["Error"]["Code"] == "NotFoundException"


def test_a_manual_action_waits_for_approval_and_reset_detaches(g: GureumProcess, cost: float) -> None:
    b = g.client("budgets")
    acct = _account(g)
    s = _setup(g, cost)
    action_id = b.create_budget_action(AccountId=acct, **_action(s, "MANUAL"))["ActionId"]
    wait_for("the action to be PENDING", lambda: _status(g, s, action_id) == "PENDING", timeout=30, interval=0.1)
    assert _attached(g, s["target"]) == []
    b.execute_budget_action(AccountId=acct, BudgetName=s["budget"], ActionId=action_id, ExecutionType="APPROVE_BUDGET_ACTION")
    assert _status(g, s, action_id) == "EXECUTION_SUCCESS"
    assert _attached(g, s["target"]) == [s["policy"]]
    b.execute_budget_action(AccountId=acct, BudgetName=s["budget"], ActionId=action_id, ExecutionType="RESET_BUDGET_ACTION")
    assert _status(g, s, action_id) == "STANDBY"
    assert _attached(g, s["target"]) == []
    events = [(h["EventType"], h["Status"]) for h in b.describe_budget_action_histories(
        AccountId=acct, BudgetName=s["budget"], ActionId=action_id)["ActionHistories"]]
    assert events[:4] == [("EXECUTE_ACTION", "STANDBY"), ("EXECUTE_ACTION", "RESET_IN_PROGRESS"),
                          ("EXECUTE_ACTION", "EXECUTION_SUCCESS"), ("EXECUTE_ACTION", "EXECUTION_IN_PROGRESS")]
    assert events[-2:] == [("SYSTEM", "PENDING"), ("CREATE_ACTION", "STANDBY")]

    # an update answers the old and the new action
    upd = b.update_budget_action(AccountId=acct, BudgetName=s["budget"], ActionId=action_id,
                                 ActionThreshold={"ActionThresholdValue": 90.0, "ActionThresholdType": "PERCENTAGE"})
    assert upd["OldAction"]["ActionThreshold"]["ActionThresholdValue"] == 50.0
    assert upd["NewAction"]["ActionThreshold"]["ActionThresholdValue"] == 90.0


def test_a_failed_execution_is_recorded_and_retried(g: GureumProcess, cost: float) -> None:
    b = g.client("budgets")
    acct = _account(g)
    s = _setup(g, cost)
    missing = f"later-{s['tag']}"
    action_id = b.create_budget_action(AccountId=acct, **_action(s, roles=[missing]))["ActionId"]
    wait_for("the action to be EXECUTION_FAILURE", lambda: _status(g, s, action_id) == "EXECUTION_FAILURE", timeout=30, interval=0.1)
    [last, *_] = b.describe_budget_action_histories(AccountId=acct, BudgetName=s["budget"], ActionId=action_id)["ActionHistories"]
    assert "NoSuchEntity" in last["ActionHistoryDetails"]["Message"]
    g.client("iam").create_role(RoleName=missing, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    b.execute_budget_action(AccountId=acct, BudgetName=s["budget"], ActionId=action_id, ExecutionType="RETRY_BUDGET_ACTION")
    assert _status(g, s, action_id) == "EXECUTION_SUCCESS"
    assert _attached(g, missing) == [s["policy"]]
    # deleting the budget deletes its actions
    b.delete_budget(AccountId=acct, BudgetName=s["budget"])
    assert action_id not in [a["ActionId"] for a in b.describe_budget_actions_for_account(AccountId=acct)["Actions"]]


def test_unservable_actions_and_unusable_roles_are_refused(g: GureumProcess, cost: float) -> None:
    b = g.client("budgets")
    acct = _account(g)
    s = _setup(g, cost)
    scp = {**_action(s), "ActionType": "APPLY_SCP_POLICY", "Definition": {"ScpActionDefinition": {"PolicyId": "p-12345678",
                                                                                                  "TargetIds": [acct]}}}
    ssm = {**_action(s), "ActionType": "RUN_SSM_DOCUMENTS", "Definition": {"SsmActionDefinition": {
        "ActionSubType": "STOP_EC2_INSTANCES", "Region": "us-east-1", "InstanceIds": ["i-0123456789abcdef0"]}}}
    for bad in (scp, ssm):
        with pytest.raises(ClientError) as e:
            b.create_budget_action(AccountId=acct, **bad)
        assert e.value.response["Error"]["Code"] == "InvalidParameterException", bad["ActionType"]
    not_budgets = g.client("iam").get_role(RoleName=s["target"])["Role"]["Arn"]
    with pytest.raises(ClientError) as e:
        b.create_budget_action(AccountId=acct, **{**_action(s), "ExecutionRoleArn": not_budgets})
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        b.create_budget_action(AccountId=acct, **{**_action(s), "ExecutionRoleArn": s["exec"] + "-gone"})
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        b.create_budget_action(AccountId=acct, **{**_action(s), "BudgetName": "no-such-budget"})
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    with pytest.raises(ClientError) as e:
        b.execute_budget_action(AccountId=acct, BudgetName=s["budget"], ActionId=str(uuid.uuid4()), ExecutionType="RESET_BUDGET_ACTION")
    assert e.value.response["Error"]["Code"] == "NotFoundException"


A = "503000000001"
ROOT = ("budroot", "budsecret")


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("budstrict") / "data", [
        "--auth", "strict", "--set", f"auth.keys={ROOT[0]}:{ROOT[1]}:{A}", "--set", "ecs.enabled=0"],
        env={"GUREUM_LAMBDA_RUNTIME_DATE": "2026-05-01", "GUREUM_BUDGETS_INTERVAL": "0.5"})
    proc.start()
    yield proc
    proc.stop()


def test_passing_the_execution_role_needs_pass_role_in_strict_mode(strict: GureumProcess) -> None:
    iam = strict.client("iam", aws_access_key_id=ROOT[0], aws_secret_access_key=ROOT[1])
    root_b = strict.client("budgets", aws_access_key_id=ROOT[0], aws_secret_access_key=ROOT[1])
    tag = uuid.uuid4().hex[:6]
    role = iam.create_role(RoleName=f"exec-{tag}", AssumeRolePolicyDocument=json.dumps(BUDGETS_TRUST))["Role"]["Arn"]
    policy = iam.create_policy(PolicyName=f"deny-{tag}", PolicyDocument=json.dumps(DENY_ALL))["Policy"]["Arn"]
    root_b.create_budget(AccountId=A, Budget={"BudgetName": f"s-{tag}", "BudgetLimit": {"Amount": "10", "Unit": "USD"},
                                              "TimeUnit": "MONTHLY", "BudgetType": "COST"})
    s = {"budget": f"s-{tag}", "exec": role, "target": f"t-{tag}", "policy": policy, "tag": tag}
    keys = {}
    for who, allowed in (("weak", ["budgets:*"]), ("able", ["budgets:*", "iam:PassRole"])):
        user = f"{who}-{tag}"
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="b", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": allowed, "Resource": "*"}]}))
        k = iam.create_access_key(UserName=user)["AccessKey"]
        keys[who] = strict.client("budgets", aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        keys["weak"].create_budget_action(AccountId=A, **_action(s))
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"iam:PassRole on resource: {role}" in e.value.response["Error"]["Message"]
    action_id = keys["able"].create_budget_action(AccountId=A, **_action(s))["ActionId"]
    assert root_b.describe_budget_action(AccountId=A, BudgetName=s["budget"], ActionId=action_id)["Action"]["Status"] == "STANDBY"


def test_in_strict_mode_the_execution_role_itself_must_be_allowed_to_attach(strict: GureumProcess) -> None:
    keys = {"aws_access_key_id": ROOT[0], "aws_secret_access_key": ROOT[1]}
    iam, b = strict.client("iam", **keys), strict.client("budgets", **keys)
    cost = priced_lambda_workload(strict, **keys)
    tag = uuid.uuid4().hex[:6]
    b.create_budget(AccountId=A, Budget={"BudgetName": f"x-{tag}", "BudgetLimit": {"Amount": f"{cost * 1.5:.12f}", "Unit": "USD"},
                                         "TimeUnit": "MONTHLY", "BudgetType": "COST", "CostFilters": {"Service": ["AWS Lambda"]}})
    role = iam.create_role(RoleName=f"exec-{tag}", AssumeRolePolicyDocument=json.dumps(BUDGETS_TRUST))["Role"]["Arn"]
    target = iam.create_role(RoleName=f"t-{tag}", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["RoleName"]
    policy = iam.create_policy(PolicyName=f"deny-{tag}", PolicyDocument=json.dumps(DENY_ALL))["Policy"]["Arn"]
    s = {"budget": f"x-{tag}", "exec": role, "target": target, "policy": policy, "tag": tag}
    action_id = b.create_budget_action(AccountId=A, **_action(s))["ActionId"]

    def status() -> str:
        return str(b.describe_budget_action(AccountId=A, BudgetName=s["budget"], ActionId=action_id)["Action"]["Status"])

    wait_for("the execution to fail", lambda: status() == "EXECUTION_FAILURE", timeout=30, interval=0.1)
    [last, *_] = b.describe_budget_action_histories(AccountId=A, BudgetName=s["budget"], ActionId=action_id)["ActionHistories"]
    assert f"{SESSION} is not authorized to perform: iam:AttachRolePolicy" in last["ActionHistoryDetails"]["Message"]
    assert iam.list_attached_role_policies(RoleName=target)["AttachedPolicies"] == []
    iam.put_role_policy(RoleName=f"exec-{tag}", PolicyName="attach", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:AttachRolePolicy", "iam:DetachRolePolicy"], "Resource": "*"}]}))
    b.execute_budget_action(AccountId=A, BudgetName=s["budget"], ActionId=action_id, ExecutionType="RETRY_BUDGET_ACTION")
    assert status() == "EXECUTION_SUCCESS"
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=target)["AttachedPolicies"]] == [policy]


def test_an_action_triggers_once_per_period_and_a_stale_step_is_taken_over(tmp_path: Any) -> None:
    store = open_store(f"sqlite:///{tmp_path}/state.sqlite")
    acct = "111122223333"
    try:
        t0 = datetime(2026, 12, 3, tzinfo=UTC).timestamp()
        budget = model.normalize({"BudgetName": "b", "BudgetLimit": {"Amount": "1", "Unit": "USD"}, "TimeUnit": "MONTHLY",
                                  "BudgetType": "COST"}, t0)
        store.run_sync(lambda t: model.create(t, acct, budget, []))
        s = {"budget": "b", "policy": f"arn:aws:iam::{acct}:policy/p", "target": "r", "exec": f"arn:aws:iam::{acct}:role/e", "tag": "x"}
        action_id = store.run_sync(lambda t: actions.create(t, acct, _action(s), t0))
        dec, jan = datetime(2026, 12, 1, tzinfo=UTC).timestamp(), datetime(2027, 1, 1, tzinfo=UTC).timestamp()
        claim = lambda period, now: store.run_sync(lambda t: actions.trigger(t, acct, "b", action_id, period, now))  # noqa: E731
        step = claim(dec, t0 + 1)
        assert step is not None and step[0] == "execute"
        assert claim(dec, t0 + 2) is None  # claimed: no other node or pass runs it again
        # its node died in the step: taken over only once it is stale
        assert store.run_sync(lambda t: actions.resume(t, acct, "b", action_id, t0 + 10)) is None
        resumed = store.run_sync(lambda t: actions.resume(t, acct, "b", action_id, t0 + 1 + actions.STALE))
        assert resumed is not None and resumed[0] == "execute"
        store.run_sync(lambda t: actions.finish(t, acct, "b", action_id, "execute", [["role", "r"]], None, t0 + 400))
        store.run_sync(lambda t: actions.begin(t, acct, "b", action_id, "RESET_BUDGET_ACTION", t0 + 500))
        store.run_sync(lambda t: actions.finish(t, acct, "b", action_id, "reset", [], None, t0 + 501))
        assert claim(dec, t0 + 600) is None  # reset to STANDBY, but this period has had its turn
        assert claim(jan, jan + 10) is not None  # the next period: again
    finally:
        asyncio.run(store.close())
