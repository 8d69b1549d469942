"""Function code: where a package comes from (inline or S3), zip checks at upload, and one
unpacked copy per code digest.

Zips are kept as content-addressed blobs; `CodeCache.unpacked(name, zips)` extracts them once
into `<root>/<name>/` (read-only for everyone, executable bits from the zip kept), shared by
every environment of every function with that code (name = the code digest, or a digest of
an ordered list of layers). Concurrent cold starts wait for one extraction.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import os
import shutil
import stat
import zipfile
from pathlib import Path
from typing import Any

from gureum.aws.dispatch import RequestContext
from gureum.aws.errors import AwsError
from gureum.services.s3 import port as s3

MAX_ZIPPED = 50 * 1024 * 1024  # through the API (ZipFile); larger packages come from S3
MAX_UNZIPPED = 250 * 1024 * 1024


class BadZip(Exception):
    """The upload is not a zip we can use (message is AWS's wording)."""


async def code_bytes(ctx: RequestContext, code: dict[str, Any] | None) -> bytes:
    """The zip a Code / Content parameter names: inline ZipFile, or an S3 object."""
    code = code or {}
    if code.get("ZipFile") is not None:
        if len(code["ZipFile"]) > MAX_ZIPPED:
            raise AwsError.modeled(
                "lambda",
                "RequestEntityTooLargeException",
                "Request must be smaller than 70167211 bytes for the CreateFunction operation",
                Type="User",
            )
        return code["ZipFile"]
    if code.get("ImageUri"):
        raise AwsError.modeled(
            "lambda",
            "InvalidParameterValueException",
            "Container image functions are not supported by gureum yet.",
            Type="User",
        )
    if code.get("S3Bucket") and code.get("S3Key"):
        return await _from_s3(ctx, code["S3Bucket"], code["S3Key"], code.get("S3ObjectVersion"))
    raise AwsError.modeled(
        "lambda", "InvalidParameterValueException", "Please provide a source for function code.", Type="User"
    )


async def _from_s3(ctx: RequestContext, bucket: str, key: str, version: str | None) -> bytes:
    try:
        obj = await s3.get(ctx.app, ctx.account_id, bucket, key, version)
    except AwsError:
        raise AwsError.modeled(
            "lambda",
            "InvalidParameterValueException",
            "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.",
            Type="User",
        ) from None
    if obj.size > MAX_UNZIPPED:
        raise AwsError.modeled(
            "lambda",
            "InvalidParameterValueException",
            f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes",
            Type="User",
        )
    return await obj.read()


async def store_code(ctx: RequestContext, zip_bytes: bytes) -> dict[str, Any]:
    """Check a deployment package and keep it as a blob: {digest, sha256 (CodeSha256), size}."""
    try:
        check_zip(zip_bytes)
    except BadZip as exc:
        raise AwsError.modeled("lambda", "InvalidParameterValueException", str(exc), Type="User") from None
    digest = await ctx.app.blobs.put_bytes(zip_bytes)
    return {"digest": digest, "sha256": code_sha256(zip_bytes), "size": len(zip_bytes)}


def check_zip(data: bytes) -> int:
    """Validate a deployment package; returns its unzipped size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = 0
            for info in zf.infolist():
                name = info.filename
                if name.startswith("/") or ".." in Path(name).parts:
                    raise BadZip("Could not unzip uploaded file. Please check your file, then try to upload again.")
                total += info.file_size
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise BadZip("Could not unzip uploaded file. Please check your file, then try to upload again.") from None
    if total > MAX_UNZIPPED:
        raise BadZip(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes")
    return total


def code_sha256(data: bytes) -> str:
    """Lambda's CodeSha256: base64 of the raw sha256 digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _extract(zip_paths: list[Path], target: Path) -> None:
    """Unzip each zip in order into `target` (later files win), atomically."""
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for zip_path in zip_paths:
        _unzip(zip_path, tmp)
    for dirpath, dirnames, _ in os.walk(tmp):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), 0o555)
    os.chmod(tmp, 0o555)
    os.replace(tmp, target)


def _unzip(zip_path: Path, tmp: Path) -> None:
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            dest = tmp / info.filename
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            mode = (info.external_attr >> 16) & 0o777
            if os.path.lexists(dest):
                os.unlink(dest)  # an earlier layer's file: this one wins
            if stat.S_ISLNK(info.external_attr >> 16):
                os.symlink(zf.read(info).decode(), dest)
                continue
            with zf.open(info) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
            os.chmod(dest, 0o444 | (0o111 if mode & 0o111 else 0))


class CodeCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._busy: dict[str, asyncio.Future[Path]] = {}

    async def unpacked(self, name: str, zip_paths: list[Path]) -> Path:
        """`zip_paths` extracted in order into `<root>/<name>`, once."""
        target = self.root / name
        if target.is_dir():
            return target
        fut = self._busy.get(name)
        if fut is not None:
            return await asyncio.shield(fut)
        fut = asyncio.get_running_loop().create_future()
        self._busy[name] = fut
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(_extract, zip_paths, target)
            fut.set_result(target)
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # mark retrieved
            raise
        finally:
            del self._busy[name]
        return target
