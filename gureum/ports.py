"""Ports: the small typed interfaces a service offers the others, and `port(app, KEY)`, which
loads the implementation the owning package's manifest names.

A service that others call declares `ports={"<name>": "module:Factory"}` in its manifest
(gureum/services/manifest.py); `Factory(app)` builds an object satisfying the port's
`Protocol` below. Callers write `await port(app, QUEUES).send(...)`: they import this module,
never the service's internals, so wiring is by name (like components) and no static import
edge runs between two services. This module imports no service.

Ports (name -> Protocol, owner):
  queues    QueuePort     sqs     send to a queue by ARN; receive/delete/release for event sources
  topics    TopicPort     sns     publish to a topic by ARN
  functions FunctionPort  lambda  invoke a function by ARN, synchronously or as an Event
  objects   ObjectPort    s3      read and write an object's bytes
  logs      LogPort       logs    a batching writer of log events into log groups/streams

Every method raises the target service's own AwsError when the resource is missing
(AWS.SimpleQueueService.NonExistentQueue, NotFound, ResourceNotFoundException, NoSuchKey...).
Dispatching "deliver this payload to that ARN" is gureum/delivery.py's.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    Protocol,
    TypeVar,
    cast,
    runtime_checkable,
)

from gureum.services import registry

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Store

# A message attribute as SQS and SNS take it: {"DataType": ..., "StringValue"|"BinaryValue": ...}
Attributes = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class QueueFacts:
    """What an event source needs to know of a queue."""

    arn: str
    fifo: bool
    visibility_timeout: int  # seconds (the queue's VisibilityTimeout attribute)


@runtime_checkable
class QueuePort(Protocol):
    """SQS, for other services: sending (SNS subscriptions, S3 notifications, Lambda
    destinations) and consuming (Lambda's SQS event source mappings)."""

    async def send(self, arn: str, body: str, *, attributes: Attributes | None = None,
                   group: str | None = None, dedup: str | None = None, sender: str = "") -> str:
        """Send one message to queue `arn`; returns its MessageId. A FIFO queue takes
        `group` (default "default") and `dedup` (default: a fresh id); a standard queue
        ignores both."""
        ...

    async def exists(self, arn: str) -> bool:
        ...

    async def describe(self, arn: str) -> QueueFacts | None:
        """The queue's facts, or None when it does not exist."""
        ...

    async def receive_records(self, arn: str, max_messages: int, wait_seconds: float) -> list[dict[str, Any]]:
        """Receive up to `max_messages` (long-polling up to `wait_seconds`), each as Lambda's
        SQS event record shows it (messageId, receiptHandle, body, attributes, ...)."""
        ...

    async def delete(self, arn: str, receipt_handles: list[str]) -> None:
        ...

    async def release(self, arn: str, receipt_handles: list[str]) -> None:
        """Make received messages visible again at once (visibility timeout 0)."""
        ...


@runtime_checkable
class TopicPort(Protocol):
    """SNS, for other services (S3 notifications, Lambda destinations)."""

    async def publish(self, arn: str, message: str, *, subject: str | None = None,
                      attributes: Attributes | None = None, group: str | None = None,
                      dedup: str | None = None) -> str:
        """Publish to topic `arn` as Publish does; returns the MessageId. A FIFO topic takes
        `group` (default "default") and `dedup` (default: a fresh id)."""
        ...

    async def exists(self, arn: str) -> bool:
        ...


@dataclass(frozen=True)
class Invoked:
    """A synchronous invocation's outcome, as Invoke (RequestResponse) reports it."""

    payload: bytes
    function_error: str | None  # "Unhandled" when the function failed
    executed_version: str
    request_id: str


@runtime_checkable
class FunctionPort(Protocol):
    """Lambda, for other services."""

    async def invoke(self, arn: str, payload: bytes) -> Invoked:
        """Invoke function `arn` (optionally qualified) and wait for its result."""
        ...

    async def invoke_async(self, arn: str, payload: bytes) -> str:
        """Queue an Event invocation of `arn` durably (AWS's retries and destinations
        apply); returns its request id."""
        ...


@runtime_checkable
class ObjectPort(Protocol):
    """S3, for other services (function code, ECS environment files)."""

    async def get(self, bucket: str, key: str, *, version: str | None = None) -> bytes:
        ...

    async def put(self, account: str, bucket: str, key: str, body: bytes) -> str:
        """Store `body` as a new object (version); returns its ETag."""
        ...


class LogSink(Protocol):
    """A batching writer: `append` never waits; `run` flushes until cancelled."""

    def append(self, account: str, region: str, group: str, stream: str, events: list[tuple[int, str]]) -> None:
        ...

    async def flush(self) -> None:
        ...

    async def run(self) -> None:
        ...


@runtime_checkable
class LogPort(Protocol):
    """CloudWatch Logs, for other services (function logs, DNS query logs, awslogs)."""

    def writer(self, store: Store, interval: float = 0.2) -> LogSink:
        ...


P = TypeVar("P")


@dataclass(frozen=True)
class PortKey(Generic[P]):
    """A port's name in the manifests and the Protocol its implementation satisfies."""

    name: str
    kind: type  # P itself (a Protocol, which mypy does not let stand for type[P])


QUEUES: PortKey[QueuePort] = PortKey("queues", QueuePort)
TOPICS: PortKey[TopicPort] = PortKey("topics", TopicPort)
FUNCTIONS: PortKey[FunctionPort] = PortKey("functions", FunctionPort)
OBJECTS: PortKey[ObjectPort] = PortKey("objects", ObjectPort)
LOGS: PortKey[LogPort] = PortKey("logs", LogPort)

_factories: dict[str, Callable[[App], Any]] = {}  # "module:attribute" -> the factory (code, not state)


class PortMissing(LookupError):
    """No package in this build offers the port."""


def port(app: App, key: PortKey[P]) -> P:
    """The implementation of port `key` for `app`, from the package whose manifest offers it."""
    spec = registry.PORTS.get(key.name)
    if spec is None:
        raise PortMissing(f"no service offers the {key.name!r} port")
    factory = _factories.get(spec)
    if factory is None:
        module, _, attr = spec.partition(":")
        factory = _factories[spec] = getattr(importlib.import_module(module), attr)
    impl = factory(app)
    if not isinstance(impl, key.kind):
        raise TypeError(f"{spec} does not implement the {key.name!r} port")
    return cast(P, impl)
