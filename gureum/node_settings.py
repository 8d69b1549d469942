"""Settings of the node itself rather than of one service package (gureum/settings.py): the
HTTP listener's limits (`http.*`), the edge (`api.*`), where shared bytes live (`storage.*`),
the root keys (`auth.*`), billing checkpoints (`billing.*`), the node roster (`roster.*`) and when components start
(`components.*`). `App.read_settings` reads
these with every package's class at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar


@dataclass(frozen=True)
class TaskNetworkSettings:
    """The task network: a bridge on the host that ECS tasks (and, isolated, Lambda
    environments) get their addresses on (gureum/sandbox/network.py). Its keys keep the
    `ecs.` prefix they had when only ECS used it."""

    PREFIX: ClassVar[str] = "ecs"
    bridge: str = "gureum0"
    """the task network's bridge"""
    subnet: str = "10.213.0.0/16"
    """the task network's addresses"""


@dataclass(frozen=True)
class HttpSettings:
    """The HTTP listener's limits against hostile clients (gureum/http/limits.py)."""

    PREFIX: ClassVar[str] = "http"
    max_request_line: int = 65536
    """bytes in the request line; past it 414 and close"""
    max_header_bytes: int = 65536
    """bytes of header names and values (4 per header extra); past it 431 and close"""
    header_timeout: float = 30.0
    """seconds for the headers to arrive whole; past it 408 and close"""
    body_min_rate: float = 1024.0
    """bytes per second a body must keep over a window, else the connection is closed"""
    body_rate_window: float = 10.0
    """seconds the body rate is measured over"""
    request_timeout: float = 3600.0
    """seconds of inbound time one request may take in total"""
    keepalive_timeout: float = 75.0
    """seconds an idle keep-alive connection stays open"""
    max_pipelined: int = 16
    """requests waiting for an answer before reading pauses"""
    write_buffer: int = 256 * 1024
    """bytes of unsent output before reading pauses"""
    max_connections: int | None = None
    """open connections (default: half the descriptor limit, at least 64)"""
    max_connections_per_client: int | None = None
    """open connections per client address (default: max_connections / 4, at least 16)"""


@dataclass(frozen=True)
class ApiSettings:
    """The AWS API edge (gureum/aws/edge.py)."""

    PREFIX: ClassVar[str] = "api"
    max_body_bytes: int = 128 * 1024 * 1024
    """largest non-streamed request body (Lambda zips arrive base64 in JSON)"""
    report_unmodeled: bool = False
    """name, in an x-gureum-unmodeled response header, what a handler returned that the
    operation's output shape lacks (the serializer drops it); for tests (gureum/aws/output_check.py)"""


@dataclass(frozen=True)
class StorageSettings:
    """Where the content-addressed stores live."""

    PREFIX: ClassVar[str] = "storage"
    blob_dir: Path | None = None
    """directory for stored bytes (blobs/, s3/, registry/) that nodes sharing one PostgreSQL
    store can share (a network file system); default: the data dir"""
    blobs: str = "dir"
    """dir (stored bytes are files under blob_dir) | postgres (kept in the PostgreSQL store,
    gureum/blobs_pg.py: nodes need no shared file system; blob_dir only caches files)"""

    def __post_init__(self) -> None:
        from gureum.settings import SettingError

        if self.blobs not in ("dir", "postgres"):
            raise SettingError(f"setting storage.blobs: expected dir or postgres, got {self.blobs!r}")


@dataclass(frozen=True)
class AuthSettings:
    """Root credentials (gureum/aws/auth.py)."""

    PREFIX: ClassVar[str] = "auth"
    keys: str = "test:test"
    """root keys, ID:SECRET[:ACCOUNT],... (a 12-digit ID is its own account)"""


@dataclass(frozen=True)
class BillingSettings:
    """Usage metering (gureum/billing)."""

    PREFIX: ClassVar[str] = "billing"
    checkpoint_interval: float = 60.0
    """seconds between checkpoints of running usage (Fargate tasks, EC2 container instances)"""
    flush_interval: float = 1.0
    """seconds usage rows wait to be written together (all are written when the node stops)"""
    price_file: str = ""
    """a JSON price table to use instead of the shipped one (gureum/billing/pricing.py: its shape)"""
    lambda_free_tier: bool = False
    """deduct the price table's monthly free tiers (Lambda's, DynamoDB's, Route 53 health checks', Cognito's free MAUs and price bands) from the costs Cost Explorer and Budgets show"""


@dataclass(frozen=True)
class RosterSettings:
    """The node roster (gureum/roster.py)."""

    PREFIX: ClassVar[str] = "roster"
    interval: float = 5.0
    """seconds between this node's heartbeats in the roster"""
    misses: int = 3
    """heartbeats a node may miss before it is reported dead"""


@dataclass(frozen=True)
class ComponentSettings:
    """When background components start (gureum/app.py; a manifest's `Idle`)."""

    PREFIX: ClassVar[str] = "components"
    lazy: bool = True
    """keep a component whose manifest marks it idle stopped (its modules not imported) until
    it has work; false: start every component with the node"""
    wake_interval: float = 2.0
    """seconds between looks, while some component idles, for rows in the store tables that
    wake it (work another node handed out through a shared store)"""


NODE_SETTINGS: tuple[type[Any], ...] = (
    TaskNetworkSettings, HttpSettings, ApiSettings, StorageSettings, AuthSettings, BillingSettings, RosterSettings,
    ComponentSettings,
)  # fmt: skip
