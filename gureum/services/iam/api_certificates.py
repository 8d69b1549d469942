"""IAM operations on signing and server certificates (query protocol): thin handlers over
certificates.py. Certificates and keys are parsed before the store transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from gureum.aws.dispatch import RequestContext
from gureum.aws.errors import AwsError
from gureum.services.iam import ids
from gureum.services.iam.api import P, _caller_user_name, _page, _read, _run, iam_op
from gureum.services.iam.certificates import (
    ServerCertificates,
    SigningCertificates,
    certificate_id,
    check_server_certificate,
    parse_certificate,
)

T = TypeVar("T")


async def _signing(ctx: RequestContext, fn: Callable[[SigningCertificates], T], *, write: bool = True) -> T:
    return await (_run if write else _read)(ctx, lambda m: fn(SigningCertificates(m)))


async def _server(ctx: RequestContext, fn: Callable[[ServerCertificates], T], *, write: bool = True) -> T:
    return await (_run if write else _read)(ctx, lambda m: fn(ServerCertificates(m)))


async def _cert_user(ctx: RequestContext, p: P) -> str:
    name = p.get("UserName") or await _caller_user_name(ctx)
    if name is None:
        raise AwsError.modeled("iam", "ValidationError", "Must specify userName when calling with root credentials")
    return str(name)


# --- signing certificates --------------------------------------------------------------
def _signing_view(doc: dict[str, Any]) -> P:
    return {
        "UserName": doc["UserName"],
        "CertificateId": doc["CertificateId"],
        "CertificateBody": doc["CertificateBody"],
        "Status": doc["Status"],
        "UploadDate": ids.parse_iso(doc["UploadDate"]),
    }


@iam_op("UploadSigningCertificate")
async def upload_signing_certificate(ctx: RequestContext, p: P) -> P:
    user = await _cert_user(ctx, p)
    cert = parse_certificate(p["CertificateBody"])
    expired = cert.not_valid_after_utc < ids.now()
    doc = await _signing(ctx, lambda x: x.upload(user, p["CertificateBody"], certificate_id(cert), expired))
    return {"Certificate": _signing_view(doc)}


@iam_op("ListSigningCertificates")
async def list_signing_certificates(ctx: RequestContext, p: P) -> P:
    user = await _cert_user(ctx, p)
    rows = await _signing(ctx, lambda x: x.listing(user), write=False)
    return _page("Certificates", rows, p, _signing_view)


@iam_op("UpdateSigningCertificate")
async def update_signing_certificate(ctx: RequestContext, p: P) -> P:
    user = await _cert_user(ctx, p)
    await _signing(ctx, lambda x: x.set_status(user, p["CertificateId"], p["Status"]))
    return {}


@iam_op("DeleteSigningCertificate")
async def delete_signing_certificate(ctx: RequestContext, p: P) -> P:
    user = await _cert_user(ctx, p)
    await _signing(ctx, lambda x: x.delete(user, p["CertificateId"]))
    return {}


# --- server certificates ---------------------------------------------------------------
def _server_metadata(doc: dict[str, Any]) -> P:
    return {
        "Path": doc["Path"],
        "ServerCertificateName": doc["ServerCertificateName"],
        "ServerCertificateId": doc["ServerCertificateId"],
        "Arn": doc["Arn"],
        "UploadDate": ids.parse_iso(doc["UploadDate"]),
        "Expiration": ids.parse_iso(doc["Expiration"]),
    }


@iam_op("UploadServerCertificate")
async def upload_server_certificate(ctx: RequestContext, p: P) -> P:
    chain = p.get("CertificateChain")
    expiration = check_server_certificate(p["CertificateBody"], p["PrivateKey"], chain)
    doc = await _server(
        ctx,
        lambda x: x.upload(
            p["ServerCertificateName"], p.get("Path", "/"), p["CertificateBody"], chain, expiration, p.get("Tags")
        ),
    )
    out: P = {"ServerCertificateMetadata": _server_metadata(doc)}
    if doc["Tags"]:
        out["Tags"] = doc["Tags"]
    return out


@iam_op("GetServerCertificate")
async def get_server_certificate(ctx: RequestContext, p: P) -> P:
    doc = await _server(ctx, lambda x: x.get(p["ServerCertificateName"]), write=False)
    out: P = {"ServerCertificateMetadata": _server_metadata(doc), "CertificateBody": doc["CertificateBody"]}
    if "CertificateChain" in doc:
        out["CertificateChain"] = doc["CertificateChain"]
    if doc["Tags"]:
        out["Tags"] = doc["Tags"]
    return {"ServerCertificate": out}


@iam_op("ListServerCertificates")
async def list_server_certificates(ctx: RequestContext, p: P) -> P:
    rows = await _server(ctx, lambda x: x.listing(p.get("PathPrefix")), write=False)
    return _page("ServerCertificateMetadataList", rows, p, _server_metadata)


@iam_op("UpdateServerCertificate")
async def update_server_certificate(ctx: RequestContext, p: P) -> P:
    await _server(
        ctx, lambda x: x.update(p["ServerCertificateName"], p.get("NewServerCertificateName"), p.get("NewPath"))
    )
    return {}


@iam_op("DeleteServerCertificate")
async def delete_server_certificate(ctx: RequestContext, p: P) -> P:
    await _server(ctx, lambda x: x.delete(p["ServerCertificateName"]))
    return {}


@iam_op("TagServerCertificate")
async def tag_server_certificate(ctx: RequestContext, p: P) -> P:
    await _server(ctx, lambda x: x.tag(p["ServerCertificateName"], p["Tags"]))
    return {}


@iam_op("UntagServerCertificate")
async def untag_server_certificate(ctx: RequestContext, p: P) -> P:
    await _server(ctx, lambda x: x.untag(p["ServerCertificateName"], p["TagKeys"]))
    return {}


@iam_op("ListServerCertificateTags")
async def list_server_certificate_tags(ctx: RequestContext, p: P) -> P:
    doc = await _server(ctx, lambda x: x.get(p["ServerCertificateName"]), write=False)
    return _page("Tags", [(t["Key"].lower(), t) for t in doc["Tags"]], p, dict, ordered=False)
