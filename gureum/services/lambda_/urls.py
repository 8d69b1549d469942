"""Function URLs: one HTTP listener (setting `lambda.url_port`, default the API port + 1)
serving every function URL, picked by the Host header's first label
(`<url id>.lambda-url.<region>.localhost:<port>`) or, for clients that cannot resolve such
names (Python's urllib, getent), by path: `/_aws/lambda-url/<url id>/<path>` on this listener
or on the API port (the function sees `/<path>` as its rawPath either way). AuthType AWS_IAM
requires a SigV4 signature for service "lambda" (checked like any API request: verified in
strict auth mode), and the caller must be allowed lambda:InvokeFunctionUrl (gureum.policy.gate:
another account only through the function's resource policy). Requests become payload format 2.0 events;
the function's answer is mapped back the way AWS does (statusCode/headers/body/
isBase64Encoded/cookies, or any other JSON as a 200 application/json body).
With InvokeMode RESPONSE_STREAM, a function that streams (runtime_api.py `ResponseStream`)
has its response sent on as it comes (chunked): a stream of content type
application/vnd.awslambda.http-integration-response starts with a JSON prelude
(statusCode, headers, cookies) ended by 8 NUL bytes, as awslambda.HttpResponseStream.from
writes it; any other stream is a 200 body of its own content type. A function that answers
buffered is mapped as in BUFFERED mode.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from gureum.aws.errors import AwsError
from gureum.http.server import HttpServer, Request, Response
from gureum.public import public_url
from gureum.services.lambda_ import url_configs
from gureum.services.lambda_.runtime_api import ResponseStream
from gureum.services.lambda_.scheduler import Throttled
from gureum.services.lambda_.settings import LambdaSettings
from gureum.services.lambda_.slots import URLS

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.lambda_.engine import LambdaEngine

log = logging.getLogger("gureum.lambda.urls")
_CACHE_SECONDS = 2.0
PATH_PREFIX = "/_aws/lambda-url/"

HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"
_PRELUDE_END = b"\x00" * 8
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript", "application/x-www-form-urlencoded")


def _json_response(status: int, doc: dict[str, Any]) -> Response:
    return Response(status, [("content-type", "application/json")], json.dumps(doc).encode())


class UrlListener:
    def __init__(self, app: App, engine: LambdaEngine) -> None:
        self.app = app
        self.engine = engine
        self._http = HttpServer(self.handle)
        self.port = 0
        self._cache: dict[str, tuple[dict[str, Any] | None, float]] = {}

    async def start(self) -> None:
        host = self.app.config.host
        wanted = self.app.settings(LambdaSettings).url_port
        port = wanted if wanted is not None else self.app.http_address[1] + 1
        try:
            _, self.port = await self._http.start(host, port)
        except OSError:
            if wanted is not None:
                raise
            _, self.port = await self._http.start(host, 0)
        self.app.parts.put(URLS, self)

    async def stop(self) -> None:
        await self._http.stop(grace=1.0)

    def url_for(self, url_id: str, region: str) -> str:
        return f"http://{url_id}.lambda-url.{region}.localhost:{self.port}/"

    def path_url_for(self, url_id: str) -> str:
        """The same URL in path form, on the API port."""
        return public_url(self.app, None, f"{PATH_PREFIX}{url_id}/")

    def forget(self, url_id: str) -> None:
        """That URL's config changed (the engine follows Lambda's change events)."""
        self._cache.pop(url_id, None)

    async def _lookup(self, url_id: str) -> dict[str, Any] | None:
        hit = self._cache.get(url_id)
        if hit is not None and hit[1] > time.monotonic():
            return hit[0]

        doc = await self.app.store.read(lambda t: url_configs.lookup(t, url_id))
        self._cache[url_id] = (doc, time.monotonic() + _CACHE_SECONDS)
        return doc

    async def handle(self, req: Request) -> Response:
        if req.raw_path.startswith(PATH_PREFIX):
            url_id, _, rest = req.raw_path[len(PATH_PREFIX):].partition("/")
            raw_path = "/" + rest
            path = "/" + req.path[len(PATH_PREFIX):].partition("/")[2]
        else:
            url_id = req.host.split(".", 1)[0].split(":", 1)[0]
            raw_path, path = req.raw_path, req.path
        url_id = url_id.lower()
        doc = await self._lookup(url_id) if url_id else None
        if doc is None:
            return _json_response(403, {"Message": "Forbidden"})
        body = await req.body(limit=6 * 1024 * 1024)
        if doc["AuthType"] == "AWS_IAM" and not await self._allowed(req, body, doc):
            return _json_response(403, {"Message": "Forbidden"})
        request_id = str(uuid.uuid4())
        event = self._event(req, body, doc, url_id, request_id, raw_path, path)
        account, region = doc["account"], doc["region"]
        try:
            name = doc["key"].split("/", 2)[2]
            target = await self.engine.resolve(account, region, name, doc.get("qualifier"))
            if doc.get("InvokeMode") == "RESPONSE_STREAM":
                return await self._streamed(account, region, target, json.dumps(event).encode(), request_id)
            result = await self.engine.invoke(account, region, target, json.dumps(event).encode(), request_id=request_id)
        except Throttled:
            return _json_response(429, {"Message": "Rate Exceeded."})
        except AwsError as exc:
            return _json_response(exc.status if exc.status < 500 else 502, {"Message": exc.message})
        headers = [("x-amzn-requestid", request_id)]
        if result.function_error:
            return Response(502, headers + [("content-type", "application/json"), ("x-amzn-errortype", "Unhandled")], b'{"Message":"Internal Server Error"}')
        return self._response(result.payload, headers)

    async def _streamed(self, account: str, region: str, target: Any, payload: bytes, request_id: str) -> Response:
        """RESPONSE_STREAM: the function's stream sent on as it arrives."""
        stream = ResponseStream()
        engine = self.engine

        async def run() -> Any:
            try:
                return await engine.invoke(account, region, target, payload, request_id=request_id, stream=stream)
            except Exception as exc:
                return exc
            finally:
                stream.close()

        task = self.app.spawn(run(), name=f"lambda-url-stream-{request_id}")
        await asyncio.wait({stream.started, task}, return_when=asyncio.FIRST_COMPLETED)
        headers = [("x-amzn-requestid", request_id)]
        if not stream.started.done():  # it answered buffered (or not at all)
            outcome = task.result()
            if isinstance(outcome, Throttled):
                return _json_response(429, {"Message": "Rate Exceeded."})
            if isinstance(outcome, AwsError):
                return _json_response(outcome.status if outcome.status < 500 else 502, {"Message": outcome.message})
            if isinstance(outcome, BaseException) or outcome.function_error:
                return Response(502, headers + [("content-type", "application/json"), ("x-amzn-errortype", "Unhandled")],
                                b'{"Message":"Internal Server Error"}')
            return self._response(outcome.payload, headers)
        content_type = stream.started.result()
        chunks = stream.chunks()
        status = 200
        first = b""
        if content_type == HTTP_INTEGRATION:  # a JSON prelude, then 8 NUL bytes, then the body
            buf = b""
            async for data in chunks:
                buf += data
                if _PRELUDE_END in buf:
                    break
            head, _, first = buf.partition(_PRELUDE_END)
            try:
                prelude = json.loads(head) if head.strip() else {}
            except ValueError:
                prelude = {}
            status = int(prelude.get("statusCode") or 200)
            for k, v in (prelude.get("headers") or {}).items():
                headers.append((str(k), str(v)))
            for cookie in prelude.get("cookies") or []:
                headers.append(("set-cookie", str(cookie)))
            if not any(k.lower() == "content-type" for k, _ in headers):
                headers.append(("content-type", "application/octet-stream"))
        else:
            headers.append(("content-type", content_type))

        async def body() -> AsyncIterator[bytes]:
            if first:
                yield first
            async for data in chunks:
                yield data
            await task

        return Response(status, headers, body())

    async def _allowed(self, req: Request, body: bytes, doc: dict[str, Any]) -> bool:
        """AWS_IAM URLs need a SigV4 signature (verified in strict auth mode, like the API)
        from a caller allowed lambda:InvokeFunctionUrl: by the function's resource policy,
        or (same account) its own identity policies in strict mode — the authorization
        gate's rules, with lambda:FunctionUrlAuthType = AWS_IAM in the request context."""
        from gureum.aws.auth import authenticate
        from gureum.aws.dispatch import RequestContext
        from gureum.aws.routing import credential_scope
        from gureum.policy.gate import check

        scope = credential_scope(req)
        if scope is None or scope.service != "lambda":
            return False
        try:
            identity = await authenticate(self.app, req, scope, None, body)
            ctx = RequestContext(
                app=self.app, service="lambda", operation="InvokeFunctionUrl", account_id=identity.account_id,
                region=doc["region"], request_id="", access_key_id=identity.access_key_id,
                principal_arn=identity.arn, request=req,
            )
            await check(ctx, "lambda:InvokeFunctionUrl", [doc["FunctionArn"]], strict=self.app.config.auth == "strict",
                        extra_context={"lambda:FunctionUrlAuthType": "AWS_IAM"})
        except AwsError:
            return False
        return True

    def _event(
        self, req: Request, body: bytes, doc: dict[str, Any], url_id: str, request_id: str, raw_path: str, path: str,
    ) -> dict[str, Any]:
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for k, v in req.headers.items():
            if k == "cookie":
                cookies += [c.strip() for c in v.split(";") if c.strip()]
                continue
            headers[k] = f"{headers[k]},{v}" if k in headers else v
        query: dict[str, str] = {}
        for k, v in parse_qsl(req.query_string, keep_blank_values=True):
            query[k] = f"{query[k]},{v}" if k in query else v
        ctype = headers.get("content-type", "")
        is_text = not body or ctype.startswith(_TEXT_TYPES)
        now = datetime.now(timezone.utc)
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": raw_path,
            "rawQueryString": req.query_string,
            "headers": headers,
            "requestContext": {
                "accountId": "anonymous" if doc["AuthType"] == "NONE" else doc["account"],
                "apiId": url_id,
                "domainName": req.host.split(":", 1)[0],
                "domainPrefix": url_id,
                "http": {
                    "method": req.method,
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": req.client[0],
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": request_id,
                "routeKey": "$default",
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now.timestamp() * 1000),
            },
            "isBase64Encoded": not is_text,
        }
        if cookies:
            event["cookies"] = cookies
        if query:
            event["queryStringParameters"] = query
        if body:
            event["body"] = body.decode("utf-8", errors="replace") if is_text else base64.b64encode(body).decode()
        return event

    def _response(self, payload: bytes, headers: list[tuple[str, str]]) -> Response:
        try:
            out = json.loads(payload) if payload else None
        except ValueError:
            out = payload.decode("utf-8", errors="replace")
        if not isinstance(out, dict) or "statusCode" not in out:
            return Response(200, headers + [("content-type", "application/json")], payload)
        status = int(out.get("statusCode") or 200)
        for k, v in (out.get("headers") or {}).items():
            headers.append((str(k), str(v)))
        for cookie in out.get("cookies") or []:
            headers.append(("set-cookie", str(cookie)))
        body = out.get("body")
        if body is None:
            data = b""
        elif out.get("isBase64Encoded"):
            data = base64.b64decode(body)
        else:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("content-type", "application/json"))
        return Response(status, headers, data)


async def handle_path(app: App, req: Request) -> Response:
    """`/_aws/lambda-url/<url id>/...` on the API port: the function URL listener's answer."""
    listener = await app.parts.wait(URLS, timeout=30)
    return await listener.handle(req)
