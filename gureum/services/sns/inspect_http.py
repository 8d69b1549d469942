"""gureum's own SNS endpoints for what a real device would see (outbox.py, sms.py):
- `GET /_gureum/sns/messages[?account=&region=&kind=push|sms&target=]`: the recorded push
  notifications and text messages, oldest first, as {"messages": [...]} (a sandbox number's
  one-time password is in its text message);
- `DELETE /_gureum/sns/messages[?account=]`: forget them;
- `POST /_gureum/sns/sms-replies` with {"AccountId"?, "Region"?, "PhoneNumber", "Message"}: a
  handset's reply to the account's messages; an opt-out keyword (STOP...) opts the number out
  (default account 000000000000, region us-east-1).
In strict auth mode (a shared cloud) these answer only a request signed with an operator's
root key, as /_gureum/status does. Every other path under /_gureum/sns/ is the signing
certificate's (signing.py)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from gureum.http.server import BodyTooLarge, Request, Response
from gureum.services.sns import outbox, signing, sms

if TYPE_CHECKING:
    from gureum.app import App

MESSAGES = "/_gureum/sns/messages"
REPLIES = "/_gureum/sns/sms-replies"
MAX_BODY = 1 << 16


def _json(status: int, doc: Any) -> Response:
    return Response(status, [("content-type", "application/json")], json.dumps(doc, indent=1).encode())


async def handle(app: App, request: Request) -> Response:
    """Everything under /_gureum/sns/: these endpoints, else the signing certificate."""
    path = request.path.rstrip("/")
    if path not in (MESSAGES, REPLIES):
        return await signing.handle(app, request)
    if app.is_agent:  # agents keep no SNS state
        return _json(404, {"error": "NotFound", "message": f"no gureum endpoint {request.path}"})
    if app.config.auth == "strict":
        from gureum import internal
        from gureum.aws.errors import AwsError

        try:
            await internal._check_operator(app, request, "read SNS's recorded messages")
        except AwsError as err:
            return _json(err.status, {"error": err.code, "message": err.message})
        except BodyTooLarge:
            return _json(413, {"error": "RequestEntityTooLarge", "message": "request body too large"})
    query = request.query_dict()
    if path == MESSAGES and request.method == "GET":
        account, region, kind, target = (query.get(k) for k in ("account", "region", "kind", "target"))
        found = await app.store.read(lambda t: outbox.messages(t, account, region, kind))
        if target:
            found = [m for m in found if target in (m.get("TargetArn"), m.get("PhoneNumber"))]
        return _json(200, {"messages": found})
    if path == MESSAGES and request.method == "DELETE":
        gone = await app.store.run(lambda t: outbox.clear(t, query.get("account")))
        return _json(200, {"deleted": gone})
    if path == REPLIES and request.method == "POST":
        try:
            doc = json.loads(await request.body(MAX_BODY) or b"{}")
        except (ValueError, BodyTooLarge):
            doc = None
        if not isinstance(doc, dict) or not isinstance(doc.get("PhoneNumber"), str) or not isinstance(doc.get("Message"), str):
            return _json(400, {"error": "InvalidParameter", "message": "send {\"PhoneNumber\": \"+1...\", \"Message\": \"STOP\"}"})
        account = str(doc.get("AccountId") or "000000000000")
        region = str(doc.get("Region") or "us-east-1")
        number = doc["PhoneNumber"]

        def txn(t: Any) -> bool:
            return sms.reply(t, account, region, sms.check_number(number), doc["Message"], time.time())

        from gureum.aws.errors import AwsError

        try:
            opted_out = await app.store.run(txn)
        except AwsError as err:
            return _json(400, {"error": err.code, "message": err.message})
        return _json(200, {"optedOut": opted_out})
    return _json(404, {"error": "NotFound", "message": f"no gureum endpoint {request.path}"})
