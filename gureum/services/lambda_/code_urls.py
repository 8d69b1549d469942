"""Download links for function and layer code (GetFunction's `Code.Location`,
GetLayerVersion's `Content.Location`): like AWS's presigned S3 URLs, they expire after
10 minutes and are signed with a key kept in the store, so any node can check them.
Served at /_gureum/lambda/code/<sha256 hex>?expires=…&signature=…"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from typing import TYPE_CHECKING

from gureum.http.server import Request, Response
from gureum.public import public_url

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn

PREFIX = "/_gureum/lambda/code/"
LIFETIME_SECONDS = 600
_KEYS = "gureum.keys"
_KEY_NAME = "lambda-code-urls"
_HEX = re.compile(r"^[0-9a-f]{64}$")


async def _key(app: App) -> bytes:
    from gureum.services.lambda_.slots import CODE_URL_KEY

    def get_or_make(txn: Txn) -> str:
        row = txn.get(_KEYS, _KEY_NAME)
        if row is None:
            row = {"key": secrets.token_hex(32)}
            txn.put(_KEYS, _KEY_NAME, row)
        return row["key"]

    async def load() -> bytes:
        return bytes.fromhex(await app.store.run(get_or_make))

    return await app.parts.lazy_async(CODE_URL_KEY, load)


def _signature(key: bytes, hexdigest: str, expires: int) -> str:
    return hmac.new(key, f"{hexdigest}:{expires}".encode(), hashlib.sha256).hexdigest()


def endpoint(app: App) -> str:
    return public_url(app)


async def location(app: App, digest: str) -> str:
    """A link that downloads the zip stored under `digest` ("sha256:<hex>") for 10 minutes."""
    hexdigest = digest.split(":", 1)[-1]
    expires = int(time.time()) + LIFETIME_SECONDS
    sig = _signature(await _key(app), hexdigest, expires)
    return f"{endpoint(app)}{PREFIX}{hexdigest}?expires={expires}&signature={sig}"


def _denied(message: str, status: int = 403) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>{message}</Message></Error>'
    return Response(status, [("content-type", "application/xml")], body.encode())


async def handle(app: App, request: Request) -> Response:
    hexdigest = request.raw_path[len(PREFIX):]
    if request.method not in ("GET", "HEAD") or not _HEX.match(hexdigest):
        return _denied("Not a code download link", 404)
    q = request.query_dict()
    try:
        expires = int(q.get("expires", ""))
    except ValueError:
        return _denied("Missing expiry")
    if expires < time.time():
        return _denied("Request has expired")
    if not hmac.compare_digest(_signature(await _key(app), hexdigest, expires), q.get("signature", "")):
        return _denied("The request signature we calculated does not match the signature you provided.")
    digest = f"sha256:{hexdigest}"
    size = app.blobs.size(digest)
    if size is None:
        return _denied("The specified key does not exist.", 404)
    return Response(
        200,
        [("content-type", "application/zip"), ("etag", f'"{hexdigest}"')],
        app.blobs.read(digest),
        content_length=size,
    )
