"""The client load of the cluster failure suite: threads that call the cloud through every
live node's endpoint and record each call in a History (tests/cluster/history.py), and the
nemesis that kills nodes and restarts PostgreSQL on a time-driven schedule meanwhile.

Clients pick among the nodes the nemesis has not killed (`Live`); a call that meets a node
dying is recorded as failed, and the client moves on to the next node. Each workload has a
fixed pace (a rate of load, not synchronisation); none retries a failed call with the same
id, so an acknowledgement always means one call succeeded."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dns.message
import dns.query
import dns.rdatatype
from botocore.config import Config

from cluster.history import Fault, History, Op
from cluster.nodes import NetnsNode

CLIENT_CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=8)


@dataclass
class Live:
    """Which nodes are up (the nemesis's view), and the stop flag every worker watches."""

    nodes: Sequence[NetnsNode]
    up: set[int] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.up = set(range(len(self.nodes)))

    def pick(self, preferred: int) -> int:
        """`preferred` when it is up, else the next node that is (or `preferred` if none)."""
        with self.lock:
            for k in range(len(self.nodes)):
                i = (preferred + k) % len(self.nodes)
                if i in self.up:
                    return i
        return preferred

    def up_now(self) -> list[int]:
        with self.lock:
            return sorted(self.up)

    def set_up(self, i: int, up: bool) -> None:
        with self.lock:
            (self.up.add if up else self.up.discard)(i)


class Clients:
    """One boto3 client per (thread, node, service): boto3 clients are not shared by threads."""

    def __init__(self, nodes: Sequence[NetnsNode]) -> None:
        self.nodes = nodes
        self.local = threading.local()

    def get(self, i: int, service: str) -> Any:
        cache: dict[tuple[int, str], Any] = self.local.__dict__.setdefault("cache", {})
        if (i, service) not in cache:
            cache[(i, service)] = self.nodes[i].client(service, config=CLIENT_CONFIG)
        return cache[(i, service)]


def sqs_sender(live: Live, clients: Clients, history: History, url: str, pace: float) -> None:
    """Send uniquely numbered messages round-robin over the live nodes until stopped."""
    for n in itertools.count():
        if live.stop.is_set():
            return
        i = live.pick(n % len(live.nodes))
        body = f"m{n:06d}-{uuid.uuid4().hex[:6]}"
        t0 = time.monotonic()
        try:
            mid = clients.get(i, "sqs").send_message(QueueUrl=url, MessageBody=body)["MessageId"]
            history.add(Op("sqs.send", i, body, t0, time.monotonic(), True, mid))
        except Exception as exc:  # noqa: BLE001 - any failure: not acknowledged
            history.add(Op("sqs.send", i, body, t0, time.monotonic(), False, type(exc).__name__))
        live.stop.wait(pace)  # real time: the sender's pace


def sqs_consumer(live: Live, clients: Clients, history: History, url: str, home: int, done: Callable[[], bool], work: float) -> None:
    """Receive (long poll 1 s), work `work` seconds, then delete through the same node —
    through node `home` while it is up — until `done()` says every acknowledged message has
    been seen. The work time leaves messages in flight when a node dies, so their delete
    fails and they come back after their visibility timeout."""
    name = f"c{home}"
    while not done():
        i = live.pick(home)
        t0 = time.monotonic()
        try:
            got = clients.get(i, "sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        except Exception as exc:  # noqa: BLE001 - a failed poll is recorded; the next one goes on
            history.add(Op("sqs.poll", i, name, t0, time.monotonic(), False, type(exc).__name__))
            time.sleep(0.2)  # real time: a failed poll's back-off (the node is dying or restarting)
            continue
        t1 = time.monotonic()
        history.add(Op("sqs.poll", i, name, t0, t1, True, str(len(got))))
        for m in got:
            history.add(Op("sqs.receive", i, m["Body"], t0, t1, True, f"{name}:{m['ReceiptHandle'][-12:]}"))
        if not got:
            continue
        time.sleep(work)  # real time: the consumer's work on the messages
        t2 = time.monotonic()
        try:
            res = clients.get(i, "sqs").delete_message_batch(
                QueueUrl=url, Entries=[{"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(got)])
            history.add(Op("sqs.delete", i, name, t2, time.monotonic(), not res.get("Failed"), str(res.get("Failed", ""))))
        except Exception as exc:  # noqa: BLE001 - the messages come back after their timeout
            history.add(Op("sqs.delete", i, name, t2, time.monotonic(), False, type(exc).__name__))


def lambda_invoker(live: Live, clients: Clients, history: History, function: str, pace: float) -> None:
    """Event-invoke `function` with a unique id, round-robin over the live nodes."""
    for n in itertools.count():
        if live.stop.is_set():
            return
        i = live.pick(n % len(live.nodes))
        event_id = f"e{n:05d}-{uuid.uuid4().hex[:6]}"
        t0 = time.monotonic()
        try:
            code = clients.get(i, "lambda").invoke(FunctionName=function, InvocationType="Event",
                                                   Payload=f'{{"id": "{event_id}"}}'.encode())["StatusCode"]
            history.add(Op("lambda.invoke", i, event_id, t0, time.monotonic(), code == 202, str(code)))
        except Exception as exc:  # noqa: BLE001 - not acknowledged
            history.add(Op("lambda.invoke", i, event_id, t0, time.monotonic(), False, type(exc).__name__))
        live.stop.wait(pace)  # real time: the invoker's pace


def dns_answer(node: NetnsNode, name: str, timeout: float = 1.0) -> list[str]:
    """The A records node's DNS server gives for `name` (UDP)."""
    reply = dns.query.udp(dns.message.make_query(name, dns.rdatatype.A), node.address, port=node.dns_port, timeout=timeout)
    return sorted(rr.to_text() for rrset in reply.answer for rr in rrset if rr.rdtype == dns.rdatatype.A)


def dns_prober(live: Live, history: History, name: str, expected: list[str], pace: float) -> None:
    """Each round, ask every live node for `name`; a query is ok when it gives `expected`."""
    for n in itertools.count():
        if live.stop.is_set():
            return
        for i in live.up_now():
            t0 = time.monotonic()
            try:
                got = dns_answer(live.nodes[i], name)
                history.add(Op("dns.query", i, str(n), t0, time.monotonic(), got == expected, ",".join(got)))
            except Exception as exc:  # noqa: BLE001 - timeouts and refusals are failures
                history.add(Op("dns.query", i, str(n), t0, time.monotonic(), False, type(exc).__name__))
        live.stop.wait(pace)  # real time: the prober's pace


@dataclass(frozen=True)
class Step:
    """At `at` seconds after the load starts: kill node `node` (restarted `down` seconds
    later), or when node is -1 stop PostgreSQL at once (`stop_pg`; started again `down`
    seconds later by the function it returns)."""

    at: float
    node: int
    down: float = 3.0


def nemesis(live: Live, history: History, schedule: Sequence[Step], stop_pg: Callable[[], Callable[[], None]],
            errors: list[BaseException]) -> None:
    """Run `schedule` (time-driven: this is the fault load), recording each fault and when it
    healed; then set the stop flag."""
    start = time.monotonic()
    try:
        for step in schedule:
            if live.stop.wait(max(0.0, start + step.at - time.monotonic())):  # real time: the fault schedule
                return
            at = time.monotonic()
            if step.node < 0:
                start_pg = stop_pg()
                live.stop.wait(step.down)  # real time: how long PostgreSQL stays down
                start_pg()
                history.fault(Fault("pg-restart", -1, at, time.monotonic()))
                continue
            node = live.nodes[step.node]
            live.set_up(step.node, False)
            node.crash()
            live.stop.wait(step.down)  # real time: how long the node stays dead
            node.start(timeout=60)
            live.set_up(step.node, True)
            history.fault(Fault("kill", step.node, at, time.monotonic()))
    except BaseException as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)
    finally:
        live.stop.set()
