"""Container `environmentFiles`: S3 objects of VARIABLE=VALUE lines read at task start.

Read in-process through S3's port (the object's current version in the store, its body from
S3's blob store; on an agent node, a signed GetObject to the API node), parsed as the ECS agent does: a line starting with `#` is a comment; only
lines with `=` count, split at the first `=`; both sides must be non-empty; nothing is
trimmed or unquoted (spaces and quotes are part of the value); within one file a later line
wins. Across files the first file that sets a variable wins ("processed from the top
down"), and the container definition's `environment` overrides every file.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.iam import port as iam
from gureum.services.s3 import port as s3

if TYPE_CHECKING:
    from gureum.app import App

MAX_FILES = 10
PREFIX = "ResourceInitializationError: failed to download env files: "


class EnvFileError(Exception):
    """Why the files could not be read; str() is the task's stoppedReason."""


def parse(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        if name and value:
            out[name] = value
    return out


def merge(environment: list[dict[str, Any]] | None, files: list[dict[str, str]]) -> dict[str, str]:
    """The container's environment: `environment` first, then each file's variables not
    already set (the agent's MergeEnvironmentVariablesFromEnvfiles)."""
    env = {e["name"]: e.get("value", "") for e in environment or []}
    for f in files:
        for k, v in f.items():
            env.setdefault(k, v)
    return env


def parse_arn(value: str) -> tuple[str, str]:
    try:
        return arns.s3_object_parts(value or "")
    except arns.BadArn:
        raise EnvFileError(f"{PREFIX}unable to parse bucket and key from s3 ARN specified in environmentFile {value}") from None


async def read_object(app: App, account: str, bucket: str, key: str) -> bytes:
    obj = await s3.get(app, account, bucket, key)  # S3's errors (NoSuchKey...) from the store
    if app.is_agent:  # the bodies live with the node serving S3: ask it
        return await fetch_over_http(app, account, bucket, key)
    return await obj.read()


async def fetch_over_http(app: App, account: str, bucket: str, key: str) -> bytes:
    """GetObject from the cloud's API node, signed (SigV4) with session credentials of the
    account made in the shared store, as the execution role's would be."""
    import asyncio
    import urllib.error
    import urllib.parse
    import urllib.request

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    creds = await app.store.run(lambda t: iam.root_session_credentials(t, account, 900, "ecs-agent"))
    url = f"{app.config.api_endpoint}/{urllib.parse.quote(bucket)}/{urllib.parse.quote(key)}"
    req = AWSRequest("GET", url)
    S3SigV4Auth(Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]), "s3", "us-east-1").add_auth(req)

    def get() -> bytes:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=dict(req.headers.items())), timeout=30) as resp:
                return resp.read()
        except urllib.error.HTTPError as e:
            body = e.read(4000).decode(errors="replace")
            code = body.split("<Code>", 1)[-1].split("</Code>", 1)[0] if "<Code>" in body else "HTTP" + str(e.code)
            raise AwsError(code, body.split("<Message>", 1)[-1].split("</Message>", 1)[0] if "<Message>" in body else e.reason, e.code) from None

    return await asyncio.to_thread(get)


def _s3_problem(e: AwsError, bucket: str, key: str) -> str:
    status = {"NoSuchKey": 404, "NoSuchBucket": 404, "AccessDenied": 403}.get(e.code, e.status)
    return (
        f"{PREFIX}file download command: non-empty error stream: service call has been retried 1 time(s): "
        f"{e.code}: {e.message} status code: {status}, request id: {secrets.token_hex(8).upper()}"
    )


async def load(app: App, account: str, files: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """Each file's variables, in the order given; EnvFileError when one cannot be read."""
    out = []
    for f in files or []:
        if (f.get("type") or "s3") != "s3":
            raise EnvFileError(f"{PREFIX}unsupported environment file type {f.get('type')}")
        bucket, key = parse_arn(f.get("value", ""))
        try:
            body = await read_object(app, account, bucket, key)
        except AwsError as e:
            raise EnvFileError(_s3_problem(e, bucket, key)) from None
        out.append(parse(body.decode("utf-8", errors="replace")))
    return out
