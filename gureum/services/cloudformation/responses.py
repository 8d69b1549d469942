"""The ResponseURL of custom resources and the URL of wait condition handles.

`PUT /_gureum/cloudformation/responses/{token}` with the JSON body a custom resource handler sends (cfn-response's shape: Status, Reason,
PhysicalResourceId, StackId, RequestId, LogicalResourceId, NoEcho, Data). The token is an
unguessable one-time key the request carried, as AWS's presigned URL is; an unknown or
already answered token gets 403 as S3 answers a stale presigned URL. The response is kept in
the store (providers/stacks.py's RESPONSES) for the waiting provider, on any node.
`PUT /_gureum/cloudformation/signals/{token}`: a wait condition handle's signal (SIGNALS)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from gureum.http.server import Request, Response
from gureum.services.cloudformation.providers.stacks import RESPONSE_PATH, RESPONSES, SIGNAL_PATH, SIGNALS
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

MAX_RESPONSE = 4096  # AWS's limit on a custom resource's response body (bytes)


def _plain(status: int, text: str) -> Response:
    return Response(status, [("content-type", "text/plain")], text.encode())


async def handle(app: App, request: Request) -> Response | None:
    if request.raw_path.startswith(SIGNAL_PATH):
        return await _signal(app, request)
    if not request.raw_path.startswith(RESPONSE_PATH):
        return None
    if request.method != "PUT":
        return _plain(405, "Method Not Allowed")
    token = request.raw_path[len(RESPONSE_PATH):].split("?", 1)[0]
    body = await request.body(MAX_RESPONSE + 1)
    if len(body) > MAX_RESPONSE:
        return _plain(400, "Response object is too long.")
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        doc = None
    if not isinstance(doc, dict):
        doc = {"Status": "FAILED", "Reason": "Invalid response object: the body is not a JSON object"}

    def txn(t: Txn) -> bool:
        waiting = t.get(RESPONSES, token)
        if waiting is None or not waiting.get("pending"):
            return False
        t.put(RESPONSES, token, {**doc, "pending": False})
        return True

    if not token or not await app.store.run(txn):
        return _plain(403, "Access Denied")
    return Response(200, [], b"")


async def _signal(app: App, request: Request) -> Response:
    """A wait condition signal ({"Status": "SUCCESS"|"FAILURE", "UniqueId", "Data", "Reason"})
    PUT to its handle's URL; a second signal with the same UniqueId replaces the first."""
    if request.method != "PUT":
        return _plain(405, "Method Not Allowed")
    token = request.raw_path[len(SIGNAL_PATH):].split("?", 1)[0]
    body = await request.body(MAX_RESPONSE + 1)
    try:
        doc = json.loads(body.decode("utf-8")) if len(body) <= MAX_RESPONSE else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        doc = None
    if not isinstance(doc, dict) or doc.get("Status") not in ("SUCCESS", "FAILURE") or not doc.get("UniqueId"):
        return _plain(400, "The signal must be a JSON object with Status (SUCCESS or FAILURE) and UniqueId")

    def txn(t: Txn) -> bool:
        row = t.get(SIGNALS, token)
        if row is None:
            return False
        signals = dict(row.get("signals") or {})
        signals[str(doc["UniqueId"])] = {k: str(doc.get(k, "")) for k in ("Status", "Reason", "Data")}
        t.put(SIGNALS, token, {"signals": signals})
        return True

    if not token or not await app.store.run(txn):
        return _plain(403, "Access Denied")
    return Response(200, [], b"")
