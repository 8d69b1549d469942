"""IAM operations on service-specific credentials (query protocol): thin handlers over
service_credentials.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from gureum.aws.dispatch import RequestContext
from gureum.aws.errors import AwsError
from gureum.services.iam import ids
from gureum.services.iam.api import P, _caller_user_name, _page, _read, _run, iam_op
from gureum.services.iam.service_credentials import API_KEY_SERVICES, ServiceCredentials

T = TypeVar("T")


async def _creds(ctx: RequestContext, fn: Callable[[ServiceCredentials], T], *, write: bool = True) -> T:
    return await (_run if write else _read)(ctx, lambda m: fn(ServiceCredentials(m)))


async def _user(ctx: RequestContext, p: P) -> str:
    name = p.get("UserName") or await _caller_user_name(ctx)
    if name is None:
        raise AwsError.modeled("iam", "ValidationError", "Must specify userName when calling with root credentials")
    return str(name)


def _metadata(doc: dict[str, Any]) -> P:
    out: P = {
        "UserName": doc["UserName"],
        "Status": doc["Status"],
        "CreateDate": ids.parse_iso(doc["CreateDate"]),
        "ServiceSpecificCredentialId": doc["ServiceSpecificCredentialId"],
        "ServiceName": doc["ServiceName"],
    }
    for k in ("ServiceUserName", "ServiceCredentialAlias"):
        if k in doc:
            out[k] = doc[k]
    if "ExpirationDate" in doc:
        out["ExpirationDate"] = ids.parse_iso(doc["ExpirationDate"])
    return out


def _with_secret(doc: dict[str, Any], secret: str) -> P:
    out = _metadata(doc)
    out["ServiceCredentialSecret" if doc["ServiceName"] in API_KEY_SERVICES else "ServicePassword"] = secret
    return {"ServiceSpecificCredential": out}


@iam_op("CreateServiceSpecificCredential")
async def create_service_specific_credential(ctx: RequestContext, p: P) -> P:
    doc, secret = await _creds(ctx, lambda x: x.create(p["UserName"], p["ServiceName"], p.get("CredentialAgeDays")))
    return _with_secret(doc, secret)


@iam_op("ListServiceSpecificCredentials")
async def list_service_specific_credentials(ctx: RequestContext, p: P) -> P:
    user = None if p.get("AllUsers") else await _user(ctx, p)
    rows = await _creds(ctx, lambda x: x.listing(user, p.get("ServiceName")), write=False)
    return _page("ServiceSpecificCredentials", rows, p, _metadata)


@iam_op("ResetServiceSpecificCredential")
async def reset_service_specific_credential(ctx: RequestContext, p: P) -> P:
    user = await _user(ctx, p)
    doc, secret = await _creds(ctx, lambda x: x.reset(user, p["ServiceSpecificCredentialId"]))
    return _with_secret(doc, secret)


@iam_op("UpdateServiceSpecificCredential")
async def update_service_specific_credential(ctx: RequestContext, p: P) -> P:
    user = await _user(ctx, p)
    await _creds(ctx, lambda x: x.set_status(user, p["ServiceSpecificCredentialId"], p["Status"]))
    return {}


@iam_op("DeleteServiceSpecificCredential")
async def delete_service_specific_credential(ctx: RequestContext, p: P) -> P:
    user = await _user(ctx, p)
    await _creds(ctx, lambda x: x.delete(user, p["ServiceSpecificCredentialId"]))
    return {}
