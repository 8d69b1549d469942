"""IAM operations on users' SSH public keys (query protocol): thin handlers over ssh_keys.py.
The key is parsed (and fingerprinted) before the store transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from gureum.aws.dispatch import RequestContext
from gureum.aws.errors import AwsError
from gureum.services.iam import ids
from gureum.services.iam.api import P, _caller_user_name, _page, _read, _run, iam_op
from gureum.services.iam.ssh_keys import SshKeys, parse_key, render

T = TypeVar("T")


async def _write(ctx: RequestContext, fn: Callable[[SshKeys], T]) -> T:
    return await _run(ctx, lambda m: fn(SshKeys(m)))


async def _look(ctx: RequestContext, fn: Callable[[SshKeys], T]) -> T:
    return await _read(ctx, lambda m: fn(SshKeys(m)))


def _metadata(doc: dict[str, Any]) -> P:
    return {
        "UserName": doc["UserName"],
        "SSHPublicKeyId": doc["SSHPublicKeyId"],
        "Status": doc["Status"],
        "UploadDate": ids.parse_iso(doc["UploadDate"]),
    }


def _full(doc: dict[str, Any], body: str) -> P:
    return {**_metadata(doc), "Fingerprint": doc["Fingerprint"], "SSHPublicKeyBody": body}


@iam_op("UploadSSHPublicKey")
async def upload_ssh_public_key(ctx: RequestContext, p: P) -> P:
    blob, fingerprint = parse_key(p["SSHPublicKeyBody"])
    doc = await _write(ctx, lambda x: x.upload(p["UserName"], p["SSHPublicKeyBody"], blob, fingerprint))
    return {"SSHPublicKey": _full(doc, doc["SSHPublicKeyBody"])}


@iam_op("GetSSHPublicKey")
async def get_ssh_public_key(ctx: RequestContext, p: P) -> P:
    doc = await _look(ctx, lambda x: x.get(p["UserName"], p["SSHPublicKeyId"]))
    return {"SSHPublicKey": _full(doc, render(doc["Blob"], p["Encoding"]))}


@iam_op("ListSSHPublicKeys")
async def list_ssh_public_keys(ctx: RequestContext, p: P) -> P:
    user = p.get("UserName") or await _caller_user_name(ctx)
    if user is None:  # the account root has no SSH keys of its own
        return {"SSHPublicKeys": [], "IsTruncated": False}
    rows = await _look(ctx, lambda x: x.list(user))
    return _page("SSHPublicKeys", rows, p, _metadata)


@iam_op("UpdateSSHPublicKey")
async def update_ssh_public_key(ctx: RequestContext, p: P) -> P:
    if p["Status"] == "Expired":  # a state IAM sets, not one a caller can
        raise AwsError.modeled("iam", "InvalidInput", "Status can only be set to Active or Inactive.")
    await _write(ctx, lambda x: x.set_status(p["UserName"], p["SSHPublicKeyId"], p["Status"]))
    return {}


@iam_op("DeleteSSHPublicKey")
async def delete_ssh_public_key(ctx: RequestContext, p: P) -> P:
    await _write(ctx, lambda x: x.delete(p["UserName"], p["SSHPublicKeyId"]))
    return {}
