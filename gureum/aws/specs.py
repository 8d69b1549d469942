"""botocore's service models, read straight from botocore's data files, cached per service.

We read the JSON ourselves rather than importing botocore.model (which drags in urllib3 and
friends, ~250 ms): a shape is the model's own dict, and `Shape` is a thin typed view.
botocore's `service-2.sdk-extras.json` is merged in as botocore does, then the patch the
service's package declares in its manifest (`model_patches`: error shapes and traits AWS
sends that the published model lacks, the way LocalStack patches its specs).

REST routes (`UriRoute`, compiled once per model, most specific first) are indexed by method
and leading literal path segments (`UriIndex`): a request is matched only against the routes
that can match its path, in the same order, so routing chooses exactly as a full scan would.
"""

from __future__ import annotations

import gzip
import importlib
import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from importlib.util import find_spec
from typing import Any

_DATA_DIR: str | None = None
_CACHE: dict[str, ServiceSpec] = {}


def data_dir() -> str:
    global _DATA_DIR
    if _DATA_DIR is None:
        spec = find_spec("botocore")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("botocore is not installed")
        _DATA_DIR = os.path.join(list(spec.submodule_search_locations)[0], "data")
    return _DATA_DIR


def load(service: str) -> ServiceSpec:
    """The newest API version of `service` (botocore's name, e.g. 'route53')."""
    spec = _CACHE.get(service)
    if spec is None:
        base = os.path.join(data_dir(), service)
        version = sorted(os.listdir(base))[-1]
        folder = os.path.join(base, version)
        for name in ("service-2.json.gz", "service-2.json"):
            path = os.path.join(folder, name)
            if os.path.exists(path):
                opener = gzip.open if name.endswith(".gz") else open
                with opener(path, "rb") as f:
                    raw = json.load(f)
                break
        else:  # pragma: no cover - broken botocore install
            raise FileNotFoundError(f"no model for {service}")
        extras = os.path.join(folder, "service-2.sdk-extras.json")
        if os.path.exists(extras):  # botocore merges these into the model too
            with open(extras, "rb") as f:
                _merge(raw, json.load(f).get("merge", {}))
        patches = _patches(service)
        if patches:  # what the package adds to botocore's model (errors AWS sends, unmodeled)
            _merge(raw, patches)
        spec = ServiceSpec(service, raw)
        _CACHE[service] = spec
    return spec


def _patches(service: str) -> dict[str, Any]:
    """The model patch a service's package declares (manifest `model_patches`), if any."""
    from gureum.services.registry import MODEL_PATCHES

    entry = MODEL_PATCHES.get(service)
    if entry is None:
        return {}
    module, _, attr = entry.partition(":")
    patch: dict[str, Any] = getattr(importlib.import_module(module), attr)
    return patch


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


@dataclass(eq=False)
class Shape:
    """A view of one shape of a model; `ref` holds the member reference's own traits
    (location, locationName, xmlNamespace...) when reached through a member."""

    spec: ServiceSpec
    name: str
    raw: dict[str, Any]
    ref: dict[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        kind: str = self.raw["type"]
        return kind

    def trait(self, key: str, default: Any = None) -> Any:
        """A trait from the member reference first, then from the shape itself."""
        if key in self.ref:
            return self.ref[key]
        return self.raw.get(key, default)

    @property
    def location(self) -> str | None:
        return self.ref.get("location")

    @property
    def location_name(self) -> str | None:
        return self.ref.get("locationName") or self.raw.get("locationName")

    @property
    def members(self) -> dict[str, Shape]:
        return self.spec.members_of(self.name)

    @property
    def member(self) -> Shape:
        return self.spec.ref(self.raw["member"])

    @property
    def key(self) -> Shape:
        return self.spec.ref(self.raw["key"])

    @property
    def value(self) -> Shape:
        return self.spec.ref(self.raw["value"])

    @property
    def required(self) -> list[str]:
        names: list[str] = self.raw.get("required", [])
        return names

    @property
    def flattened(self) -> bool:
        return bool(self.ref.get("flattened") or self.raw.get("flattened"))

    @property
    def payload(self) -> str | None:
        return self.raw.get("payload")

    @property
    def is_streaming(self) -> bool:
        return bool(self.raw.get("streaming") or self.ref.get("streaming"))

    @property
    def is_event_stream(self) -> bool:
        return bool(self.raw.get("eventstream"))


@dataclass(eq=False)
class Operation:
    spec: ServiceSpec
    name: str
    raw: dict[str, Any]

    @property
    def http_method(self) -> str:
        method: str = self.raw.get("http", {}).get("method", "POST")
        return method

    @property
    def request_uri(self) -> str:
        uri: str = self.raw.get("http", {}).get("requestUri", "/")
        return uri

    @property
    def response_code(self) -> int:
        return int(self.raw.get("http", {}).get("responseCode", 200))

    @cached_property
    def input(self) -> Shape | None:
        ref = self.raw.get("input")
        return self.spec.ref(ref) if ref else None

    @cached_property
    def output(self) -> Shape | None:
        ref = self.raw.get("output")
        return self.spec.ref(ref) if ref else None

    @property
    def errors(self) -> list[str]:
        return [e["shape"] for e in self.raw.get("errors", [])]


class ServiceSpec:
    def __init__(self, name: str, raw: dict[str, Any]) -> None:
        self.name = name
        self.raw = raw
        self.metadata: dict[str, Any] = raw["metadata"]
        self._shapes: dict[str, dict[str, Any]] = raw["shapes"]
        self._ops: dict[str, Operation] = {}
        self._members: dict[str, dict[str, Shape]] = {}

    @property
    def protocol(self) -> str:
        protocols: list[str] | None = self.metadata.get("protocols")
        if protocols:
            # Prefer what the model lists first among those we speak.
            for p in protocols:
                if p in ("json", "rest-json", "rest-xml", "query"):
                    return p
        protocol: str = self.metadata["protocol"]
        return protocol

    @property
    def target_prefix(self) -> str | None:
        prefix: str | None = self.metadata.get("targetPrefix")
        return prefix

    @property
    def json_version(self) -> str:
        version: str = self.metadata.get("jsonVersion", "1.0")
        return version

    @property
    def signing_name(self) -> str:
        return self.metadata.get("signingName") or self.metadata.get("endpointPrefix") or self.name

    @cached_property
    def xml_namespace(self) -> str | dict[str, str] | None:
        """The service's XML namespace: the model's metadata, else the one its operations'
        inputs declare (Route 53's and S3's models name it only there; AWS's responses and
        errors carry it on their root element)."""
        ns: str | dict[str, str] | None = self.metadata.get("xmlNamespace")
        if ns:
            return ns
        for op in self.raw["operations"].values():
            declared = (op.get("input") or {}).get("xmlNamespace")
            if isinstance(declared, dict) and declared.get("uri"):
                uri: str = declared["uri"]
                return uri
        return None

    @property
    def query_compatible(self) -> bool:
        return "awsQueryCompatible" in self.metadata

    @property
    def operation_names(self) -> list[str]:
        return list(self.raw["operations"])

    def has_operation(self, name: str) -> bool:
        return name in self.raw["operations"]

    def operation(self, name: str) -> Operation:
        op = self._ops.get(name)
        if op is None:
            op = Operation(self, name, self.raw["operations"][name])
            self._ops[name] = op
        return op

    def shape(self, name: str) -> Shape:
        return Shape(self, name, self._shapes[name])

    def ref(self, ref: dict[str, Any]) -> Shape:
        return Shape(self, ref["shape"], self._shapes[ref["shape"]], ref)

    def members_of(self, shape_name: str) -> dict[str, Shape]:
        members = self._members.get(shape_name)
        if members is None:
            raw = self._shapes[shape_name].get("members", {})
            members = {k: self.ref(v) for k, v in raw.items()}
            self._members[shape_name] = members
        return members

    def error_shape(self, code: str) -> Shape | None:
        """The error shape whose name or `error.code` is `code`."""
        raw = self._shapes.get(code)
        if raw is not None and raw.get("exception"):
            return Shape(self, code, raw)
        for name, raw in self._shapes.items():
            if raw.get("exception") and raw.get("error", {}).get("code") == code:
                return Shape(self, name, raw)
        return None

    @cached_property
    def uri_routes(self) -> list[UriRoute]:
        """REST routes, most specific first."""
        routes = [UriRoute.compile(self.operation(n)) for n in self.operation_names]
        routes.sort(key=lambda r: r.specificity, reverse=True)
        return routes

    @cached_property
    def uri_index(self) -> UriIndex:
        """`uri_routes` indexed by method and leading literal path segments."""
        return UriIndex.build(self.uri_routes)

    def routes_for(self, method: str, path: str) -> tuple[UriRoute, ...]:
        """The REST routes that can match a `method` request for `path`: a sublist of
        `uri_routes`, in its order, holding every route whose `match` could succeed."""
        return self.uri_index.candidates(method, path)


_LABEL = re.compile(r"\{([^}]+)\}")


@dataclass
class UriRoute:
    operation: Operation
    method: str
    pattern: re.Pattern[str]
    query_literals: dict[str, str | None]  # required query keys (value None = any)
    labels: list[tuple[str, bool]]  # (label, greedy)
    specificity: tuple[int, int, int]
    # Required members sent in headers or the query string: (location, name). Operations
    # sharing one URI (S3's PutObject / CopyObject / UploadPart) differ only by these.
    required_located: list[tuple[str, str]]
    deprecated: bool

    @classmethod
    def compile(cls, op: Operation) -> UriRoute:
        uri = op.request_uri
        path, _, query = uri.partition("?")
        literals: dict[str, str | None] = {}
        for part in filter(None, query.split("&")):
            k, eq, v = part.partition("=")
            literals[k] = v if eq else None
        labels: list[tuple[str, bool]] = []
        regex = ["^"]
        pos = 0
        literal_chars = 0
        for m in _LABEL.finditer(path):
            chunk = path[pos : m.start()]
            regex.append(re.escape(chunk))
            literal_chars += len(chunk)
            label = m.group(1)
            greedy = label.endswith("+")
            label = label.rstrip("+")
            labels.append((label, greedy))
            regex.append(f"(?P<g{len(labels) - 1}>.+)" if greedy else f"(?P<g{len(labels) - 1}>[^/]+)")
            pos = m.end()
        tail = path[pos:]
        literal_chars += len(tail)
        regex.append(re.escape(tail))
        if tail.endswith("/") and tail != "/":
            regex.append("?")
        elif not tail.endswith("/"):
            regex.append("/?")
        regex.append("$")
        greedy_count = sum(1 for _, g in labels if g)
        required_located: list[tuple[str, str]] = []
        if op.input is not None:
            for mname in op.input.required:
                member = op.input.members[mname]
                if member.location in ("header", "querystring"):
                    required_located.append((member.location, (member.location_name or mname)))
        return cls(
            operation=op,
            method=op.http_method,
            pattern=re.compile("".join(regex)),
            query_literals=literals,
            labels=labels,
            specificity=(literal_chars + 10 * len(literals), -greedy_count, -len(labels)),
            required_located=required_located,
            deprecated=bool(op.raw.get("deprecated")),
        )

    @property
    def leading_segments(self) -> list[str]:
        """The path segments every matching request path starts with: those of the literal
        text before the first label, less the last (which a label may continue: `/a{B}`); a
        URI without labels matches only itself (with or without a final `/`), so all of its
        segments."""
        path = self.operation.request_uri.partition("?")[0]
        if not path.startswith("/"):
            return []
        if self.labels:
            return path[1 : path.index("{")].split("/")[:-1]
        if path != "/" and path.endswith("/"):
            path = path[:-1]
        return path[1:].split("/")

    def match(self, method: str, raw_path: str, query_keys: dict[str, str]) -> dict[str, str] | None:
        if method != self.method:
            return None
        for k, v in self.query_literals.items():
            if k not in query_keys or (v is not None and query_keys[k] != v):
                return None
        m = self.pattern.match(raw_path)
        if m is None:
            return None
        return {label: m.group(f"g{i}") for i, (label, _) in enumerate(self.labels)}


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    own: list[int] = field(default_factory=list)  # positions in uri_routes of routes ending here
    routes: tuple[UriRoute, ...] = ()  # own and all ancestors' routes, in uri_routes order


@dataclass
class UriIndex:
    """REST routes by method, then a trie of leading literal path segments.

    A route sits at the node of its `leading_segments`; a request path walks the trie along
    its own segments as far as there are children, and its candidates are the routes of the
    node it stops at and of all that node's ancestors (precomputed per node, in `uri_routes`
    order, so the first-most-specific-wins choice of routing is unchanged). Invariant: every
    route whose pattern matches a path is among that path's candidates, since its pattern
    starts with the literal text of its leading segments."""

    roots: dict[str, _Node]

    @classmethod
    def build(cls, routes: list[UriRoute]) -> UriIndex:
        roots: dict[str, _Node] = {}
        for i, r in enumerate(routes):
            node = roots.setdefault(r.method, _Node())
            for seg in r.leading_segments:
                node = node.children.setdefault(seg, _Node())
            node.own.append(i)

        def fill(node: _Node, inherited: list[int]) -> None:
            positions = sorted(inherited + node.own)
            node.routes = tuple(routes[i] for i in positions)
            for child in node.children.values():
                fill(child, positions)

        for root in roots.values():
            fill(root, [])
        return cls(roots)

    def candidates(self, method: str, path: str) -> tuple[UriRoute, ...]:
        node = self.roots.get(method)
        if node is None:
            return ()
        if not path.startswith("/"):
            # Only routes with no leading segments can match; they sit at the root.
            return node.routes
        for seg in path[1:].split("/"):
            child = node.children.get(seg)
            if child is None:
                break
            node = child
        return node.routes
