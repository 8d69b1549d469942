"""Key listings (ListObjects, ListObjectsV2, ListObjectVersions, ListMultipartUploads):
prefix, delimiter roll-up into common prefixes, markers, page limits — scanned from the
store in key order, skipping past each rolled-up prefix instead of reading its keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gureum.store.base import Txn

_PAGE = 1000
_AFTER_ALL = "\U0010ffff"


@dataclass
class Page:
    items: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (key, doc)
    prefixes: list[str] = field(default_factory=list)
    truncated: bool = False
    last: str | None = None  # the last key or common prefix returned (for markers/tokens)
    last_doc: dict[str, Any] | None = None


def scan_keys(
    t: Txn,
    table: str,
    bucket: str,
    prefix: str,
    delimiter: str,
    after: str | None,
    max_keys: int,
    key_of: Callable[[str], str] = lambda k: k,
    keep: Callable[[dict[str, Any]], bool] = lambda d: True,
    after_row: str | None = None,
) -> Page:
    """Entries of `table` under `<bucket>/<prefix>`, after key `after` (exclusive), or after
    the exact row key `after_row`. `key_of` maps the part of a row key after `<bucket>/` to
    the object key (tables with version suffixes)."""
    page = Page()
    head = f"{bucket}/"
    base = head + prefix
    if after_row is not None:
        start: str | None = after_row
    elif after is not None and delimiter and after.startswith(prefix) and after.endswith(delimiter) \
            and after.find(delimiter, len(prefix)) == len(after) - len(delimiter):
        start = head + after + _AFTER_ALL  # a common prefix ended the last page: skip what it rolled up
    elif after is not None:
        # from `after` itself (skipped below) or past all of its versions (`key\x01seq`)
        start = head + after + ("" if table == "s3_objects" else "\x02")
    else:
        start = None
    if max_keys <= 0:
        return page
    count = 0
    while True:
        rows = t.scan(table, base, start=start, limit=_PAGE)
        if not rows:
            return page
        if rows[-1][0] == start and len(rows) == 1:
            return page
        for rowkey, doc in rows:
            if rowkey == start or (after_row is not None and rowkey <= after_row):
                continue
            start = rowkey
            key = key_of(rowkey[len(head):])
            if after is not None and after_row is None and key <= after:
                continue
            if not keep(doc):
                continue
            if delimiter:
                idx = key.find(delimiter, len(prefix))
                if idx >= 0:
                    cp = key[: idx + len(delimiter)]
                    if count >= max_keys:
                        page.truncated = True
                        return page
                    if not page.prefixes or page.prefixes[-1] != cp:
                        page.prefixes.append(cp)
                        page.last = cp
                        page.last_doc = None
                        count += 1
                    start = head + cp + _AFTER_ALL
                    break
            if count >= max_keys:
                page.truncated = True
                return page
            page.items.append((key, doc))
            page.last = key
            page.last_doc = doc
            count += 1
        else:
            if len(rows) < _PAGE:
                return page
