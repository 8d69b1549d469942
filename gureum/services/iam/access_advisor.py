"""IAM access advisor: which AWS services each user and role last authenticated to, as gureum
sees it, and the reports built from it (GenerateServiceLastAccessedDetails,
GetServiceLastAccessedDetails, GetServiceLastAccessedDetailsWithEntities).

What is recorded: every request signed with an IAM user's access key (AKIA...) or a role
session's temporary credentials (ASIA... of AssumeRole*) notes, at most once a minute per key,
service and region (lookup.note_access_key_used, called by the edge's authentication), the
service's namespace (the SigV4 signing name), the region and the time, per entity.

Tables:
- `iam_service_access`, key `<account>/<user|role>/<lower-cased name>/<service>`: {"Date"
  (ISO 8601), "Region", "Arn" (the entity's ARN)}.
- `iam_access_jobs`, key `<account>/<job id>`: a generated report {"JobId", "JobType"
  (SERVICE_LEVEL | ACTION_LEVEL), "Arn", "JobCreationDate", "JobCompletionDate", "Services":
  [ServiceLastAccessed...], "Entities": {namespace: [EntityDetails...]}}: complete when
  generated (JobStatus COMPLETED), kept as generated (AWS keeps reports for 7 days: older
  ones are dropped when a new one is made).

A report covers the services the entity's policies allow (a policy's Allow actions; "*" or
"<service>:*" prefixes), each with the last access of the entity (a group: its members; a
managed policy: the users, groups' members and roles it is attached to), the entity that
made it and how many entities did.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.iam import entities, ids
from gureum.services.iam.model import Iam
from gureum.services.iam.policies import Policies
from gureum.store.base import Txn

ACCESS = "iam_service_access"
JOBS = "iam_access_jobs"
KEEP = timedelta(days=7)
# Services gureum serves (a "*" action grants these), with their names as AWS shows them.
SERVICE_NAMES = {
    "iam": "AWS Identity and Access Management", "sts": "AWS Security Token Service", "route53": "Amazon Route 53",
    "lambda": "AWS Lambda", "s3": "Amazon S3", "sns": "Amazon SNS", "sqs": "Amazon SQS",
    "ecr": "Amazon Elastic Container Registry", "ecs": "Amazon Elastic Container Service",
    "logs": "Amazon CloudWatch Logs", "servicediscovery": "AWS Cloud Map",
}


def record(txn: Txn, account: str, kind: str, name: str, arn: str, service: str, region: str) -> None:
    txn.put(ACCESS, f"{account}/{kind}/{name.lower()}/{service}", {"Date": ids.iso(ids.now()), "Region": region, "Arn": arn})


def _accesses(txn: Txn, account: str, kind: str, name: str) -> dict[str, dict[str, Any]]:
    prefix = f"{account}/{kind}/{name.lower()}/"
    return {key[len(prefix):]: doc for key, doc in txn.scan(ACCESS, prefix)}


def granted_services(documents: list[str]) -> set[str]:
    """The service namespaces Allow statements of these policies name in their actions."""
    out: set[str] = set()
    for text in documents:
        try:
            doc = json.loads(text)
        except ValueError:
            continue
        statements = doc.get("Statement") if isinstance(doc, dict) else None
        for st in statements if isinstance(statements, list) else [statements] if isinstance(statements, dict) else []:
            if not isinstance(st, dict) or st.get("Effect") != "Allow" or "Action" not in st:
                continue
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            for action in actions:
                if not isinstance(action, str):
                    continue
                if action == "*" or action.startswith("*"):
                    out |= set(SERVICE_NAMES)
                elif ":" in action:
                    out.add(action.split(":", 1)[0].lower())
    return out


def _members(iam: Iam, arn: str) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    """(the users and roles whose access counts, the policy documents that grant services)."""
    if ":policy/" in arn:
        p = Policies(iam)
        found = entities.managed_document(p, arn)
        if found is None:
            raise AwsError.modeled("iam", "NoSuchEntity", f"Policy {arn} does not exist or is not attachable.")
        members: list[tuple[str, dict[str, Any]]] = []
        for _k, (kind, named) in p.entities_for_policy(arn, None, None):
            if kind == "group":
                members += [("user", u) for _, u in iam.group_members(named["GroupName"])]
            elif kind == "user":
                members.append((kind, iam.get_user(named["UserName"])))
            else:
                members.append((kind, iam.get_role(named["RoleName"])))
        return members, [found[1]]
    kind, doc = entities.entity_of_arn(iam, arn)
    documents = [s.document for s in entities.sources(iam, kind, doc)]
    if kind == "group":
        return [("user", u) for _, u in iam.group_members(doc["GroupName"])], documents
    return [(kind, doc)], documents


def _entity_info(kind: str, doc: dict[str, Any]) -> dict[str, Any]:
    name = doc["UserName"] if kind == "user" else doc["RoleName"]
    return {"Arn": doc["Arn"], "Name": name, "Type": kind.upper(), "Id": doc.get("UserId") or doc.get("RoleId"),
            "Path": doc.get("Path", "/")}


def generate(txn: Txn, account: str, arn: str, granularity: str) -> str:
    iam = Iam(txn, account)
    members, documents = _members(iam, arn)
    services = sorted(granted_services(documents))
    now = ids.now()
    rows, by_service = [], {}
    for ns in services:
        seen = []
        for kind, doc in members:
            hit = _accesses(txn, account, kind, doc["UserName"] if kind == "user" else doc["RoleName"]).get(ns)
            seen.append((kind, doc, hit))
        used = sorted((s for s in seen if s[2] is not None), key=lambda s: s[2]["Date"], reverse=True)  # type: ignore[index]
        row: dict[str, Any] = {"ServiceName": SERVICE_NAMES.get(ns, ns), "ServiceNamespace": ns,
                               "TotalAuthenticatedEntities": len(used)}
        if used:
            _k, doc, hit = used[0]
            row.update({"LastAuthenticated": hit["Date"], "LastAuthenticatedEntity": doc["Arn"],  # type: ignore[index]
                        "LastAuthenticatedRegion": hit["Region"]})  # type: ignore[index]
        rows.append(row)
        by_service[ns] = [{"EntityInfo": _entity_info(k, d), **({"LastAuthenticated": h["Date"]} if h else {})}
                          for k, d, h in seen]
    for key, job in list(txn.scan(JOBS, f"{account}/")):
        if ids.parse_iso(job["JobCreationDate"]) < now - KEEP:
            txn.delete(JOBS, key)
    job_id = str(uuid.uuid4())
    txn.put(JOBS, f"{account}/{job_id}", {"JobId": job_id, "JobType": granularity, "Arn": arn,
                                           "JobCreationDate": ids.iso(now), "JobCompletionDate": ids.iso(now),
                                           "Services": rows, "Entities": by_service})
    return job_id


def job(txn: Txn, account: str, job_id: str) -> dict[str, Any]:
    doc = txn.get(JOBS, f"{account}/{job_id}")
    if doc is None:
        raise AwsError.modeled("iam", "NoSuchEntity", f"No report found for job {job_id}.")
    return doc
