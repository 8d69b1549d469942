"""StartLiveTail: a session that streams the log events ingested after it started, as AWS's
event stream (gureum/aws/eventstream.py): an `initial-response`, a `sessionStart` echoing
the request, then a `sessionUpdate` about once a second with the new events (at most 500 a
time; more than that in one update is marked `sampled`, the rest dropped, as AWS samples),
until the client closes the stream or `live_tail_max_seconds` (AWS: 3 hours) pass, which
ends it with a `SessionTimeoutException` event.

New events are found by each stream's sequence number (model.py gives every event key a
`.<seq>` suffix and keeps the stream's last `seq`): `Session.mark` notes where each stream
was, `Session.poll` reads what came after, newest 10,000 keys of a changed stream at most
(an event back-dated behind those is not tailed). Nothing is written: a session is this
node's, and ends with its connection; a node holds at most MAX_SESSIONS open sessions per
account and Region (`Sessions`; LimitExceededException past AWS's quota).
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws import eventstream
from gureum.aws.errors import AwsError
from gureum.services.logs import model
from gureum.services.logs.patterns import PatternError, compile_pattern
from gureum.services.logs.settings import LogsSettings
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

MAX_GROUPS = 10
MAX_SESSIONS = 15  # AWS's quota of concurrent Live Tail sessions per account and Region
MAX_PER_UPDATE = 500
SCAN_BACK = 10000
INTERVAL = 1.0


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("logs", "InvalidParameterException", message)


@dataclass(eq=False)
class Session:
    account: str
    region: str
    groups: list[tuple[str, str]]  # (identifier as given, group name)
    names: list[str]
    prefixes: list[str]
    pattern: str
    match: Callable[[str], bool]
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    seen: dict[str, int] = field(default_factory=dict)  # stream key -> last seq sent

    def _streams(self, txn: Txn) -> list[tuple[str, str, dict[str, Any]]]:
        out = []
        for ident, g in self.groups:
            for skey, s in txn.scan(model.STREAMS, model.group_key(self.account, self.region, g) + model.SEP):
                name = s["logStreamName"]
                if self.names and name not in self.names:
                    continue
                if self.prefixes and not any(name.startswith(p) for p in self.prefixes):
                    continue
                out.append((ident, skey, s))
        return out

    def mark(self, txn: Txn) -> None:
        """Remember where every stream is: only events after this are tailed."""
        for g in self.groups:
            if txn.get(model.GROUPS, model.group_key(self.account, self.region, g[1])) is None:
                raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified log group does not exist.")
        for _, skey, s in self._streams(txn):
            self.seen[skey] = int(s.get("seq", 0))

    def poll(self, txn: Txn) -> list[dict[str, Any]]:
        """The matching events ingested since the last poll, oldest first."""
        found: list[dict[str, Any]] = []
        for ident, skey, s in self._streams(txn):
            last, now = self.seen.get(skey, 0), int(s.get("seq", 0))
            if now <= last:
                continue
            self.seen[skey] = now
            for ekey, ev in txn.scan(model.EVENTS, skey + model.SEP, limit=SCAN_BACK, reverse=True):
                if int(ekey.rsplit(".", 1)[1]) <= last or not self.match(ev["m"]):
                    continue
                found.append({"logStreamName": s["logStreamName"], "logGroupIdentifier": ident, "message": ev["m"],
                              "timestamp": ev["t"], "ingestionTime": ev["i"]})
        found.sort(key=lambda e: (e["ingestionTime"], e["timestamp"]))
        return found


class Sessions:
    """This node's open sessions per account and Region (a session is forgotten when its
    stream ends or, if the client went away, when its stream is collected)."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, str], weakref.WeakSet[Session]] = {}

    def admit(self, session: Session) -> None:
        live = self._open.setdefault((session.account, session.region), weakref.WeakSet())
        if len(live) >= MAX_SESSIONS:
            raise AwsError.modeled("logs", "LimitExceededException",
                                   f"You have reached the maximum number of concurrent Live Tail sessions ({MAX_SESSIONS}).")
        live.add(session)

    def end(self, session: Session) -> None:
        self._open.get((session.account, session.region), weakref.WeakSet()).discard(session)


def open_session(account: str, region: str, params: dict[str, Any]) -> Session:
    """A session for StartLiveTail's parameters, or AWS's InvalidParameterException."""
    idents = list(params["logGroupIdentifiers"])
    if len(idents) > MAX_GROUPS:
        raise _invalid(f"logGroupIdentifiers can contain at most {MAX_GROUPS} log groups.")
    names, prefixes = list(params.get("logStreamNames") or []), list(params.get("logStreamNamePrefixes") or [])
    if names and prefixes:
        raise _invalid("logStreamNames and logStreamNamePrefixes are mutually exclusive.")
    if (names or prefixes) and len(idents) != 1:
        raise _invalid("logStreamNames and logStreamNamePrefixes can be specified only with exactly one log group.")
    groups = []
    for ident in idents:
        name = ident
        if arns.looks_like_arn(ident):
            if ident.endswith("*"):
                raise _invalid(f"Log group ARN {ident} must not end with *.")
            try:
                region_, account_, name = arns.logs_group_parts(ident)
            except arns.BadArn:
                raise _invalid(f"Invalid log group identifier: {ident}") from None
            if account_ != account or region_ != region:
                raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified log group does not exist.")
        groups.append((ident, name))
    pattern = params.get("logEventFilterPattern") or ""
    try:
        match = compile_pattern(pattern)
    except (PatternError, ValueError):
        raise _invalid("Invalid filter pattern") from None
    return Session(account, region, groups, names, prefixes, pattern, match)


def session_start(session: Session, request_id: str, params: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"requestId": request_id, "sessionId": session.session_id,
                           "logGroupIdentifiers": [i for i, _ in session.groups]}
    if session.names:
        doc["logStreamNames"] = session.names
    if session.prefixes:
        doc["logStreamNamePrefixes"] = session.prefixes
    if session.pattern:
        doc["logEventFilterPattern"] = session.pattern
    return doc


async def stream(app: App, sessions: Sessions, session: Session, start: dict[str, Any]) -> AsyncIterator[bytes]:
    """The response body: the event stream of one (admitted) session."""
    limit = app.settings(LogsSettings).live_tail_max_seconds
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    try:
        yield eventstream.event("initial-response", {})
        yield eventstream.event("sessionStart", start)
        while True:
            await asyncio.sleep(max(0.0, min(INTERVAL, deadline - loop.time())))
            if loop.time() >= deadline:
                yield eventstream.exception("SessionTimeoutException",
                                            f"Live Tail session has ended as it reached its maximum duration of {limit:g} seconds.")
                return
            events = await app.store.read(session.poll)
            yield eventstream.event("sessionUpdate", {"sessionMetadata": {"sampled": len(events) > MAX_PER_UPDATE},
                                                      "sessionResults": events[:MAX_PER_UPDATE]})
    finally:
        sessions.end(session)
