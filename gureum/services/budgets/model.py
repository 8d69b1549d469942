"""Budgets: rules and storage.

Table `budgets.budgets`: "<account>/<budget name>" -> {
  "Budget": the budget as DescribeBudget shows it (BudgetLimit, TimeUnit, TimePeriod with
            epoch seconds, BudgetType, CostFilters, FilterExpression, LastUpdatedTime...),
  "notifications": [{"Notification": {NotificationType, ComparisonOperator, Threshold,
                     ThresholdType}, "Subscribers": [{SubscriptionType, Address}],
                     "period": epoch seconds of the period it last fired in (absent: never),
                     "state": "OK"|"ALARM"}],
  "spend": {"actual": float, "forecast": float, "at": epoch seconds} (the evaluator's last),
  "tags": [{Key, Value}] (tags.py)}
Budgets are global: keys carry the account, no Region. A notification is identified by its
four fields; it has 1 SNS subscriber at most and 10 EMAIL ones; a budget 10 notifications
at most. A notification fires at most once per budget period (evaluator.py).
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.budgets import tags
from gureum.store import Txn

BUDGETS = "budgets.budgets"
ACTIONS = "budgets.actions"  # actions.py's
END_OF_TIME = 3706473600.0  # 2087-06-15T00:00:00Z, AWS's default end
MAX_NOTIFICATIONS = 10
MAX_EMAIL = 10
TIME_UNITS = ("DAILY", "MONTHLY", "QUARTERLY", "ANNUALLY", "CUSTOM")
SUPPORTED_TYPES = ("COST", "USAGE")


def invalid(message: str) -> AwsError:
    return AwsError.modeled("budgets", "InvalidParameterException", message)


def not_found(message: str) -> AwsError:
    return AwsError.modeled("budgets", "NotFoundException", message)


def key(account: str, name: str) -> str:
    return f"{account}/{name}"


def check_account(caller: str, account: str) -> None:
    if account != caller:
        raise AwsError.modeled("budgets", "AccessDeniedException", f"Account {account} is not the account of the caller ({caller}).")


def _ts(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def period_start(unit: str, now: float, custom_start: float) -> float:
    t = datetime.fromtimestamp(now, UTC)
    if unit == "DAILY":
        s = t.replace(hour=0, minute=0, second=0, microsecond=0)
    elif unit == "MONTHLY":
        s = t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "QUARTERLY":
        s = t.replace(month=(t.month - 1) // 3 * 3 + 1, day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "ANNUALLY":
        s = t.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    else:
        return custom_start
    return s.timestamp()


def period_end(unit: str, start: float, custom_end: float) -> float:
    s = datetime.fromtimestamp(start, UTC)
    if unit == "DAILY":
        return start + 86400
    months = {"MONTHLY": 1, "QUARTERLY": 3, "ANNUALLY": 12}.get(unit)
    if months is None:
        return custom_end
    end = s
    for _ in range(months):
        end = end.replace(day=1)
        days = calendar.monthrange(end.year, end.month)[1]
        end = datetime.fromtimestamp(end.timestamp() + days * 86400, UTC)
    return end.timestamp()


def written(amount: float, places: int = 10) -> str:
    """An amount as Budgets writes it back: "100.0", "12.34", "0.00003" (never an exponent)."""
    text = f"{amount:.{places}f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def normalize(given: dict[str, Any], now: float, old: dict[str, Any] | None = None) -> dict[str, Any]:
    """The budget as stored from CreateBudget's/UpdateBudget's Budget, AWS's rules checked."""
    name = given["BudgetName"]
    if ":" in name or "\\" in name or "/action/" in name:
        raise invalid("The budget name contains an invalid character: ':', '\\' and \"/action/\" are not allowed.")
    kind = given["BudgetType"]
    if kind not in SUPPORTED_TYPES:
        raise invalid(f"Budget type {kind} is not supported by gureum: COST and USAGE budgets are.")
    unit = given["TimeUnit"]
    limit = given.get("BudgetLimit")
    if given.get("PlannedBudgetLimits") and limit:
        raise invalid("BudgetLimit and PlannedBudgetLimits cannot be used together.")
    if not limit:
        raise invalid("BudgetLimit is required for COST and USAGE budgets.")
    try:
        amount = float(limit["Amount"])
    except ValueError:
        raise invalid(f"The budget limit amount is not a number: {limit['Amount']}") from None
    if amount <= 0:
        raise invalid("The budget limit amount must be greater than 0.")
    if kind == "COST" and limit["Unit"] != "USD":
        raise invalid(f"The budget limit unit for a COST budget must be USD: {limit['Unit']}")
    if given.get("CostFilters") and given.get("FilterExpression"):
        raise invalid("CostFilters and FilterExpression cannot be used together.")
    period = given.get("TimePeriod") or (old or {}).get("TimePeriod") or {}
    start = _ts(period["Start"]) if period.get("Start") is not None else period_start(unit, now, now)
    end = _ts(period["End"]) if period.get("End") is not None else END_OF_TIME
    if start >= end:
        raise invalid("The start date of the time period must be before its end date.")
    if unit == "CUSTOM" and not period.get("End"):
        raise invalid("A CUSTOM budget needs the end of its TimePeriod.")
    budget: dict[str, Any] = {
        "BudgetName": name,
        "BudgetLimit": {"Amount": written(amount), "Unit": limit["Unit"]},
        "TimeUnit": unit,
        "TimePeriod": {"Start": start, "End": end},
        "BudgetType": kind,
        "CostFilters": dict(given.get("CostFilters") or {}),
        "LastUpdatedTime": now,
    }
    if kind == "COST":
        budget["CostTypes"] = {
            "IncludeTax": True, "IncludeSubscription": True, "UseBlended": False, "IncludeRefund": True,
            "IncludeCredit": True, "IncludeUpfront": True, "IncludeRecurring": True, "IncludeOtherSubscription": True,
            "IncludeSupport": True, "IncludeDiscount": True, "UseAmortized": False, **(given.get("CostTypes") or {}),
        }  # fmt: skip
    if given.get("FilterExpression"):
        budget["FilterExpression"] = given["FilterExpression"]
    return budget


def get(txn: Txn, account: str, name: str, verb: str = "get") -> dict[str, Any]:
    doc = txn.get(BUDGETS, key(account, name))
    if doc is None:
        raise not_found(f"Unable to {verb} budget: {name} - the budget doesn't exist.")
    return doc


def create(txn: Txn, account: str, budget: dict[str, Any], notifications: list[dict[str, Any]],
           resource_tags: list[dict[str, Any]] | None = None) -> None:
    k = key(account, budget["BudgetName"])
    if txn.get(BUDGETS, k) is not None:
        raise AwsError.modeled("budgets", "DuplicateRecordException",
                               f"Error creating budget: {budget['BudgetName']} - the budget already exists.")
    doc: dict[str, Any] = {"Budget": budget, "notifications": [], "tags": tags.checked([], resource_tags or [])}
    for n in notifications:
        _add_notification(doc, n["Notification"], n["Subscribers"])
    txn.put(BUDGETS, k, doc)


def update(txn: Txn, account: str, given: dict[str, Any], now: float) -> None:
    doc = get(txn, account, given["BudgetName"], "update")
    doc["Budget"] = normalize(given, now, doc["Budget"])
    txn.put(BUDGETS, key(account, given["BudgetName"]), doc)


def delete(txn: Txn, account: str, name: str) -> None:
    get(txn, account, name, "delete")
    txn.delete(BUDGETS, key(account, name))
    for k, _ in list(txn.scan(ACTIONS, f"{account}/{name}/")):  # its actions go with it, as in AWS
        txn.delete(ACTIONS, k)


def list_budgets(txn: Txn, account: str) -> list[dict[str, Any]]:
    return [doc for _, doc in txn.scan(BUDGETS, f"{account}/")]


def notification_id(n: dict[str, Any]) -> tuple[str, str, float, str]:
    return (n["NotificationType"], n["ComparisonOperator"], float(n["Threshold"]), n.get("ThresholdType") or "PERCENTAGE")


def check_subscribers(subscribers: list[dict[str, Any]]) -> None:
    sns = [s for s in subscribers if s["SubscriptionType"] == "SNS"]
    email = [s for s in subscribers if s["SubscriptionType"] == "EMAIL"]
    if len(sns) > 1 or len(email) > MAX_EMAIL:
        raise AwsError.modeled("budgets", "CreationLimitExceededException",
                               "A notification can have 1 SNS subscriber and up to 10 email subscribers.")
    for s in subscribers:
        if "\n" in s["Address"] or "\r" in s["Address"]:
            raise invalid("The subscriber address can't contain line breaks.")
        parsed = arns.try_parse(s["Address"])
        if s["SubscriptionType"] == "SNS" and (parsed is None or parsed.service != "sns"):
            raise invalid(f"The SNS subscriber address must be a topic ARN: {s['Address']}")
        if s["SubscriptionType"] == "EMAIL" and "@" not in s["Address"]:
            raise invalid(f"The email subscriber address is not an email address: {s['Address']}")
    seen = {(s["SubscriptionType"], s["Address"]) for s in subscribers}
    if len(seen) != len(subscribers):
        raise AwsError.modeled("budgets", "DuplicateRecordException", "The subscribers of a notification must be unique.")


def _check_notification(n: dict[str, Any]) -> dict[str, Any]:
    threshold = float(n["Threshold"])
    kind = n.get("ThresholdType") or "PERCENTAGE"
    if kind == "PERCENTAGE" and threshold > 1_000_000_000:
        raise invalid("The notification threshold is above the maximum of 1,000,000% over the budgeted amount.")
    return {"NotificationType": n["NotificationType"], "ComparisonOperator": n["ComparisonOperator"], "Threshold": threshold,
            "ThresholdType": kind}


def _add_notification(doc: dict[str, Any], n: dict[str, Any], subscribers: list[dict[str, Any]]) -> None:
    if not subscribers:
        raise invalid("A notification needs at least one subscriber.")
    check_subscribers(subscribers)
    notification = _check_notification(n)
    if any(notification_id(x["Notification"]) == notification_id(notification) for x in doc["notifications"]):
        raise AwsError.modeled("budgets", "DuplicateRecordException",
                               f"Error creating notification: the notification already exists for budget {doc['Budget']['BudgetName']}.")
    if len(doc["notifications"]) >= MAX_NOTIFICATIONS:
        raise AwsError.modeled("budgets", "CreationLimitExceededException", "A budget can have at most 10 notifications.")
    doc["notifications"].append({"Notification": notification, "Subscribers": [dict(s) for s in subscribers], "state": "OK"})


def _find(doc: dict[str, Any], n: dict[str, Any]) -> dict[str, Any]:
    want = notification_id(_check_notification(n))
    for x in doc["notifications"]:
        if notification_id(x["Notification"]) == want:
            return x  # type: ignore[no-any-return]
    raise not_found(f"Unable to find notification for budget {doc['Budget']['BudgetName']}: the notification doesn't exist.")


def add_notification(txn: Txn, account: str, name: str, n: dict[str, Any], subscribers: list[dict[str, Any]]) -> None:
    doc = get(txn, account, name)
    _add_notification(doc, n, subscribers)
    txn.put(BUDGETS, key(account, name), doc)


def delete_notification(txn: Txn, account: str, name: str, n: dict[str, Any]) -> None:
    doc = get(txn, account, name)
    found = _find(doc, n)
    doc["notifications"].remove(found)
    txn.put(BUDGETS, key(account, name), doc)


def notifications(txn: Txn, account: str, name: str) -> list[dict[str, Any]]:
    return list(get(txn, account, name)["notifications"])


def subscribers(txn: Txn, account: str, name: str, n: dict[str, Any]) -> list[dict[str, Any]]:
    return list(_find(get(txn, account, name), n)["Subscribers"])


def add_subscriber(txn: Txn, account: str, name: str, n: dict[str, Any], s: dict[str, Any]) -> None:
    doc = get(txn, account, name)
    found = _find(doc, n)
    if any((x["SubscriptionType"], x["Address"]) == (s["SubscriptionType"], s["Address"]) for x in found["Subscribers"]):
        raise AwsError.modeled("budgets", "DuplicateRecordException", f"The subscriber {s['Address']} already exists for this notification.")
    check_subscribers([*found["Subscribers"], dict(s)])
    found["Subscribers"].append(dict(s))
    txn.put(BUDGETS, key(account, name), doc)


def delete_subscriber(txn: Txn, account: str, name: str, n: dict[str, Any], s: dict[str, Any]) -> None:
    doc = get(txn, account, name)
    found = _find(doc, n)
    match = [x for x in found["Subscribers"] if (x["SubscriptionType"], x["Address"]) == (s["SubscriptionType"], s["Address"])]
    if not match:
        raise not_found(f"Unable to find subscriber {s['Address']} for this notification.")
    if len(found["Subscribers"]) == 1:
        raise invalid("A notification must keep at least one subscriber.")
    found["Subscribers"].remove(match[0])
    txn.put(BUDGETS, key(account, name), doc)


def update_notification(txn: Txn, account: str, name: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    """The notification `old` becomes `new`, keeping its subscribers (it may fire again)."""
    doc = get(txn, account, name)
    found = _find(doc, old)
    fresh = _check_notification(new)
    if notification_id(fresh) != notification_id(found["Notification"]) and any(
            notification_id(x["Notification"]) == notification_id(fresh) for x in doc["notifications"]):
        raise AwsError.modeled("budgets", "DuplicateRecordException",
                               f"Error updating notification: the notification already exists for budget {name}.")
    found["Notification"] = fresh
    found.pop("period", None)
    txn.put(BUDGETS, key(account, name), doc)


def update_subscriber(txn: Txn, account: str, name: str, n: dict[str, Any], old: dict[str, Any], new: dict[str, Any]) -> None:
    doc = get(txn, account, name)
    found = _find(doc, n)
    ident = (old["SubscriptionType"], old["Address"])
    match = [x for x in found["Subscribers"] if (x["SubscriptionType"], x["Address"]) == ident]
    if not match:
        raise not_found(f"Unable to find subscriber {old['Address']} for this notification.")
    if (new["SubscriptionType"], new["Address"]) != ident and any(
            (x["SubscriptionType"], x["Address"]) == (new["SubscriptionType"], new["Address"]) for x in found["Subscribers"]):
        raise AwsError.modeled("budgets", "DuplicateRecordException", f"The subscriber {new['Address']} already exists for this notification.")
    rest = [x for x in found["Subscribers"] if x is not match[0]]
    check_subscribers([*rest, dict(new)])
    found["Subscribers"] = [dict(new) if x is match[0] else x for x in found["Subscribers"]]
    txn.put(BUDGETS, key(account, name), doc)
