"""Annotation rows go with the object version they annotate (model.py on a MemoryStore): an
overwritten null version, a version deleted by id, an object deleted in an unversioned bucket."""

from __future__ import annotations

from typing import Any

from gureum.services.s3 import annotations, model
from gureum.store.memory import MemoryStore

ACCOUNT = "000000000000"


def _put(store: MemoryStore, bucket: str, key: str) -> dict[str, Any]:
    return store.run_sync(lambda t: model.put_object(t, bucket, ACCOUNT, {"key": key, "mtime": 0.0, "size": 1,
                                                                          "etag": '"e"', "blobs": []})[0])


def _annotate(store: MemoryStore, bucket: str, key: str, vid: str | None, name: str) -> None:
    doc = {"name": name, "mtime": 0.0, "etag": '"a"', "size": 1, "cks": {}, "data": "eA=="}
    store.run_sync(lambda t: annotations.put(t, bucket, ACCOUNT, key, vid, name, doc, None))


def _rows(store: MemoryStore) -> int:
    return int(store.read_sync(lambda t: t.count(annotations.ANNOTATIONS)))


def test_annotations_are_dropped_with_their_version() -> None:
    store = MemoryStore()
    store.run_sync(lambda t: model.create_bucket(t, "plain", ACCOUNT, "us-east-1"))
    _put(store, "plain", "k")
    _annotate(store, "plain", "k", None, "a")
    _put(store, "plain", "k")  # the null version is replaced
    assert _rows(store) == 0
    _annotate(store, "plain", "k", None, "b")
    store.run_sync(lambda t: model.delete_object(t, "plain", ACCOUNT, "k"))
    assert _rows(store) == 0

    store.run_sync(lambda t: model.create_bucket(t, "versioned", ACCOUNT, "us-east-1"))
    store.run_sync(lambda t: model.update_bucket(t, "versioned", ACCOUNT, versioning="Enabled"))
    first = _put(store, "versioned", "k")["vid"]
    second = _put(store, "versioned", "k")["vid"]
    _annotate(store, "versioned", "k", first, "a")
    _annotate(store, "versioned", "k", second, "a")
    store.run_sync(lambda t: model.delete_object(t, "versioned", ACCOUNT, "k", first))
    assert _rows(store) == 1  # the other version keeps its annotation
