"""S3's object port (s3/port.py) on values (MemoryStore and a blob store in a temporary dir,
no gureum process): an object found as GetObject by its account finds it, its body read
from its blob pieces, and S3's own errors for what is missing or not the caller's."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from gureum.app import App
from gureum.aws.errors import AwsError
from gureum.config import Config
from gureum.services.s3 import model, storage
from gureum.services.s3 import port as s3
from gureum.store.memory import MemoryStore

OWNER, OTHER = "111111111111", "222222222222"


def _app(tmp_path: Path) -> App:
    app = App(Config(data_dir=tmp_path))
    app.store = MemoryStore()
    return app


async def _put(app: App, bucket: str, key: str, body: bytes) -> dict[str, Any]:
    digest = await storage.blobs(app).put_bytes(body)
    doc = {"key": key, "size": len(body), "etag": '"e"', "blobs": [[digest, len(body)]]}
    obj, _ = await app.store.run(lambda t: model.put_object(t, bucket, OWNER, doc))
    return obj


def test_get_reads_the_current_and_a_given_version(tmp_path: Path) -> None:
    async def go() -> None:
        app = _app(tmp_path)
        await app.store.run(lambda t: model.create_bucket(t, "code", OWNER, "us-east-1"))
        await app.store.run(lambda t: model.update_bucket(t, "code", OWNER, versioning="Enabled"))
        first = await _put(app, "code", "fn.zip", b"one")
        await _put(app, "code", "fn.zip", b"second")
        current = await s3.get(app, OWNER, "code", "fn.zip")
        assert (current.size, await current.read()) == (6, b"second")
        old = await s3.get(app, OWNER, "code", "fn.zip", first["vid"])
        assert (old.version_id, old.size, await old.read()) == (first["vid"], 3, b"one")
        assert b"".join([c async for c in old.chunks()]) == b"one"

    asyncio.run(go())


def _code(app: App, *args: Any) -> str:
    with pytest.raises(AwsError) as exc:
        asyncio.run(s3.get(app, *args))
    return exc.value.code


def test_missing_or_foreign_objects_are_s3s_errors(tmp_path: Path) -> None:
    app = _app(tmp_path)

    async def setup() -> None:
        await app.store.run(lambda t: model.create_bucket(t, "files", OWNER, "us-east-1"))
        await app.store.run(lambda t: model.update_bucket(t, "files", OWNER, versioning="Enabled"))
        await _put(app, "files", "gone.env", b"A=1\n")
        await app.store.run(lambda t: model.delete_object(t, "files", OWNER, "gone.env"))  # a delete marker

    asyncio.run(setup())
    assert _code(app, OWNER, "nobucket", "k") == "NoSuchBucket"
    assert _code(app, OWNER, "files", "nokey") == "NoSuchKey"
    assert _code(app, OWNER, "files", "gone.env") == "NoSuchKey"
    assert _code(app, OTHER, "files", "gone.env") == "AccessDenied"
    assert _code(app, OWNER, "files", "gone.env", "nosuchversion") == "NoSuchVersion"
    marker = asyncio.run(app.store.read(lambda t: model.get_object(t, "files", OWNER, "gone.env")))["vid"]
    assert _code(app, OWNER, "files", "gone.env", marker) == "MethodNotAllowed"
