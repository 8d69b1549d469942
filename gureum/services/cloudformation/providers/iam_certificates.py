"""IAM server certificates and virtual MFA devices, made by the iam service's own handlers:

- AWS::IAM::ServerCertificate (Ref: the name; GetAtt Arn): UploadServerCertificate; the name,
  body, chain and private key replace it (the engine decides), Path changes in place
  (UpdateServerCertificate NewPath, which moves the ARN) and tags through
  TagServerCertificate / UntagServerCertificate.
- AWS::IAM::VirtualMFADevice (Ref and GetAtt SerialNumber: the device's ARN):
  CreateVirtualMFADevice, then EnableMFADevice for each of Users with two consecutive codes the
  provider computes from the seed the create returned (as an authenticator app would: RFC 6238
  through pyotp). The seed is never kept (IAM shows it once), so a change of Users makes a new
  device (replacement) rather than enabling the old one for another user; tags change in place
  (TagMFADevice / UntagMFADevice), the name and path replace it. Delete deactivates the device
  for its users, then DeleteVirtualMFADevice.
Every delete takes an already-gone resource as done (NoSuchEntity)."""

from __future__ import annotations

import time
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    ignore_missing,
    provider,
    refuse_unapplied,
    updating,
)

CERT, MFA = "AWS::IAM::ServerCertificate", "AWS::IAM::VirtualMFADevice"
_CERT = ("CertificateBody", "CertificateChain", "Path", "PrivateKey", "ServerCertificateName", "Tags")
_MFA = ("Path", "Tags", "Users", "VirtualMfaDeviceName")
STEP_SECONDS = 30


def _tag_diff(ctx: ResourceContext, old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], list[dict[str, str]]]:
    """(keys to remove, tags to set) taking the resource's tags from `old` to `new`."""
    before = {t["Key"]: t["Value"] for t in ctx.tag_list(old)}
    after = {t["Key"]: t["Value"] for t in ctx.tag_list(new)}
    return [k for k in before if k not in after], [{"Key": k, "Value": v} for k, v in after.items() if before.get(k) != v]


# --- server certificates -----------------------------------------------------------------------
@provider(CERT)
async def create_server_certificate(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(CERT, props, _CERT)
    name = str(props.get("ServerCertificateName") or ctx.name(128))
    params: dict[str, Any] = {"ServerCertificateName": name, "Path": props.get("Path", "/")}
    for k in ("CertificateBody", "CertificateChain", "PrivateKey"):
        if props.get(k):
            params[k] = props[k]
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    meta = (await ctx.call("iam", "UploadServerCertificate", params))["ServerCertificateMetadata"]
    return Done(name, {"Arn": meta["Arn"]})


@updating(CERT)
async def update_server_certificate(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                    done: Done) -> Done:
    refuse_unapplied(CERT, new, _CERT)
    if old.get("Path", "/") != new.get("Path", "/"):
        await ctx.call("iam", "UpdateServerCertificate", {"ServerCertificateName": physical, "NewPath": new.get("Path", "/")})
    gone, changed = _tag_diff(ctx, old, new)
    if gone:
        await ctx.call("iam", "UntagServerCertificate", {"ServerCertificateName": physical, "TagKeys": gone})
    if changed:
        await ctx.call("iam", "TagServerCertificate", {"ServerCertificateName": physical, "Tags": changed})
    meta = (await ctx.call("iam", "GetServerCertificate", {"ServerCertificateName": physical}))
    return Done(physical, {"Arn": meta["ServerCertificate"]["ServerCertificateMetadata"]["Arn"]})


@deleting(CERT)
async def delete_server_certificate(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ignore_missing(ctx.call("iam", "DeleteServerCertificate", {"ServerCertificateName": physical}), "NoSuchEntity")


# --- virtual MFA devices -----------------------------------------------------------------------
async def _enable(ctx: ResourceContext, serial: str, seed: str, user: str) -> None:
    """EnableMFADevice for `user` with the codes of two consecutive steps: the first pair IAM
    takes (a step already used for this device is refused, so a later pair is tried)."""
    import pyotp  # only here: a start must not load it (tests/test_lean_start.py)

    totp = pyotp.TOTP(seed, interval=STEP_SECONDS)
    now = int(time.time() // STEP_SECONDS)
    for step in range(now - 1, now + 2):
        try:
            await ctx.call("iam", "EnableMFADevice", {"UserName": user, "SerialNumber": serial,
                                                      "AuthenticationCode1": totp.generate_otp(step),
                                                      "AuthenticationCode2": totp.generate_otp(step + 1)})
            return
        except AwsError as e:
            if e.code != "InvalidAuthenticationCode" or step == now + 1:
                raise


def _users(props: dict[str, Any]) -> list[str]:
    return [str(u) for u in props.get("Users") or ()]


@provider(MFA, replaces=("Users",))
async def create_virtual_mfa_device(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(MFA, props, _MFA)
    name = str(props.get("VirtualMfaDeviceName") or ctx.name(226))
    params: dict[str, Any] = {"VirtualMFADeviceName": name, "Path": props.get("Path", "/")}
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    device = (await ctx.call("iam", "CreateVirtualMFADevice", params))["VirtualMFADevice"]
    serial = str(device["SerialNumber"])
    seed = device["Base32StringSeed"]
    seed = seed.decode() if isinstance(seed, bytes) else str(seed)
    done = Done(serial, {"SerialNumber": serial})
    try:
        for user in _users(props):
            await _enable(ctx, serial, seed, user)
    except AwsError:
        await delete_virtual_mfa_device(ctx, serial, props, done)
        raise
    return done


@updating(MFA)
async def update_virtual_mfa_device(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                    done: Done) -> Done:
    refuse_unapplied(MFA, new, _MFA)
    gone, changed = _tag_diff(ctx, old, new)
    if gone:
        await ctx.call("iam", "UntagMFADevice", {"SerialNumber": physical, "TagKeys": gone})
    if changed:
        await ctx.call("iam", "TagMFADevice", {"SerialNumber": physical, "Tags": changed})
    return done


@deleting(MFA)
async def delete_virtual_mfa_device(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    for user in _users(props):
        await ignore_missing(ctx.call("iam", "DeactivateMFADevice", {"UserName": user, "SerialNumber": physical}),
                             "NoSuchEntity")
    await ignore_missing(ctx.call("iam", "DeleteVirtualMFADevice", {"SerialNumber": physical}), "NoSuchEntity")
