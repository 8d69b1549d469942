"""Route 53's page-size and numeric-marker parameters, parsed once at the edge, and its
NextToken listings on the shared kit (gureum.aws.paging).

Route 53's models type `MaxItems`/`MaxResults` and some markers as strings; a value that is
not a positive integer is the client's fault (400 InvalidInput with AWS's validation text),
never a ValueError (500). Every list handler of the package reads them through here.

Two kinds of paging, as AWS documents them: the older listings take a `Marker` /
`StartRecordName` / `...IdMarker` that is a real key the client may build (a hosted zone id,
a record name and type), and those stay key markers in their handlers; the newer ones
(CIDR collections, locations and blocks, query logging configs, hosted zones by VPC) hand
out an opaque `NextToken`, which is a key token of gureum.aws.paging bound to its listing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from gureum.aws import paging
from gureum.aws.errors import AwsError

T = TypeVar("T")
Sortable = paging.Sortable


def _field(member: str) -> str:
    return member[:1].lower() + member[1:]


def count(params: dict, member: str = "MaxItems", default: int = 100, cap: int | None = None) -> int:
    """A page size (`MaxItems` or `MaxResults`): default when absent, at most `cap`."""
    raw = params.get(member)
    if raw is None or raw == "":
        return default
    n = number(raw, member)
    if n < 1:
        raise AwsError.modeled(
            "route53",
            "InvalidInput",
            f"1 validation error detected: Value '{raw}' at '{_field(member)}' failed to satisfy constraint: Member must have value greater than or equal to 1",
        )
    return min(n, cap) if cap else n


def number(raw: object, member: str) -> int:
    """A parameter the model types as a string but AWS reads as an integer."""
    text = str(raw).strip()
    if not text.lstrip("-").isdigit() or not text.isascii():
        raise AwsError.modeled(
            "route53",
            "InvalidInput",
            f"1 validation error detected: Value '{raw}' at '{_field(member)}' failed to satisfy constraint: Member must be a number",
        )
    return int(text)


def page(
    items: Sequence[T],
    key: Callable[[T], paging.Sortable],
    listing: str,
    params: dict,
    member: str = "MaxResults",
    default: int = 100,
    cap: int | None = None,
    code: str = "InvalidInput",
    filters: dict[str, Any] | None = None,
) -> tuple[list[T], str | None, int]:
    """A page of `items` (sorted by `key`) after the `NextToken` this listing handed out, the
    next token, and the page size; a token it did not hand out is the error `code`
    (InvalidInput or InvalidPaginationToken, per operation)."""
    n = count(params, member, default, cap)
    chunk, token = paging.page_items(
        items, key, listing=listing, token=params.get("NextToken"), limit=n, default_limit=default, filters=filters,
        error=lambda: AwsError.modeled(
            "route53", code, "The value that you specified for NextToken in a List request isn't valid."
        ))
    return chunk, token, n
