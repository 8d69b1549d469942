"""Stage access logs (accessLogSettings: a log group ARN and a format with $context
variables) written to CloudWatch Logs through the node's one log writer (app.logs: batched,
never waiting), one line per request, in stream "{api id}_{stage}"; a variable the request has no value for prints "-" as AWS prints it."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns

if TYPE_CHECKING:
    from gureum.app import App

Doc = dict[str, Any]
_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")


def line(fmt: str, context: Doc) -> str:
    def value(m: re.Match[str]) -> str:
        found: Any = context
        for key in m.group(1).split("."):
            found = found.get(key) if isinstance(found, dict) else None
        return "-" if found is None or found == "" else str(found)

    return _VARIABLE.sub(value, fmt)


def write(app: App, stage: Doc, context: Doc) -> None:
    settings = stage.get("accessLogSettings") or {}
    destination, fmt = settings.get("destinationArn"), settings.get("format")
    if not destination or not fmt:
        return
    try:
        region, account, group = arns.logs_group_parts(str(destination))
    except (arns.BadArn, ValueError):
        return
    app.logs.append(account, region, group, f"{context.get('apiId')}_{context.get('stage')}",
                    [(int(time.time() * 1000), line(str(fmt), context))])
