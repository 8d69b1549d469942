"""Lambda triggers of a pool, invoked synchronously through Lambda's port (gureum/ports.py
FUNCTIONS) with AWS's event shape:
{"version", "region", "userPoolId", "userName", "callerContext": {"awsSdkVersion",
"clientId"}, "triggerSource", "request": {...}, "response": {...}}; the function's answer is
the event with `response` filled in.

A trigger that errors (a function error, a missing function, an answer that is not JSON)
fails the flow with UserLambdaValidationException "<Trigger> failed with error <message>.",
as AWS words it. Custom email/SMS senders are not invoked (a note in the report).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.ports import FUNCTIONS, port
from gureum.services.cognito_idp.pools import Doc, err

if TYPE_CHECKING:
    from gureum.app import App

SDK = "aws-sdk-unknown-unknown"


def arn_of(pool: Doc, trigger: str) -> str | None:
    config = pool.get("LambdaConfig") or {}
    if trigger == "PreTokenGeneration":
        v2 = config.get("PreTokenGenerationConfig") or {}
        return v2.get("LambdaArn") or config.get("PreTokenGeneration")
    arn = config.get(trigger)
    return str(arn) if arn else None


def pre_token_version(pool: Doc) -> str:
    v2 = (pool.get("LambdaConfig") or {}).get("PreTokenGenerationConfig") or {}
    return str(v2.get("LambdaVersion") or "V1_0")


def _fail(trigger: str, message: str) -> AwsError:
    return err("UserLambdaValidationException", f"{trigger} failed with error {message}.")


async def invoke(app: App, pool: Doc, trigger: str, source: str, username: str, client_id: str | None,
                 request: Doc, response: Doc | None = None) -> Doc | None:
    """The trigger's `response` (None when the pool has no such trigger)."""
    arn = arn_of(pool, trigger)
    if arn is None:
        return None
    version = "2" if trigger == "PreTokenGeneration" and pre_token_version(pool) != "V1_0" else "1"
    event = {"version": version, "region": pool["region"], "userPoolId": pool["Id"], "userName": username,
             "callerContext": {"awsSdkVersion": SDK, "clientId": client_id or "CLIENT_ID_NOT_APPLICABLE"},
             "triggerSource": source, "request": request, "response": response or {}}
    try:
        payload, function_error = await port(app, FUNCTIONS).invoke(arn, json.dumps(event).encode())
    except AwsError as e:
        raise _fail(trigger, e.message) from None
    try:
        answer: Any = json.loads(payload or b"null")
    except ValueError:
        raise _fail(trigger, "Unrecognizable lambda output") from None
    if function_error:
        message = answer.get("errorMessage") if isinstance(answer, dict) else None
        raise _fail(trigger, str(message or function_error))
    if not isinstance(answer, dict):
        raise _fail(trigger, "Unrecognizable lambda output")
    out = answer.get("response")
    return out if isinstance(out, dict) else {}


def attrs_of(user: Doc) -> Doc:
    return dict(user["attrs"])
