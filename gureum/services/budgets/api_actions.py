"""Budgets handlers for budget actions (actions.py, run by runner.py), tags (tags.py),
notification/subscriber updates, notifications across the account and performance history."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from gureum.aws import paging
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.budgets import actions, model, runner, spend, tags
from gureum.services.budgets.api import bad_token, with_spend
from gureum.store import Txn

Doc = dict[str, Any]


def _ts(value: Any) -> float | None:
    return None if value is None else (value.timestamp() if isinstance(value, datetime) else float(value))


async def _check_role(ctx: RequestContext, role: str | None) -> None:
    """The execution role must be a role of the account that Budgets may assume."""
    if role is None:
        return
    from gureum.services.iam import port as iam

    found = await iam.get_role(ctx.app, ctx.account_id, role)
    if found is None:
        raise model.invalid(f"The execution role {role} doesn't exist.")
    if not iam.role_trusts_service(found, runner.SERVICE):
        raise AwsError.modeled("budgets", "AccessDeniedException",
                               f"Budgets can't assume the execution role {role}: its trust policy must allow {runner.SERVICE}.")


@operation("budgets", "CreateBudgetAction")
async def create_budget_action(ctx: RequestContext, params: Doc) -> Doc:
    model.check_account(ctx.account_id, params["AccountId"])
    await _check_role(ctx, params["ExecutionRoleArn"])
    action_id = await ctx.app.store.run(lambda t: actions.create(t, ctx.account_id, params, time.time()))
    return {"AccountId": ctx.account_id, "BudgetName": params["BudgetName"], "ActionId": action_id}


@operation("budgets", "DescribeBudgetAction")
async def describe_budget_action(ctx: RequestContext, params: Doc) -> Doc:
    model.check_account(ctx.account_id, params["AccountId"])
    doc = await ctx.app.store.read(lambda t: actions.get(t, ctx.account_id, params["BudgetName"], params["ActionId"]))
    return {"AccountId": ctx.account_id, "BudgetName": params["BudgetName"], "Action": doc["Action"]}


@operation("budgets", "UpdateBudgetAction")
async def update_budget_action(ctx: RequestContext, params: Doc) -> Doc:
    model.check_account(ctx.account_id, params["AccountId"])
    await _check_role(ctx, params.get("ExecutionRoleArn"))
    old, new = await ctx.app.store.run(lambda t: actions.update(t, ctx.account_id, params, time.time()))
    return {"AccountId": ctx.account_id, "BudgetName": params["BudgetName"], "OldAction": old, "NewAction": new}


@operation("budgets", "DeleteBudgetAction")
async def delete_budget_action(ctx: RequestContext, params: Doc) -> Doc:
    model.check_account(ctx.account_id, params["AccountId"])
    gone = await ctx.app.store.run(lambda t: actions.delete(t, ctx.account_id, params["BudgetName"], params["ActionId"]))
    return {"AccountId": ctx.account_id, "BudgetName": params["BudgetName"], "Action": gone}


@operation("budgets", "ExecuteBudgetAction")
async def execute_budget_action(ctx: RequestContext, params: Doc) -> Doc:
    model.check_account(ctx.account_id, params["AccountId"])
    name, action_id, kind = params["BudgetName"], params["ActionId"], params["ExecutionType"]
    step, doc = await ctx.app.store.run(lambda t: actions.begin(t, ctx.account_id, name, action_id, kind, time.time()))
    await runner.run_step(ctx.app, ctx.account_id, step, doc)
    return {"AccountId": ctx.account_id, "BudgetName": name, "ActionId": action_id, "ExecutionType": kind}


def _page_actions(params: Doc, rows: list[Doc], listing: str) -> Doc:
    items, token = paging.page_items(rows, lambda a: f"{a['BudgetName']}/{a['ActionId']}", listing=listing,
                                     token=params.get("NextToken"), limit=params.get("MaxResults"), default_limit=100,
                                     max_limit=100, error=bad_token)
    return {"Actions": items, **({"NextToken": token} if token else {})}


@operation("budgets", "DescribeBudgetActionsForBudget")
async def describe_budget_actions_for_budget(ctx: RequestContext, params: Doc) -> Doc:
    model.check_account(ctx.account_id, params["AccountId"])
    name = params["BudgetName"]

    def read(t: Txn) -> list[Doc]:
        model.get(t, ctx.account_id, name)
        return [d["Action"] for d in actions.of_budget(t, ctx.account_id, name)]

    return _page_actions(params, await ctx.app.store.read(read), f"budgets.actions/{name}")


@operation("budgets", "DescribeBudgetActionsForAccount")
async def describe_budget_actions_for_account(ctx: RequestContext, params: Doc) -> Doc:
    model.check_account(ctx.account_id, params["AccountId"])
    rows = await ctx.app.store.read(lambda t: [d["Action"] for _, d in t.scan(actions.ACTIONS, f"{ctx.account_id}/")])
    return _page_actions(params, rows, "budgets.actions")


@operation("budgets", "DescribeBudgetActionHistories")
async def describe_budget_action_histories(ctx: RequestContext, params: Doc) -> Doc:
    model.check_account(ctx.account_id, params["AccountId"])
    doc = await ctx.app.store.read(lambda t: actions.get(t, ctx.account_id, params["BudgetName"], params["ActionId"]))
    period = params.get("TimePeriod") or {}
    rows = actions.histories(doc, _ts(period.get("Start")), _ts(period.get("End")))
    items, token = paging.page_items(rows, lambda r: r[0], listing=f"budgets.history/{params['ActionId']}",
                                     token=params.get("NextToken"), limit=params.get("MaxResults"), default_limit=100,
                                     max_limit=100, error=bad_token)
    return {"ActionHistories": [h for _, h in items], **({"NextToken": token} if token else {})}


# --- notifications and subscribers -------------------------------------------------------
@operation("budgets", "UpdateNotification")
async def update_notification(ctx: RequestContext, params: Doc) -> Doc:
    model.check_account(ctx.account_id, params["AccountId"])
    await ctx.app.store.run(lambda t: model.update_notification(t, ctx.account_id, params["BudgetName"], params["OldNotification"],
                                                                params["NewNotification"]))
    return {}


@operation("budgets", "UpdateSubscriber")
async def update_subscriber(ctx: RequestContext, params: Doc) -> Doc:
    model.check_account(ctx.account_id, params["AccountId"])
    await ctx.app.store.run(lambda t: model.update_subscriber(t, ctx.account_id, params["BudgetName"], params["Notification"],
                                                              params["OldSubscriber"], params["NewSubscriber"]))
    return {}


@operation("budgets", "DescribeBudgetNotificationsForAccount")
async def describe_budget_notifications_for_account(ctx: RequestContext, params: Doc) -> Doc:
    model.check_account(ctx.account_id, params["AccountId"])
    docs = await ctx.app.store.read(lambda t: model.list_budgets(t, ctx.account_id))
    rows = [{"BudgetName": d["Budget"]["BudgetName"], "Notifications": [n["Notification"] for n in d["notifications"]]}
            for d in docs if d["notifications"]]
    items, token = paging.page_items(rows, lambda r: r["BudgetName"], listing="budgets.account-notifications",
                                     token=params.get("NextToken"), limit=params.get("MaxResults"), default_limit=50,
                                     max_limit=100, error=bad_token)
    return {"BudgetNotificationsForAccount": items, **({"NextToken": token} if token else {})}


@operation("budgets", "DescribeBudgetPerformanceHistory")
async def describe_budget_performance_history(ctx: RequestContext, params: Doc) -> Doc:
    model.check_account(ctx.account_id, params["AccountId"])
    doc, items = await with_spend(ctx, lambda t: model.get(t, ctx.account_id, params["BudgetName"]))
    b = doc["Budget"]
    asked = params.get("TimePeriod") or {}
    unit = b["BudgetLimit"]["Unit"]
    rows = [{"BudgetedAmount": {"Amount": b["BudgetLimit"]["Amount"], "Unit": unit},
             "ActualAmount": {"Amount": model.written(spend.in_period(b, items, start, end), 15), "Unit": unit},
             "TimePeriod": {"Start": datetime.fromtimestamp(start, UTC), "End": datetime.fromtimestamp(end, UTC)}}
            for start, end in spend.periods(b, time.time(), _ts(asked.get("Start")), _ts(asked.get("End")))]
    page, token = paging.page_items(rows, lambda r: r["TimePeriod"]["Start"].timestamp(), listing=f"budgets.performance/{b['BudgetName']}",
                                    token=params.get("NextToken"), limit=params.get("MaxResults"), default_limit=100,
                                    max_limit=100, filters={"TimePeriod": {k: _ts(v) for k, v in asked.items()}}, error=bad_token)
    history = {k: b[k] for k in ("BudgetName", "BudgetType", "CostFilters", "CostTypes", "TimeUnit", "FilterExpression") if k in b}
    return {"BudgetPerformanceHistory": {**history, "BudgetedAndActualAmountsList": page}, **({"NextToken": token} if token else {})}


# --- tags ---------------------------------------------------------------------------------
def _tagged(t: Txn, account: str, arn: str) -> tuple[str, str, Doc]:
    name, action_id = tags.parse_arn(account, arn)
    if action_id is None:
        return model.BUDGETS, model.key(account, name), model.get(t, account, name)
    return actions.ACTIONS, actions.key(account, name, action_id), actions.get(t, account, name, action_id)


@operation("budgets", "TagResource")
async def tag_resource(ctx: RequestContext, params: Doc) -> Doc:
    def write(t: Txn) -> None:
        table, k, doc = _tagged(t, ctx.account_id, params["ResourceARN"])
        doc["tags"] = tags.checked(doc.get("tags") or [], list(params["ResourceTags"]))
        t.put(table, k, doc)

    await ctx.app.store.run(write)
    return {}


@operation("budgets", "UntagResource")
async def untag_resource(ctx: RequestContext, params: Doc) -> Doc:
    def write(t: Txn) -> None:
        table, k, doc = _tagged(t, ctx.account_id, params["ResourceARN"])
        doc["tags"] = tags.without(doc.get("tags") or [], list(params["ResourceTagKeys"]))
        t.put(table, k, doc)

    await ctx.app.store.run(write)
    return {}


@operation("budgets", "ListTagsForResource")
async def list_tags_for_resource(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.read(lambda t: _tagged(t, ctx.account_id, params["ResourceARN"])[2])
    return {"ResourceTags": list(doc.get("tags") or [])}
