"""The budgets' background evaluator: every `budgets.interval` seconds each budget's spend is
computed from the usage ledger (spend.py); a notification whose threshold is crossed fires
once per budget period: the transaction that marks it fired for the period (model.py's
"period") is the one whose node sends it, so with several nodes it is sent once. SNS
subscribers get the message through SNS's port (gureum/ports.py TOPICS); EMAIL subscribers get
it as mail from AWS's own sender (SENDER) through SES's port for system mail (ses/port.py
`send_system_email`: kept at GET /_gureum/ses and relayed, outside the account's sandbox and
bill), and it is written to the node's log too (logger gureum.budgets).
Budget actions (actions.py) are triggered in the same pass: a STANDBY action whose threshold
(ActionThreshold over ACTUAL or FORECASTED spend) is crossed is claimed for the period in
one transaction (actions.trigger, so one node acts, once per period), then run
(runner.py) when AUTOMATIC or left PENDING for approval when MANUAL."""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import TYPE_CHECKING, Any

from gureum.billing import meter, pricing
from gureum.billing.ledger import usage_rows
from gureum.billing.line_items import LineItem, of_rows, with_free_tier
from gureum.node_settings import BillingSettings
from gureum.ports import TOPICS, port
from gureum.services.budgets import actions, model, runner, spend
from gureum.services.budgets.settings import BudgetsSettings

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn

log = logging.getLogger("gureum.budgets")
SENDER = "AWS Budgets <aws-budgets@email.amazon.com>"
MAIL_REGION = "us-east-1"  # Budgets is a global service served from us-east-1


def message(account: str, budget: dict[str, Any], n: dict[str, Any], s: spend.Spend) -> tuple[str, str]:
    name = budget["BudgetName"]
    kind = "forecasted" if n["NotificationType"] == "FORECASTED" else "actual"
    unit = budget["BudgetLimit"]["Unit"]
    pct = n.get("ThresholdType", "PERCENTAGE") == "PERCENTAGE"
    threshold = f"{n['Threshold']:g}%" if pct else f"{n['Threshold']:g} {unit}"
    value = s.forecast if kind == "forecasted" else s.actual
    subject = f"AWS Budgets: {name} has exceeded your alert threshold"
    body = (
        f"AWS Budget Notification\nAWS Account {account}\n\nDear AWS Customer,\n\n"
        f"You requested that we alert you when the {kind} {'Cost' if budget['BudgetType'] == 'COST' else 'Usage'} "
        f"associated with your {name} budget is {n['ComparisonOperator'].replace('_', ' ').lower()} {threshold} "
        f"for the current {budget['TimeUnit'].lower()} budget period. The {kind} value for your budget is "
        f"{value:.6f} {unit}. Your budgeted amount is {budget['BudgetLimit']['Amount']} {unit}.\n\n"
        f"Budget Name: {name}\nBudget Type: {budget['BudgetType'].capitalize()}\n"
        f"Budgeted Amount: {budget['BudgetLimit']['Amount']} {unit}\nAlert Type: {kind.upper()}\n"
        f"Alert Threshold: > {threshold}\n{'FORECASTED' if kind == 'forecasted' else 'ACTUAL'} Amount: {value:.6f} {unit}\n"
    )
    return subject, body


def mark(txn: Txn, account: str, name: str, spends: spend.Spend, now: float) -> list[dict[str, Any]]:
    """Record the spend of budget `name` and mark the notifications it crosses as fired for
    this period; the notifications to send now (each once per period)."""
    doc = txn.get(model.BUDGETS, model.key(account, name))
    if doc is None:
        return []
    limit = float(doc["Budget"]["BudgetLimit"]["Amount"])
    fire = []
    for n in doc["notifications"]:
        if n.get("period") == spends.period_start:
            continue
        if spend.crossed(n["Notification"], limit, spends):
            n["period"] = spends.period_start
            fire.append({"Notification": dict(n["Notification"]), "Subscribers": list(n["Subscribers"])})
    doc["spend"] = {"actual": spends.actual, "forecast": spends.forecast, "at": now}
    txn.put(model.BUDGETS, model.key(account, name), doc)
    return fire


async def evaluate(app: App) -> int:
    """One pass over every budget; the number of notifications sent."""
    table = pricing.load(app.settings(BillingSettings).price_file)
    free = app.settings(BillingSettings).lambda_free_tier
    await app.ledger.flush()
    now = time.time()

    def read(t: Txn) -> list[tuple[str, dict[str, Any], list[LineItem], list[dict[str, Any]]]]:
        out = []
        items: dict[str, list[LineItem]] = {}
        for key, doc in t.scan(model.BUDGETS):
            account = key.split("/", 1)[0]
            if account not in items:
                found = of_rows(table, [*usage_rows(t, account), *meter.accrued_rows(t, account, now)])
                items[account] = with_free_tier(table, found) if free else list(found)
            out.append((account, doc["Budget"], items[account], actions.of_budget(t, account, doc["Budget"]["BudgetName"])))
        return out

    sent = 0
    for account, budget, items, acts in await app.store.read(read):
        s = spend.of_budget(budget, items, now)
        fires = await app.store.run(partial(mark, account=account, name=budget["BudgetName"], spends=s, now=now))
        for f in fires:
            subject, body = message(account, budget, f["Notification"], s)
            sent += await deliver(app, account, budget["BudgetName"], f["Subscribers"], subject, body)
        for doc in acts:
            sent += await _act(app, account, budget, doc["Action"], s, now)
    return sent


def action_crossed(budget: dict[str, Any], action: dict[str, Any], s: spend.Spend) -> bool:
    t = action["ActionThreshold"]
    n = {"NotificationType": action["NotificationType"], "ComparisonOperator": "GREATER_THAN",
         "Threshold": t["ActionThresholdValue"], "ThresholdType": t["ActionThresholdType"]}
    return spend.crossed(n, float(budget["BudgetLimit"]["Amount"]), s)


async def _act(app: App, account: str, budget: dict[str, Any], action: dict[str, Any], s: spend.Spend, now: float) -> int:
    if action["Status"] in actions.IN_PROGRESS:
        stale = await app.store.run(partial(actions.resume, account=account, budget=budget["BudgetName"],
                                            action_id=action["ActionId"], now=now))
        if stale is not None:
            await runner.run_step(app, account, stale[0], stale[1])
        return 0
    if action["Status"] != "STANDBY" or not action_crossed(budget, action, s):
        return 0
    claimed = await app.store.run(partial(actions.trigger, account=account, budget=budget["BudgetName"],
                                          action_id=action["ActionId"], period=s.period_start, now=now))
    if claimed is None:
        return 0
    step, doc = claimed
    name = budget["BudgetName"]
    if step == "execute":
        error = await runner.run_step(app, account, step, doc)
        what = f"was executed ({'failed: ' + error if error else 'succeeded'})"
    else:
        what = "is waiting for your approval (ExecuteBudgetAction APPROVE_BUDGET_ACTION)"
    subject = f"AWS Budgets: an action of {name} {what.split(' (')[0]}"
    body = (f"AWS Budget Action\nAWS Account {account}\n\nThe budget action {action['ActionId']} ({action['ActionType']}) "
            f"of your {name} budget {what}: its threshold was exceeded.\n")
    return await deliver(app, account, name, action["Subscribers"], subject, body)


async def deliver(app: App, account: str, name: str, subscribers: list[dict[str, Any]], subject: str, body: str) -> int:
    """Send to every subscriber (SNS or EMAIL); how many were sent."""
    sent = 0
    for sub in subscribers:
        try:
            if sub["SubscriptionType"] == "SNS":
                await port(app, TOPICS).publish(sub["Address"], body, subject=subject)
            else:
                from gureum.services.ses import port as ses

                log.warning("budget notification to %s: %s\n%s", sub["Address"], subject, body)
                await ses.send_system_email(app, account, MAIL_REGION, source=SENDER, to=[sub["Address"]],
                                            subject=subject, text=body)
            sent += 1
        except Exception:
            log.exception("could not send the budget notification of %s to %s", name, sub["Address"])
    return sent


async def run(app: App) -> None:
    app.set_status("budgets", "running")
    app.every(app.settings(BudgetsSettings).interval, lambda: evaluate(app), name="budgets")
