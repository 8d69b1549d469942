"""What a service package declares about itself: the `Manifest` each
`gureum/services/<package>/manifest.py` defines as `MANIFEST`, collected by
`gureum/services/registry.py`.

A manifest names everything by "module" or "module:attribute" strings, never by importing
it: reading every manifest at start-up imports nothing but this module, and no service
imports another's internals to be wired in (the registry and the node load entries lazily).

Fields:
- `services`: the AWS service names (botocore's) the package serves on the API port.
- `api_modules`: modules whose import registers the `@operation` handlers, imported on the
  first request to one of `services`.
- `components`: background components `async def run(app) -> None` started after the HTTP
  listener is up, each with the services it backs (for /_gureum/health) and whether a
  `gureum agent` runs it too. A component with an `Idle` stays idle (not started, its
  module not imported) until it has work: see `Idle`.
- `edge_routes`: HTTP path prefixes on the main port that are not AWS APIs -> the
  `async def handle(app, request) -> Response | None` answering them. Two packages may
  route one prefix (execute-api's REST and HTTP APIs): a handler answering None ("not
  mine") passes the request to the next, in manifest order, and then to the AWS APIs.
- `host_routes`: Host header patterns (regular expressions, matched in full, lower-case)
  on the main port that are not AWS APIs (S3 website endpoints) -> the same kind of handler,
  with the same None rule; asked before `edge_routes`.
- `method_routes`: HTTP methods no AWS API of the main port uses (S3's CORS preflight,
  OPTIONS) -> the same kind of handler; asked after `edge_routes` and /_gureum/.
- `validation_errors`: service -> the error code that service answers for input that fails
  its model's constraints (AWS's API references; unlisted services answer
  `ValidationException`).
- `settings`: "module:Class", the package's typed settings dataclass (gureum/settings.py).
- `protocol_hooks`: "module:object", a `gureum.aws.hooks.ProtocolHooks`: the package's
  departures from the generic wire layer (S3's virtual hosts, URI errors, error envelope,
  SigV4 variant), applied to every service in `services`.
- `model_patches`: service -> "module:attribute", a dict merged into botocore's model of
  that service when it is loaded (gureum/aws/specs.py): error shapes and `error` traits
  (status, query code) AWS sends that the published model lacks.
- `routing`: service -> `Routing`, how the shared API port tells that service's requests
  apart (X-Amz-Target prefix, query `Version`, REST paths, SigV4 signing name); see `Routing`.
- `reset`: "module:function", `async def reset(app) -> None` returning the package's state
  on every account to fresh (POST /_gureum/reset, gureum/reset.py).
- `ports`: port name -> "module:attribute", what other services may call (gureum/ports.py).
- `status`: "module:function", `async def status(app) -> dict[str, int]`: a few counts of
  what the package runs on this node now (tasks, environments, long polls), cheap to take:
  the node roster writes them with every heartbeat (gureum/roster.py, `gureum status`).
- `handover`: "module:function", `def handover(txn, node) -> int`: release, in the store
  transaction the roster runs when this node leaves cleanly, the claims node `node` still
  holds, so the other nodes take that work at once rather than when a lease expires; returns
  how many it released.
- `denials`: service -> `Denial`, how that service words a request IAM refuses
  (gureum/policy/denials.py); unlisted services answer `AccessDenied` with AWS's usual
  message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Idle:
    """When an idle component starts (issue 28: a node nobody uses holds little). It starts
    once it has work, and then runs until the node stops:
    - a service it backs, or one in `also`, is called (the AWS API, or another service's
      internal call: gureum/aws/internal_call.py);
    - its package is reached through a named port (gureum/ports.py) or answers one of its
      edge, host or method routes (a registry push, a function URL...);
    - one of `tables` (store tables) holds a row: checked when the node starts, then every
      `components.wake_interval` seconds while some component idles, which finds work another
      node handed out through a shared store and state written around the service's own API
      (a port imported as a module, in the caller's transaction);
    - the setting `start_if` is set and not false/0 (a setting that needs the component
      from the start: `lambda.prewarm`; a listener's port given explicitly, `ses.smtp_port`).
    `components.lazy=false` starts every component with the node."""

    tables: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    start_if: str | None = None


@dataclass(frozen=True)
class Component:
    """A background component: `entry` is "module:function" (`async def run(app)`); `idle`:
    None starts it with the node, an `Idle` when it has work."""

    name: str
    entry: str
    backs: tuple[str, ...]
    on_agent: bool = False  # a `gureum agent` runs it as well
    idle: Idle | None = None


@dataclass(frozen=True)
class Routing:
    """How gureum/aws/routing.py finds a service's requests on the shared API port.

    `target_prefix`, `query_version` and `signing_name` mirror the model's metadata
    (`targetPrefix`, `apiVersion`, `signingName`; tests/aws/test_routing_facts.py checks they
    agree) so that routing loads no model it does not route to. `rest`: the service's
    operations are found by matching the model's request URIs; `rest_last`: after every other
    REST service's (its paths match almost anything, e.g. S3's `/{Bucket}/{Key+}`).
    `unserved_sharing`: AWS services gureum does not serve that sign with the same name; a
    request matching one of their paths is answered 501 naming that service.
    `signing_aliases`: further SigV4 names the service's own requests are signed with (S3's
    directory buckets sign as `s3express`, WriteGetObjectResponse as `s3-object-lambda`).
    """

    signing_name: str | None = None  # None: the service's own name
    target_prefix: str | None = None
    query_version: str | None = None
    rest: bool = False
    rest_last: bool = False
    unserved_sharing: tuple[str, ...] = ()
    signing_aliases: tuple[str, ...] = ()  # more SigV4 names it is signed with (S3: s3express)


@dataclass(frozen=True)
class Denial:
    """A service's refusal of a request its IAM policies do not allow: `code` (its status
    comes from the service's model, or the common table); `plain_message` replaces AWS's
    "User: ... is not authorized to perform: ..." text (S3 says "Access Denied");
    `action_prefix` respells the action's service prefix in the message (SNS: "SNS");
    `names_reason` False for services whose messages give no "because ..." (STS)."""

    code: str = "AccessDenied"
    plain_message: str | None = None
    action_prefix: str | None = None
    names_reason: bool = True


@dataclass(frozen=True)
class Manifest:
    """One service package's declaration (see the module docstring)."""

    package: str
    services: tuple[str, ...]
    api_modules: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    components: tuple[Component, ...] = ()
    edge_routes: Mapping[str, str] = field(default_factory=dict)
    host_routes: Mapping[str, str] = field(default_factory=dict)
    method_routes: Mapping[str, str] = field(default_factory=dict)
    validation_errors: Mapping[str, str] = field(default_factory=dict)
    settings: str | None = None
    protocol_hooks: str | None = None
    routing: Mapping[str, Routing] = field(default_factory=dict)
    model_patches: Mapping[str, str] = field(default_factory=dict)
    reset: str | None = None
    ports: Mapping[str, str] = field(default_factory=dict)
    denials: Mapping[str, Denial] = field(default_factory=dict)
    status: str | None = None
    handover: str | None = None
