"""One pagination for every service: opaque, versioned page tokens that carry a store key.

A listing is a prefix range of one store table read in key order. A page is read with a range
scan that starts just after the last key the previous page returned (`Txn.scan(start=...,
limit=...)`): no offsets, and no full scan to reach page N. The token carries that last key.

Token layout (then url-safe base64 without padding):

    VERSION (1 byte) | DIGEST (8 bytes) | last key (UTF-8)

DIGEST is blake2b(binding + NUL + key), where the binding names the listing the token came
from: the table, the prefix and a canonical JSON of the filter parameters (`bind`). A token
from another listing (another table, account, region, parent resource or filter) or with any
byte changed is refused with the caller's own AWS error (`InvalidNextToken`,
`InvalidPaginationToken`, `InvalidInput`... per operation); so is a key outside the prefix.
There is no secret: the digest binds, it does not hide. A client that forges a token can only
start a listing it may read anyway at a key of its choosing, inside the same prefix.

Listings that are not a prefix range of one table (their items are computed in memory, merged
from several tables, or sorted by something other than the store key, e.g. SQS queues held by
the engine, Lambda functions with derived views) use `page_items`: the same token over a
sequence sorted by a string key, found again by bisection. That is a documented fallback: the
caller builds the sequence (one scan), the token still carries a key and never an offset, so a
page stays correct when items are added or removed between requests. A listing whose order is
not a key order at all (IAM lists a resource's tags in the order they were added) passes
`ordered=False`: the token's key is then found by a linear search, and a token whose item
has gone since is refused with the listing's error rather than guessed at.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from gureum.aws.errors import AwsError
from gureum.store.base import Doc, Txn

T = TypeVar("T")

VERSION = 1
DIGEST_SIZE = 8
# The most rows one scan reads while a `keep` filter skips rows (bounds memory per step).
SCAN_BATCH = 500


class BadToken(ValueError):
    """A page token that this listing did not hand out."""


def bind(table: str, prefix: str, filters: Mapping[str, Any] | None = None) -> str:
    """The identity of a listing: its table, its prefix and its filter parameters."""
    canon = json.dumps(filters or {}, sort_keys=True, separators=(",", ":"), default=str)
    return f"{table}\x00{prefix}\x00{canon}"


def _digest(binding: str, key: str) -> bytes:
    data = binding.encode("utf-8", "surrogatepass") + b"\x00" + key.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=DIGEST_SIZE).digest()


def encode(binding: str, key: str) -> str:
    """A token that resumes the listing `binding` just after `key`."""
    raw = bytes([VERSION]) + _digest(binding, key) + key.encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode(binding: str, token: str) -> str:
    """The key a token of `binding` resumes after; BadToken for anything else."""
    if not isinstance(token, str) or not token.isascii():
        raise BadToken("token is not ASCII")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise BadToken("token is not base64") from None
    if len(raw) < 1 + DIGEST_SIZE or raw[0] != VERSION:
        raise BadToken("unknown token version")
    try:
        key = raw[1 + DIGEST_SIZE :].decode("utf-8")
    except UnicodeDecodeError:
        raise BadToken("token key is not UTF-8") from None
    if raw[1 : 1 + DIGEST_SIZE] != _digest(binding, key) or "\x00" in key:
        raise BadToken("token belongs to another listing")
    return key


def page_size(limit: int | None, default_limit: int, max_limit: int | None = None) -> int:
    """How many items a page holds: `limit` (default when absent or 0), capped at `max_limit`."""
    n = limit or default_limit
    return min(n, max_limit) if max_limit else n


class _Binding:
    """`bind(...)` computed on first use: a first page that ends the listing never needs it."""

    __slots__ = ("args", "text")

    def __init__(self, table: str, prefix: str, filters: Mapping[str, Any] | None) -> None:
        self.args = (table, prefix, filters)
        self.text: str | None = None

    def __call__(self) -> str:
        if self.text is None:
            self.text = bind(*self.args)
        return self.text


def _resume(binding: _Binding, prefix: str, token: str | None, error: Callable[[], AwsError]) -> str | None:
    if token is None or token == "":
        return None
    try:
        key = decode(binding(), token)
    except BadToken:
        raise error() from None
    if not key.startswith(prefix):
        raise error()
    return key


def page(
    txn: Txn,
    table: str,
    prefix: str,
    *,
    token: str | None,
    limit: int | None,
    default_limit: int,
    max_limit: int | None = None,
    keep: Callable[[Doc], bool] | None = None,
    filters: Mapping[str, Any] | None = None,
    error: Callable[[], AwsError],
) -> tuple[list[tuple[str, Doc]], str | None]:
    """One page of the rows of `table` under `prefix` (in key order) that `keep` accepts.

    Returns the page's (key, doc) rows and the token of the next page (None on the last one:
    a token is handed out only when another kept row exists, so no page is empty but the
    first). `filters` are the listing's filter parameters: a token is valid only with the same
    ones. `error()` builds the operation's own AWS error for a token this listing refuses."""
    binding = _Binding(table, prefix, filters)
    after = _resume(binding, prefix, token, error)
    n = page_size(limit, default_limit, max_limit)
    start = None if after is None else after + "\x00"
    out: list[tuple[str, Doc]] = []
    batch = n + 1 if keep is None else max(n + 1, min(SCAN_BATCH, 4 * n))
    while True:
        rows = txn.scan(table, prefix, start=start, limit=batch)
        for key, doc in rows:
            if keep is not None and not keep(doc):
                continue
            if len(out) == n:
                return out, encode(binding(), out[-1][0])
            out.append((key, doc))
        if len(rows) < batch:
            return out, None
        start = rows[-1][0] + "\x00"


Sortable = str | int | float | tuple[Any, ...]


def _sortable(value: Any) -> Sortable:
    return tuple(_sortable(v) for v in value) if isinstance(value, list) else value


def page_items(
    items: Sequence[T],
    key: Callable[[T], Sortable],
    *,
    listing: str,
    token: str | None,
    limit: int | None,
    default_limit: int,
    max_limit: int | None = None,
    descending: bool = False,
    ordered: bool = True,
    filters: Mapping[str, Any] | None = None,
    error: Callable[[], AwsError],
) -> tuple[list[T], str | None]:
    """One page of `items`, sorted by `key` (unique, JSON-able: a string, a number or a tuple
    of them; descending when `descending`), resuming after the key a token carries (found by
    bisection, never an offset, so an item added or removed between requests shifts nothing).
    `listing` names the listing (e.g. "ecs.tasks/<scope><cluster>:") so tokens of other
    listings are refused."""
    binding = _Binding(listing, "", filters)
    resumed = _resume(binding, "", token, error)
    n = page_size(limit, default_limit, max_limit)
    keys = [key(x) for x in items]
    i = 0
    if resumed is not None:
        try:
            after = _sortable(json.loads(resumed))
            if not ordered:
                if after not in keys:
                    raise error()
                i = keys.index(after) + 1
            elif descending:
                # keys run high to low: skip every key >= after
                lo, hi = 0, len(keys)
                while lo < hi:
                    mid = (lo + hi) // 2
                    if keys[mid] >= after:  # type: ignore[operator]
                        lo = mid + 1
                    else:
                        hi = mid
                i = lo
            else:
                i = bisect.bisect_right(keys, after)
        except (ValueError, TypeError):
            raise error() from None
    chunk = list(items[i : i + n])
    last = keys[i + n - 1] if i + n < len(items) else None
    nxt = None if last is None else encode(binding(), json.dumps(last, separators=(",", ":")))
    return chunk, nxt
