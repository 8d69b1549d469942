"""Every constraint the model puts on a top-level input member (enum, length, pattern, range)
of every operation gureum serves is refused at the wire layer: one request per constraint with
a value that breaks only it, sent by boto3 with its own validation off; the answer is a 400 in
the service's validation code (IAM/STS ValidationError, Route 53/Cloud Map InvalidInput,
ECR/ECS/Logs InvalidParameterException, Lambda ValidationException, SNS InvalidParameter)
naming the member as AWS does ("Value ... at 'member' failed to satisfy constraint: ...").
S3 is left out: it does not validate by its model (its own checks answer in S3's words)."""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import pytest
import regex
from botocore import xform_name
from botocore.config import Config
from botocore.model import Shape

from gureum.aws import dispatch
from gureum.services import registry

# SQS is not listed: its json model puts no constraint on any input member (SQS checks its own,
# in its words: gureum/services/sqs).
SERVICES = ["iam", "sts", "route53", "lambda", "sns", "ecr", "ecs", "logs", "servicediscovery"]
CANDIDATES = ["!!!", "a b", "-", "a", "\x7f", "é", "AAA", "1", "ab:cd", " "]


def _served(service: str) -> list[str]:
    for module in registry.API_MODULES.get(service, ()):
        importlib.import_module(module)
    return sorted(n for (s, n) in dispatch._HANDLERS if s == service)


def breaking_values(shape: Shape) -> list[tuple[str, Any]]:
    """(constraint, a value that breaks only it) for a scalar member."""
    t, m = shape.type_name, shape.metadata
    out: list[tuple[str, Any]] = []
    if t == "string":
        if shape.enum:
            out.append(("enum", "NotAnEnumValue"))
        if "max" in m:
            out.append(("max", "a" * (int(m["max"]) + 1)))
        if m.get("min", 0) > 1:
            out.append(("min", "a" * (int(m["min"]) - 1)))
        if "pattern" in m and not shape.enum:
            rx = regex.compile(m["pattern"])
            lo, hi = m.get("min", 0), m.get("max", 10**9)
            for c in CANDIDATES:
                v = (c * max(1, lo))[:hi] if lo else c
                if lo <= len(v) <= hi and rx.fullmatch(v) is None:
                    out.append(("pattern", v))
                    break
    elif t in ("integer", "long"):
        if "min" in m:
            out.append(("min", int(m["min"]) - 1))
        if "max" in m and int(m["max"]) < 2**62:
            out.append(("max", int(m["max"]) + 1))
    return out


def _label_value(shape: Shape) -> Any:
    return 1 if shape.type_name in ("integer", "long") else "x"


def _code_and_message(body: bytes, headers: dict[str, str]) -> tuple[str, str]:
    text = body.decode("utf-8", "replace")
    code = re.search(r"<Code>(.*?)</Code>", text)
    if code:
        msg = re.search(r"<Message>(.*?)</Message>", text, re.S)
        return code.group(1), msg.group(1) if msg else ""
    doc = json.loads(text)
    code_text = str(doc.get("__type") or headers.get("x-amzn-errortype", ""))
    return code_text.split(":", 1)[0].rsplit("#", 1)[-1], str(doc.get("message") or doc.get("Message") or "")


@pytest.mark.parametrize("service", SERVICES)
def test_every_member_constraint_is_refused_in_the_services_words(gureum: Any, service: str) -> None:
    client = gureum.client(service, config=Config(retries={"max_attempts": 1}, parameter_validation=False,
                                                  inject_host_prefix=False))
    model = client.meta.service_model
    want_code = registry.VALIDATION_CODES.get(service, "ValidationException")
    seen: dict[str, tuple[int, bytes, dict[str, str]]] = {}

    def hook(response_dict: dict[str, Any], **_: Any) -> None:
        body = response_dict["body"]
        headers = {k.lower(): v for k, v in response_dict["headers"].items()}
        seen["last"] = (int(response_dict["status_code"]), body if isinstance(body, bytes) else b"", headers)

    client.meta.events.register("before-parse", hook)
    wrong: list[str] = []
    sent = 0
    for name in _served(service):
        shape = model.operation_model(name).input_shape
        if shape is None:
            continue
        labels = {k: _label_value(v) for k, v in shape.members.items() if v.serialization.get("location") == "uri"}
        for member, mshape in shape.members.items():
            for kind, value in breaking_values(mshape):
                seen.clear()
                try:
                    getattr(client, xform_name(name))(**{**labels, member: value})
                except Exception:  # noqa: BLE001 - the refusal, read raw below
                    pass
                sent += 1
                if "last" not in seen:
                    wrong.append(f"{name}.{member} ({kind}): no response")
                    continue
                status, body, headers = seen["last"]
                code, message = _code_and_message(body, headers)
                path = member[:1].lower() + member[1:]
                if status != 400 or code != want_code or f"at '{path}' failed to satisfy constraint" not in message:
                    wrong.append(f"{name}.{member} ({kind}={str(value)[:20]!r}): {status} {code} {message[:160]!r}")
    assert sent > 0
    assert not wrong, f"{len(wrong)} of {sent} constraint violations answered otherwise:\n" + "\n".join(wrong)


def _nested(shape: Shape) -> list[tuple[str, Any, str]]:
    """(what, value, AWS's path below the member) breaking one constraint of a scalar one level
    down: a structure's member ('vpcConfig.subnetIds'), a list of structures' first item's
    member ('tags.1.member.key')."""
    out: list[tuple[str, Any, str]] = []
    if shape.type_name == "structure":
        for sub, sshape in shape.members.items():
            for kind, value in breaking_values(sshape):
                out.append((f"{sub} ({kind})", {sub: value}, sub[:1].lower() + sub[1:]))
    elif shape.type_name == "list" and shape.member.type_name == "structure":
        for sub, sshape in shape.member.members.items():
            for kind, value in breaking_values(sshape):
                out.append((f"[].{sub} ({kind})", [{sub: value}], "1.member." + sub[:1].lower() + sub[1:]))
    return out


@pytest.mark.parametrize("service", SERVICES)
def test_every_nested_member_constraint_is_refused_with_aws_path(gureum: Any, service: str) -> None:
    """One level down (a structure's members, a list of structures' items): refused with the
    service's code, naming the member by AWS's path ('tags.1.member.key')."""
    client = gureum.client(service, config=Config(retries={"max_attempts": 1}, parameter_validation=False,
                                                  inject_host_prefix=False))
    model = client.meta.service_model
    want_code = registry.VALIDATION_CODES.get(service, "ValidationException")
    seen: dict[str, tuple[int, bytes, dict[str, str]]] = {}

    def hook(response_dict: dict[str, Any], **_: Any) -> None:
        body = response_dict["body"]
        headers = {k.lower(): v for k, v in response_dict["headers"].items()}
        seen["last"] = (int(response_dict["status_code"]), body if isinstance(body, bytes) else b"", headers)

    client.meta.events.register("before-parse", hook)
    wrong: list[str] = []
    sent = 0
    for name in _served(service):
        shape = model.operation_model(name).input_shape
        if shape is None:
            continue
        labels = {k: _label_value(v) for k, v in shape.members.items() if v.serialization.get("location") == "uri"}
        for member, mshape in shape.members.items():
            if mshape.serialization.get("location") in ("uri", "querystring", "header", "headers"):
                continue
            for what, value, below in _nested(mshape):
                seen.clear()
                try:
                    getattr(client, xform_name(name))(**{**labels, member: value})
                except Exception:  # noqa: BLE001 - the refusal, read raw below
                    pass
                sent += 1
                if "last" not in seen:
                    wrong.append(f"{name}.{member}.{what}: no response")
                    continue
                status, body, headers = seen["last"]
                code, message = _code_and_message(body, headers)
                path = f"{member[:1].lower() + member[1:]}.{below}"
                crowded = re.match(r"(\d+) validation errors", message) is not None and \
                    int(message.split(" ", 1)[0]) > 10
                if status != 400 or code != want_code or (
                        f"at '{path}' failed to satisfy constraint" not in message and not crowded):
                    wrong.append(f"{name}.{member}.{what}: {status} {code} {message[:200]!r}")
    assert sent > 0
    assert not wrong, f"{len(wrong)} of {sent} nested constraint violations answered otherwise:\n" + "\n".join(wrong)
