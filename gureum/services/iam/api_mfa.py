"""IAM operations on virtual MFA devices (query protocol): thin handlers over mfa.py; the
current TOTP step is read here, at the edge, so the model stays a function of its inputs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from gureum.aws.dispatch import RequestContext
from gureum.aws.errors import AwsError
from gureum.services.iam import ids, totp, views
from gureum.services.iam.api import P, _caller_user_name, _page, _read, _run, iam_op
from gureum.services.iam.mfa import MfaDevices

T = TypeVar("T")


async def _mfa(ctx: RequestContext, fn: Callable[[MfaDevices], T], *, write: bool = True) -> T:
    return await (_run if write else _read)(ctx, lambda m: fn(MfaDevices(m)))


async def _user(ctx: RequestContext, p: P) -> str:
    name = p.get("UserName") or await _caller_user_name(ctx)
    if name is None:
        raise AwsError.modeled("iam", "ValidationError", "Must specify userName when calling with root credentials")
    return str(name)


def _now_step() -> int:
    return totp.step_of(time.time())


@iam_op("CreateVirtualMFADevice")
async def create_virtual_mfa_device(ctx: RequestContext, p: P) -> P:
    doc = await _mfa(ctx, lambda x: x.create(p["VirtualMFADeviceName"], p.get("Path", "/"), p.get("Tags")))
    aliases = await _read(ctx, lambda m: m.account_aliases())
    uri = totp.provisioning_uri(doc["Seed"], p["VirtualMFADeviceName"], aliases[0] if aliases else ctx.account_id)
    out: P = {
        "SerialNumber": doc["SerialNumber"],
        "Base32StringSeed": doc["Seed"].encode(),
        "QRCodePNG": totp.qr_png(uri),
    }
    if doc["Tags"]:
        out["Tags"] = doc["Tags"]
    return {"VirtualMFADevice": out}


def _device_view(doc: dict[str, Any], users: dict[str, Any]) -> P:
    out: P = {"SerialNumber": doc["SerialNumber"]}
    user = users.get(doc.get("UserId", ""))
    if user is not None:
        out["User"] = views.user(user, tags=False)
        out["EnableDate"] = ids.parse_iso(doc["EnableDate"])
    if doc["Tags"]:
        out["Tags"] = doc["Tags"]
    return out


@iam_op("ListVirtualMFADevices")
async def list_virtual_mfa_devices(ctx: RequestContext, p: P) -> P:
    rows, users = await _mfa(ctx, lambda x: (x.listing(p.get("AssignmentStatus")), x.users_by_id()), write=False)
    return _page("VirtualMFADevices", rows, p, lambda d: _device_view(d, users))


@iam_op("EnableMFADevice")
async def enable_mfa_device(ctx: RequestContext, p: P) -> P:
    step = _now_step()
    await _mfa(
        ctx, lambda x: x.enable(p["UserName"], p["SerialNumber"], p["AuthenticationCode1"], p["AuthenticationCode2"], step)
    )
    return {}


@iam_op("ResyncMFADevice")
async def resync_mfa_device(ctx: RequestContext, p: P) -> P:
    step = _now_step()
    await _mfa(
        ctx, lambda x: x.resync(p["UserName"], p["SerialNumber"], p["AuthenticationCode1"], p["AuthenticationCode2"], step)
    )
    return {}


@iam_op("ListMFADevices")
async def list_mfa_devices(ctx: RequestContext, p: P) -> P:
    name = p.get("UserName") or await _caller_user_name(ctx)
    if name is None:  # the account root's own devices are not kept here
        return {"MFADevices": [], "IsTruncated": False}
    rows, user = await _mfa(ctx, lambda x: (x.for_user(name), x.iam.get_user(name)), write=False)
    return _page("MFADevices", rows, p, lambda d: {
        "UserName": user["UserName"], "SerialNumber": d["SerialNumber"], "EnableDate": ids.parse_iso(d["EnableDate"]),
    })


@iam_op("GetMFADevice")
async def get_mfa_device(ctx: RequestContext, p: P) -> P:
    def get(x: MfaDevices) -> P:
        doc = x.find(p["SerialNumber"])
        users = x.users_by_id()
        user = users.get(doc.get("UserId", ""))
        if user is None or (p.get("UserName") and user["UserName"].lower() != p["UserName"].lower()):
            raise AwsError.modeled("iam", "NoSuchEntity", f"MFA Device with serial number {p['SerialNumber']} does not exist.")
        return {"UserName": user["UserName"], "SerialNumber": doc["SerialNumber"],
                "EnableDate": ids.parse_iso(doc["EnableDate"])}

    return await _mfa(ctx, get, write=False)


@iam_op("DeactivateMFADevice")
async def deactivate_mfa_device(ctx: RequestContext, p: P) -> P:
    user = await _user(ctx, p)
    await _mfa(ctx, lambda x: x.deactivate(user, p["SerialNumber"]))
    return {}


@iam_op("DeleteVirtualMFADevice")
async def delete_virtual_mfa_device(ctx: RequestContext, p: P) -> P:
    await _mfa(ctx, lambda x: x.delete(p["SerialNumber"]))
    return {}


@iam_op("TagMFADevice")
async def tag_mfa_device(ctx: RequestContext, p: P) -> P:
    await _mfa(ctx, lambda x: x.tag(p["SerialNumber"], p["Tags"]))
    return {}


@iam_op("UntagMFADevice")
async def untag_mfa_device(ctx: RequestContext, p: P) -> P:
    await _mfa(ctx, lambda x: x.untag(p["SerialNumber"], p["TagKeys"]))
    return {}


@iam_op("ListMFADeviceTags")
async def list_mfa_device_tags(ctx: RequestContext, p: P) -> P:
    doc = await _mfa(ctx, lambda x: x.find(p["SerialNumber"]), write=False)
    return _page("Tags", [(t["Key"].lower(), t) for t in doc["Tags"]], p, dict, ordered=False)


