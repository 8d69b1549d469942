"""AWS service integrations that run a service's own operation handlers (DynamoDB:
`arn:aws:apigateway:<region>:dynamodb:action/<Operation>`): the rendered request template is
the operation's JSON request, called in-process through gureum/aws/internal_call.py as the
integration's role (its assumed session; the gate decides as for any client), and the
answer is the service's JSON body and status as API Gateway hands them to the integration
responses: the result on 200, `{"__type": "com.amazonaws.dynamodb.v20120810#<Code>",
"message": ...}` with the error's status otherwise."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from gureum.aws import specs
from gureum.aws.errors import AwsError
from gureum.aws.internal_call import Caller, call

if TYPE_CHECKING:
    from gureum.app import App

# service -> the prefix of its JSON errors' __type
JSON_SERVICES = {"dynamodb": "com.amazonaws.dynamodb.v20120810#"}


def _plain(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dt.datetime):
        return value.timestamp()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _error(service: str, code: str, message: str, status: int) -> tuple[int, bytes]:
    return status, json.dumps({"__type": JSON_SERVICES[service] + code, "message": message}).encode()


async def run(app: App, caller: Caller, service: str, action: str, payload: str) -> tuple[int, bytes]:
    """(status, JSON body) of `action` of `service` called with `payload` for `caller`."""
    if not specs.load(service).has_operation(action):
        return _error(service, "UnknownOperationException", "", 400)
    try:
        params = json.loads(payload) if payload.strip() else {}
    except ValueError:
        return _error(service, "SerializationException", "Start of structure or map found where not expected", 400)
    if not isinstance(params, dict):
        return _error(service, "SerializationException", "Start of structure or map found where not expected", 400)
    try:
        result = await call(app, caller, service, action, params)
    except AwsError as e:
        return _error(service, e.code, e.message, e.status)
    return 200, json.dumps(result, default=_plain).encode()
