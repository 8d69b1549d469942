"""IAM virtual MFA devices: created unassigned, enabled for one user by two consecutive TOTP
codes (totp.py), deactivated, resynchronised, deleted.

Table (rows.py) `iam_mfa_devices`: {acct}/{serial number, lower-cased} -> {"SerialNumber"
(arn:aws:iam::{acct}:mfa{path}{name}), "Seed" (base32), "Path", "Tags", ["UserId",
"EnableDate"], "Drift" (steps the device's clock is ahead, set by Resync), "LastStep"
(the newest step a code was accepted for: a code is never accepted twice)}. An assigned
device names its user by id (a renamed user keeps it); a user with a device cannot be deleted
(model.delete_user); an assigned device cannot be deleted. The seed leaves gureum once, in
CreateVirtualMFADevice's answer.
"""

from __future__ import annotations

from gureum.aws.errors import AwsError
from gureum.services.iam import ids, totp
from gureum.services.iam.model import Iam
from gureum.services.iam.rows import MFA_DEVICES, lower, merge_tags, remove_tags
from gureum.store.base import Doc

MAX_DEVICES_PER_USER = 8
ENABLE_WINDOW = 2  # steps either side of now that EnableMFADevice accepts
RESYNC_WINDOW = 60  # ResyncMFADevice looks further: a device whose clock drifted 30 minutes


def _invalid_code(serial: str) -> AwsError:
    return AwsError.modeled(
        "iam", "InvalidAuthenticationCode", f"Authentication code for device {serial} is not valid."
    )


class MfaDevices:
    """One account's virtual MFA devices inside one transaction."""

    def __init__(self, iam: Iam) -> None:
        self.iam = iam
        self.t = iam.t

    def _key(self, serial: str) -> str:
        return self.iam.key(lower(serial))

    def find(self, serial: str) -> Doc:
        doc = self.t.get(MFA_DEVICES, self._key(serial))
        if doc is None:
            raise AwsError.modeled("iam", "NoSuchEntity", f"VirtualMFADevice with serial number {serial} doesn't exist.")
        return doc

    def _put(self, doc: Doc) -> None:
        self.t.put(MFA_DEVICES, self._key(doc["SerialNumber"]), doc)

    def create(self, name: str, path: str, tags: list[Doc] | None) -> Doc:
        serial = self.iam.arn("mfa", path, name)
        doc: Doc = {"SerialNumber": serial, "Seed": totp.new_seed(), "Path": path,
                    "Tags": merge_tags([], tags or [], "MFADevice"), "Drift": 0, "LastStep": -1}
        if not self.t.insert(MFA_DEVICES, self._key(serial), doc):
            raise AwsError.modeled("iam", "EntityAlreadyExists", "MFADevice entity at the same path and name already exists.")
        return doc

    def users_by_id(self) -> dict[str, Doc]:
        return {d["UserId"]: d for _, d in self.iam.list_users(None)}

    def listing(self, status: str | None) -> list[tuple[str, Doc]]:
        rows = self.t.scan(MFA_DEVICES, self.iam.key(""))
        if status == "Assigned":
            return [(k, d) for k, d in rows if "UserId" in d]
        if status == "Unassigned":
            return [(k, d) for k, d in rows if "UserId" not in d]
        return list(rows)

    def for_user(self, user_name: str) -> list[tuple[str, Doc]]:
        user = self.iam.get_user(user_name)
        return [(k, d) for k, d in self.t.scan(MFA_DEVICES, self.iam.key("")) if d.get("UserId") == user["UserId"]]

    def _accept(self, doc: Doc, code1: str, code2: str, now_step: int, window: int) -> int:
        step = totp.find_consecutive(doc["Seed"], code1, code2, now_step, doc.get("Drift", 0), window)
        if step is None or step <= doc.get("LastStep", -1):  # a code already used is not accepted again
            raise _invalid_code(doc["SerialNumber"])
        doc["LastStep"] = step + 1
        return step

    def enable(self, user_name: str, serial: str, code1: str, code2: str, now_step: int) -> None:
        user = self.iam.get_user(user_name)
        doc = self.find(serial)
        if "UserId" in doc:
            raise AwsError.modeled("iam", "EntityAlreadyExists", "MFA Device is already in use.")
        if len(self.for_user(user_name)) >= MAX_DEVICES_PER_USER:
            raise AwsError.modeled(
                "iam", "LimitExceeded", f"Cannot exceed quota for MFADevicesPerUser: {MAX_DEVICES_PER_USER}"
            )
        self._accept(doc, code1, code2, now_step, ENABLE_WINDOW)
        doc["UserId"] = user["UserId"]
        doc["EnableDate"] = ids.iso(ids.now())
        self._put(doc)

    def _assigned_to(self, user_name: str, serial: str) -> Doc:
        user = self.iam.get_user(user_name)
        doc = self.t.get(MFA_DEVICES, self._key(serial))
        if doc is None or doc.get("UserId") != user["UserId"]:
            raise AwsError.modeled(
                "iam", "NoSuchEntity", f"MFA Device with serial number {serial} does not exist for user {user['UserName']}."
            )
        return doc

    def resync(self, user_name: str, serial: str, code1: str, code2: str, now_step: int) -> None:
        doc = self._assigned_to(user_name, serial)
        doc["Drift"] = 0
        step = self._accept(doc, code1, code2, now_step, RESYNC_WINDOW)
        doc["Drift"] = step + 1 - now_step
        self._put(doc)

    def deactivate(self, user_name: str, serial: str) -> None:
        doc = self._assigned_to(user_name, serial)
        for k in ("UserId", "EnableDate"):
            doc.pop(k, None)
        self._put(doc)

    def delete(self, serial: str) -> None:
        doc = self.find(serial)
        if "UserId" in doc:
            raise AwsError.modeled("iam", "DeleteConflict", "MFA VirtualDevice in use. Must deactivate first.")
        self.t.delete(MFA_DEVICES, self._key(serial))

    def tag(self, serial: str, tags: list[Doc]) -> None:
        doc = self.find(serial)
        doc["Tags"] = merge_tags(doc["Tags"], tags, "MFADevice")
        self._put(doc)

    def untag(self, serial: str, keys: list[str]) -> None:
        doc = self.find(serial)
        doc["Tags"] = remove_tags(doc["Tags"], keys, "MFADevice")
        self._put(doc)
