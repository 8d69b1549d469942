"""Pagination of ECS list operations through gureum.aws.paging: `nextToken` an opaque key
token bound to its listing, `maxResults` bounded per operation (Invalid nextToken / maxResults
are InvalidParameterException). Shared by api.py and instances_api.py (it lives here so that
neither imports the other for it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.store import Txn

T = TypeVar("T")


def size(params: dict[str, Any], default: int = 100, limit: int = 100) -> int:
    n = params.get("maxResults") or default
    if not 1 <= n <= limit:
        raise AwsError.modeled("ecs", "InvalidParameterException", f"maxResults must be between 1 and {limit}.")
    return int(n)


def bad_token() -> AwsError:
    return AwsError.modeled("ecs", "InvalidParameterException", "Invalid nextToken.")


def page(
    items: Sequence[T],
    key: Callable[[T], paging.Sortable],
    listing: str,
    params: dict[str, Any],
    filters: tuple[str, ...] = (),
    default: int = 100,
    limit: int = 100,
    descending: bool = False,
) -> tuple[list[T], str | None]:
    """A page of a listing computed in memory (sorted by `key`; see gureum.aws.paging)."""
    return paging.page_items(items, key, listing=listing, token=params.get("nextToken"), limit=size(params, default, limit),
                             default_limit=default, descending=descending, filters={f: params.get(f) for f in filters},
                             error=bad_token)


def page_rows(t: Txn, table: str, prefix: str, params: dict[str, Any], keep: Callable[[dict[str, Any]], bool],
               filters: tuple[str, ...] = (), default: int = 100, limit: int = 100) -> tuple[list[dict[str, Any]], str | None]:
    """A page of a prefix range of one table, read with a range scan (gureum.aws.paging)."""
    rows, token = paging.page(t, table, prefix, token=params.get("nextToken"), limit=size(params, default, limit),
                              default_limit=default, keep=keep, filters={f: params.get(f) for f in filters}, error=bad_token)
    return [d for _, d in rows], token

