"""IAM users' service-specific credentials: a user name and password for CodeCommit (Git over
HTTPS) or Amazon Keyspaces, or a long-term API key for Amazon Bedrock.

Table (rows.py) `iam_service_credentials`: {acct}/{user id}/{credential id} -> {
"ServiceSpecificCredentialId", "ServiceName", "ServiceUserName" (or "ServiceCredentialAlias"
for Bedrock), "SecretHash", "Status", "CreateDate", ["ExpirationDate"]}; keyed by the user's
id (a renamed user keeps them; a user with any cannot be deleted, model.delete_user). The
password (or secret) is shown once, by Create and Reset: only its SHA-256 is kept. At most
MAX_PER_USER_PER_SERVICE credentials per user and service.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from gureum.aws.errors import AwsError
from gureum.services.iam import ids
from gureum.services.iam.model import Iam
from gureum.services.iam.rows import SERVICE_CREDS
from gureum.store.base import Doc

PASSWORD_SERVICES = ("codecommit.amazonaws.com", "cassandra.amazonaws.com")
API_KEY_SERVICES = ("bedrock.amazonaws.com",)
MAX_PER_USER_PER_SERVICE = 2
ID_PREFIX = "ACCA"


def check_service(name: str) -> None:
    if name not in PASSWORD_SERVICES + API_KEY_SERVICES:
        raise AwsError.modeled(
            "iam", "NotSupportedService", f"No such service {name} is supported for Service-Specific Credentials"
        )


def _secret() -> str:
    return secrets.token_urlsafe(33)  # 44 characters


class ServiceCredentials:
    """One account's service-specific credentials inside one transaction."""

    def __init__(self, iam: Iam) -> None:
        self.iam = iam
        self.t = iam.t

    def _with_secret(self, doc: Doc) -> tuple[Doc, str]:
        secret = _secret()
        doc["SecretHash"] = hashlib.sha256(secret.encode()).hexdigest()
        return doc, secret

    def create(self, user_name: str, service: str, age_days: int | None) -> tuple[Doc, str]:
        check_service(service)
        if age_days is not None and service not in API_KEY_SERVICES:
            raise AwsError.modeled("iam", "ValidationError", f"CredentialAgeDays is not supported for {service}")
        user = self.iam.get_user(user_name)
        prefix = self.iam.key(user["UserId"], "")
        if sum(1 for _, d in self.t.scan(SERVICE_CREDS, prefix) if d["ServiceName"] == service) >= MAX_PER_USER_PER_SERVICE:
            raise AwsError.modeled(
                "iam", "LimitExceeded",
                f"Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: {MAX_PER_USER_PER_SERVICE}",
            )
        now = ids.now()
        doc: Doc = {
            "ServiceSpecificCredentialId": ids.unique_id(ID_PREFIX),
            "ServiceName": service,
            "Status": "Active",
            "CreateDate": ids.iso(now),
        }
        login = f"{user['UserName']}-at-{self.iam.account}"
        if service in API_KEY_SERVICES:
            doc["ServiceCredentialAlias"] = f"BedrockAPIKey-{secrets.token_hex(2)}-at-{self.iam.account}"
            if age_days is not None:
                doc["ExpirationDate"] = ids.iso(now + timedelta(days=age_days))
        else:
            doc["ServiceUserName"] = login
        doc, secret = self._with_secret(doc)
        self.t.put(SERVICE_CREDS, prefix + doc["ServiceSpecificCredentialId"], doc)
        return {**doc, "UserName": user["UserName"]}, secret

    def _find(self, user_name: str, cred_id: str) -> tuple[str, Doc]:
        user = self.iam.get_user(user_name)
        key = self.iam.key(user["UserId"], cred_id)
        doc = self.t.get(SERVICE_CREDS, key)
        if doc is None:
            raise AwsError.modeled(
                "iam", "NoSuchEntity", f"No such credential {cred_id} exists"
            )
        doc["UserName"] = user["UserName"]
        return key, doc

    def listing(self, user_name: str | None, service: str | None) -> list[tuple[str, Doc]]:
        """A user's credentials (all users' when `user_name` is None), optionally of one service."""
        if service is not None:
            check_service(service)
        if user_name is None:
            users = {d["UserId"]: d["UserName"] for _, d in self.iam.list_users(None)}
            prefix = self.iam.key("")
        else:
            user = self.iam.get_user(user_name)
            users = {user["UserId"]: user["UserName"]}
            prefix = self.iam.key(user["UserId"], "")
        rows = []
        for k, d in self.t.scan(SERVICE_CREDS, prefix):
            user_id = k.split("/")[1]
            if user_id in users and (service is None or d["ServiceName"] == service):
                rows.append((k, {**d, "UserName": users[user_id]}))
        return rows

    def reset(self, user_name: str, cred_id: str) -> tuple[Doc, str]:
        key, doc = self._find(user_name, cred_id)
        doc, secret = self._with_secret(doc)
        self.t.put(SERVICE_CREDS, key, {k: v for k, v in doc.items() if k != "UserName"})
        return doc, secret

    def set_status(self, user_name: str, cred_id: str, status: str) -> None:
        key, doc = self._find(user_name, cred_id)
        doc["Status"] = status
        self.t.put(SERVICE_CREDS, key, {k: v for k, v in doc.items() if k != "UserName"})

    def delete(self, user_name: str, cred_id: str) -> None:
        key, _ = self._find(user_name, cred_id)
        self.t.delete(SERVICE_CREDS, key)
