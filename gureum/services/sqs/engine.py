"""The queue engine: every queue's messages indexed in memory (ready heap by sequence,
timer heap by visibility time), every change written through to the store before it is
acknowledged. Loaded from the store on first use, so an acknowledged send survives kill -9
and an in-flight message becomes visible again at its stored visibility deadline.

Tables: `sqs_queues`, `sqs_messages` and `sqs_dedup` (their layout in model.py).

The in-memory index is the single-node fast path: it is used when the store is not shared
(SQLite), where this node is the only one handing messages out. When the store is shared by
several nodes (PostgreSQL, `Store.shared`), the message index lives in the store instead
(cluster.py): every receive, delete and visibility change is one store transaction, so a
message is handed to one consumer at a time cluster-wide. Queue definitions are cached on
every node in both modes; a change is published as `sqs.queue` {"k": queue key} and other
nodes re-read the queue (following the change log every `sqs.follow_interval`, or at once
when a request names a queue they do not know).

Receipt handles are `base64(<queue key> NUL <message id> NUL <nonce> NUL <seq>)`.

FIFO receives hand messages out as AWS does: groups in the order of their oldest available
message, as many messages of one group (in sequence order) as possible before the next.
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import functools
import hashlib
import heapq
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.sqs import attributes as qattrs
from gureum.services.sqs import checksums, cluster
from gureum.services.sqs.model import DEDUP, DEDUP_WINDOW_MS, MESSAGES, QUEUES, Message, group_major

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store.base import Event, Txn
    from gureum.store.follow import ChangeFollower

PURGE_INTERVAL_MS = 60_000
QUEUE_TOPIC = "sqs.queue"  # {"k": queue key}: a queue was created, changed or deleted
SHARED_RECHECK = 1.0  # seconds a long poll waits before it looks at a shared store again
FIFO_SCAN = 100  # messages of open groups looked at per FIFO receive (the groups found among them)


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Queue:
    account: str
    region: str
    name: str
    attrs: dict[str, str]
    tags: dict[str, str]
    created: int
    modified: int
    fifo: bool
    last_purge_ms: int = 0
    messages: dict[str, Message] = field(default_factory=dict)
    ready: list[tuple[int, str]] = field(default_factory=list)  # (seq, id), visible now
    timers: list[tuple[int, int, str]] = field(default_factory=list)  # (visible_ms, seq, id)
    group_inflight: dict[str, int] = field(default_factory=dict)
    waiters: set[asyncio.Future[None]] = field(default_factory=set)
    next_seq: int = 1
    next_due: int | None = None  # shared store: the earliest visibility deadline seen ahead

    @property
    def key(self) -> str:
        return f"{self.account}/{self.region}/{self.name}"

    @property
    def arn(self) -> str:
        return arns.sqs_queue(self.region, self.account, self.name)

    def doc(self) -> dict[str, Any]:
        return {
            "account": self.account, "region": self.region, "name": self.name, "attrs": self.attrs,
            "tags": self.tags, "created": self.created, "modified": self.modified, "fifo": self.fifo,
            "purged": self.last_purge_ms,
        }

    def attr_int(self, name: str) -> int:
        return qattrs.int_attr(self.attrs, name)

    # -- index ---------------------------------------------------------------------------
    def index(self, msg: Message, now: int) -> None:
        self.messages[msg.id] = msg
        if msg.visible_ms <= now:
            heapq.heappush(self.ready, (msg.seq, msg.id))
        else:
            heapq.heappush(self.timers, (msg.visible_ms, msg.seq, msg.id))
            if msg.receive_count:
                self.lock_group(msg)

    def unindex(self, msg: Message, now: int) -> None:
        """Forget a message (heap entries are dropped lazily)."""
        if self.messages.pop(msg.id, None) is None:
            return
        self.release_group(msg)

    def lock_group(self, msg: Message) -> None:
        if msg.group is not None and self.fifo and not msg.locked:
            msg.locked = True
            self.group_inflight[msg.group] = self.group_inflight.get(msg.group, 0) + 1

    def release_group(self, msg: Message) -> None:
        if not msg.locked or msg.group is None:
            return
        msg.locked = False
        n = self.group_inflight.get(msg.group, 0) - 1
        if n > 0:
            self.group_inflight[msg.group] = n
        else:
            self.group_inflight.pop(msg.group, None)

    def promote(self, now: int) -> None:
        """Move messages whose visibility deadline passed from the timer heap to ready."""
        timers = self.timers
        while timers and timers[0][0] <= now:
            vis, seq, mid = heapq.heappop(timers)
            msg = self.messages.get(mid)
            if msg is None or msg.visible_ms != vis:
                continue  # stale entry
            self.release_group(msg)
            heapq.heappush(self.ready, (seq, mid))

    def next_timer(self) -> int | None:
        while self.timers:
            vis, _, mid = self.timers[0]
            msg = self.messages.get(mid)
            if msg is None or msg.visible_ms != vis:
                heapq.heappop(self.timers)
                continue
            return vis
        return None

    def make_invisible(self, msg: Message, until: int) -> None:
        """Take a message handed out (or with changed visibility) off the ready set."""
        msg.visible_ms = until
        heapq.heappush(self.timers, (until, msg.seq, msg.id))

    def notify(self) -> None:
        for fut in self.waiters:
            if not fut.done():
                fut.set_result(None)
        self.waiters.clear()

    def counts(self, now: int) -> tuple[int, int, int]:
        visible = inflight = delayed = 0
        oldest = now - self.attr_int("MessageRetentionPeriod") * 1000
        for m in self.messages.values():
            if m.sent_ms <= oldest:
                continue  # past retention: dropped when next reached
            if m.visible_ms <= now:
                visible += 1
            elif m.receive_count:
                inflight += 1
            else:
                delayed += 1
        return visible, inflight, delayed


def _fifo_order(q: Queue, now: int, held: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Take up to FIFO_SCAN live entries of groups not held off a FIFO queue's ready heap, in
    group-major order; entries of held groups go to `held` (the caller pushes back those and
    what it does not hand out). Held groups' entries do not count: they never starve others."""
    popped: list[tuple[int, str | None, Any]] = []
    seen: set[str] = set()
    while q.ready and len(popped) < FIFO_SCAN:
        seq, mid = heapq.heappop(q.ready)
        msg = q.messages.get(mid)
        if msg is None or msg.visible_ms > now or msg.seq != seq or mid in seen:
            continue
        seen.add(mid)
        if msg.group is not None and msg.group in q.group_inflight:
            held.append((seq, mid))
            continue
        popped.append((seq, msg.group, mid))
    return [(seq, mid) for seq, _, mid in group_major(popped)]


def _queue_of(d: dict[str, Any]) -> Queue:
    return Queue(d["account"], d["region"], d["name"], d["attrs"], d.get("tags", {}), d["created"],
                 d["modified"], d["fifo"], d.get("purged", 0))


def _encode_receipt(queue: Queue, msg: Message) -> str:
    raw = f"{queue.key}\x00{msg.id}\x00{msg.receipt}\x00{msg.seq}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_receipt(handle: str) -> tuple[str, str, str, int]:
    """(queue key, message id, nonce, seq) of a receipt handle; seq -1 in a handle made before
    handles named it (the in-memory index finds the message by id alone)."""
    try:
        raw = base64.urlsafe_b64decode(handle.encode() + b"=" * (-len(handle) % 4)).decode()
        parts = raw.split("\x00")
        if len(parts) == 3:
            parts.append("-1")
        key, mid, nonce, seq = parts
        if not -1 <= int(seq) < 10**20:  # a handle made up: it names no row
            raise ValueError(seq)
        return key, mid, nonce, int(seq)
    except (ValueError, UnicodeDecodeError):
        raise AwsError.modeled(
            "sqs", "ReceiptHandleIsInvalid", f'The input receipt handle "{handle}" is not a valid receipt handle.'
        ) from None


@dataclass
class Received:
    queue: Queue
    message: Message
    receipt_handle: str


class Engine:
    """All queues of this node, in memory, written through to the store; their messages
    indexed here (store not shared) or in the store (cluster.py)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.shared = app.store.shared
        self.queues: dict[str, Queue] = {}
        self._by_arn: dict[str, Queue] = {}
        self._seq_fifo = 0
        self.move_tasks: dict[str, Any] = {}  # DLQ redrive tasks by handle (see moves.py)
        self.follower: ChangeFollower | None = None

    @classmethod
    async def of(cls, app: App) -> Engine:
        from gureum.services.sqs.slots import ENGINE

        eng = app.parts.get(ENGINE)
        if eng is not None:
            return eng

        async def make() -> Engine:
            made = cls(app)
            await made._load()
            if made.shared:
                await made._follow()
            from gureum.services.sqs import cw_metrics
            from gureum.services.sqs.settings import SqsSettings

            if app.running:  # (an engine made outside a running node, in a test, samples nothing)
                app.every(app.settings(SqsSettings).metrics_interval, lambda: cw_metrics.sample(app, made, now_ms()),
                          name="sqs-metrics")
            return made

        return await app.parts.lazy_async(ENGINE, make)

    async def _load(self) -> None:
        def read(t: Txn) -> tuple[list[dict[str, Any]], list[tuple[str, dict[str, Any]]]]:
            queues = [d for _, d in t.scan(QUEUES)]
            msgs = list(self.app.store.iter_scan(t, MESSAGES))
            return queues, msgs

        def read_queues(t: Txn) -> tuple[list[dict[str, Any]], list[tuple[str, dict[str, Any]]]]:
            return [d for _, d in t.scan(QUEUES)], []

        queues, msgs = await self.app.store.read(read_queues if self.shared else read)
        for d in queues:
            self._add(_queue_of(d))
        now = now_ms()
        if self.shared:
            old = await self.app.store.read(functools.partial(cluster.unindexed, qkeys=list(self.queues)))
            for qkey in old:
                await self.app.store.run(functools.partial(cluster.reindex_txn, qkey=qkey, now=now))
        for key, d in msgs:
            qkey = key.rsplit("/", 1)[0]
            owner = self.queues.get(qkey)
            if owner is None:
                continue
            m = Message.from_doc(d)
            owner.index(m, now)
            owner.next_seq = max(owner.next_seq, m.seq + 1)
            if m.seqnum:
                self._seq_fifo = max(self._seq_fifo, int(m.seqnum))

    def _add(self, q: Queue) -> None:
        self.queues[q.key] = q
        self._by_arn[q.arn] = q

    def _drop(self, q: Queue) -> None:
        self.queues.pop(q.key, None)
        self._by_arn.pop(q.arn, None)
        q.messages.clear()
        q.notify()

    # -- other nodes' changes (shared store) -----------------------------------------------
    async def _follow(self) -> None:
        from gureum.services.sqs.settings import SqsSettings
        from gureum.store.follow import ChangeFollower

        self.follower = ChangeFollower(self.app.store, "sqs.", self._on_event)
        await self.follower.start()
        self.app.every(self.app.settings(SqsSettings).follow_interval, self.follower.poll, name="sqs-follow")

    def _on_event(self, event: Event) -> None:
        if event.topic == QUEUE_TOPIC:
            if self.app.stopping:
                return
            self.app.spawn(self.refresh(event.data["k"]), name="sqs-queue-refresh")
        else:  # cluster.TOPIC: messages may be receivable
            q = self.queues.get(event.data.get("q", ""))
            if q is not None:
                q.notify()

    async def refresh(self, key: str) -> Queue | None:
        """Re-read one queue's definition from the store (another node changed it)."""
        doc = await self.app.store.read(lambda t: t.get(QUEUES, key))
        q = self.queues.get(key)
        if doc is None:
            if q is not None:
                self._drop(q)
            return None
        if q is None:
            q = _queue_of(doc)
            self._add(q)
        else:
            q.attrs, q.tags, q.modified, q.last_purge_ms = doc["attrs"], doc.get("tags", {}), doc["modified"], doc.get("purged", 0)
            q.notify()
        return q

    async def lookup(self, account: str, region: str, name: str) -> Queue:
        """get(), and with a shared store a queue another node created is read on first use."""
        if self.shared and f"{account}/{region}/{name}" not in self.queues:
            await self.refresh(f"{account}/{region}/{name}")
        return self.get(account, region, name)

    # -- queues ----------------------------------------------------------------------------
    def get(self, account: str, region: str, name: str) -> Queue:
        q = self.queues.get(f"{account}/{region}/{name}")
        if q is None:
            raise AwsError.modeled("sqs", "QueueDoesNotExist", "The specified queue does not exist.")
        return q

    def by_arn(self, arn: str) -> Queue | None:
        return self._by_arn.get(arn)

    async def lookup_arn(self, arn: str) -> Queue | None:
        """by_arn(), and with a shared store a queue another node created is read on first use."""
        q = self._by_arn.get(arn)
        if q is None and self.shared:
            parsed = arns.try_parse(arn)
            if parsed is not None and parsed.service == "sqs":
                q = await self.refresh(f"{parsed.account}/{parsed.region}/{parsed.resource}")
                if q is not None and q.arn != arn:
                    q = None
        return q

    def list(self, account: str, region: str, prefix: str = "") -> list[Queue]:
        head = f"{account}/{region}/{prefix}"
        return sorted((q for k, q in self.queues.items() if k.startswith(head)), key=lambda q: q.name)

    async def create(self, account: str, region: str, name: str, attrs: dict[str, str],
                     tags: dict[str, str]) -> Queue:
        fifo = attrs.get("FifoQueue", "false").lower() == "true"
        if name.endswith(".fifo") and "FifoQueue" not in attrs:
            fifo = False
        qattrs.check_queue_name(name, fifo)
        given = qattrs.normalize(attrs, fifo=fifo, creating=True)
        given.pop("FifoQueue", None)
        if self.shared:  # another node may have created it
            await self.refresh(f"{account}/{region}/{name}")
        existing = self.queues.get(f"{account}/{region}/{name}")
        if existing is not None:
            for k, v in given.items():
                current = existing.attrs.get(k, qattrs.DEFAULTS.get(k, ""))
                if current != v:
                    raise AwsError.modeled(
                        "sqs",
                        "QueueNameExists",
                        f"A queue already exists with the same name and a different value for attribute {k}",
                    )
            if existing.fifo != fifo:
                raise AwsError.modeled(
                    "sqs",
                    "QueueNameExists",
                    "A queue already exists with the same name and a different value for attribute FifoQueue",
                )
            return existing
        self._check_redrive(account, region, name, given)
        ts = int(time.time())
        merged = dict(qattrs.DEFAULTS)
        if fifo:
            merged.update({"ContentBasedDeduplication": "false", "DeduplicationScope": "queue",
                           "FifoThroughputLimit": "perQueue"})
        merged.update(given)
        q = Queue(account, region, name, merged, dict(tags), ts, ts, fifo)
        doc = q.doc()

        def write(t: Txn) -> bool:
            if not t.insert(QUEUES, q.key, doc):
                return False
            t.publish(QUEUE_TOPIC, {"k": q.key})
            return True

        inserted = await self.app.store.run(write)
        if not inserted:
            if q.key in self.queues:
                return self.queues[q.key]
            if self.shared:  # created by another node meanwhile: answer as for an existing one
                return await self.create(account, region, name, attrs, tags)
        self._add(q)
        return q

    def _check_redrive(self, account: str, region: str, name: str, attrs: dict[str, str]) -> None:
        rd = qattrs.redrive(attrs)
        if rd is None:
            return
        arn, _ = rd
        dlq = self._by_arn.get(arn)
        if dlq is None:
            raise AwsError.modeled(
                "sqs",
                "InvalidParameterValue",
                f"Value {attrs['RedrivePolicy']} for parameter RedrivePolicy is invalid. "
                f"Reason: Dead letter target does not exist.",
            )
        allow = dlq.attrs.get("RedriveAllowPolicy")
        source = arns.sqs_queue(region, account, name)
        # allowAll (the default) lets queues of the dead-letter queue's own account use it;
        # a queue of another account only when byQueue names it.
        if allow or dlq.account != account:
            doc = json.loads(allow) if allow else {"redrivePermission": "allowAll"}
            perm = doc.get("redrivePermission")
            named = perm == "byQueue" and source in (doc.get("sourceQueueArns") or [])
            if perm == "denyAll" or (perm == "byQueue" and not named) or (dlq.account != account and not named):
                raise AwsError.modeled(
                    "sqs",
                    "InvalidParameterValue",
                    f"Value {attrs['RedrivePolicy']} for parameter RedrivePolicy is invalid. Reason: Queue "
                    f"{source} is not allowed to use {arn} as a dead-letter queue.",
                )
        if dlq.fifo != name.endswith(".fifo"):
            raise AwsError.modeled(
                "sqs",
                "InvalidParameterValue",
                f"Value {attrs['RedrivePolicy']} for parameter RedrivePolicy is invalid. Reason: "
                "Dead-letter queue must be same type of queue as the source.",
            )

    async def set_attributes(self, q: Queue, attrs: dict[str, str]) -> None:
        if "FifoQueue" in attrs:
            raise AwsError.modeled("sqs", "InvalidAttributeName", "Unknown Attribute FifoQueue.")
        given = qattrs.normalize(attrs, fifo=q.fifo, creating=False)
        self._check_redrive(q.account, q.region, q.name, {k: v for k, v in given.items() if k == "RedrivePolicy"})
        for k, v in given.items():
            if v == "" and k in ("RedrivePolicy", "RedriveAllowPolicy", "Policy"):
                q.attrs.pop(k, None)
            else:
                q.attrs[k] = v
        q.modified = int(time.time())
        await self._save_queue(q)
        q.notify()

    async def _save_queue(self, q: Queue) -> None:
        doc = q.doc()

        def write(t: Txn) -> None:
            t.put(QUEUES, q.key, doc)
            t.publish(QUEUE_TOPIC, {"k": q.key})

        await self.app.store.run(write)

    async def set_tags(self, q: Queue, add: dict[str, str], remove: builtins.list[str]) -> None:
        for k in remove:
            q.tags.pop(k, None)
        q.tags.update(add)
        await self._save_queue(q)

    async def delete(self, q: Queue) -> None:
        def write(t: Txn) -> None:
            t.delete(QUEUES, q.key)
            cluster.drop_messages(t, q.key)
            t.delete_prefix(DEDUP, q.key + "/")
            t.publish(QUEUE_TOPIC, {"k": q.key})

        await self.app.store.run(write)
        self._drop(q)

    def forget_all(self) -> None:
        """Forget every queue (their rows are gone: POST /_gureum/reset): waiting receives
        return empty, redrive tasks stop, the next use of a name finds no queue."""
        for task in self.move_tasks.values():
            if task.status == "RUNNING":
                task.status = "CANCELLING"
        self.move_tasks.clear()
        queues = list(self.queues.values())
        self.queues.clear()
        self._by_arn.clear()
        for q in queues:
            q.messages.clear()
            q.ready.clear()
            q.timers.clear()
            q.group_inflight.clear()
            q.notify()

    async def purge(self, q: Queue) -> None:
        now = now_ms()
        in_progress = AwsError.modeled(
            "sqs", "PurgeQueueInProgress", f"Only one PurgeQueue operation on {q.name} is allowed every 60 seconds."
        )
        if now - q.last_purge_ms < PURGE_INTERVAL_MS:
            raise in_progress

        def write(t: Txn) -> bool:
            doc = t.get(QUEUES, q.key)  # the stored time: a purge through another node counts
            if doc is None or now - doc.get("purged", 0) < PURGE_INTERVAL_MS:
                return False
            doc["purged"] = now
            cluster.drop_messages(t, q.key)
            t.put(QUEUES, q.key, doc)
            t.publish(QUEUE_TOPIC, {"k": q.key})
            return True

        last = q.last_purge_ms
        q.last_purge_ms = now
        q.messages.clear()  # before the write: a send landing meanwhile is stored after it
        q.ready.clear()
        q.timers.clear()
        q.group_inflight.clear()
        if not await self.app.store.run(write):  # shared store: another node purged first
            q.last_purge_ms = max(q.last_purge_ms, last)
            raise in_progress

    # -- sending ---------------------------------------------------------------------------
    def build(self, q: Queue, body: str, attrs: dict[str, dict[str, Any]] | None,
              sys_attrs: dict[str, dict[str, Any]] | None, delay: int | None, group: str | None,
              dedup: str | None, sender: str) -> Message:
        """Check one message against the queue's rules (sans store); returns it unsent."""
        if delay is not None and q.fifo:
            raise AwsError.modeled(
                "sqs",
                "InvalidParameterValue",
                f"Value {delay} for parameter DelaySeconds is invalid. Reason: The request include "
                "parameter that is not valid for this queue type.",
            )
        if delay is not None and not 0 <= delay <= 900:
            raise AwsError.modeled(
                "sqs",
                "InvalidParameterValue",
                f"Value {delay} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.",
            )
        if q.fifo:
            if not group:
                raise AwsError.modeled(
                    "sqs", "MissingParameter", "The request must contain the parameter MessageGroupId."
                )
            if not dedup:
                if q.attrs.get("ContentBasedDeduplication") != "true":
                    raise AwsError.modeled(
                        "sqs",
                        "InvalidParameterValue",
                        "The queue should either have ContentBasedDeduplication enabled or "
                        "MessageDeduplicationId provided explicitly",
                    )
                dedup = hashlib.sha256(body.encode()).hexdigest()
        else:
            if dedup:
                raise AwsError.modeled(
                    "sqs",
                    "InvalidParameterValue",
                    f"Value {dedup} for parameter MessageDeduplicationId is invalid. Reason: The request "
                    "includes a parameter that is not valid for this queue type.",
                )
        _check_body(body)
        stored = _attrs_for_storage(attrs or {})
        stored_sys = _attrs_for_storage(sys_attrs or {})
        size = len(body.encode()) + sum(
            len(k.encode()) + len(v["DataType"].encode())
            + len((v.get("StringValue") or "").encode()) + len(base64.b64decode(v.get("BinaryValue") or ""))
            for k, v in stored.items())
        limit = q.attr_int("MaximumMessageSize")
        if size > limit:
            raise AwsError.modeled(
                "sqs",
                "InvalidParameterValue",
                f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes.",
            )
        now = now_ms()
        wait = (delay if delay is not None else q.attr_int("DelaySeconds")) * 1000
        return Message(
            id=str(uuid.uuid4()), seq=0, body=body, attrs=stored, sys_attrs=stored_sys,
            md5_body=checksums.md5_body(body), md5_attrs=checksums.md5_attributes(stored),
            md5_sys=checksums.md5_attributes(stored_sys), sent_ms=now, visible_ms=now + wait,
            sender=sender, group=group if q.fifo or group else None, dedup=dedup,
        )

    async def send(self, q: Queue, msgs: builtins.list[Message]) -> builtins.list[Message]:
        """Write the messages through, then make them receivable. A FIFO duplicate within the
        deduplication window is not stored: the original is returned in its place."""
        out: builtins.list[Message] = []
        fresh: builtins.list[Message] = []
        now = now_ms()
        dups: dict[int, str] = {}
        for i, m in enumerate(msgs):
            if q.fifo and m.dedup is not None:
                dkey = self._dedup_key(q, m)
                dups[i] = dkey
        if self.shared:
            return await self._send_shared(q, msgs, dups, now)
        for m in msgs:
            m.seq = q.next_seq
            q.next_seq += 1
            if q.fifo:
                self._seq_fifo += 1
                m.seqnum = str(18_000_000_000_000_000_000 + self._seq_fifo)
        base = q.key + "/"

        def write(t: Txn) -> builtins.list[Message]:
            result: builtins.list[Message] = []
            for i, m in enumerate(msgs):
                dkey = dups.get(i)
                if dkey is not None:
                    prev = t.get(DEDUP, dkey)
                    if prev is not None and prev["exp"] > now:
                        result.append(Message(
                            id=prev["id"], seq=-1, body=m.body, attrs=m.attrs, sys_attrs=m.sys_attrs,
                            md5_body=m.md5_body, md5_attrs=m.md5_attrs, md5_sys=m.md5_sys, sent_ms=now,
                            visible_ms=0, sender=m.sender, seqnum=prev.get("sn")))
                        continue
                    t.put(DEDUP, dkey, {"id": m.id, "exp": now + DEDUP_WINDOW_MS, "sn": m.seqnum})
                t.put(MESSAGES, f"{base}{m.seq:020d}", m.doc())
                result.append(m)
            return result

        out = await self.app.store.run(write)
        if q.key not in self.queues:  # deleted meanwhile
            return out
        for m in out:
            if m.seq >= 0:
                q.index(m, now)
                fresh.append(m)
        if fresh:
            q.notify()
        return out

    async def _send_shared(self, q: Queue, msgs: builtins.list[Message], dups: dict[int, str],
                           now: int) -> builtins.list[Message]:
        plan = cluster.SendPlan(q.key, q.fifo, msgs, dups, now)
        out = await self.app.store.run(functools.partial(cluster.send_txn, plan=plan))
        if out is None:  # deleted through another node
            self._drop(q)
            raise AwsError.modeled("sqs", "QueueDoesNotExist", "The specified queue does not exist.")
        q.notify()
        return out

    def _dedup_key(self, q: Queue, m: Message) -> str:
        scope = q.attrs.get("DeduplicationScope", "queue")
        if scope == "messageGroup":
            return f"{q.key}/{len(m.group or '')}:{m.group}/{m.dedup}"  # (a key holds no NUL)
        return f"{q.key}/{m.dedup}"

    # -- receiving -------------------------------------------------------------------------
    async def receive(self, q: Queue, max_messages: int, visibility: int | None,
                      wait_seconds: float) -> builtins.list[Received]:  # (`list` here is Engine.list)
        deadline = time.monotonic() + wait_seconds
        first = True
        while True:
            got = await self._take(q, max_messages, visibility, peek=not first)
            first = False
            if got or q.key not in self.queues:
                return got
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.app.stopping:
                return []
            nxt = q.next_due if self.shared else q.next_timer()
            if nxt is not None:
                remaining = min(remaining, max(0.0, (nxt - now_ms()) / 1000) + 0.001)
            if self.shared:  # a wake-up another node published may be missed: look again
                remaining = min(remaining, SHARED_RECHECK)
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            q.waiters.add(fut)
            try:
                await asyncio.wait_for(fut, remaining)
            except TimeoutError:
                pass
            finally:
                q.waiters.discard(fut)

    async def _take(self, q: Queue, max_messages: int, visibility: int | None,
                    peek: bool = False) -> builtins.list[Received]:
        if self.shared:
            return await self._take_shared(q, max_messages, visibility, peek)
        now = now_ms()
        q.promote(now)
        retention = q.attr_int("MessageRetentionPeriod") * 1000
        vis_ms = (visibility if visibility is not None else q.attr_int("VisibilityTimeout")) * 1000
        rd = qattrs.redrive(q.attrs)
        dlq = self.by_arn(rd[0]) if rd else None
        taken: builtins.list[Message] = []
        expired: builtins.list[Message] = []
        to_dlq: builtins.list[Message] = []
        skipped: builtins.list[tuple[int, str]] = []
        blocked_groups: set[str] = set()
        taken_ids: set[str] = set()
        fifo_order = _fifo_order(q, now, skipped) if q.fifo else None
        pos = 0
        while len(taken) < max_messages:
            if fifo_order is not None:
                if pos >= len(fifo_order):
                    break
                seq, mid = fifo_order[pos]
                pos += 1
            elif q.ready:
                seq, mid = heapq.heappop(q.ready)
            else:
                break
            msg = q.messages.get(mid)
            if msg is None or msg.visible_ms > now or msg.seq != seq or msg.id in taken_ids:
                continue
            if msg.sent_ms + retention <= now:
                expired.append(msg)
                q.unindex(msg, now)
                continue
            if q.fifo and msg.group is not None:
                if msg.group in blocked_groups or (
                        msg.group in q.group_inflight and not any(t.group == msg.group for t in taken)):
                    blocked_groups.add(msg.group)
                    skipped.append((seq, mid))
                    continue
            if rd is not None and dlq is not None and msg.receive_count >= rd[1]:
                to_dlq.append(msg)
                q.unindex(msg, now)
                continue
            msg.receive_count += 1
            if not msg.first_receive_ms:
                msg.first_receive_ms = now
            msg.receipt = secrets.token_hex(8)
            q.make_invisible(msg, now + vis_ms)
            q.lock_group(msg)
            taken.append(msg)
            taken_ids.add(msg.id)
        if fifo_order is not None:
            skipped.extend(fifo_order[pos:])
        for item in skipped:
            heapq.heappush(q.ready, item)
        if not (taken or expired or to_dlq):
            return []
        base = q.key + "/"
        docs = [(f"{base}{m.seq:020d}", m.doc()) for m in taken]
        gone = [f"{base}{m.seq:020d}" for m in expired + to_dlq]
        moved: builtins.list[Message] = []
        if dlq is not None and to_dlq:
            for m in to_dlq:
                nm = Message.from_doc(m.doc())
                nm.seq = dlq.next_seq
                dlq.next_seq += 1
                nm.visible_ms = now
                nm.dlq_source = q.arn
                nm.group = m.group if dlq.fifo else None
                moved.append(nm)
        dlq_docs = [(f"{dlq.key}/{m.seq:020d}", m.doc()) for m in moved] if dlq is not None else []

        def write(t: Txn) -> None:
            for k, d in docs:
                t.put(MESSAGES, k, d)
            for k in gone:
                t.delete(MESSAGES, k)
            for k, d in dlq_docs:
                t.put(MESSAGES, k, d)

        await self.app.store.run(write)
        if dlq is not None and moved and dlq.key in self.queues:
            for m in moved:
                dlq.index(m, now)
            dlq.notify()
        return [Received(q, m, _encode_receipt(q, m)) for m in taken]

    async def _take_shared(self, q: Queue, max_messages: int, visibility: int | None,
                           peek: bool) -> builtins.list[Received]:
        """Claim messages in one store transaction; with `peek` (a long poll looking again)
        first on a read snapshot, so idle pollers on every node take no write lock."""
        now = now_ms()
        if peek:
            due, q.next_due = await self.app.store.read(functools.partial(cluster.peek_txn, qkey=q.key, now=now))
            if not due:
                return []
        rd = qattrs.redrive(q.attrs)
        dlq = arns.try_parse(rd[0]) if rd else None
        dlq_key = f"{dlq.account}/{dlq.region}/{dlq.resource}" if dlq is not None else None
        plan = cluster.TakePlan(
            q.key, q.arn, q.fifo, max_messages,
            visibility_ms=(visibility if visibility is not None else q.attr_int("VisibilityTimeout")) * 1000,
            retention_ms=q.attr_int("MessageRetentionPeriod") * 1000, now=now,
            max_receives=rd[1] if rd else None, dlq_key=dlq_key,
            dlq_fifo=dlq_key is not None and dlq_key.endswith(".fifo"),
        )
        got = await self.app.store.run(functools.partial(cluster.take_txn, plan=plan))
        q.next_due = got.next_timer
        if got.dlq_woken and dlq_key is not None and dlq_key in self.queues:
            self.queues[dlq_key].notify()
        return [Received(q, m, _encode_receipt(q, m)) for m in got.messages]

    # -- acknowledging ---------------------------------------------------------------------
    def _check_receipt(self, q: Queue, handle: str) -> tuple[str, int]:
        """The (message id, seq) a receipt handle of this queue names."""
        key, mid, _nonce, seq = decode_receipt(handle)
        if key != q.key:
            raise AwsError.modeled(
                "sqs", "ReceiptHandleIsInvalid", f'The input receipt handle "{handle}" is not a valid receipt handle.'
            )
        return mid, seq

    async def delete_messages(self, q: Queue, handles: builtins.list[str]) -> builtins.list[Exception | None]:
        """Delete by receipt handle; per-handle errors (None = deleted or already gone)."""
        now = now_ms()
        results: builtins.list[Exception | None] = []
        keys: builtins.list[str] = []
        named: builtins.list[tuple[str, int]] = []
        for h in handles:
            try:
                mid, seq = self._check_receipt(q, h)
            except Exception as exc:  # noqa: BLE001 - reported per entry
                results.append(exc)
                continue
            results.append(None)
            named.append((mid, seq))
            msg = q.messages.get(mid)
            if msg is not None:
                q.unindex(msg, now)
                keys.append(f"{q.key}/{msg.seq:020d}")
        if self.shared and named:
            await self.app.store.run(functools.partial(cluster.delete_txn, qkey=q.key, handles=named, now=now))
        elif keys:
            def write(t: Txn) -> None:
                for k in keys:
                    t.delete(MESSAGES, k)

            await self.app.store.run(write)
            if q.fifo:
                q.notify()  # a group may have been unblocked
        return results

    async def change_visibility(self, q: Queue, changes: builtins.list[tuple[str, int]]) -> builtins.list[Exception | None]:
        now = now_ms()
        results: builtins.list[Exception | None] = []
        docs: builtins.list[tuple[str, dict[str, Any]]] = []
        named: builtins.list[tuple[int, tuple[str, int, int]]] = []  # (index in results, change)
        for handle, timeout in changes:
            try:
                mid, seq = self._check_receipt(q, handle)
                if not 0 <= timeout <= 43200:
                    raise AwsError.modeled(
                        "sqs",
                        "InvalidParameterValue",
                        f"Value {timeout} for parameter VisibilityTimeout is invalid. Reason: Must be "
                        "between 0 and 43200 seconds.",
                    )
                if self.shared:
                    named.append((len(results), (mid, seq, timeout)))
                    results.append(None)
                    continue
                msg = q.messages.get(mid)
                if msg is None or msg.visible_ms <= now or not msg.receive_count:
                    raise _not_inflight()
            except Exception as exc:  # noqa: BLE001 - reported per entry
                results.append(exc)
                continue
            results.append(None)
            if timeout == 0:
                q.release_group(msg)
                msg.visible_ms = now
                heapq.heappush(q.ready, (msg.seq, msg.id))
            else:
                q.make_invisible(msg, now + timeout * 1000)
            docs.append((f"{q.key}/{msg.seq:020d}", msg.doc()))
        if named:
            outcome = await self.app.store.run(functools.partial(
                cluster.visibility_txn, qkey=q.key, changes=[c for _, c in named], now=now))
            for (i, _), err in zip(named, outcome, strict=True):
                if err is not None:
                    results[i] = _not_inflight()
            q.notify()
        if docs:
            def write(t: Txn) -> None:
                for k, d in docs:
                    t.put(MESSAGES, k, d)

            await self.app.store.run(write)
            q.notify()
        return results

    async def counts(self, q: Queue) -> tuple[int, int, int]:
        """(visible, in flight, delayed) messages, as GetQueueAttributes counts them."""
        now = now_ms()
        if not self.shared:
            return q.counts(now)
        retention = q.attr_int("MessageRetentionPeriod") * 1000
        return await self.app.store.read(functools.partial(cluster.counts_txn, qkey=q.key, retention_ms=retention, now=now))

    def dead_letter_sources(self, q: Queue) -> builtins.list[Queue]:
        out = []
        for other in self.queues.values():
            rd = qattrs.redrive(other.attrs)
            if rd is not None and rd[0] == q.arn:
                out.append(other)
        return sorted(out, key=lambda x: x.name)

    # -- in-process sending (SNS, S3 notifications) ---------------------------------------
    async def send_to_arn(self, arn: str, body: str, attrs: dict[str, dict[str, Any]] | None = None,
                              group: str | None = None, dedup: str | None = None,
                              sender: str = "") -> Message | None:
        """Send to the queue named by `arn` from another service; None when it is gone."""
        q = await self.lookup_arn(arn)
        if q is None:
            return None
        if q.fifo:  # senders that know nothing of FIFO still get a valid message
            group = group or "default"
            dedup = dedup or str(uuid.uuid4())
        msg = self.build(q, body, attrs, None, None, group if q.fifo else None,
                         dedup if q.fifo else None, sender)
        return (await self.send(q, [msg]))[0]


def _not_inflight() -> AwsError:
    return AwsError.modeled("sqs", "MessageNotInflight", "The message referred to isn't in flight.")


def _check_body(body: str) -> None:
    if body == "":
        raise AwsError.modeled("sqs", "MissingParameter", "The request must contain the parameter MessageBody.")
    for ch in body:
        o = ord(ch)
        if o < 0x20 and o not in (0x9, 0xA, 0xD) or 0xD800 <= o <= 0xDFFF or o in (0xFFFE, 0xFFFF):
            raise AwsError.modeled(
                "sqs",
                "InvalidMessageContents",
                "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to "
                "#xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
            )


def _attrs_for_storage(attrs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if len(attrs) > 10:
        raise AwsError.modeled(
            "sqs",
            "InvalidParameterValue",
            f"Number of message attributes [{len(attrs)}] exceeds the allowed maximum [10].",
        )
    for name, v in attrs.items():
        dt = v.get("DataType") or ""
        base = dt.split(".", 1)[0]
        if base not in ("String", "Number", "Binary"):
            raise AwsError.modeled(
                "sqs",
                "InvalidParameterValue",
                f"The type of message (user) attribute '{name}' is invalid. You must use only the "
                "following supported type prefixes: Binary, Number, String.",
            )
        if base == "Binary":
            value = v.get("BinaryValue")
            if value is None:
                raise AwsError.modeled(
                    "sqs",
                    "InvalidParameterValue",
                    f"Message (user) attribute '{name}' must contain a non-empty value of type '{base}'.",
                )
            out[name] = {"DataType": dt, "BinaryValue": base64.b64encode(value).decode()}
        else:
            value = v.get("StringValue")
            if not value:
                raise AwsError.modeled(
                    "sqs",
                    "InvalidParameterValue",
                    f"Message (user) attribute '{name}' must contain a non-empty value of type '{base}'.",
                )
            if base == "Number":
                try:
                    float(value)
                except ValueError:
                    raise AwsError.modeled(
                        "sqs",
                        "InvalidParameterValue",
                        f"Can't cast the value of message (user) attribute '{name}' to a number.",
                    ) from None
            out[name] = {"DataType": dt, "StringValue": value}
    return out


def attrs_for_output(stored: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for name, v in stored.items():
        if "BinaryValue" in v:
            out[name] = {"DataType": v["DataType"], "BinaryValue": base64.b64decode(v["BinaryValue"])}
        else:
            out[name] = {"DataType": v["DataType"], "StringValue": v["StringValue"]}
    return out


async def move_visible(eng: Engine, src: Queue, dest_of: Callable[[Message], Queue | None],
                       limit: int) -> int:
    """Move up to `limit` visible messages out of `src` into the queue `dest_of` picks (None:
    skip the message), atomically per batch; returns how many moved."""
    now = now_ms()
    if eng.shared:
        def dest_key(msg: Message) -> tuple[str, bool] | None:
            dest = dest_of(msg)
            return None if dest is None else (dest.key, dest.fifo)

        written = await eng.app.store.run(functools.partial(
            cluster.move_txn, qkey=src.key, dest_of=dest_key, limit=limit, now=now))
        for key in set(written):
            if key in eng.queues:
                eng.queues[key].notify()
        return len(written)
    src.promote(now)
    picked: list[tuple[Message, Queue]] = []
    keep: list[tuple[int, str]] = []
    while src.ready and len(picked) < limit:
        seq, mid = heapq.heappop(src.ready)
        msg = src.messages.get(mid)
        if msg is None or msg.visible_ms > now or msg.seq != seq:
            continue
        dest = dest_of(msg)
        if dest is None or dest.key not in eng.queues:
            keep.append((seq, mid))
            continue
        picked.append((msg, dest))
    for item in keep:
        heapq.heappush(src.ready, item)
    if not picked:
        return 0
    moved: list[tuple[Message, Queue]] = []
    for msg, dest in picked:
        src.unindex(msg, now)
        nm = Message.from_doc(msg.doc())
        nm.seq = dest.next_seq
        dest.next_seq += 1
        nm.visible_ms = now
        nm.receive_count = 0
        nm.first_receive_ms = 0
        nm.receipt = ""
        nm.dlq_source = None
        nm.group = msg.group if dest.fifo else None
        moved.append((nm, dest))
    gone = [f"{src.key}/{m.seq:020d}" for m, _ in picked]
    puts = [(f"{d.key}/{m.seq:020d}", m.doc()) for m, d in moved]

    def write(t: Txn) -> None:
        for k in gone:
            t.delete(MESSAGES, k)
        for k, d in puts:
            t.put(MESSAGES, k, d)

    await eng.app.store.run(write)
    for m, d in moved:
        d.index(m, now)
        d.notify()
    return len(moved)
