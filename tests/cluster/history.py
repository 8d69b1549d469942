"""What the cluster failure suite's clients saw, and the checks run on it afterwards
(Jepsen-style: record every operation with its start and end time, judge at the end).

Times are `time.monotonic()` seconds on the client. An operation's server-side moment lies
between its `start` and `end`, so a check only calls something a violation when no ordering
of those moments could make it legal (no false alarms from client-side latency)."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Op:
    """One client call: `kind` (e.g. "sqs.send"), the node it went to, its key (message body,
    event id, query round), whether it succeeded, and what it returned that matters."""

    kind: str
    node: int
    key: str
    start: float
    end: float
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Fault:
    """A fault the nemesis injected: "kill" of `node` or "pg-restart" (node -1), at `at`;
    `healed` when the node answered its health check again (or PostgreSQL was back)."""

    kind: str
    node: int
    at: float
    healed: float


@dataclass
class History:
    ops: list[Op] = field(default_factory=list)
    t0: float = field(default_factory=time.monotonic)  # the load's start: reports count from it
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, op: Op) -> None:
        with self.lock:
            self.ops.append(op)

    def fault(self, f: Fault) -> None:
        with self.lock:
            self.faults.append(f)

    def of(self, kind: str) -> list[Op]:
        with self.lock:
            return [o for o in self.ops if o.kind == kind]


def sqs_report(history: History, visibility_timeout: float) -> dict[str, Any]:
    """Sent (acknowledged), received (distinct), deliveries, duplicates (extra deliveries of a
    body: at-least-once allows them after the visibility timeout), lost (acknowledged, never
    received), and violations: a body delivered again while a previous delivery's visibility
    timeout had certainly not run out (the later receive *ended* before the earlier one
    *started* plus the timeout)."""
    acked = {o.key for o in history.of("sqs.send") if o.ok}
    unacked = {o.key for o in history.of("sqs.send") if not o.ok} - acked
    receives = sorted((o for o in history.of("sqs.receive") if o.ok), key=lambda o: o.start)
    by_body: dict[str, list[Op]] = defaultdict(list)
    for r in receives:
        by_body[r.key].append(r)
    violations = []
    for body, rs in by_body.items():
        for earlier, later in zip(rs, rs[1:], strict=False):
            if later.end < earlier.start + visibility_timeout:
                violations.append({"body": body, "first": (earlier.node, earlier.detail), "second": (later.node, later.detail),
                                   "at": round(earlier.start - history.t0, 3), "gap": round(later.end - earlier.start, 3)})
    return {
        "sent": len(acked),
        "send_errors": len(unacked),
        "received": len(by_body),
        "deliveries": len(receives),
        "duplicates": sum(len(rs) - 1 for rs in by_body.values()),
        "lost": sorted(acked - set(by_body)),
        "lost_detail": [{"body": o.key, "node": o.node, "acked_at": round(o.end - history.t0, 3)}
                        for o in history.of("sqs.send") if o.ok and o.key not in by_body],
        "unacknowledged_but_delivered": len(unacked & set(by_body)),
        "unknown_received": sorted(set(by_body) - acked - unacked),
        "inside_visibility_violations": violations,
    }


def lambda_report(history: History, runs: Counter[str]) -> dict[str, Any]:
    """Invocations acknowledged (202), runs seen per event id (from the function's log), the
    acknowledged events never run, and duplicates (AWS promises at-least-once)."""
    acked = {o.key for o in history.of("lambda.invoke") if o.ok}
    return {
        "invoked": len(acked),
        "invoke_errors": len([o for o in history.of("lambda.invoke") if not o.ok]),
        "ran": len(set(runs) & acked),
        "runs": sum(runs[k] for k in acked),
        "duplicates": sum(runs[k] - 1 for k in acked if runs[k] > 1),
        "missing": [{"id": o.key, "node": o.node, "acked_at": round(o.end - history.t0, 3)}
                    for o in history.of("lambda.invoke") if o.ok and o.key not in runs],
    }


def dns_report(history: History) -> dict[str, Any]:
    """Query rounds (one query to every live node each): rounds answered correctly by at
    least one node, rounds no node answered, and failed queries per node."""
    rounds: dict[str, bool] = {}
    failed: Counter[int] = Counter()
    queries = history.of("dns.query")
    for q in queries:
        rounds[q.key] = rounds.get(q.key, False) or q.ok
        if not q.ok:
            failed[q.node] += 1
    return {
        "rounds": len(rounds),
        "queries": len(queries),
        "unanswered_rounds": sorted(k for k, ok in rounds.items() if not ok),
        "failed_queries_by_node": dict(sorted(failed.items())),
    }


def max_gap(history: History, kind: str) -> float:
    """The longest stretch (seconds) between two successive successful operations of `kind`:
    how long that part of the cloud was unavailable to the clients at worst."""
    ends = sorted(o.end for o in history.of(kind) if o.ok)
    return round(max((b - a for a, b in zip(ends, ends[1:], strict=False)), default=0.0), 3)


def recovery_report(history: History) -> dict[str, Any]:
    faults = sorted(history.faults, key=lambda f: f.at)
    return {
        "faults": [{"kind": f.kind, "node": f.node, "at": round(f.at - history.t0, 3), "recovered_after": round(f.healed - f.at, 3)} for f in faults],
        "max_node_recovery": round(max((f.healed - f.at for f in faults), default=0.0), 3),
        "max_unavailable": {k: max_gap(history, k) for k in ("sqs.send", "sqs.poll", "lambda.invoke", "dns.query")},
    }
