"""Lex V2 runtime handlers: RecognizeText (dialog.py's turn, code hooks through Lambda's
port), PutSession / GetSession / DeleteSession. PutSession answers in headers as AWS does:
each JSON value gzip-compressed and base64-encoded. RecognizeUtterance and
StartConversation (audio) are not built and answer 501."""

from __future__ import annotations

import base64
import gzip
import json
import time
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.ports import FUNCTIONS, port
from gureum.services.lexv2 import dialog, sessions


def _packed(value: Any) -> str:
    return base64.b64encode(gzip.compress(json.dumps(value).encode())).decode()


def _key(ctx: RequestContext, p: dict[str, Any]) -> str:
    return sessions.key(ctx.account_id, ctx.region, p["botId"], p["botAliasId"], p["localeId"], p["sessionId"])


def _hook(ctx: RequestContext, function: str | None) -> dialog.Hook | None:
    if not function:
        return None
    functions = port(ctx.app, FUNCTIONS)

    async def call(event: dict[str, Any]) -> dict[str, Any]:
        try:
            payload, error = await functions.invoke(function, json.dumps(event).encode())
        except AwsError as err:
            raise AwsError.modeled("lexv2-runtime", "DependencyFailedException",
                                   f"Invalid Lambda Response: {err.code}: {err.message}") from None
        if error:
            raise AwsError.modeled("lexv2-runtime", "DependencyFailedException",
                                   f"Invalid Lambda Response: Received error response from Lambda: {error}")
        try:
            answer = json.loads(payload or b"null")
        except ValueError:
            raise AwsError.modeled("lexv2-runtime", "DependencyFailedException",
                                   "Invalid Lambda Response: the response is not JSON") from None
        return answer if isinstance(answer, dict) else {"sessionState": None}

    return call


@operation("lexv2-runtime", "RecognizeText")
async def recognize_text(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    k = _key(ctx, params)
    target = await ctx.app.store.read(lambda t: sessions.target(t, ctx.account_id, ctx.region, params["botId"],
                                                                params["botAliasId"], params["localeId"]))
    session = await ctx.app.store.read(lambda t: sessions.get(t, k, now)) or {}
    turn = dialog.Turn(target.snapshot, target.bot, params["sessionId"], session, params["text"],
                       dict(params.get("requestAttributes") or {}), _hook(ctx, target.function), ctx.request_id,
                       session_state=params.get("sessionState"))
    result = await turn.run()
    doc = {"sessionState": result["sessionState"], "messages": result.get("messages") or [],
           "interpretations": result["interpretations"], "requestAttributes": result.get("requestAttributes") or {},
           "retries": turn.retries, "expires": time.time() + target.ttl}
    await ctx.app.store.run(lambda t: sessions.put(t, k, doc))
    return result


@operation("lexv2-runtime", "PutSession")
async def put_session(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    k = _key(ctx, params)
    target = await ctx.app.store.read(lambda t: sessions.target(t, ctx.account_id, ctx.region, params["botId"],
                                                                params["botAliasId"], params["localeId"]))
    state = dict(params["sessionState"])
    intent = state.get("intent")
    if intent is not None:
        state["intent"] = {"slots": {}, "state": "InProgress", "confirmationState": "None", **intent}
    state.setdefault("sessionAttributes", {})
    state["originatingRequestId"] = ctx.request_id
    messages = list(params.get("messages") or [])
    doc = {"sessionState": state, "messages": messages, "interpretations": [],
           "requestAttributes": dict(params.get("requestAttributes") or {}), "retries": 0, "expires": now + target.ttl}
    await ctx.app.store.run(lambda t: sessions.put(t, k, doc))
    out: dict[str, Any] = {"contentType": "application/json", "sessionState": _packed(state), "sessionId": params["sessionId"],
                           "audioStream": b""}
    if messages:
        out["messages"] = _packed(messages)
    if params.get("requestAttributes"):
        out["requestAttributes"] = _packed(params["requestAttributes"])
    return out


@operation("lexv2-runtime", "GetSession")
async def get_session(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    k = _key(ctx, params)
    doc = await ctx.app.store.read(lambda t: sessions.get(t, k, now))
    if doc is None:
        raise AwsError.modeled("lexv2-runtime", "ResourceNotFoundException", f"Session {params['sessionId']} was not found.")
    out: dict[str, Any] = {"sessionId": params["sessionId"], "sessionState": doc["sessionState"],
                           "interpretations": doc.get("interpretations") or []}
    if doc.get("messages"):
        out["messages"] = doc["messages"]
    return out


@operation("lexv2-runtime", "DeleteSession")
async def delete_session(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    k = _key(ctx, params)
    if not await ctx.app.store.run(lambda t: sessions.delete(t, k, now)):
        raise AwsError.modeled("lexv2-runtime", "ResourceNotFoundException", f"Session {params['sessionId']} was not found.")
    return {key: params[key] for key in ("botId", "botAliasId", "localeId", "sessionId")}
