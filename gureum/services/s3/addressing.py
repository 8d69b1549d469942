"""Which bucket and key an S3 request addresses: virtual-hosted-style Host headers
(`<bucket>.localhost`, `<bucket>.s3.localhost`, `<bucket>.s3[.<region>].amazonaws.com`) or
the path's first segment (path style)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import unquote

if TYPE_CHECKING:
    from gureum.http.server import Request

_VHOST = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9.-]*?)\.(?:s3\.)?(?:localhost|s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com)(?::\d+)?$"
)


def bucket_from_host(host: str) -> str | None:
    """The bucket named by a virtual-hosted-style Host header, if it is one."""
    m = _VHOST.match(host.lower())
    if m is None or m.group("bucket") in ("s3",):
        return None
    return m.group("bucket")


def split_path(request: Request) -> tuple[str, str] | None:
    """(bucket, key) a request addressed, from its Host and path (key "" for the bucket)."""
    path = unquote(request.raw_path)
    bucket = bucket_from_host(request.host)
    if bucket is None:
        name, _, key = path.lstrip("/").partition("/")
        return (name, key) if name else None
    return bucket, path.lstrip("/")
