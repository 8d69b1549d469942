"""Ports: the small typed interfaces a service offers the others, and `port(app, KEY)`, which
loads the implementation the owning package's manifest names.

A service's port lives in `gureum/services/<package>/port.py`: the only module of a package
(with `manifest.py`) another package may import (tests/test_import_graph.py checks it).
Where services call each other both ways (SNS -> Lambda -> SNS through destinations...) or
any service may reach any other (gureum/delivery.py), the caller does not import the port
at all: the manifest declares `ports={"<name>": "module:Factory"}`, `Factory(app)` builds an
object satisfying the `Protocol` below, and `await port(app, QUEUES).send(...)` loads it by
name, like components, so no static import edge runs between the two. This module imports
no service.

Ports loaded by name (name -> Protocol, owner):
  queues    QueuePort     sqs     send to a queue by ARN; receive/delete/release for event sources
  topics    TopicPort     sns     publish to a topic by ARN
  functions FunctionPort  lambda  invoke a function by ARN as an Event
  logs      LogPort       logs    a batching writer of log events into log groups/streams
Ports imported as modules (plain functions, some run inside the caller's transaction):
  gureum.services.iam.port       execution roles: get_role, role_trusts_service, credentials
                                 (also in the caller's txn: a service's role, a root session)
  gureum.services.ecr.port       registry_access / pull_access: pull credentials for an image
                                 reference; manifest_locator: in-process manifest reads (ECS)
  gureum.services.route53.port   hosted zones and record changes (Cloud Map); private zones
                                 shown to the ECS task subnet (show_private_zones_to)
  gureum.services.logs.port      group_exists (Route 53 query logging, ECS awslogs)
  gureum.services.s3.port        get: an object by bucket/key/version, S3's errors (Lambda
                                 code, ECS environment files)
  gureum.services.servicediscovery.port  register/deregister instances in the caller's txn
                                 (ECS service tasks)
  gureum.services.kinesis.port   shards, start positions and record reads of a stream, in the
                                 caller's txn (Lambda's event source mappings)
  gureum.services.dynamodbstreams.port  the same for DynamoDB streams; and, in DynamoDB's own
                                 write transaction, enable/disable a table's stream and append
                                 a change record
  gureum.services.cognito_idp.port  a user pool's issuer and JWKS, its tokens verified in the
                                 caller's txn (API Gateway's Cognito and JWT authorizers)

Every method raises the target service's own AwsError when the resource is missing
(AWS.SimpleQueueService.NonExistentQueue, NotFound, ResourceNotFoundException...).
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


@dataclass(frozen=True)
class StreamShard:
    """A shard of a Kinesis or DynamoDB stream, as an event source reads it (the stream
    ports: gureum.services.kinesis.port, gureum.services.dynamodbstreams.port)."""

    shard_id: str
    parents: tuple[str, ...]  # read these to their end first (resharding lineage)
    closed: bool
    opened_ms: int


@dataclass(frozen=True)
class StreamBatch:
    """Records of one shard from a position: `records` are (sequence number, the record as
    Lambda's event shows it, its arrival ms, its partition key); `next_position` None when
    the shard is closed and read to its end; `behind_ms` how far the batch's end is from
    the shard's newest record."""

    records: list[tuple[str, dict[str, Any], int, str]]
    next_position: str | None
    behind_ms: int


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


@runtime_checkable
class FunctionPort(Protocol):
    """Lambda, for other services."""

    async def invoke_async(self, arn: str, payload: bytes, *, trace: str | None = None) -> str:
        """Queue an Event invocation of `arn` durably (AWS's retries and destinations
        apply); returns its request id. `trace`: the X-Ray trace header of what caused it
        (Lambda's recursive loop detection follows it)."""
        ...

    async def invoke(self, arn: str, payload: bytes) -> tuple[bytes, str | None]:
        """Invoke `arn` synchronously (RequestResponse); returns (payload, function error:
        None, or "Unhandled" as Lambda's X-Amz-Function-Error says)."""
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
    app.wake_package(registry.package_of(spec))  # its idle components start (gureum/app.py)
    impl = factory(app)
    if not isinstance(impl, key.kind):
        raise TypeError(f"{spec} does not implement the {key.name!r} port")
    return cast(P, impl)
