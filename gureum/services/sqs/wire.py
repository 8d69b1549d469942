"""SQS's departure from the generic wire layer (gureum/aws/hooks.py): a query request sent to
a queue URL (`GET <queue url>?Action=ReceiveMessage&...`, or a form POST to it) names its queue
by the request path `/<account>/<queue name>`, as AWS reads it; a QueueUrl parameter, when
sent, wins."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from gureum.aws.hooks import GenericHooks
from gureum.http.server import Request


class SqsHooks(GenericHooks):
    def implicit_params(self, request: Request, members: Collection[str]) -> dict[str, Any] | None:
        if "QueueUrl" not in members:
            return None
        parts = [p for p in request.path.split("/") if p]
        if len(parts) != 2 or not parts[0].isdigit():
            return None
        return {"QueueUrl": request.path}


HOOKS = SqsHooks()
