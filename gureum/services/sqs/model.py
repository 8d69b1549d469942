"""SQS's stored shapes, shared by the in-memory index (engine.py) and the cluster-wide one
(cluster.py): the table names and a message's document.

Tables: `sqs_queues` (key `<account>/<region>/<name>`: the queue's definition),
`sqs_messages` (key `<account>/<region>/<name>/<seq:020d>`: one message, `Message.doc()`),
`sqs_dedup` (key `<queue key>/<deduplication id>`, or with DeduplicationScope messageGroup
`<queue key>/<length of group>:<group>/<deduplication id>`, -> {"id", "exp", "sn"}: a FIFO
deduplication id, alive until "exp" ms).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

QUEUES = "sqs_queues"
MESSAGES = "sqs_messages"
DEDUP = "sqs_dedup"
DEDUP_WINDOW_MS = 300_000


@dataclass(slots=True)
class Message:
    id: str
    seq: int
    body: str
    attrs: dict[str, dict[str, Any]]
    sys_attrs: dict[str, dict[str, Any]]
    md5_body: str
    md5_attrs: str | None
    md5_sys: str | None
    sent_ms: int
    visible_ms: int
    sender: str
    receive_count: int = 0
    first_receive_ms: int = 0
    group: str | None = None
    dedup: str | None = None
    seqnum: str | None = None
    receipt: str = ""  # nonce of the newest receipt handle
    dlq_source: str | None = None
    locked: bool = False  # holds its FIFO group while in flight (memory only)

    def doc(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id, "seq": self.seq, "body": self.body, "sent": self.sent_ms,
            "vis": self.visible_ms, "rc": self.receive_count, "md5": self.md5_body,
            "sender": self.sender,
        }
        if self.attrs:
            d["attrs"] = self.attrs
            d["md5a"] = self.md5_attrs
        if self.sys_attrs:
            d["sys"] = self.sys_attrs
            d["md5s"] = self.md5_sys
        if self.first_receive_ms:
            d["first"] = self.first_receive_ms
        if self.group is not None:
            d["g"] = self.group
        if self.dedup is not None:
            d["d"] = self.dedup
        if self.seqnum is not None:
            d["sn"] = self.seqnum
        if self.receipt:
            d["r"] = self.receipt
        if self.dlq_source:
            d["dlqs"] = self.dlq_source
        return d

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> Message:
        return cls(
            id=d["id"], seq=d["seq"], body=d["body"], attrs=d.get("attrs") or {},
            sys_attrs=d.get("sys") or {}, md5_body=d["md5"], md5_attrs=d.get("md5a"),
            md5_sys=d.get("md5s"), sent_ms=d["sent"], visible_ms=d["vis"], sender=d.get("sender", ""),
            receive_count=d.get("rc", 0), first_receive_ms=d.get("first", 0), group=d.get("g"),
            dedup=d.get("d"), seqnum=d.get("sn"), receipt=d.get("r", ""), dlq_source=d.get("dlqs"),
        )


def group_major(items: list[tuple[int, str | None, Any]]) -> list[tuple[int, str | None, Any]]:
    """FIFO receive order, as AWS hands messages out: groups in the order of their oldest
    available message, each group's messages in sequence order, as many of one group as
    possible before the next. `items` are (seq, group, payload) in sequence order."""
    groups: dict[str | None, list[tuple[int, str | None, Any]]] = {}
    for item in items:
        groups.setdefault(item[1], []).append(item)
    return [item for members in groups.values() for item in members]
