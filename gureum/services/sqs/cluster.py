"""The cluster-wide message index: SQS's message state kept in the store itself, used when
the store is shared by several nodes (PostgreSQL). The store decides: `Store.shared`; with
SQLite the engine keeps its in-memory index (engine.py), the single-node fast path.

Tables, besides engine.py's `sqs_messages` (`<queue key>/<seq:020d>` -> the message) and
`sqs_dedup`:

- `sqs_ready` `<queue key>/<seq:020d>` -> {"s": sent ms, "g"?: group}: messages visible now,
  in send order.
- `sqs_timers` `<queue key>/<visible ms:015d>/<seq:020d>` -> {"s", "g"?, "f"?: 1 once
  received}: messages invisible until that time (delayed, or in flight).
- `sqs_groups` `<queue key>/<group id>` -> {"<seq>": visible ms}: a FIFO group's received
  messages; the group is held (no other of its messages is handed out) while any of those
  times is in the future.

Invariant: every message row has exactly one row in `sqs_ready` or in `sqs_timers` (at its
document's "vis"). Counters: `sqs.seq/<queue key>` numbers a queue's messages, `sqs.fifo`
FIFO SequenceNumbers.

Every operation is one store transaction that reads, checks and writes: the store serialises
write transactions across every node sharing it (postgres.py's transaction-scoped advisory
lock), so a claim is a conditional update: a message is handed to one receiver at a time
cluster-wide, a FIFO group to one receiver at a time, a deduplication id is seen by every
node, receive counts (for redrive) are counted cluster-wide. A receipt handle names the
message's row, so any node can delete it or change its visibility. State a node holds dies
with it: an in-flight message of a killed node is visible again at its stored deadline.
Deadlines are wall-clock milliseconds of the node that set them, compared with the clock of
the node reading them: the nodes' clocks must agree (NTP) to well within a visibility timeout.

Upgrade: messages a gureum stored while its index was in memory have no index rows; a node
starting on a shared store gives them rows (and seqs from the counter) once (`reindex_txn`).
Receipt handles made before handles named their row (three fields) name no row here.

Change log: `sqs.ready` {"q": queue key} is published when messages may have become
receivable (a send, a visibility set to 0, a FIFO group released); every node follows it
(engine.py) to wake its long polls.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from gureum.services.sqs.model import (
    DEDUP,
    DEDUP_WINDOW_MS,
    MESSAGES,
    QUEUES,
    Message,
    group_major,
)
from gureum.store.base import Txn

READY = "sqs_ready"
TIMERS = "sqs_timers"
GROUPS = "sqs_groups"
TOPIC = "sqs.ready"
FIFO_COUNTER = "sqs.fifo"
FIFO_BASE = 18_000_000_000_000_000_000
SCAN = 100  # FIFO: messages of open groups looked at per receive (the groups found among them)
PROMOTE = 1000  # timers moved to ready per transaction


def seq_counter(qkey: str) -> str:
    return f"sqs.seq/{qkey}"


def msg_key(qkey: str, seq: int) -> str:
    return f"{qkey}/{seq:020d}"


def timer_key(qkey: str, vis: int, seq: int) -> str:
    return f"{qkey}/{vis:015d}/{seq:020d}"


def _marker(doc: dict[str, Any]) -> dict[str, Any]:
    mk: dict[str, Any] = {"s": doc["sent"]}
    if doc.get("g") is not None:
        mk["g"] = doc["g"]
    if doc.get("rc"):
        mk["f"] = 1
    return mk


def place(t: Txn, qkey: str, seq: int, doc: dict[str, Any], now: int) -> None:
    """Index a message at its visibility time: ready now, or a timer."""
    if doc["vis"] <= now:
        t.put(READY, msg_key(qkey, seq), _marker(doc))
    else:
        t.put(TIMERS, timer_key(qkey, doc["vis"], seq), _marker(doc))


def unplace(t: Txn, qkey: str, seq: int, doc: dict[str, Any], now: int) -> None:
    """Drop a message's index row. A deadline still ahead has never been promoted: its row is
    the timer alone; one that has passed may be either."""
    if doc["vis"] <= now:
        t.delete(READY, msg_key(qkey, seq))
    t.delete(TIMERS, timer_key(qkey, doc["vis"], seq))


def _promote(t: Txn, qkey: str, now: int) -> None:
    """Move the timers that have run out to the ready rows."""
    rows = t.scan(TIMERS, qkey + "/", end=f"{qkey}/{now + 1:015d}", limit=PROMOTE)
    for key, mk in rows:
        seq = int(key.rsplit("/", 1)[1])
        t.delete(TIMERS, key)
        t.put(READY, msg_key(qkey, seq), mk)


def _ready(t: Txn, qkey: str, page: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """A queue's ready rows in send order, read `page` at a time as the caller goes on."""
    start: str | None = None
    while True:
        rows = t.scan(READY, qkey + "/", start=start, limit=page)
        for key, mk in rows:
            yield int(key.rsplit("/", 1)[1]), mk
        if len(rows) < page:
            return
        start = rows[-1][0] + "\x00"  # after it (the form Store.iter_scan uses)


def _next_timer(t: Txn, qkey: str) -> int | None:
    rows = t.scan(TIMERS, qkey + "/", limit=1)
    return int(rows[0][0].rsplit("/", 2)[1]) if rows else None


def _group_key(qkey: str, group: str) -> str:
    return f"{qkey}/{group}"


def _release(t: Txn, qkey: str, group: str | None, seq: int) -> None:
    """Forget a message's hold on its FIFO group."""
    if group is None:
        return
    gk = _group_key(qkey, group)
    held = t.get(GROUPS, gk)
    if held is None or str(seq) not in held:
        return
    del held[str(seq)]
    if held:
        t.put(GROUPS, gk, held)
    else:
        t.delete(GROUPS, gk)


# -- index rows for messages stored by a node whose index was in memory ----------------


def unindexed(t: Txn, qkeys: list[str]) -> list[str]:
    """The queues with messages but no index rows (never the case for messages sent here:
    they were stored by a gureum that kept its index in memory)."""
    return [qk for qk in qkeys if t.scan(MESSAGES, qk + "/", limit=1)
            and not t.scan(READY, qk + "/", limit=1) and not t.scan(TIMERS, qk + "/", limit=1)]


def reindex_txn(t: Txn, qkey: str, now: int) -> int:
    """Give a queue's unindexed messages their index rows (and seqs from the queue's counter,
    in their order: old and new keys may overlap, so every old row goes before any new one
    is written); returns how many. Nothing when another node did it first."""
    if not unindexed(t, [qkey]):
        return 0
    rows = t.scan(MESSAGES, qkey + "/")
    t.delete_prefix(MESSAGES, qkey + "/")
    holds: dict[str, dict[str, int]] = {}
    for _, doc in rows:
        doc["seq"] = seq = t.next_id(seq_counter(qkey))
        t.put(MESSAGES, msg_key(qkey, seq), doc)
        place(t, qkey, seq, doc, now)
        if qkey.endswith(".fifo") and doc.get("g") is not None and doc.get("rc") and doc["vis"] > now:
            holds.setdefault(doc["g"], {})[str(seq)] = doc["vis"]
    for group, held in holds.items():
        t.put(GROUPS, _group_key(qkey, group), held)
    return len(rows)


# -- sending -----------------------------------------------------------------------------


@dataclass
class SendPlan:
    qkey: str
    fifo: bool
    msgs: list[Message]
    dedup_keys: dict[int, str]  # index in msgs -> sqs_dedup key
    now: int


def send_txn(t: Txn, plan: SendPlan) -> list[Message] | None:
    """Store the messages (None: the queue is gone). A FIFO duplicate inside the window is
    not stored; the original's id and sequence number come back in its place (seq -1)."""
    qkey, now = plan.qkey, plan.now
    if t.get(QUEUES, qkey) is None:
        return None
    out: list[Message] = []
    for i, m in enumerate(plan.msgs):
        dkey = plan.dedup_keys.get(i)
        if dkey is not None:
            prev = t.get(DEDUP, dkey)
            if prev is not None and prev["exp"] > now:
                out.append(Message(
                    id=prev["id"], seq=-1, body=m.body, attrs=m.attrs, sys_attrs=m.sys_attrs,
                    md5_body=m.md5_body, md5_attrs=m.md5_attrs, md5_sys=m.md5_sys, sent_ms=now,
                    visible_ms=0, sender=m.sender, seqnum=prev.get("sn")))
                continue
        m.seq = t.next_id(seq_counter(qkey))
        if plan.fifo:
            m.seqnum = str(FIFO_BASE + t.next_id(FIFO_COUNTER))
        if dkey is not None:
            t.put(DEDUP, dkey, {"id": m.id, "exp": now + DEDUP_WINDOW_MS, "sn": m.seqnum})
        doc = m.doc()
        t.put(MESSAGES, msg_key(qkey, m.seq), doc)
        place(t, qkey, m.seq, doc, now)
        out.append(m)
    t.publish(TOPIC, {"q": qkey, "vis": min((m.visible_ms for m in out if m.seq >= 0), default=now)})
    return out


# -- receiving ---------------------------------------------------------------------------


@dataclass
class TakePlan:
    qkey: str
    arn: str
    fifo: bool
    max_messages: int
    visibility_ms: int
    retention_ms: int
    now: int
    max_receives: int | None = None  # redrive: maxReceiveCount
    dlq_key: str | None = None
    dlq_fifo: bool = False


@dataclass
class Taken:
    messages: list[Message] = field(default_factory=list)
    next_timer: int | None = None  # the earliest visibility deadline still ahead
    dlq_woken: bool = False


def take_txn(t: Txn, plan: TakePlan) -> Taken:
    """Claim up to max_messages visible messages (the receive), dropping those past retention
    and moving those received maxReceiveCount times to the dead-letter queue on the way."""
    qkey, now = plan.qkey, plan.now
    _promote(t, qkey, now)
    out = Taken()
    # FIFO: every group of the queue with messages received (one scan), the open ones' rows
    # changed here and written back at the end
    groups = {k[len(qkey) + 1:]: v for k, v in t.scan(GROUPS, qkey + "/")} if plan.fifo else {}
    held: dict[str, dict[str, int]] = {}
    touched: set[str] = set()

    def open_group(group: str) -> bool:
        if group not in held:
            inflight = groups.get(group, {})
            if any(v > now for v in inflight.values()):
                return False
            held[group] = inflight
        return True

    items: Iterable[tuple[int, str | None, dict[str, Any]]]
    if plan.fifo:  # up to SCAN messages of open groups (held groups' never starve the others)
        eligible = []
        for seq, mk in _ready(t, qkey, SCAN + 1):
            if mk.get("g") is None or open_group(mk["g"]):
                eligible.append((seq, mk.get("g"), mk))
                if len(eligible) >= SCAN:
                    break
        items = group_major(eligible)
    else:
        items = ((seq, mk.get("g"), mk) for seq, mk in _ready(t, qkey, max(20, 2 * plan.max_messages)))
    dlq_exists: bool | None = None
    for seq, group, mk in items:
        if len(out.messages) >= plan.max_messages:
            break
        key = msg_key(qkey, seq)
        if mk["s"] + plan.retention_ms <= now:
            t.delete(MESSAGES, key)
            t.delete(READY, key)
            if group is not None and held.get(group, {}).pop(str(seq), None) is not None:
                touched.add(group)
            continue
        doc = t.get(MESSAGES, key)
        if doc is None:  # not expected (the invariant), but never hand out a ghost
            t.delete(READY, key)
            continue
        if plan.max_receives is not None and plan.dlq_key is not None and doc.get("rc", 0) >= plan.max_receives:
            if dlq_exists is None:
                dlq_exists = t.get(QUEUES, plan.dlq_key) is not None
        if dlq_exists and plan.dlq_key is not None and doc.get("rc", 0) >= (plan.max_receives or 0):
            t.delete(MESSAGES, key)
            t.delete(READY, key)
            if group is not None and held.get(group, {}).pop(str(seq), None) is not None:
                touched.add(group)
            moved = Message.from_doc(doc)
            moved.seq = t.next_id(seq_counter(plan.dlq_key))
            moved.visible_ms = now
            moved.dlq_source = plan.arn
            moved.group = moved.group if plan.dlq_fifo else None
            mdoc = moved.doc()
            t.put(MESSAGES, msg_key(plan.dlq_key, moved.seq), mdoc)
            place(t, plan.dlq_key, moved.seq, mdoc, now)
            out.dlq_woken = True
            continue
        msg = Message.from_doc(doc)
        msg.receive_count += 1
        if not msg.first_receive_ms:
            msg.first_receive_ms = now
        msg.receipt = secrets.token_hex(8)
        msg.visible_ms = now + plan.visibility_ms
        ndoc = msg.doc()
        t.put(MESSAGES, key, ndoc)
        t.delete(READY, key)
        place(t, qkey, seq, ndoc, now)
        if plan.fifo and group is not None:
            held[group][str(seq)] = msg.visible_ms
            touched.add(group)
        out.messages.append(msg)
    for group in touched:
        live = {k: v for k, v in held[group].items() if v > now}
        if live:
            t.put(GROUPS, _group_key(qkey, group), live)
        else:
            t.delete(GROUPS, _group_key(qkey, group))
    if out.dlq_woken and plan.dlq_key is not None:
        t.publish(TOPIC, {"q": plan.dlq_key, "vis": now})
    out.next_timer = _next_timer(t, qkey)
    return out


def peek_txn(t: Txn, qkey: str, now: int) -> tuple[bool, int | None]:
    """(whether a receive may find a message, the earliest deadline ahead), on a read
    snapshot: an idle long poll looks here first and takes no write lock when nothing is due."""
    if t.scan(READY, qkey + "/", limit=1):
        return True, None
    vis = _next_timer(t, qkey)
    return vis is not None and vis <= now, vis


# -- acknowledging -----------------------------------------------------------------------


def delete_txn(t: Txn, qkey: str, handles: list[tuple[str, int]], now: int) -> None:
    """Delete messages by (id, seq) from their receipt handles; gone ones are ignored."""
    released = False
    for mid, seq in handles:
        key = msg_key(qkey, seq)
        doc = t.get(MESSAGES, key)
        if doc is None or doc["id"] != mid:
            continue
        t.delete(MESSAGES, key)
        unplace(t, qkey, seq, doc, now)
        if doc.get("g") is not None:
            _release(t, qkey, doc["g"], seq)
            released = True
    if released:
        t.publish(TOPIC, {"q": qkey})


NOT_INFLIGHT = "MessageNotInflight"


def visibility_txn(t: Txn, qkey: str, changes: list[tuple[str, int, int]], now: int) -> list[str | None]:
    """Set the visibility of in-flight messages, by (id, seq, seconds); per change None or
    NOT_INFLIGHT."""
    results: list[str | None] = []
    wake = False
    for mid, seq, timeout in changes:
        key = msg_key(qkey, seq)
        doc = t.get(MESSAGES, key)
        if doc is None or doc["id"] != mid or doc["vis"] <= now or not doc.get("rc"):
            results.append(NOT_INFLIGHT)
            continue
        unplace(t, qkey, seq, doc, now)
        doc["vis"] = now + timeout * 1000
        t.put(MESSAGES, key, doc)
        place(t, qkey, seq, doc, now)
        group = doc.get("g")
        if group is not None and qkey.endswith(".fifo"):  # only FIFO queues' groups are held
            gk = _group_key(qkey, group)
            held = t.get(GROUPS, gk) or {}
            held[str(seq)] = doc["vis"]
            t.put(GROUPS, gk, held)
        wake = wake or timeout == 0
        results.append(None)
    if wake:
        t.publish(TOPIC, {"q": qkey})
    return results


# -- whole queues ------------------------------------------------------------------------


def drop_messages(t: Txn, qkey: str) -> None:
    """Every message of a queue gone (purge, delete)."""
    for table in (MESSAGES, READY, TIMERS, GROUPS):
        t.delete_prefix(table, qkey + "/")


def counts_txn(t: Txn, qkey: str, retention_ms: int, now: int) -> tuple[int, int, int]:
    """(visible, in flight, delayed), as GetQueueAttributes reports them."""
    visible = inflight = delayed = 0
    oldest = now - retention_ms
    for _, mk in t.scan(READY, qkey + "/"):
        if mk["s"] > oldest:
            visible += 1
    for key, mk in t.scan(TIMERS, qkey + "/"):
        if mk["s"] <= oldest:
            continue
        if int(key.rsplit("/", 2)[1]) <= now:
            visible += 1
        elif mk.get("f"):
            inflight += 1
        else:
            delayed += 1
    return visible, inflight, delayed


def oldest_sent_txn(t: Txn, qkey: str, retention_ms: int, now: int) -> int | None:
    """The send time (ms) of the queue's oldest message still kept (visible, in flight or
    delayed; None with none): ApproximateAgeOfOldestMessage. `sqs_ready` runs in send order,
    so its first kept row is its oldest; every timer row is looked at."""
    floor = now - retention_ms
    sent = [int(mk["s"]) for _, mk in t.scan(TIMERS, qkey + "/") if mk["s"] > floor]
    start: str | None = None
    while True:
        rows = t.scan(READY, qkey + "/", start=start, limit=SCAN)
        kept = next((int(mk["s"]) for _, mk in rows if mk["s"] > floor), None)
        if kept is not None:
            sent.append(kept)
            break
        if len(rows) < SCAN:
            break
        start = rows[-1][0] + "\x00"
    return min(sent) if sent else None


def move_txn(t: Txn, qkey: str, dest_of: Callable[[Message], tuple[str, bool] | None], limit: int,
             now: int) -> list[str]:
    """Move up to `limit` visible messages to the queue `dest_of` names ((key, fifo), or None:
    leave it); returns the destination keys written to."""
    _promote(t, qkey, now)
    moved: list[str] = []
    for key, _mk in t.scan(READY, qkey + "/", limit=SCAN):
        if len(moved) >= limit:
            break
        seq = int(key.rsplit("/", 1)[1])
        doc = t.get(MESSAGES, key)
        if doc is None:
            continue
        msg = Message.from_doc(doc)
        dest = dest_of(msg)
        if dest is None or t.get(QUEUES, dest[0]) is None:
            continue
        dkey, dfifo = dest
        t.delete(MESSAGES, key)
        t.delete(READY, key)
        _release(t, qkey, msg.group, seq)
        msg.seq = t.next_id(seq_counter(dkey))
        msg.visible_ms = now
        msg.receive_count = 0
        msg.first_receive_ms = 0
        msg.receipt = ""
        msg.dlq_source = None
        msg.group = msg.group if dfifo else None
        ndoc = msg.doc()
        t.put(MESSAGES, msg_key(dkey, msg.seq), ndoc)
        place(t, dkey, msg.seq, ndoc, now)
        moved.append(dkey)
    for dkey in set(moved):
        t.publish(TOPIC, {"q": dkey})
    return moved
