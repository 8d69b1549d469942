"""AWS service integrations of HTTP APIs (IntegrationType AWS_PROXY with an
IntegrationSubtype), sans-IO: the table of AWS's subtypes and their parameters (AWS's
"Integration subtype reference"), the checks CreateIntegration/UpdateIntegration make, the
resolution of an integration's RequestParameters against a request, and the shape of the
answer API Gateway hands back.

Subtypes gureum serves: SQS-SendMessage, SQS-ReceiveMessage, SQS-DeleteMessage,
SQS-PurgeQueue and Kinesis-PutRecord (each runs the service's own operation handler through
gureum/aws/internal_call.py: aws_integrations.py). AWS's other subtypes (EventBridge-PutEvents,
StepFunctions-StartExecution / -StartSyncExecution / -StopExecution, AppConfig-GetConfiguration)
name services gureum does not serve: CreateIntegration refuses them with BadRequestException,
as it refuses a subtype AWS does not know.

RequestParameters of such an integration map the operation's parameter names (no
`append:`/`overwrite:` prefix) to values: static text, or text holding `$request.body` (the whole body)
or `$request.body.<path>` (a dotted path into the JSON body), `$request.header.<n>`, `$request.querystring.<n>`,
`$request.path.<n>`, `$request.path`, `$context.<n>`, `$stageVariables.<n>`. A value that is
exactly one `$request.body.<path>` keeps the JSON value found there (an object stays an
object: SQS's MessageAttributes); parameters are then coerced to the operation's input
shape (integers, lists, maps from their JSON text). `Region` picks the Region of the call.

Answers: SQS's as its JSON query answer, `{"<Op>Response": {"<Op>Result": {...members, null
when absent}, "ResponseMetadata": {"RequestId": ...}}}` (no Result for DeleteMessage and
PurgeQueue; ReceiveMessage's list is `messages`); errors `{"Error": {"Code", "Message",
"Type"}, "RequestId"}` with the error's status. Kinesis's as its JSON protocol answers:
the result, or `{"__type": <Code>, "message": ...}`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from gureum.aws import specs
from gureum.services.apigatewayv2.events import Incoming, Outgoing
from gureum.services.apigatewayv2.mapping import substitute


@dataclass(frozen=True)
class Subtype:
    service: str  # botocore name
    operation: str
    required: tuple[str, ...]
    optional: tuple[str, ...]


SERVED: dict[str, Subtype] = {
    "SQS-SendMessage": Subtype("sqs", "SendMessage", ("QueueUrl", "MessageBody"),
                               ("DelaySeconds", "MessageAttributes", "MessageDeduplicationId", "MessageGroupId",
                                "MessageSystemAttributes", "Region")),
    "SQS-ReceiveMessage": Subtype("sqs", "ReceiveMessage", ("QueueUrl",),
                                  ("AttributeNames", "MaxNumberOfMessages", "MessageAttributeNames",
                                   "ReceiveRequestAttemptId", "VisibilityTimeout", "WaitTimeSeconds", "Region")),
    "SQS-DeleteMessage": Subtype("sqs", "DeleteMessage", ("ReceiptHandle", "QueueUrl"), ("Region",)),
    "SQS-PurgeQueue": Subtype("sqs", "PurgeQueue", ("QueueUrl",), ("Region",)),
    "Kinesis-PutRecord": Subtype("kinesis", "PutRecord", ("StreamName", "Data", "PartitionKey"),
                                 ("SequenceNumberForOrdering", "ExplicitHashKey", "Region")),
}
# AWS's subtypes whose service gureum does not serve
NOT_SERVED = ("EventBridge-PutEvents", "StepFunctions-StartExecution", "StepFunctions-StartSyncExecution",
              "StepFunctions-StopExecution", "AppConfig-GetConfiguration")

_BODY = re.compile(r"\$request\.body(?:\.([A-Za-z0-9_.\-]+))?(?![A-Za-z0-9_])")


def check(p: dict[str, Any], itype: Any) -> str | None:
    """The error message CreateIntegration/UpdateIntegration answer (BadRequestException) for
    the integration's subtype, or None when it may be stored. `p` is the merged integration."""
    subtype = p.get("IntegrationSubtype")
    if subtype is None:
        return None
    name = str(subtype)
    if name not in SERVED and name not in NOT_SERVED:
        return f"Invalid integration subtype: {name}"
    if name in NOT_SERVED:
        return f"Integration subtype {name} is not supported: its service is not available in this cloud."
    if itype != "AWS_PROXY":
        return "IntegrationSubtype is supported only for integrations of type AWS_PROXY."
    if p.get("PayloadFormatVersion") not in (None, "1.0"):
        return "PayloadFormatVersion 1.0 is required for integrations with an IntegrationSubtype."
    sub = SERVED[name]
    params = p.get("RequestParameters") or {}
    missing = [k for k in sub.required if k not in params]
    if missing:
        return f"Integration subtype {name} requires the following parameters: {', '.join(missing)}"
    unknown = sorted(k for k in params if k not in sub.required and k not in sub.optional)
    if unknown:
        return f"Invalid request parameters for integration subtype {name}: {', '.join(unknown)}"
    return None


def _body_json(req: Incoming) -> Any:
    try:
        return json.loads(req.body) if req.body else None
    except ValueError:
        return None


def _dig(doc: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            return None
    return doc


def _body_value(req: Incoming, body: Any, path: str | None) -> Any:
    """`$request.body` (the body as text) or `$request.body.<path>` (the JSON value there)."""
    if path is None:
        return req.body.decode("utf-8", "replace")
    return _dig(body, path)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def resolve(params: dict[str, str], req: Incoming) -> dict[str, Any]:
    """The integration's parameters with the request's values in them (absent ones dropped)."""
    body = _body_json(req)
    out: dict[str, Any] = {}
    for name, value in params.items():
        text = str(value)
        only = _BODY.fullmatch(text)
        if only:
            found = _body_value(req, body, only[1])
            if found is not None and found != "":
                out[name] = found
            continue
        text = _BODY.sub(lambda m: _text(_body_value(req, body, m[1])), text)
        text = substitute(text, req)
        if text != "":
            out[name] = text
    return out


class BadParameter(ValueError):
    """A parameter's value does not fit the operation's input shape."""


def _coerce(shape: specs.Shape, value: Any) -> Any:
    kind = shape.type
    if kind in ("integer", "long"):
        if isinstance(value, bool):
            raise BadParameter(str(value))
        try:
            return int(value)
        except (TypeError, ValueError):
            raise BadParameter(str(value)) from None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise BadParameter(str(value))
    if kind == "blob":  # as on the service's JSON wire: base64 text
        try:
            return base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            raise BadParameter(str(value)) from None
    if kind in ("list", "map", "structure"):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                if kind == "list":
                    return [_coerce(shape.member, v.strip()) for v in value.split(",") if v.strip()]
                raise BadParameter(value) from None
        if kind == "list":
            if not isinstance(value, list):
                value = [value]
            return [_coerce(shape.member, v) for v in value]
        if not isinstance(value, dict):
            raise BadParameter(str(value))
        if kind == "map":
            return {str(k): _coerce(shape.value, v) for k, v in value.items()}
        members = shape.members
        return {k: _coerce(members[k], v) for k, v in value.items() if k in members}
    return value if isinstance(value, str) else _text(value)


def call_parameters(sub: Subtype, resolved: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """(the Region named by the `Region` parameter or None, the operation's parameters)."""
    spec = specs.load(sub.service)
    shape = spec.operation(sub.operation).input
    members = shape.members if shape is not None else {}
    region = resolved.get("Region")
    params: dict[str, Any] = {}
    for name, value in resolved.items():
        if name == "Region" or name not in members:
            continue
        try:
            params[name] = _coerce(members[name], value)
        except BadParameter:  # left as it came: the operation's validator refuses it as the edge would
            params[name] = value
    return (str(region) if region else None), params


def _plain(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if hasattr(value, "timestamp"):
        return value.timestamp()
    raise TypeError(type(value).__name__)


def _dump(doc: Any) -> bytes:
    return json.dumps(doc, default=_plain, separators=(",", ":")).encode()


def _with_nulls(shape: specs.Shape | None, doc: dict[str, Any]) -> dict[str, Any]:
    if shape is None:
        return dict(doc)
    return {name: doc.get(name) for name in sorted(shape.members)}


JSON = [("content-type", "application/json")]


def answer(sub: Subtype, result: dict[str, Any], request_id: str) -> Outgoing:
    """The integration's answer to a call that succeeded."""
    if sub.service == "kinesis":
        return Outgoing(200, list(JSON), _dump(result))
    spec = specs.load(sub.service)
    out_shape = spec.operation(sub.operation).output
    envelope: dict[str, Any] = {}
    if sub.operation == "ReceiveMessage":
        msg_shape = out_shape.members["Messages"].member if out_shape is not None else None
        messages = result.get("Messages")
        envelope["ReceiveMessageResult"] = {
            "messages": [_with_nulls(msg_shape, m) for m in messages] if messages else None}
    elif out_shape is not None and out_shape.members:
        envelope[f"{sub.operation}Result"] = _with_nulls(out_shape, result)
    envelope["ResponseMetadata"] = {"RequestId": request_id}
    return Outgoing(200, list(JSON), _dump({f"{sub.operation}Response": envelope}))


def error(sub: Subtype, code: str, message: str, status: int, query_code: str | None, request_id: str) -> Outgoing:
    """The integration's answer to a call the service refused."""
    if sub.service == "kinesis":
        return Outgoing(status, list(JSON), _dump({"__type": code, "message": message}))
    doc = {"Error": {"Code": query_code or code, "Message": message, "Type": "Sender" if status < 500 else "Receiver"},
           "RequestId": request_id}
    return Outgoing(status, list(JSON), _dump(doc))
