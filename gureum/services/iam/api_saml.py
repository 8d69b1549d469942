"""IAM operations on SAML identity providers (query protocol): thin handlers over saml.py.
Metadata and keys are parsed before the store transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from gureum.aws.dispatch import RequestContext
from gureum.services.iam import ids
from gureum.services.iam.api import P, _page, _read, _run, iam_op
from gureum.services.iam.saml import SamlProviders, invalid_input, parse_metadata, private_key

T = TypeVar("T")


async def _saml(ctx: RequestContext, fn: Callable[[SamlProviders], T], *, write: bool = True) -> T:
    return await (_run if write else _read)(ctx, lambda m: fn(SamlProviders(m)))


def _unsupported(p: P) -> None:
    for param in ("ContextProvider", "IdentityCenterInstanceArn"):
        if p.get(param) is not None:  # they name AWS services gureum does not run
            raise invalid_input(f"{param} is not supported for this account.")


@iam_op("CreateSAMLProvider")
async def create_saml_provider(ctx: RequestContext, p: P) -> P:
    _unsupported(p)
    valid_until = parse_metadata(p["SAMLMetadataDocument"])
    key = private_key(p["AddPrivateKey"]) if p.get("AddPrivateKey") else None
    mode = p.get("AssertionEncryptionMode")
    if mode == "Required" and key is None:
        raise invalid_input("A private key is needed when assertion encryption is Required.")
    doc = await _saml(
        ctx, lambda x: x.create(p["Name"], p["SAMLMetadataDocument"], valid_until, p.get("Tags"), mode, key)
    )
    out: P = {"SAMLProviderArn": doc["Arn"]}
    if doc["Tags"]:
        out["Tags"] = doc["Tags"]
    return out


@iam_op("GetSAMLProvider")
async def get_saml_provider(ctx: RequestContext, p: P) -> P:
    doc = await _saml(ctx, lambda x: x.get(p["SAMLProviderArn"]), write=False)
    out: P = {
        "SAMLProviderUUID": doc["SAMLProviderUUID"],
        "SAMLMetadataDocument": doc["SAMLMetadataDocument"],
        "CreateDate": ids.parse_iso(doc["CreateDate"]),
    }
    if "ValidUntil" in doc:
        out["ValidUntil"] = ids.parse_iso(doc["ValidUntil"])
    if doc["Tags"]:
        out["Tags"] = doc["Tags"]
    if "AssertionEncryptionMode" in doc:
        out["AssertionEncryptionMode"] = doc["AssertionEncryptionMode"]
    if doc["PrivateKeys"]:
        out["PrivateKeyList"] = [{"KeyId": k["KeyId"], "Timestamp": ids.parse_iso(k["Timestamp"])}
                                 for k in doc["PrivateKeys"]]
    return out


@iam_op("ListSAMLProviders")
async def list_saml_providers(ctx: RequestContext, p: P) -> P:
    docs = await _saml(ctx, lambda x: x.listing(), write=False)
    out = []
    for d in docs:
        entry: dict[str, Any] = {"Arn": d["Arn"], "CreateDate": ids.parse_iso(d["CreateDate"])}
        if "ValidUntil" in d:
            entry["ValidUntil"] = ids.parse_iso(d["ValidUntil"])
        out.append(entry)
    return {"SAMLProviderList": out}


@iam_op("UpdateSAMLProvider")
async def update_saml_provider(ctx: RequestContext, p: P) -> P:
    _unsupported(p)
    changes: dict[str, Any] = {"mode": p.get("AssertionEncryptionMode"), "remove_key": p.get("RemovePrivateKey")}
    if p.get("SAMLMetadataDocument") is not None:
        changes["document"] = p["SAMLMetadataDocument"]
        changes["valid_until"] = parse_metadata(p["SAMLMetadataDocument"])
    if p.get("AddPrivateKey"):
        changes["add_key"] = private_key(p["AddPrivateKey"])
    doc = await _saml(ctx, lambda x: x.update(p["SAMLProviderArn"], changes))
    return {"SAMLProviderArn": doc["Arn"]}


@iam_op("DeleteSAMLProvider")
async def delete_saml_provider(ctx: RequestContext, p: P) -> P:
    await _saml(ctx, lambda x: x.delete(p["SAMLProviderArn"]))
    return {}


@iam_op("TagSAMLProvider")
async def tag_saml_provider(ctx: RequestContext, p: P) -> P:
    await _saml(ctx, lambda x: x.tag(p["SAMLProviderArn"], p["Tags"]))
    return {}


@iam_op("UntagSAMLProvider")
async def untag_saml_provider(ctx: RequestContext, p: P) -> P:
    await _saml(ctx, lambda x: x.untag(p["SAMLProviderArn"], p["TagKeys"]))
    return {}


@iam_op("ListSAMLProviderTags")
async def list_saml_provider_tags(ctx: RequestContext, p: P) -> P:
    doc = await _saml(ctx, lambda x: x.get(p["SAMLProviderArn"]), write=False)
    return _page("Tags", [(t["Key"].lower(), t) for t in doc["Tags"]], p, dict, ordered=False)
