"""Stored IAM documents -> the output shapes of botocore's iam model (timestamps as
datetimes, policy documents URL-encoded as IAM sends them, internal fields dropped)."""

from __future__ import annotations

from typing import Any

from gureum.services.iam import documents, ids
from gureum.store.base import Doc


def _date(s: str) -> Any:
    return ids.parse_iso(s)


def user(doc: Doc, *, tags: bool = True) -> dict[str, Any]:
    out = {
        "Path": doc["Path"],
        "UserName": doc["UserName"],
        "UserId": doc["UserId"],
        "Arn": doc["Arn"],
        "CreateDate": _date(doc["CreateDate"]),
    }
    if tags and doc.get("PermissionsBoundary"):
        out["PermissionsBoundary"] = doc["PermissionsBoundary"]
    if tags and doc.get("Tags"):
        out["Tags"] = doc["Tags"]
    return out


def group(doc: Doc) -> dict[str, Any]:
    return {
        "Path": doc["Path"],
        "GroupName": doc["GroupName"],
        "GroupId": doc["GroupId"],
        "Arn": doc["Arn"],
        "CreateDate": _date(doc["CreateDate"]),
    }


def role(doc: Doc, *, full: bool = True) -> dict[str, Any]:
    """GetRole/CreateRole show tags, boundary and last use; ListRoles does not."""
    out = {
        "Path": doc["Path"],
        "RoleName": doc["RoleName"],
        "RoleId": doc["RoleId"],
        "Arn": doc["Arn"],
        "CreateDate": _date(doc["CreateDate"]),
        "AssumeRolePolicyDocument": documents.encode(doc["AssumeRolePolicyDocument"]),
        "MaxSessionDuration": doc["MaxSessionDuration"],
    }
    if "Description" in doc:
        out["Description"] = doc["Description"]
    if full:
        if doc.get("PermissionsBoundary"):
            out["PermissionsBoundary"] = doc["PermissionsBoundary"]
        if doc.get("Tags"):
            out["Tags"] = doc["Tags"]
        last = doc.get("RoleLastUsed") or {}
        out["RoleLastUsed"] = (
            {"LastUsedDate": _date(last["LastUsedDate"]), "Region": last["Region"]} if last else {}
        )
    return out


def created_role(doc: Doc) -> dict[str, Any]:
    """CreateRole's (and CreateServiceLinkedRole's, UpdateRoleDescription's) Role: what
    GetRole shows less the MaxSessionDuration and RoleLastUsed AWS leaves out of these answers."""
    out = role(doc)
    del out["MaxSessionDuration"], out["RoleLastUsed"]
    return out


def access_key(rec: Doc, *, secret: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if rec.get("UserName"):
        out["UserName"] = rec["UserName"]
    out.update(AccessKeyId=rec["AccessKeyId"], Status=rec["Status"], CreateDate=_date(rec["CreateDate"]))
    if secret:
        out["SecretAccessKey"] = rec["SecretAccessKey"]
    return out


def access_key_last_used(rec: Doc) -> dict[str, Any]:
    last = rec.get("LastUsed")
    if not last:
        return {"ServiceName": "N/A", "Region": "N/A"}
    return {"LastUsedDate": _date(last["Date"]), "ServiceName": last["ServiceName"], "Region": last["Region"]}


def policy(doc: Doc, *, description: bool = True, tags: bool = True) -> dict[str, Any]:
    out = {
        "PolicyName": doc["PolicyName"],
        "PolicyId": doc["PolicyId"],
        "Arn": doc["Arn"],
        "Path": doc["Path"],
        "DefaultVersionId": doc["DefaultVersionId"],
        "AttachmentCount": doc.get("AttachmentCount", 0),
        "PermissionsBoundaryUsageCount": doc.get("PermissionsBoundaryUsageCount", 0),
        "IsAttachable": True,
        "CreateDate": _date(doc["CreateDate"]),
        "UpdateDate": _date(doc["UpdateDate"]),
    }
    if description and doc.get("Description") is not None:
        out["Description"] = doc["Description"]
    if tags and doc.get("Tags"):
        out["Tags"] = doc["Tags"]
    return out


def policy_version(v: Doc, *, document: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if document:
        out["Document"] = documents.encode(v["Document"])
    out.update(VersionId=v["VersionId"], IsDefaultVersion=v["IsDefaultVersion"], CreateDate=_date(v["CreateDate"]))
    return out


def instance_profile(doc: Doc, roles: list[Doc]) -> dict[str, Any]:
    out = {
        "Path": doc["Path"],
        "InstanceProfileName": doc["InstanceProfileName"],
        "InstanceProfileId": doc["InstanceProfileId"],
        "Arn": doc["Arn"],
        "CreateDate": _date(doc["CreateDate"]),
        "Roles": [role(r, full=False) for r in roles],
    }
    if doc.get("Tags"):
        out["Tags"] = doc["Tags"]
    return out
