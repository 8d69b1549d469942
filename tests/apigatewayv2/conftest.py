"""Fixtures of the API Gateway v2 tests: the clients, an execution role, a Python function
factory (with or without API Gateway's invoke permission), and raw HTTP to an invoke URL."""

from __future__ import annotations

import http.client
import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def zip_of(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture(scope="module")
def apigw(gureum: Any) -> Any:
    return gureum.client("apigatewayv2")


@pytest.fixture(scope="module")
def lam(gureum: Any) -> Any:
    return gureum.client("lambda")


@pytest.fixture(scope="module")
def role_arn(gureum: Any) -> str:
    iam = gureum.client("iam")
    name = f"apigw-role-{uuid.uuid4().hex[:8]}"
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"])


@pytest.fixture(scope="module")
def make_function(lam: Any, role_arn: str) -> Iterator[Callable[..., str]]:
    """make(code) -> the function's ARN; `allow` adds apigateway.amazonaws.com's permission
    for `source` (default: any API of the account)."""
    created: list[str] = []

    def make(code: str, *, allow: bool = True, source: str | None = None, **kwargs: Any) -> str:
        name = f"apigw-{uuid.uuid4().hex[:10]}"
        arn = str(lam.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="app.handler",
                                      Code={"ZipFile": zip_of({"app.py": code})}, **kwargs)["FunctionArn"])
        created.append(name)
        if allow:
            lam.add_permission(FunctionName=name, StatementId="apigw", Action="lambda:InvokeFunction",
                               Principal="apigateway.amazonaws.com",
                               **({"SourceArn": source} if source else {}))
        lam.get_waiter("function_active_v2").wait(FunctionName=name)
        return arn

    yield make
    for name in created:
        try:
            lam.delete_function(FunctionName=name)
        except Exception:
            pass


class Reply:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def header_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self) -> Any:
        return json.loads(self.body)


def call(gureum: Any, api_id: str, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | list[tuple[str, str]] | None = None) -> Reply:
    """`method path` on the API's invoke URL, by Host header (as curl to
    <id>.execute-api.localhost:<port> sends it)."""
    port = int(gureum.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", f"{api_id}.execute-api.localhost:{port}")
        items = headers.items() if isinstance(headers, dict) else (headers or [])
        for k, v in items:
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return Reply(resp.status, resp.getheaders(), resp.read())
    finally:
        conn.close()
