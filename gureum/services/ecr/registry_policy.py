"""The registry-level policy and ECR's account settings, kept in the registry settings
document (`ecr.meta` "registry|<scope>", model.registry_settings): `registryPolicyText`, and
`accountSettings` {name: value}.

Registry policy (AWS's rules): a JSON resource policy the policy engine can read; with the
REGISTRY_POLICY_SCOPE V1 only ecr:ReplicateImage, ecr:BatchImportUpstreamImage and
ecr:CreateRepository may be named, with V2 (AWS's default) any ecr: action. It is evaluated
where AWS evaluates it: cross-account replication needs the destination registry's policy to
allow the source account ecr:ReplicateImage (and ecr:CreateRepository where the repository is
missing) — `allows`; with V2 its statements also join each repository's policy for the
authorization gate (`effective`, resource_policy.py), so it can grant another account any
ECR action on the registry's repositories.

Account settings: BASIC_SCAN_TYPE_VERSION (AWS_NATIVE; CLAIR is refused as AWS now does),
REGISTRY_POLICY_SCOPE (V1 or V2, default V2), BLOB_MOUNTING (ENABLED or DISABLED: the
registry's cross-repository blob mount answers 202, "upload instead", when DISABLED). gureum's
default for BLOB_MOUNTING is ENABLED, as its registry always mounted (AWS's is DISABLED).
"""

from __future__ import annotations

import json
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.policy.engine import AuthRequest, Decision, PolicyError, Principal, parse_policy, statement_decision
from gureum.store.base import Txn

POLICY = "registryPolicyText"
SETTINGS = "accountSettings"
V1_ACTIONS = ("ecr:replicateimage", "ecr:batchimportupstreamimage", "ecr:createrepository")
ACCOUNT_SETTINGS: dict[str, tuple[tuple[str, ...], str]] = {
    "BASIC_SCAN_TYPE_VERSION": (("AWS_NATIVE",), "AWS_NATIVE"),
    "REGISTRY_POLICY_SCOPE": (("V1", "V2"), "V2"),
    "BLOB_MOUNTING": (("ENABLED", "DISABLED"), "ENABLED"),
}


def _meta_key(scope: str) -> str:
    return "registry|" + scope


def _settings(txn: Txn, scope: str) -> dict[str, Any]:
    return txn.get("ecr.meta", _meta_key(scope)) or {}


def _write(txn: Txn, scope: str, doc: dict[str, Any]) -> None:
    txn.put("ecr.meta", _meta_key(scope), doc)


def _invalid() -> AwsError:
    return AwsError.modeled("ecr", "InvalidParameterException",
                            "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid registry policy provided'")


def _actions(doc: dict[str, Any]) -> list[str]:
    out: list[str] = []
    statements = doc.get("Statement")
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict):
            raise _invalid()
        acts = st.get("Action", st.get("NotAction", []))
        out += [a.lower() for a in (acts if isinstance(acts, list) else [acts]) if isinstance(a, str)]
    return out


def check_policy(text: str, scope_version: str) -> None:
    """InvalidParameterException unless `text` is a registry policy AWS would take."""
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict) or "Statement" not in doc:
            raise ValueError
        parse_policy(text, kind="resource")
    except (ValueError, PolicyError):
        raise _invalid() from None
    for action in _actions(doc):
        if not action.startswith("ecr:"):
            raise _invalid()
        if scope_version == "V1" and action not in V1_ACTIONS:
            raise _invalid()


def put_policy(txn: Txn, scope: str, text: str) -> None:
    doc = _settings(txn, scope)
    check_policy(text, setting(txn, scope, "REGISTRY_POLICY_SCOPE"))
    doc[POLICY] = text
    _write(txn, scope, doc)
    txn.publish("ecr.registry", {"scope": scope, "event": "policy"})


def _no_policy(account: str) -> AwsError:
    return AwsError.modeled("ecr", "RegistryPolicyNotFoundException",
                            f"Registry policy does not exist in the registry with id '{account}'")


def get_policy(txn: Txn, scope: str, account: str) -> str:
    text = _settings(txn, scope).get(POLICY)
    if not text:
        raise _no_policy(account)
    return str(text)


def delete_policy(txn: Txn, scope: str, account: str) -> str:
    doc = _settings(txn, scope)
    text = doc.pop(POLICY, None)
    if not text:
        raise _no_policy(account)
    _write(txn, scope, doc)
    txn.publish("ecr.registry", {"scope": scope, "event": "policy"})
    return str(text)


def allows(txn: Txn, scope: str, caller_account: str, action: str, resource: str) -> bool:
    """Whether registry `scope`'s policy lets account `caller_account` do `action` on
    `resource` (no policy: nothing is allowed to another account)."""
    text = _settings(txn, scope).get(POLICY)
    if not text:
        return False
    principal = Principal(arn=arns.iam_root(caller_account), account=caller_account, kind="root")
    try:
        policy = parse_policy(text, kind="resource")
    except PolicyError:
        return False
    return statement_decision(policy, AuthRequest(principal, action, resource)) is Decision.ALLOW


def effective(txn: Txn, scope: str, repository_policy: str | None) -> str | None:
    """A repository's resource policy for the authorization gate: its own policy, with the
    registry policy's statements added when the registry policy scope is V2 (Sids dropped:
    two documents may use the same one)."""
    text = _settings(txn, scope).get(POLICY)
    if not text or setting(txn, scope, "REGISTRY_POLICY_SCOPE") != "V2":
        return repository_policy
    statements: list[Any] = []
    for doc_text in (repository_policy, text):
        if not doc_text:
            continue
        try:
            doc = json.loads(doc_text)
        except ValueError:
            return repository_policy
        sts = doc.get("Statement") if isinstance(doc, dict) else None
        for st in sts if isinstance(sts, list) else [sts]:
            if isinstance(st, dict):
                statements.append({k: v for k, v in st.items() if k != "Sid"})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


# --- account settings --------------------------------------------------------------------
def _bad_setting(message: str) -> AwsError:
    return AwsError.modeled("ecr", "InvalidParameterException", message)


def setting(txn: Txn, scope: str, name: str) -> str:
    if name not in ACCOUNT_SETTINGS:
        raise _bad_setting(f"Invalid parameter at 'name' failed to satisfy constraint: 'Member must satisfy enum value set: "
                           f"[{', '.join(ACCOUNT_SETTINGS)}]'")
    return str((_settings(txn, scope).get(SETTINGS) or {}).get(name, ACCOUNT_SETTINGS[name][1]))


def put_setting(txn: Txn, scope: str, name: str, value: str) -> str:
    setting(txn, scope, name)
    allowed = ACCOUNT_SETTINGS[name][0]
    if value not in allowed:
        raise _bad_setting(f"Invalid parameter at 'value' failed to satisfy constraint: 'Member must satisfy enum value set: "
                           f"[{', '.join(allowed)}]' for setting {name}")
    doc = _settings(txn, scope)
    if name == "REGISTRY_POLICY_SCOPE" and value == "V1" and doc.get(POLICY):
        try:
            check_policy(doc[POLICY], "V1")
        except AwsError:
            raise _bad_setting("The registry policy names actions outside the V1 scope: change the policy first") from None
    doc[SETTINGS] = dict(doc.get(SETTINGS) or {}, **{name: value})
    _write(txn, scope, doc)
    txn.publish("ecr.registry", {"scope": scope, "event": "setting", "name": name})
    return value
