"""Budgets handlers: check the account, run the model, shape the answer (a budget's spend is
computed when it is described, from the usage ledger: spend.py). Actions, tags, updates of
notifications and subscribers, and performance history are api_actions.py's."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from gureum.aws import paging
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.billing import meter, pricing
from gureum.billing.ledger import usage_rows
from gureum.billing.line_items import of_rows, with_free_tier
from gureum.node_settings import BillingSettings
from gureum.services.budgets import model, spend
from gureum.store import Txn


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def bad_token() -> AwsError:
    return AwsError.modeled("budgets", "InvalidNextTokenException", "The pagination token is invalid.")


def _shown(budget: dict[str, Any], s: spend.Spend) -> dict[str, Any]:
    out = {k: v for k, v in budget.items() if k not in ("TimePeriod", "LastUpdatedTime")}
    out["TimePeriod"] = {"Start": _dt(budget["TimePeriod"]["Start"]), "End": _dt(budget["TimePeriod"]["End"])}
    out["LastUpdatedTime"] = _dt(budget["LastUpdatedTime"])
    unit = budget["BudgetLimit"]["Unit"]
    out["CalculatedSpend"] = {
        "ActualSpend": {"Amount": model.written(s.actual, 15), "Unit": unit},
        "ForecastedSpend": {"Amount": model.written(s.forecast, 15), "Unit": unit},
    }
    return out


async def with_spend(ctx: RequestContext, fn: Any) -> tuple[Any, list[Any]]:
    table = pricing.load(ctx.app.settings(BillingSettings).price_file)
    free = ctx.app.settings(BillingSettings).lambda_free_tier
    await ctx.app.ledger.flush()

    def read(t: Txn) -> tuple[Any, list[Any]]:
        rows = [*usage_rows(t, ctx.account_id), *meter.accrued_rows(t, ctx.account_id, time.time())]
        return fn(t), (with_free_tier(table, of_rows(table, rows)) if free else list(of_rows(table, rows)))

    result: tuple[Any, list[Any]] = await ctx.app.store.read(read)
    return result


@operation("budgets", "CreateBudget")
async def create_budget(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    model.check_account(ctx.account_id, params["AccountId"])
    now = time.time()
    budget = model.normalize(params["Budget"], now)
    notes = list(params.get("NotificationsWithSubscribers") or [])
    await ctx.app.store.run(lambda t: model.create(t, ctx.account_id, budget, notes, list(params.get("ResourceTags") or [])))
    return {}


@operation("budgets", "DescribeBudget")
async def describe_budget(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    model.check_account(ctx.account_id, params["AccountId"])
    doc, items = await with_spend(ctx, lambda t: model.get(t, ctx.account_id, params["BudgetName"]))
    return {"Budget": _shown(doc["Budget"], spend.of_budget(doc["Budget"], items, time.time()))}


@operation("budgets", "DescribeBudgets")
async def describe_budgets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    model.check_account(ctx.account_id, params["AccountId"])

    def page(t: Txn) -> tuple[list[Any], str | None]:
        return paging.page(t, model.BUDGETS, f"{ctx.account_id}/", token=params.get("NextToken"), limit=params.get("MaxResults"),
                           default_limit=100, max_limit=1000, error=bad_token)

    (rows, token), items = await with_spend(ctx, page)
    now = time.time()
    out: dict[str, Any] = {"Budgets": [_shown(d["Budget"], spend.of_budget(d["Budget"], items, now)) for _, d in rows]}
    if token:
        out["NextToken"] = token
    return out


@operation("budgets", "UpdateBudget")
async def update_budget(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    model.check_account(ctx.account_id, params["AccountId"])
    await ctx.app.store.run(lambda t: model.update(t, ctx.account_id, params["NewBudget"], time.time()))
    return {}


@operation("budgets", "DeleteBudget")
async def delete_budget(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    model.check_account(ctx.account_id, params["AccountId"])
    await ctx.app.store.run(lambda t: model.delete(t, ctx.account_id, params["BudgetName"]))
    return {}


@operation("budgets", "CreateNotification")
async def create_notification(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    model.check_account(ctx.account_id, params["AccountId"])
    await ctx.app.store.run(lambda t: model.add_notification(t, ctx.account_id, params["BudgetName"], params["Notification"], list(params["Subscribers"])))
    return {}


@operation("budgets", "DeleteNotification")
async def delete_notification(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    model.check_account(ctx.account_id, params["AccountId"])
    await ctx.app.store.run(lambda t: model.delete_notification(t, ctx.account_id, params["BudgetName"], params["Notification"]))
    return {}


@operation("budgets", "DescribeNotificationsForBudget")
async def describe_notifications_for_budget(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    model.check_account(ctx.account_id, params["AccountId"])
    doc = await ctx.app.store.read(lambda t: model.get(t, ctx.account_id, params["BudgetName"]))
    now = time.time()
    b = doc["Budget"]
    current = max(model.period_start(b["TimeUnit"], now, float(b["TimePeriod"]["Start"])), float(b["TimePeriod"]["Start"]))
    shown = [{**n["Notification"], "NotificationState": "ALARM" if n.get("period") == current else "OK"} for n in doc["notifications"]]
    items, token = paging.page_items(shown, lambda n: repr(model.notification_id(n)), listing=f"budgets.notifications/{params['BudgetName']}",
                                     token=params.get("NextToken"), limit=params.get("MaxResults"), default_limit=100, max_limit=100,
                                     error=bad_token)
    return {"Notifications": items, **({"NextToken": token} if token else {})}


@operation("budgets", "CreateSubscriber")
async def create_subscriber(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    model.check_account(ctx.account_id, params["AccountId"])
    await ctx.app.store.run(lambda t: model.add_subscriber(t, ctx.account_id, params["BudgetName"], params["Notification"], params["Subscriber"]))
    return {}


@operation("budgets", "DeleteSubscriber")
async def delete_subscriber(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    model.check_account(ctx.account_id, params["AccountId"])
    await ctx.app.store.run(lambda t: model.delete_subscriber(t, ctx.account_id, params["BudgetName"], params["Notification"], params["Subscriber"]))
    return {}


@operation("budgets", "DescribeSubscribersForNotification")
async def describe_subscribers_for_notification(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    model.check_account(ctx.account_id, params["AccountId"])
    subs = await ctx.app.store.read(lambda t: model.subscribers(t, ctx.account_id, params["BudgetName"], params["Notification"]))
    items, token = paging.page_items(subs, lambda s: f"{s['SubscriptionType']}/{s['Address']}", listing=f"budgets.subscribers/{params['BudgetName']}",
                                     token=params.get("NextToken"), limit=params.get("MaxResults"), default_limit=100, max_limit=100,
                                     error=bad_token)
    return {"Subscribers": items, **({"NextToken": token} if token else {})}
