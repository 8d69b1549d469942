"""gureum.aws.paging on plain values: tokens carry a key, bind to their listing, and pages
read with range scans over the in-memory store."""

from __future__ import annotations

import base64
import functools
from typing import Any

import pytest

from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.store.base import Txn
from gureum.store.memory import MemoryStore


def bad() -> AwsError:
    return AwsError("InvalidNextToken", "The specified token is invalid.", 400)


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore()

    def fill(t: Txn) -> None:
        for i in range(10):
            t.put("things", f"acct1/item{i:02d}", {"n": i, "even": i % 2 == 0})
        t.put("things", "acct2/item00", {"n": 100, "even": True})
        t.put("others", "acct1/item00", {"n": 0, "even": True})

    s.run_sync(fill)
    return s


def _all(store: MemoryStore, prefix: str, limit: int, **kw: object) -> list[list[int]]:
    pages: list[list[int]] = []
    token: str | None = None
    while True:
        def read(t: Txn, tok: str | None = token) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
            return paging.page(t, "things", prefix, token=tok, limit=limit, default_limit=100, error=bad, **kw)  # type: ignore[arg-type]

        rows, token = store.read_sync(read)
        pages.append([d["n"] for _, d in rows])
        if token is None:
            return pages


def test_pages_cover_the_prefix_in_key_order_without_overlap(store: MemoryStore) -> None:
    assert _all(store, "acct1/", 3) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]


def test_last_full_page_has_no_token(store: MemoryStore) -> None:
    assert _all(store, "acct1/", 5) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert _all(store, "acct1/", 10) == [list(range(10))]


def test_keep_filters_without_empty_pages(store: MemoryStore) -> None:
    pages = _all(store, "acct1/", 2, keep=lambda d: d["even"])
    assert pages == [[0, 2], [4, 6], [8]]


def test_default_and_max_limit(store: MemoryStore) -> None:
    rows, token = store.read_sync(lambda t: paging.page(t, "things", "acct1/", token=None, limit=None, default_limit=4, error=bad))
    assert len(rows) == 4 and token
    rows, token = store.read_sync(lambda t: paging.page(t, "things", "acct1/", token=None, limit=50, default_limit=4, max_limit=6, error=bad))
    assert len(rows) == 6 and token


def test_token_carries_the_last_key_versioned_and_urlsafe(store: MemoryStore) -> None:
    _, token = store.read_sync(lambda t: paging.page(t, "things", "acct1/", token=None, limit=3, default_limit=100, error=bad))
    assert token and set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert raw[0] == paging.VERSION
    assert raw[1 + paging.DIGEST_SIZE :] == b"acct1/item02"


def test_page_after_a_deleted_key_resumes_at_the_next_one(store: MemoryStore) -> None:
    _, token = store.read_sync(lambda t: paging.page(t, "things", "acct1/", token=None, limit=3, default_limit=100, error=bad))
    store.run_sync(lambda t: t.delete("things", "acct1/item02") and t.delete("things", "acct1/item03"))
    rows, _ = store.read_sync(lambda t: paging.page(t, "things", "acct1/", token=token, limit=3, default_limit=100, error=bad))
    assert [d["n"] for _, d in rows] == [4, 5, 6]


@pytest.mark.parametrize("where", [("others", "acct1/", None), ("things", "acct2/", None), ("things", "acct1/", {"status": "ACTIVE"})])
def test_token_of_another_listing_is_refused(store: MemoryStore, where: tuple[str, str, dict[str, str] | None]) -> None:
    _, token = store.read_sync(lambda t: paging.page(t, "things", "acct1/", token=None, limit=3, default_limit=100, error=bad))
    table, prefix, filters = where
    with pytest.raises(AwsError) as e:
        store.read_sync(lambda t: paging.page(t, table, prefix, token=token, limit=3, default_limit=100, filters=filters, error=bad))
    assert e.value.code == "InvalidNextToken"


def _tampered(token: str) -> list[str]:
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    other_version = bytes([2]) + raw[1:]
    other_key = raw[: 1 + paging.DIGEST_SIZE] + b"acct2/item00"
    flipped = bytearray(raw)
    flipped[3] ^= 1
    enc = [base64.urlsafe_b64encode(bytes(x)).decode().rstrip("=") for x in (other_version, other_key, flipped)]
    return [*enc, "not base64!", "12", "", "é", token[:-2]]


def test_tampered_or_foreign_tokens_are_refused(store: MemoryStore) -> None:
    _, token = store.read_sync(lambda t: paging.page(t, "things", "acct1/", token=None, limit=3, default_limit=100, error=bad))
    assert token
    for bad_token in _tampered(token):
        if bad_token == "":
            continue  # an empty token is "no token"
        with pytest.raises(AwsError) as e:
            store.read_sync(functools.partial(paging.page, table="things", prefix="acct1/", token=bad_token, limit=3, default_limit=100, error=bad))
        assert e.value.code == "InvalidNextToken", bad_token


def test_a_forged_token_outside_the_prefix_is_refused() -> None:
    binding = paging.bind("things", "acct1/")
    forged = paging.encode(binding, "acct0/zzz")
    with pytest.raises(paging.BadToken):
        paging.decode(paging.bind("things", "acct2/"), forged)
    s = MemoryStore()
    with pytest.raises(AwsError):
        s.read_sync(lambda t: paging.page(t, "things", "acct1/", token=forged, limit=3, default_limit=100, error=bad))


def test_page_items_over_a_sorted_sequence() -> None:
    items = [{"family": f, "rev": r} for f in ("a", "b") for r in (1, 2, 10)]
    def key(d: dict[str, Any]) -> paging.Sortable:
        return (d["family"], d["rev"])

    seen, token, pages = [], None, 0
    while True:
        chunk, token = paging.page_items(items, key, listing="x", token=token, limit=4, default_limit=100, error=bad)
        seen += chunk
        pages += 1
        if token is None:
            break
    assert seen == items and pages == 2


def test_page_items_descending_and_after_removal() -> None:
    items = sorted(range(10), reverse=True)
    chunk, token = paging.page_items(items, lambda n: n, listing="x", token=None, limit=3, default_limit=100, descending=True, error=bad)
    assert chunk == [9, 8, 7]
    rest = [n for n in items if n != 6]
    chunk, token = paging.page_items(rest, lambda n: n, listing="x", token=token, limit=3, default_limit=100, descending=True, error=bad)
    assert chunk == [5, 4, 3] and token


def test_page_items_refuses_tokens_of_another_listing() -> None:
    _, token = paging.page_items(list("abcdef"), str, listing="x", token=None, limit=2, default_limit=100, error=bad)
    with pytest.raises(AwsError):
        paging.page_items(list("abcdef"), str, listing="y", token=token, limit=2, default_limit=100, error=bad)
    with pytest.raises(AwsError):
        paging.page_items(list("abcdef"), str, listing="x", token=token, limit=2, default_limit=100, filters={"f": 1}, error=bad)


def test_page_items_in_an_order_of_their_own() -> None:
    items = ["zeta", "alpha", "mid", "beta"]
    chunk, token = paging.page_items(items, str, listing="x", token=None, limit=2, default_limit=100, ordered=False, error=bad)
    assert chunk == ["zeta", "alpha"] and token
    chunk, token = paging.page_items(items, str, listing="x", token=token, limit=2, default_limit=100, ordered=False, error=bad)
    assert chunk == ["mid", "beta"] and token is None
    _, token = paging.page_items(items, str, listing="x", token=None, limit=1, default_limit=100, ordered=False, error=bad)
    with pytest.raises(AwsError):  # the item the token named is gone: refused, not guessed at
        paging.page_items(["alpha", "mid"], str, listing="x", token=token, limit=2, default_limit=100, ordered=False, error=bad)
