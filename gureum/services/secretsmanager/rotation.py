"""Rotation: the secret's rotation function invoked synchronously through Lambda's port for
each of AWS's four steps, in order, with AWS's event {"SecretId": <ARN>,
"ClientRequestToken": <new version id>, "Step": "createSecret" | "setSecret" | "testSecret"
| "finishSecret"}; a step that fails (function error, or the function cannot be invoked)
ends the rotation there, leaving AWSPENDING on the new version as AWS does, for the next
attempt. After finishSecret moved AWSCURRENT, the version loses AWSPENDING
(model.finish_rotation)."""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING

from gureum.aws.errors import AwsError
from gureum.ports import FUNCTIONS, port
from gureum.services.secretsmanager import model

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger(__name__)
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


async def run(app: App, secret_arn: str, function_arn: str, token: str) -> bool:
    """Run the four steps; True if every one succeeded."""
    functions = port(app, FUNCTIONS)
    ok = True
    for step in STEPS:
        event = json.dumps({"SecretId": secret_arn, "ClientRequestToken": token, "Step": step}).encode()
        try:
            _, error = await functions.invoke(function_arn, event)
        except AwsError as e:
            error = f"{e.code}: {e.message}"
        if error is not None:
            log.warning("rotation of %s failed at %s: %s", secret_arn, step, error)
            ok = False
            break
    await app.store.run(lambda t: model.finish_rotation(t, secret_arn, token, ok, time.time()))
    return ok
