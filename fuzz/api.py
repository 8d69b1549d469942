"""API fuzzer: requests generated from botocore's models for every operation of every service
gureum implements, then mutated, signed with botocore's SigV4 so they reach the handlers.

A seed is a valid-looking input built from the operation's input shape (lengths, enums and
ranges respected; names drawn from a small pool so that create/get/delete meet); then one
mutation applies, either to the values (wrong types, huge values, bad enums, missing required
members, lone surrogates, NULs and control characters, out-of-range numbers) before botocore
serializes them, or to the bytes on the wire (garbage or truncated bodies, nesting thousands
deep, DTDs, invalid UTF-8 in body, path and query, random and hostile headers). Every request
goes over a raw socket, so nothing on the client side fixes the bytes up.

A finding is a 5xx other than 501 NotImplemented and 503, or no answer within TIMEOUT; each is
printed with what reproduces it (service, operation, mutation, the request abbreviated).
Operations that would reach off this machine or start sandboxes (invocations, task starts,
health checks, HTTP subscriptions, OIDC discovery) are skipped: SKIPPED.

Contract (fuzz/__init__.py): `main(endpoint, dns_port, seconds) -> Report`, randomness from
`fuzz.report.rng("api")`. On its own: `python fuzz/api.py --endpoint URL --seconds N [--seed S]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from botocore import serialize  # noqa: E402
from botocore.auth import S3SigV4Auth, SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest, create_request_object, prepare_request_dict  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from botocore.loaders import Loader  # noqa: E402
from botocore.model import OperationModel, ServiceModel, Shape  # noqa: E402

from fuzz.report import Report, rng, short  # noqa: E402
from gureum.services.registry import API_MODULES  # noqa: E402

NAME = "api"
TIMEOUT = 30.0
REGION = "us-east-1"
CREDS = Credentials("test", "test")
# Operations that would send traffic off this machine or start sandboxes/containers.
SKIPPED = {
    "lambda": {"Invoke", "InvokeAsync", "InvokeWithResponseStream", "CreateEventSourceMapping", "UpdateEventSourceMapping"},
    "ecs": {"RunTask", "StartTask", "CreateService", "UpdateService", "ExecuteCommand"},
    "route53": {"CreateHealthCheck", "UpdateHealthCheck"},
    "sns": {"Subscribe", "Publish", "PublishBatch", "ConfirmSubscription"},
    "s3": {"PutBucketNotificationConfiguration", "PutBucketNotification", "WriteGetObjectResponse", "SelectObjectContent"},
    "logs": {"PutSubscriptionFilter", "StartLiveTail"},
    "sts": {"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"},
    "iam": {"CreateOpenIDConnectProvider"},
    "ecr": {"CreatePullThroughCacheRule", "UpdatePullThroughCacheRule", "ValidatePullThroughCacheRule"},
    "servicediscovery": {"RegisterInstance"},
}
NAMES = ["fz0", "fz1", "fz-2", "fz_3"]
HUGE = 1 << 20
VALUE_MUTATIONS = ("none", "wrong_type", "huge", "bad_enum", "drop_required", "surrogate", "control", "number_edge")
WIRE_MUTATIONS = (
    "garbage_body", "truncate_body", "deep_nesting", "dtd", "bad_utf8_body", "bad_utf8_path",
    "bad_query", "random_headers", "empty_body", "content_type", "json_numbers",
)


class Gen:
    """Seed values for a shape: within lengths, enums and ranges; names from a small pool."""

    def __init__(self, r: random.Random) -> None:
        self.r = r

    def value(self, shape: Shape, name: str = "x", depth: int = 0) -> Any:
        t = shape.type_name
        r = self.r
        if t == "structure":
            out: dict[str, Any] = {}
            required = set(shape.required_members)
            members = list(shape.members.items())
            if shape.metadata.get("union") and members:
                members = [r.choice(members)]
            for mname, mshape in members:
                if mshape.serialization.get("eventstream") or getattr(mshape, "event_stream_name", None):
                    continue
                if mname in required or (depth < 3 and r.random() < 0.5):
                    out[mname] = self.value(mshape, mname, depth + 1)
            return out
        if t == "list":
            lo = int(shape.metadata.get("min", 0) or 0)
            n = lo if depth >= 3 else max(lo, r.randint(0, 2))
            return [self.value(shape.member, name, depth + 1) for _ in range(n)]
        if t == "map":
            n = 0 if depth >= 3 else r.randint(0, 2)
            return {self.value(shape.key, "k", depth + 1): self.value(shape.value, name, depth + 1) for _ in range(n)}
        if t == "string":
            enum = shape.enum
            if enum:
                return r.choice(enum)
            lo = int(shape.metadata.get("min", 1) or 0)
            hi = int(shape.metadata.get("max", 32) or 32)
            low = name.lower()
            if low.endswith(("name", "id", "arn", "key")) and r.random() < 0.7:
                text = r.choice(NAMES)
            else:
                text = "".join(r.choice("abcdefghij0123456789") for _ in range(r.randint(1, 12)))
            text = text[:hi] if hi else text
            return text + "a" * max(0, lo - len(text))
        if t in ("integer", "long"):
            lo = int(shape.metadata.get("min", 0))
            hi = int(shape.metadata.get("max", lo + 100))
            return r.randint(lo, max(lo, min(hi, lo + 1000)))
        if t in ("float", "double"):
            return r.random() * 10
        if t == "boolean":
            return r.random() < 0.5
        if t == "blob":
            return bytes(r.randrange(256) for _ in range(r.randint(0, 16)))
        if t == "timestamp":
            return dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        return None


def _scalar_paths(value: Any, shape: Shape, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Shape]]:
    """(path, shape) of every value in a seed, for value mutations."""
    out = [(path, shape)]
    if shape.type_name == "structure" and isinstance(value, dict):
        for k, v in value.items():
            if k in shape.members:
                out.extend(_scalar_paths(v, shape.members[k], path + (k,)))
    elif shape.type_name == "list" and isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_scalar_paths(v, shape.member, path + (i,)))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    doc[path[0]] = _set(doc[path[0]], path[1:], value)
    return doc


def mutate_value(r: random.Random, params: dict[str, Any], shape: Shape | None, kind: str) -> dict[str, Any]:
    if shape is None or kind == "none":
        return params
    spots = [(p, s) for p, s in _scalar_paths(params, shape) if p]
    if kind == "drop_required":
        if shape.required_members:
            params.pop(r.choice(shape.required_members), None)
        return params
    if not spots:
        return params
    path, s = r.choice(spots)
    t = s.type_name
    if kind == "wrong_type":
        new: Any = r.choice(["text", 12345, True, [], {}, 1.5])
    elif kind == "huge":
        new = "x" * HUGE if t in ("string", "structure", "list", "map") else (10**30 if t in ("integer", "long") else "9" * 5000)
    elif kind == "bad_enum":
        new = "NOT_A_VALUE_" + "z" * r.randint(0, 300)
    elif kind == "surrogate":
        new = "a\ud800b\udfffc"
    elif kind == "control":
        new = r.choice(["a\x00b", "\x01\x02\x1f", "a/../../b", "%00", "a b\r\nX-Injected: 1", "\ufffe\uffff"])
    else:  # number_edge
        new = r.choice([-1, 0, -(2**63), 2**63, 2**64 + 1, 10**400 if t == "string" else -(10**20)])
        if t == "string":
            new = str(new)
    return _set(params, path, new)


def _deep(protocol: str, depth: int) -> bytes:
    if protocol in ("rest-xml",):
        return b"<a>" * depth + b"x" + b"</a>" * depth
    if protocol == "query":
        return b"&".join(b"A" + b".member.1" * (depth // 10) + b"=1" for _ in range(3))
    return b'{"a":' * depth + b"1" + b"}" * depth


def mutate_wire(r: random.Random, method: str, path: bytes, headers: dict[str, str], body: bytes,
                protocol: str, kind: str) -> tuple[str, bytes, dict[str, str], bytes]:
    if kind == "garbage_body":
        body = bytes(r.randrange(256) for _ in range(r.randint(1, 512)))
    elif kind == "truncate_body" and body:
        body = body[: r.randrange(len(body))]
    elif kind == "deep_nesting":
        body = _deep(protocol, r.choice([200, 1100, 5000, 50000]))
    elif kind == "dtd":
        body = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "EXPANDED"><!ENTITY f SYSTEM "file:///etc/passwd">]>'
                b"<r><Name>&e;</Name><Comment>&f;</Comment></r>")
    elif kind == "bad_utf8_body":
        body = (body or b"{}")[:-1] + r.choice([b"\xff\xfe", b"\xed\xa0\x80", b"\xc0\xaf", b"\x80"]) + (body or b"{}")[-1:]
    elif kind == "bad_utf8_path":
        bad = r.choice([b"%FF%FE", b"%ED%A0%80", b"\xff\xfe", b"%00", b"%", b"%zz", b"//..//"])
        head, _, query = path.partition(b"?")
        path = head + (b"" if head.endswith(b"/") else b"/") + bad + (b"?" + query if query else b"")
    elif kind == "bad_query":
        path += (b"&" if b"?" in path else b"?") + r.choice(
            [b"marker=%FF", b"max-items=abc", b"MaxItems=-1", b"%ZZ=1", b"a=" + b"b" * 10000, b"x-id=\xff", b"=&&=="]
        )
    elif kind == "random_headers":
        for _ in range(r.randint(1, 5)):
            name = r.choice(["x-amz-target", "content-type", "x-amz-content-sha256", "content-md5", "range",
                             "x-amz-date", "x-amz-meta-" + "m" * r.randint(1, 40), "expect", "x-amz-copy-source",
                             "x-amz-checksum-crc32", "if-match", "x-amz-security-token", "content-encoding"])
            headers[name] = r.choice(["", "\xff\xfe", "bytes=9-1", "abc", "A" * 9000, "aws-chunked", "100-continue",
                                      "gzip", "/bucket/key%FF", "Wed, 99 Foo 9999"])
    elif kind == "json_numbers" and body[:1] == b"{":
        number = r.choice([b"1e400", b"-1e400", b"NaN", b"Infinity", b"1e-400", b"-0", b"9" * 5000, b"1.5"])
        body = re.sub(rb"(?<=[:\[,])\s*-?\d+(\.\d+)?", lambda _m: number, body, count=1) if re.search(rb"[:\[,]\s*-?\d", body) \
            else body[:-1] + (b"," if len(body) > 2 else b"") + b'"Limit":' + number + b"}"
    elif kind == "empty_body":
        body = b""
    elif kind == "content_type":
        headers["content-type"] = r.choice(["application/json", "application/x-www-form-urlencoded", "text/xml",
                                            "application/cbor", "multipart/form-data; boundary=", "\xff"])
    return method, path, headers, body


def exchange(endpoint: str, method: str, path: bytes, headers: dict[str, str], body: bytes) -> tuple[int | None, bytes]:
    """One request over a fresh socket: (status, head of the response) or (None, b'') on timeout."""
    u = urlsplit(endpoint)
    host, port = u.hostname or "127.0.0.1", u.port or 80
    headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "connection", "transfer-encoding")}
    headers["Content-Length"] = str(len(body))
    headers["Connection"] = "close"
    lines = [method.encode() + b" " + path + b" HTTP/1.1"]
    lines += [f"{k}: {v}".encode("utf-8", "surrogateescape") for k, v in headers.items()]
    raw = b"\r\n".join(lines) + b"\r\n\r\n" + body
    data = b""
    with socket.create_connection((host, port), timeout=TIMEOUT) as sock:
        try:
            sock.sendall(raw)
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
                if len(data) > 1 << 20:
                    break
        except socket.timeout:
            return None, b""
        except ConnectionResetError:
            if not data:
                return 0, b""
    first = data.split(b"\r\n", 1)[0].split(b" ")
    try:
        return int(first[1]), data[:600]
    except (IndexError, ValueError):
        return 0, data[:600]


class ApiFuzzer:
    def __init__(self, endpoint: str, r: random.Random, services: list[str] | None = None,
                 exclude: set[str] | None = None) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.r = r
        loader = Loader()
        self.models: dict[str, ServiceModel] = {}
        for svc in services or sorted(API_MODULES):
            self.models[svc] = ServiceModel(loader.load_service_model(svc, "service-2"), svc)
        self.ops = [
            (svc, name)
            for svc, m in self.models.items()
            for name in m.operation_names
            if name not in SKIPPED.get(svc, set()) and f"{svc}:{name}" not in (exclude or set())
        ]

    def build(self, svc: str, op_name: str) -> tuple[str, str, bytes, dict[str, str], bytes, str]:
        """(protocol, method, path, headers, body, mutation) for one mutated request."""
        model = self.models[svc]
        op: OperationModel = model.operation_model(op_name)
        protocol = model.metadata.get("protocol", "json")
        if protocol == "smithy-rpc-v2-cbor":
            protocol = "json"
        params = Gen(self.r).value(op.input_shape) if op.input_shape is not None else {}
        wire = self.r.random() < 0.4
        kind = self.r.choice(WIRE_MUTATIONS if wire else VALUE_MUTATIONS)
        if not wire:
            params = mutate_value(self.r, params, op.input_shape, kind)
        ser = serialize.create_serializer(protocol, include_validation=False)
        request_dict = ser.serialize_to_request(params, op)
        prepare_request_dict(request_dict, endpoint_url=self.endpoint)
        req: AWSRequest = create_request_object(request_dict)
        signing = model.signing_name or svc
        auth = S3SigV4Auth(CREDS, signing, REGION) if svc == "s3" else SigV4Auth(CREDS, signing, REGION)
        auth.add_auth(req)
        prepared = req.prepare()
        split = urlsplit(prepared.url)
        path = (split.path or "/").encode() + (b"?" + split.query.encode() if split.query else b"")
        headers = {k: v if isinstance(v, str) else v.decode("latin-1") for k, v in prepared.headers.items()}
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8", "surrogatepass")
        elif not isinstance(body, bytes):
            body = body.read() if hasattr(body, "read") else bytes(body)
        method = prepared.method or "POST"
        if wire:
            method, path, headers, body = mutate_wire(self.r, method, path, headers, body, protocol, kind)
        return protocol, method, path, headers, body, kind

    def run(self, seconds: float, report: Report, out: Callable[[str], None] | None = None) -> Report:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            svc, op_name = self.r.choice(self.ops)
            try:
                protocol, method, path, headers, body, kind = self.build(svc, op_name)
            except Exception:  # botocore refused to serialize a mutated value: try another
                continue
            what = f"{svc} {op_name} [{kind}] {method} {short(path, 160)} headers={short(repr(headers).encode(), 200)} body={short(body)}"
            try:
                status, head = exchange(self.endpoint, method, path, headers, body)
            except OSError as exc:
                report.hang(f"{what}: {type(exc).__name__}: {exc}")
                if out:
                    out(f"HANG {what}: {exc}")
                continue
            report.sent += 1
            if status is None:
                report.hang(f"{what}: no answer in {TIMEOUT:g} s")
                if out:
                    out(f"HANG {what}")
            elif status >= 500 and status not in (501, 503):
                report.server_error(f"{what} -> {status} {short(head, 300)}")
                if out:
                    out(f"FINDING {what} -> {status} {short(head, 300)}")
        return report


def main(endpoint: str, dns_port: int, seconds: float) -> Report:
    report = Report(NAME)
    ApiFuzzer(endpoint, rng(NAME)).run(seconds, report)
    return report


def _cli() -> int:
    parser = argparse.ArgumentParser(description="Fuzz a running gureum's AWS APIs from botocore's models.")
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--service", action="append", help="only these services (repeatable)")
    parser.add_argument("--exclude", action="append", default=[], help="skip service:Operation (repeatable)")
    args = parser.parse_args()
    if args.seed is not None:
        os.environ["FUZZ_SEED"] = str(args.seed)
    print(f"api fuzz: seed {os.environ.get('FUZZ_SEED', '0')}")
    report = Report(NAME)
    ApiFuzzer(args.endpoint, rng(NAME), args.service, set(args.exclude)).run(args.seconds, report, out=print)
    print(f"api fuzz: {report.sent} sent, {report.server_error_count} server errors, {report.hang_count} hangs")
    return 1 if report.server_error_count or report.hang_count else 0


if __name__ == "__main__":
    sys.exit(_cli())
