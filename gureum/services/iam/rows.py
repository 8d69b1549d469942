"""IAM's entity tables and the rules every module keys them by: names are unique per account
without regard to case (`lower`), and tags merge case-insensitively up to MAX_TAGS. Shared by
model.py (users, groups, roles...) and policies.py (attachments), which the model uses.
"""

from __future__ import annotations

from dataclasses import replace

from gureum.aws import tags
from gureum.aws.errors import AwsError
from gureum.store.base import Doc

USERS = "iam_users"  # {acct}/{user} -> user
GROUPS = "iam_groups"  # {acct}/{group} -> group
MEMBERS = "iam_group_members"  # {acct}/{group}/{user} -> {}
ROLES = "iam_roles"  # {acct}/{role} -> role
ACCOUNT_PROPERTIES = "iam_account_properties"  # {acct} -> {"Namespace/Name": value} (api_newest.py)
PROFILES = "iam_instance_profiles"  # {acct}/{profile} -> instance profile
KEYS = "iam_access_keys"  # {access key id} -> key (global: the key id picks the account)
USER_KEYS = "iam_user_keys"  # {acct}/{user}/{access key id} -> {}  ('' user: root's keys)

ALIASES = "iam_account_aliases"  # {acct} -> {"Alias": ...}
PASSWORD_POLICIES = "iam_password_policies"  # {acct} -> the account password policy (passwords.py)
LOGIN_PROFILES = "iam_login_profiles"  # {acct}/{user id} -> login profile (passwords.py)
SSH_KEYS = "iam_ssh_public_keys"  # {acct}/{user id}/{key id} -> SSH public key (ssh_keys.py)
SIGNING_CERTS = "iam_signing_certificates"  # {acct}/{user id}/{cert id} -> certificate (certificates.py)
SERVER_CERTS = "iam_server_certificates"  # {acct}/{name} -> server certificate (certificates.py)
SAML_PROVIDERS = "iam_saml_providers"  # {acct}/{name} -> SAML identity provider (saml.py)
ACCOUNT_SETTINGS = "iam_account_settings"  # {acct} -> {"GlobalEndpointTokenVersion"} (api_account.py)
CREDENTIAL_REPORTS = "iam_credential_reports"  # {acct} -> {"GeneratedTime", "Content"} (credential_report.py)
MFA_DEVICES = "iam_mfa_devices"  # {acct}/{serial number} -> virtual MFA device (mfa.py)
SERVICE_CREDS = "iam_service_credentials"  # {acct}/{user id}/{id} -> credential (service_credentials.py)
KEY_TOPIC = "iam.access_key"  # published when a key changes or goes away

MAX_TAGS = 50

# Kind of entity -> (table, error wording)
KINDS = {"user": (USERS, "user"), "group": (GROUPS, "group"), "role": (ROLES, "role")}


def lower(name: str) -> str:
    return name.lower()


# IAM: tag keys are case-insensitive; a bad key or value (or a key given twice) is
# InvalidInput, more than 50 tags LimitExceeded naming the resource kind's quota.
def _invalid_input(message: str) -> AwsError:
    return AwsError.modeled("iam", "InvalidInput", message)


def _limit_exceeded(message: str) -> AwsError:
    return AwsError.modeled("iam", "LimitExceeded", message)


TAG_RULES = tags.Rules(invalid=_invalid_input, case_insensitive=True, too_many=_limit_exceeded, max_tags=MAX_TAGS,
                       duplicate=lambda _k: _invalid_input("Duplicate tag keys found. Please note that Tag keys are case insensitive."))


# Managed policies are the exception: their tag keys are case-sensitive (TagPolicy keeps "a"
# and "A" apart, UntagPolicy removes only the exact key), and a repeated key is only
# "Duplicate tag keys found."
POLICY_TAG_RULES = replace(TAG_RULES, case_insensitive=False,
                           duplicate=lambda _k: _invalid_input("Duplicate tag keys found."))


def _rules(what: str) -> tags.Rules:
    return POLICY_TAG_RULES if what == "Policy" else TAG_RULES


def merge_tags(existing: list[Doc], new: list[Doc], what: str) -> list[Doc]:
    """IAM's stored list of {"Key", "Value"} with `new` tags added or replacing (gureum.aws.tags);
    `what` is the kind of resource as IAM's quota names it (User, Role, Policy...)."""
    rules = replace(_rules(what), too_many_message=f"Cannot exceed quota for TagsPer{what}: {{max}}")
    add = tags.check([(t["Key"], t.get("Value", "")) for t in new], rules)
    return tags.to_pairs(tags.apply(tags.from_pairs(existing), add, (), rules))


def remove_tags(existing: list[Doc], keys: list[str], what: str = "") -> list[Doc]:
    current = tags.from_pairs(existing)
    tags.refuse_system_removal(current, keys, _rules(what))
    return tags.to_pairs(tags.apply(current, {}, keys, _rules(what)))
