"""Which packages serve which AWS service, which background components run, which HTTP paths
are not AWS APIs: collected from each package's `manifest.py` (gureum/services/manifest.py).
A new service adds its own package with a manifest and nothing global.

Reading the manifests imports only them: everything they name is loaded on first use (API
modules) or after the listener is up (components). Packages are read in name order, so
component start order and the tables below are the same on every node.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

from gureum.services.manifest import Component, Denial, Idle, Manifest, Routing


def _discover() -> tuple[Manifest, ...]:
    here = Path(__file__).parent
    found = []
    for package in sorted(p.parent.name for p in here.glob("*/manifest.py")):
        module = importlib.import_module(f"gureum.services.{package}.manifest")
        manifest = module.MANIFEST
        if not isinstance(manifest, Manifest) or manifest.package != package:
            raise RuntimeError(f"gureum/services/{package}/manifest.py: MANIFEST must be a Manifest for {package!r}")
        found.append(manifest)
    return tuple(found)


MANIFESTS: tuple[Manifest, ...] = _discover()

# AWS service name (botocore's) -> modules whose import registers @operation handlers.
API_MODULES: dict[str, list[str]] = {
    service: list(modules) for m in MANIFESTS for service, modules in m.api_modules.items()
}

# Background components, started by `gureum up` after the HTTP listener is ready, each
# `async def run(app: App) -> None` running until cancelled ("module:function").
# name -> (entry point, AWS services it backs, for the health report)
COMPONENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    c.name: (c.entry, c.backs) for m in MANIFESTS for c in m.components
}

# component name -> its package (App wakes a package's idle components when it is reached).
COMPONENT_PACKAGES: dict[str, str] = {c.name: m.package for m in MANIFESTS for c in m.components}

# component name -> when it starts, for components idle until they have work (manifest `Idle`).
IDLE: dict[str, Idle] = {c.name: c.idle for m in MANIFESTS for c in m.components if c.idle is not None}

# AWS service name -> the package serving it.
SERVICE_PACKAGES: dict[str, str] = {s: m.package for m in MANIFESTS for s in m.services}


def package_of(entry: str) -> str | None:
    """The service package an entry ("gureum.services.<package>.module:attribute") is in."""
    parts = entry.split(":", 1)[0].split(".")
    return parts[2] if len(parts) > 3 and parts[:2] == ["gureum", "services"] else None


# What a `gureum agent` runs: the task agent, and a DNS server for its tasks' resolvers.
AGENT_COMPONENTS: tuple[str, ...] = tuple(c.name for m in MANIFESTS for c in m.components if c.on_agent)

# HTTP path prefixes on the main port that are not AWS APIs -> the "module:function"
# handlers (`async def handle(app: App, request: Request) -> Response | None`) in manifest
# order; packages may share a prefix (API Gateway's REST and HTTP APIs share execute-api's):
# a handler answering None passes the request to the next (gureum/app.py).
EDGE_ROUTES: dict[str, tuple[str, ...]] = {}
for _m in MANIFESTS:
    for _prefix, _entry in _m.edge_routes.items():
        EDGE_ROUTES[_prefix] = EDGE_ROUTES.get(_prefix, ()) + (_entry,)

# HTTP methods no AWS API on the main port uses (OPTIONS: S3's CORS preflight) -> "module:function".
METHOD_ROUTES: dict[str, str] = {method: entry for m in MANIFESTS for method, entry in m.method_routes.items()}

# Host header patterns (full match, lower-case) that are not AWS APIs -> "module:function",
# asked in order; as with EDGE_ROUTES, a handler answering None passes the request on.
HOST_ROUTES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), entry) for m in MANIFESTS for pattern, entry in m.host_routes.items())

# Port name -> "module:Factory", what services offer each other (gureum/ports.py).
# AWS service name -> how it words an IAM refusal (gureum/policy/denials.py).
DENIALS: dict[str, Denial] = {s: d for m in MANIFESTS for s, d in m.denials.items()}

PORTS: dict[str, str] = {}
for _m in MANIFESTS:
    for _name, _entry in _m.ports.items():
        if _name in PORTS:
            raise RuntimeError(f"port {_name!r} is offered by two packages: {PORTS[_name]} and {_entry}")
        PORTS[_name] = _entry

# package -> "module:function" of its roster hooks (gureum/roster.py): what it runs here now
# (`async def status(app) -> dict[str, int]`), and what a node leaving releases
# (`def handover(txn, node) -> int`).
STATUS_HOOKS: dict[str, str] = {m.package: m.status for m in MANIFESTS if m.status}
HANDOVERS: dict[str, str] = {m.package: m.handover for m in MANIFESTS if m.handover}

# Services in gureum's scope that no package serves yet, with the validation error code each
# answers (AWS's API references); requests to them are routed and answered 501 until a
# package's manifest claims them.
PLANNED: dict[str, str] = {
}

# How the API port finds the planned services' requests (their packages' manifests will say).
PLANNED_ROUTING: dict[str, Routing] = {
}

# Services gureum speaks on its API port (for routing and the health report).
SERVED: tuple[str, ...] = tuple(s for m in MANIFESTS for s in m.services) + tuple(
    s for s in PLANNED if s not in API_MODULES
)

# service -> the code it answers for input that fails its model's constraints.
VALIDATION_CODES: dict[str, str] = dict(PLANNED) | {
    s: code for m in MANIFESTS for s, code in m.validation_errors.items()
}


_ENTRIES: dict[str, Any] = {}


def load_entry(entry: str) -> Any:
    """Import "package.module:attribute" once (a manifest's component, route, reset...) and
    return the attribute."""
    fn = _ENTRIES.get(entry)
    if fn is None:
        module, _, attr = entry.partition(":")
        fn = getattr(importlib.import_module(module), attr)
        _ENTRIES[entry] = fn
    return fn


def components() -> list[Component]:
    """Every component, in start order."""
    return [c for m in MANIFESTS for c in m.components]


# service -> how routing finds its requests (gureum/services/manifest.py `Routing`).
ROUTING: dict[str, Routing] = {s: PLANNED_ROUTING.get(s, Routing()) for s in SERVED} | {
    s: r for m in MANIFESTS for s, r in m.routing.items()
}

# service -> "module:attribute", the patch merged into its botocore model (errors AWS sends).
MODEL_PATCHES: dict[str, str] = {s: e for m in MANIFESTS for s, e in m.model_patches.items()}

# service -> "module:object", its gureum.aws.hooks.ProtocolHooks.
PROTOCOL_HOOKS: dict[str, str] = {s: m.protocol_hooks for m in MANIFESTS if m.protocol_hooks for s in m.services}


def _signers() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for s in SERVED:
        for name in (ROUTING[s].signing_name or s, *ROUTING[s].signing_aliases):
            out[name] = (*out.get(name, ()), s)
    return out


# SigV4 service name -> the served services that sign with it, in SERVED order (read per request).
_SIGNERS = _signers()


def signing_candidates(name: str) -> tuple[str, ...]:
    """The served services that sign with SigV4 service name `name`, in SERVED order."""
    found = _SIGNERS.get(name, ())
    if not found and name in SERVED:
        return (name,)
    return found


# X-Amz-Target prefix -> service.
TARGET_PREFIXES: dict[str, str] = {r.target_prefix: s for s, r in ROUTING.items() if r.target_prefix}

# The query protocol's `Version` -> service, in SERVED order.
QUERY_VERSIONS: dict[str, str] = {r.query_version: s for s, r in ROUTING.items() if r.query_version}

# Services routed by their models' request URIs, in match order (`rest_last` ones last).
REST_SERVICES: tuple[str, ...] = tuple(sorted((s for s in SERVED if ROUTING[s].rest), key=lambda s: ROUTING[s].rest_last))


def unserved_sharing(signing_name: str) -> tuple[str, ...]:
    """Unserved AWS services signing with `signing_name` whose paths get a 501 naming them."""
    return tuple(o for s in signing_candidates(signing_name) for o in ROUTING[s].unserved_sharing)
def settings_classes() -> list[type[Any]]:
    """Each package's typed settings class (its manifest's `settings`), loaded."""
    out: list[type[Any]] = []
    for m in MANIFESTS:
        if m.settings:
            module, _, attr = m.settings.partition(":")
            out.append(getattr(importlib.import_module(module), attr))
    return out
