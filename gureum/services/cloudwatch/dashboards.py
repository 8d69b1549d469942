"""CloudWatch dashboards. Table `cloudwatch_dashboards`: "{account}/{name}" -> {"DashboardName",
"DashboardArn", "DashboardBody", "LastModified", "Size"}. Dashboards are global per account (their
ARN has no Region). A body is validated as AWS does before it is stored: a JSON object whose
"widgets" is a list of objects, each with a known "type" and a "properties" object, and
numeric x/y/width/height within the 24-column grid."""

from __future__ import annotations

import json
import re
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.store import Txn

DASHBOARDS = "cloudwatch_dashboards"
MAX_BODY = 1024 * 1024  # characters
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
WIDGET_TYPES = ("metric", "text", "log", "alarm", "explorer", "custom")


def key(account: str, name: str) -> str:
    return f"{account}/{name}"


def _invalid(messages: list[dict[str, str]]) -> AwsError:
    return AwsError.modeled("cloudwatch", "DashboardInvalidInputError",
                            "The input for the dashboard is invalid. See DashboardValidationMessages for details.",
                            dashboardValidationMessages=messages)


def validate_body(body: str) -> list[dict[str, str]]:
    """AWS's validation messages for a dashboard body (empty when it is valid)."""
    try:
        doc = json.loads(body)
    except ValueError:
        return [{"DataPath": "", "Message": "Should be an object"}]
    if not isinstance(doc, dict):
        return [{"DataPath": "", "Message": "Should be an object"}]
    out: list[dict[str, str]] = []
    widgets = doc.get("widgets")
    if widgets is None:
        return [{"DataPath": "", "Message": "Should have required property 'widgets'"}]
    if not isinstance(widgets, list):
        return [{"DataPath": "/widgets", "Message": "Should be array"}]
    for i, w in enumerate(widgets):
        path = f"/widgets/{i}"
        if not isinstance(w, dict):
            out.append({"DataPath": path, "Message": "Should be object"})
            continue
        if "type" not in w:
            out.append({"DataPath": path, "Message": "Should have required property 'type'"})
        elif w["type"] not in WIDGET_TYPES:
            out.append({"DataPath": f"{path}/type", "Message": "Should be equal to one of the allowed values"})
        if "properties" not in w:
            out.append({"DataPath": path, "Message": "Should have required property 'properties'"})
        elif not isinstance(w["properties"], dict):
            out.append({"DataPath": f"{path}/properties", "Message": "Should be object"})
        for field, lo, hi in (("x", 0, 23), ("y", 0, None), ("width", 1, 24), ("height", 1, 1000)):
            if field in w:
                v = w[field]
                if not isinstance(v, int) or isinstance(v, bool):
                    out.append({"DataPath": f"{path}/{field}", "Message": "Should be integer"})
                elif v < lo:
                    out.append({"DataPath": f"{path}/{field}", "Message": f"Should be greater than or equal to {lo}"})
                elif hi is not None and v > hi:
                    out.append({"DataPath": f"{path}/{field}", "Message": f"Should be less than or equal to {hi}"})
    return out


def put(txn: Txn, account: str, name: str, body: str, now: float) -> None:
    if not _NAME.match(name):
        raise AwsError.modeled("cloudwatch", "DashboardInvalidInputError",
                               "The value for field DashboardName contains invalid characters. "
                               "It can only contain alphanumerics, dash (-) and underscore (_).\n")
    if len(body) > MAX_BODY:
        raise _invalid([{"DataPath": "", "Message": "Dashboard body is too large"}])
    messages = validate_body(body)
    if messages:
        raise _invalid(messages)
    txn.put(DASHBOARDS, key(account, name), {"DashboardName": name, "DashboardArn": arns.cloudwatch_dashboard(account, name),
                                             "DashboardBody": body, "LastModified": now, "Size": len(body.encode())})


def get(txn: Txn, account: str, name: str) -> dict[str, Any]:
    doc = txn.get(DASHBOARDS, key(account, name))
    if doc is None:
        raise AwsError.modeled("cloudwatch", "DashboardNotFoundError", "Dashboard " + name + " does not exist")
    return doc


def delete(txn: Txn, account: str, names: list[str]) -> None:
    missing = [n for n in names if txn.get(DASHBOARDS, key(account, n)) is None]
    if missing:
        raise AwsError.modeled("cloudwatch", "DashboardNotFoundError", "Dashboard " + missing[0] + " does not exist")
    for n in names:
        txn.delete(DASHBOARDS, key(account, n))


def listing(txn: Txn, account: str, prefix: str | None, token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    rows, nxt = paging.page(txn, DASHBOARDS, f"{account}/{prefix or ''}", token=token, limit=None, default_limit=1000,
                            filters={"DashboardNamePrefix": prefix},
                            error=lambda: AwsError.modeled("cloudwatch", "InvalidNextToken", "The specified NextToken is not valid."))
    return [d for _, d in rows], nxt
