"""StartLiveTail's handler: checks the request, notes where each stream is, and answers
with the session's event stream (live_tail.py) as the response body."""

from __future__ import annotations

from typing import Any

from gureum.aws import eventstream
from gureum.aws.dispatch import RequestContext, operation
from gureum.http.server import Response
from gureum.services.logs import live_tail
from gureum.services.logs.slots import LIVE_TAILS


@operation("logs", "StartLiveTail")
async def start_live_tail(ctx: RequestContext, params: dict[str, Any]) -> Response:
    session = live_tail.open_session(ctx.account_id, ctx.region, params)
    await ctx.app.store.read(session.mark)
    sessions = ctx.app.parts.lazy(LIVE_TAILS, live_tail.Sessions)
    sessions.admit(session)
    start = live_tail.session_start(session, ctx.request_id, params)
    return Response(200, [("content-type", eventstream.CONTENT_TYPE), ("x-amzn-requestid", ctx.request_id)],
                    live_tail.stream(ctx.app, sessions, session, start))
