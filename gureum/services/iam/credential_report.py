"""IAM's credential report: one CSV line per user (and the account root first) with the state
of its password, MFA, access keys and signing certificates, in AWS's columns.

Table (rows.py) `iam_credential_reports`: {acct} -> {"GeneratedTime", "Content"}: the last
report, built in the GenerateCredentialReport transaction from the tables of passwords.py,
mfa.py, certificates.py and the access keys. A report younger than MAX_AGE is answered as
COMPLETE without a new one; GetCredentialReport refuses one older (CredentialReportExpired).
Unknown values are written as AWS writes them: N/A, no_information, false.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from gureum.aws import arn as arns
from gureum.services.iam import ids
from gureum.services.iam.model import Iam
from gureum.services.iam.rows import (
    CREDENTIAL_REPORTS,
    KEYS,
    LOGIN_PROFILES,
    MFA_DEVICES,
    PASSWORD_POLICIES,
    SIGNING_CERTS,
    USER_KEYS,
    lower,
)
from gureum.store.base import Doc

MAX_AGE = timedelta(hours=4)
COLUMNS = (
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
    "password_next_rotation", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
)


def _iso(value: str) -> str:
    return ids.iso(ids.parse_iso(value)).replace("Z", "+00:00")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _key_columns(keys: list[Doc]) -> list[str]:
    out: list[str] = []
    for i in range(2):
        if i < len(keys):
            k = keys[i]
            used = k.get("LastUsed")
            out += [_bool(k["Status"] == "Active"), _iso(k["CreateDate"]),
                    _iso(used["Date"]) if used else "N/A", used["Region"] if used else "N/A",
                    used["ServiceName"] if used else "N/A"]
        else:
            out += ["false", "N/A", "N/A", "N/A", "N/A"]
    return out


def _cert_columns(certs: list[Doc]) -> list[str]:
    out: list[str] = []
    for i in range(2):
        out += [_bool(certs[i]["Status"] == "Active"), _iso(certs[i]["UploadDate"])] if i < len(certs) else ["false", "N/A"]
    return out


class CredentialReports:
    """One account's credential report inside one transaction."""

    def __init__(self, iam: Iam) -> None:
        self.iam = iam
        self.t = iam.t

    def _keys(self, owner: str) -> list[Doc]:
        recs = [self.t.get(KEYS, k.rsplit("/", 1)[1]) for k, _ in self.t.scan(USER_KEYS, self.iam.key(owner, ""))]
        return sorted((r for r in recs if r is not None), key=lambda r: (r["CreateDate"], r["AccessKeyId"]))

    def build(self) -> str:
        policy = self.t.get(PASSWORD_POLICIES, self.iam.account)
        max_age = int(policy["MaxPasswordAge"]) if policy else 0
        mfa_users = {d["UserId"] for _, d in self.t.scan(MFA_DEVICES, self.iam.key("")) if "UserId" in d}
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(COLUMNS)
        root = [
            "<root_account>", arns.iam_root(self.iam.account), "N/A", "not_supported", "no_information",
            "not_supported", "not_supported", "false",
        ]
        w.writerow(root + _key_columns(self._keys("")) + ["false", "N/A", "false", "N/A"])
        for _, user in sorted(self.iam.list_users(None), key=lambda kv: lower(kv[1]["UserName"])):
            profile = self.t.get(LOGIN_PROFILES, self.iam.key(user["UserId"]))
            if profile is None:
                password = ["false", "N/A", "N/A", "N/A"]
            else:
                changed = str(profile.get("PasswordLastChanged") or profile["CreateDate"])
                rotation = _iso(ids.iso(ids.parse_iso(changed) + timedelta(days=max_age))) if max_age else "N/A"
                password = ["true", "no_information", _iso(changed), rotation]
            certs = sorted((d for _, d in self.t.scan(SIGNING_CERTS, self.iam.key(user["UserId"], ""))),
                           key=lambda d: d["UploadDate"])
            w.writerow([user["UserName"], user["Arn"], _iso(user["CreateDate"]), *password,
                        _bool(user["UserId"] in mfa_users), *_key_columns(self._keys(lower(user["UserName"]))),
                        *_cert_columns(certs)])
        return buf.getvalue()

    def generate(self, now: datetime) -> bool:
        """Build a report unless one younger than MAX_AGE exists; True when one was started."""
        last = self.t.get(CREDENTIAL_REPORTS, self.iam.account)
        if last is not None and now - ids.parse_iso(last["GeneratedTime"]) < MAX_AGE:
            return False
        self.t.put(CREDENTIAL_REPORTS, self.iam.account, {"GeneratedTime": ids.iso(now), "Content": self.build()})
        return True

    def find(self) -> Doc | None:
        return self.t.get(CREDENTIAL_REPORTS, self.iam.account)
