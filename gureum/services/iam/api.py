"""IAM operations (query protocol): thin handlers over model.py / policies.py.

IAM is global: every row is scoped by the caller's account only, never by region."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.iam import authorization, documents, ids, lookup, views
from gureum.services.iam.model import Iam, page_result
from gureum.services.iam.oidc import OidcProviders
from gureum.services.iam.policies import Policies

T = TypeVar("T")
P = dict[str, Any]


def iam_op(name: str) -> Callable[[Callable[[RequestContext, P], Any]], Any]:
    """Register the handler of IAM operation `name` (the wire layer has checked its model's
    constraints, `\\w` read as IAM's Java reads it: gureum/aws/validate.py)."""

    def register(fn: Callable[[RequestContext, P], Any]) -> Any:
        operation("iam", name)(fn)
        return fn

    return register


async def _run(ctx: RequestContext, fn: Callable[[Iam], T]) -> T:
    def write(t: Any) -> T:
        result = fn(Iam(t, ctx.account_id))
        authorization.publish_changed(t, ctx.account_id)  # the gate's grant caches drop this account
        return result

    return await ctx.app.store.run(write)


async def _read(ctx: RequestContext, fn: Callable[[Iam], T]) -> T:
    return await ctx.app.store.read(lambda t: fn(Iam(t, ctx.account_id)))


def _filters(p: P) -> P:
    """What a Marker is bound to besides the listing's name: every other parameter."""
    return {k: v for k, v in p.items() if k not in ("Marker", "MaxItems")}


def _page(name: str, rows: list[tuple[str, Any]], p: P, view: Callable[[Any], Any], ordered: bool = True) -> P:
    out = page_result(name, rows, p.get("Marker"), p.get("MaxItems"), filters=_filters(p), ordered=ordered)
    out[name] = [view(x) for x in out[name]]
    return out


async def _caller_user_name(ctx: RequestContext) -> str | None:
    """The IAM user behind the request's access key, or None for an account root."""
    principal = await lookup.resolve_access_key(ctx.app, ctx.access_key_id)
    if principal is None or principal.arn.endswith(":root"):
        return None
    if ":user/" not in principal.arn:
        raise AwsError.modeled("iam", "ValidationError", "Must specify userName when calling with non-User credentials")
    return principal.arn.rsplit("/", 1)[1]


# --- users -----------------------------------------------------------------------------
@iam_op("CreateUser")
async def create_user(ctx: RequestContext, p: P) -> P:
    doc = await _run(
        ctx, lambda m: m.create_user(p["UserName"], p.get("Path", "/"), p.get("Tags"), p.get("PermissionsBoundary"))
    )
    return {"User": views.user(doc)}


@iam_op("GetUser")
async def get_user(ctx: RequestContext, p: P) -> P:
    name = p.get("UserName") or await _caller_user_name(ctx)
    if name is None:  # the account root
        return {
            "User": {
                "Path": "/",
                "UserName": "root",
                "UserId": ctx.account_id,
                "Arn": arns.iam_root(ctx.account_id),
                "CreateDate": ids.parse_iso("2020-01-01T00:00:00Z"),
            }
        }
    return {"User": views.user(await _read(ctx, lambda m: m.get_user(name)))}


@iam_op("ListUsers")
async def list_users(ctx: RequestContext, p: P) -> P:
    rows = await _read(ctx, lambda m: m.list_users(p.get("PathPrefix")))
    return _page("Users", rows, p, lambda d: views.user(d, tags=False))


@iam_op("UpdateUser")
async def update_user(ctx: RequestContext, p: P) -> P:
    await _run(ctx, lambda m: m.update_user(p["UserName"], p.get("NewUserName"), p.get("NewPath")))
    return {}


@iam_op("DeleteUser")
async def delete_user(ctx: RequestContext, p: P) -> P:
    await _run(ctx, lambda m: m.delete_user(p["UserName"]))
    return {}


# --- access keys -----------------------------------------------------------------------
async def _key_owner(ctx: RequestContext, p: P) -> str | None:
    return p.get("UserName") or await _caller_user_name(ctx)


@iam_op("CreateAccessKey")
async def create_access_key(ctx: RequestContext, p: P) -> P:
    owner = await _key_owner(ctx, p)
    rec = await _run(ctx, lambda m: m.create_access_key(owner))
    return {"AccessKey": views.access_key(rec, secret=True)}


@iam_op("ListAccessKeys")
async def list_access_keys(ctx: RequestContext, p: P) -> P:
    owner = await _key_owner(ctx, p)
    rows = await _read(ctx, lambda m: m.list_access_keys(owner))
    return _page("AccessKeyMetadata", rows, p, views.access_key)


@iam_op("UpdateAccessKey")
async def update_access_key(ctx: RequestContext, p: P) -> P:
    owner = await _key_owner(ctx, p)
    await _run(ctx, lambda m: m.update_access_key(p["AccessKeyId"], p["Status"], owner))
    return {}


@iam_op("DeleteAccessKey")
async def delete_access_key(ctx: RequestContext, p: P) -> P:
    owner = await _key_owner(ctx, p)
    await _run(ctx, lambda m: m.delete_access_key(p["AccessKeyId"], owner))
    return {}


@iam_op("GetAccessKeyLastUsed")
async def get_access_key_last_used(ctx: RequestContext, p: P) -> P:
    rec = await _read(ctx, lambda m: m.access_key_last_used(p["AccessKeyId"]))
    out: P = {"AccessKeyLastUsed": views.access_key_last_used(rec)}
    if rec.get("UserName"):
        out["UserName"] = rec["UserName"]
    return out


# --- account alias -------------------------------------------------------------------
@iam_op("ListAccountAliases")
async def list_account_aliases(ctx: RequestContext, p: P) -> P:
    return {"AccountAliases": await _read(ctx, lambda m: m.account_aliases()), "IsTruncated": False}


@iam_op("CreateAccountAlias")
async def create_account_alias(ctx: RequestContext, p: P) -> P:
    await _run(ctx, lambda m: m.set_account_alias(p["AccountAlias"]))
    return {}


@iam_op("DeleteAccountAlias")
async def delete_account_alias(ctx: RequestContext, p: P) -> P:
    def delete(m: Iam) -> None:
        if p["AccountAlias"] not in m.account_aliases():
            raise AwsError.modeled("iam", "NoSuchEntity", f"The account alias {p['AccountAlias']} cannot be found.")
        m.set_account_alias(None)

    await _run(ctx, delete)
    return {}


@iam_op("GetAccountSummary")
async def get_account_summary(ctx: RequestContext, p: P) -> P:
    from gureum.services.iam import model, oidc, policies, rows

    def summary(m: Iam) -> dict[str, int]:
        count = lambda table: m.t.count(table, m.account + "/")
        return {
            "Users": count(model.USERS),
            "UsersQuota": model.ACCOUNT_QUOTAS[model.USERS][1],
            "Groups": count(model.GROUPS),
            "GroupsQuota": model.ACCOUNT_QUOTAS[model.GROUPS][1],
            "Roles": count(model.ROLES),
            "RolesQuota": model.ACCOUNT_QUOTAS[model.ROLES][1],
            "InstanceProfiles": count(model.PROFILES),
            "InstanceProfilesQuota": model.ACCOUNT_QUOTAS[model.PROFILES][1],
            "Policies": count(policies.POLICIES),
            "PoliciesQuota": policies.MAX_POLICIES,
            "PolicyVersionsInUse": count(policies.VERSIONS),
            "PolicyVersionsInUseQuota": 10000,
            "PolicySizeQuota": documents.MANAGED_POLICY_SIZE,
            "VersionsPerPolicyQuota": policies.MAX_VERSIONS,
            "AccessKeysPerUserQuota": model.MAX_KEYS_PER_USER,
            "GroupsPerUserQuota": model.MAX_GROUPS_PER_USER,
            "AttachedPoliciesPerUserQuota": policies.MAX_ATTACHED,
            "AttachedPoliciesPerGroupQuota": policies.MAX_ATTACHED,
            "AttachedPoliciesPerRoleQuota": policies.MAX_ATTACHED,
            "UserPolicySizeQuota": documents.INLINE_SIZE["user"],
            "GroupPolicySizeQuota": documents.INLINE_SIZE["group"],
            "Providers": count(oidc.PROVIDERS),
            "AccountAccessKeysPresent": int(m.t.count(model.USER_KEYS, m.account + "//") > 0),
            "AccountMFAEnabled": 0,
            "MFADevices": count(rows.MFA_DEVICES),
            "MFADevicesInUse": sum(1 for _, d in m.t.scan(rows.MFA_DEVICES, m.account + "/") if "UserId" in d),
            "ServerCertificates": count(rows.SERVER_CERTS),
            "ServerCertificatesQuota": 20,
            "SigningCertificatesPerUserQuota": 2,
            "AssumeRolePolicySizeQuota": documents.TRUST_POLICY_SIZE,
            "GlobalEndpointTokenVersion": (m.t.get(rows.ACCOUNT_SETTINGS, m.account) or {}).get(
                "GlobalEndpointTokenVersion", 1
            ),
        }

    return {"SummaryMap": await _read(ctx, summary)}


# --- groups ----------------------------------------------------------------------------
@iam_op("CreateGroup")
async def create_group(ctx: RequestContext, p: P) -> P:
    return {"Group": views.group(await _run(ctx, lambda m: m.create_group(p["GroupName"], p.get("Path", "/"))))}


@iam_op("GetGroup")
async def get_group(ctx: RequestContext, p: P) -> P:
    group, rows = await _read(ctx, lambda m: (m.get_group(p["GroupName"]), m.group_members(p["GroupName"])))
    out = _page("Users", rows, p, lambda d: views.user(d, tags=False))
    out["Group"] = views.group(group)
    return out


@iam_op("ListGroups")
async def list_groups(ctx: RequestContext, p: P) -> P:
    return _page("Groups", await _read(ctx, lambda m: m.list_groups(p.get("PathPrefix"))), p, views.group)


@iam_op("ListGroupsForUser")
async def list_groups_for_user(ctx: RequestContext, p: P) -> P:
    return _page("Groups", await _read(ctx, lambda m: m.groups_for_user(p["UserName"])), p, views.group)


@iam_op("UpdateGroup")
async def update_group(ctx: RequestContext, p: P) -> P:
    await _run(ctx, lambda m: m.update_group(p["GroupName"], p.get("NewGroupName"), p.get("NewPath")))
    return {}


@iam_op("DeleteGroup")
async def delete_group(ctx: RequestContext, p: P) -> P:
    await _run(ctx, lambda m: m.delete_group(p["GroupName"]))
    return {}


@iam_op("AddUserToGroup")
async def add_user_to_group(ctx: RequestContext, p: P) -> P:
    await _run(ctx, lambda m: m.add_user_to_group(p["GroupName"], p["UserName"]))
    return {}


@iam_op("RemoveUserFromGroup")
async def remove_user_from_group(ctx: RequestContext, p: P) -> P:
    await _run(ctx, lambda m: m.remove_user_from_group(p["GroupName"], p["UserName"]))
    return {}


# --- roles -----------------------------------------------------------------------------
@iam_op("CreateRole")
async def create_role(ctx: RequestContext, p: P) -> P:
    doc = await _run(
        ctx,
        lambda m: m.create_role(
            p["RoleName"],
            p["AssumeRolePolicyDocument"],
            p.get("Path", "/"),
            p.get("Description"),
            p.get("MaxSessionDuration"),
            p.get("Tags"),
            p.get("PermissionsBoundary"),
        ),
    )
    return {"Role": views.created_role(doc)}


@iam_op("GetRole")
async def get_role(ctx: RequestContext, p: P) -> P:
    return {"Role": views.role(await _read(ctx, lambda m: m.get_role(p["RoleName"])))}


@iam_op("ListRoles")
async def list_roles(ctx: RequestContext, p: P) -> P:
    rows = await _read(ctx, lambda m: m.list_roles(p.get("PathPrefix")))
    return _page("Roles", rows, p, lambda d: views.role(d, full=False))


@iam_op("UpdateRole")
async def update_role(ctx: RequestContext, p: P) -> P:
    await _run(ctx, lambda m: m.update_role(p["RoleName"], p.get("Description"), p.get("MaxSessionDuration")))
    return {}


@iam_op("UpdateRoleDescription")
async def update_role_description(ctx: RequestContext, p: P) -> P:
    doc = await _run(ctx, lambda m: m.update_role(p["RoleName"], p["Description"], None))
    return {"Role": views.created_role(doc)}


@iam_op("UpdateAssumeRolePolicy")
async def update_assume_role_policy(ctx: RequestContext, p: P) -> P:
    await _run(ctx, lambda m: m.update_assume_role_policy(p["RoleName"], p["PolicyDocument"]))
    return {}


@iam_op("DeleteRole")
async def delete_role(ctx: RequestContext, p: P) -> P:
    await _run(ctx, lambda m: m.delete_role(p["RoleName"]))
    return {}


@iam_op("CreateServiceLinkedRole")
async def create_service_linked_role(ctx: RequestContext, p: P) -> P:
    doc = await _run(
        ctx, lambda m: m.create_service_linked_role(p["AWSServiceName"], p.get("Description"), p.get("CustomSuffix"))
    )
    return {"Role": views.created_role(doc)}


@iam_op("DeleteServiceLinkedRole")
async def delete_service_linked_role(ctx: RequestContext, p: P) -> P:
    def delete(m: Iam) -> P:
        role = m.get_role(p["RoleName"])
        m.delete_role(p["RoleName"], service_linked=True)
        return role

    doc = await _run(ctx, delete)
    # Deleted at once; the task id only lets clients poll GetServiceLinkedRoleDeletionStatus.
    return {"DeletionTaskId": f"task{doc['Path']}{doc['RoleName']}/{ctx.request_id}"}


@iam_op("GetServiceLinkedRoleDeletionStatus")
async def get_service_linked_role_deletion_status(ctx: RequestContext, p: P) -> P:
    if not p["DeletionTaskId"].startswith("task/aws-service-role/"):
        raise AwsError.modeled("iam", "ValidationError", f"Invalid deletion task id {p['DeletionTaskId']}")
    return {"Status": "SUCCEEDED"}


def _register_boundary(kind: str, label: str) -> None:
    async def put(ctx: RequestContext, p: P) -> P:
        await _run(ctx, lambda m: m.set_boundary(kind, p[f"{label}Name"], p["PermissionsBoundary"]))
        return {}

    async def delete(ctx: RequestContext, p: P) -> P:
        await _run(ctx, lambda m: m.set_boundary(kind, p[f"{label}Name"], None))
        return {}

    iam_op(f"Put{label}PermissionsBoundary")(put)
    iam_op(f"Delete{label}PermissionsBoundary")(delete)


_register_boundary("user", "User")
_register_boundary("role", "Role")


# --- tags ------------------------------------------------------------------------------
def _register_tagging(kind: str, label: str, name_param: str) -> None:
    async def tag(ctx: RequestContext, p: P) -> P:
        await _run(ctx, lambda m: m.tag(kind, p[name_param], p["Tags"]))
        return {}

    async def untag(ctx: RequestContext, p: P) -> P:
        await _run(ctx, lambda m: m.untag(kind, p[name_param], p["TagKeys"]))
        return {}

    async def list_tags(ctx: RequestContext, p: P) -> P:
        return _page("Tags", await _read(ctx, lambda m: m.tags(kind, p[name_param])), p, dict, ordered=False)

    iam_op(f"Tag{label}")(tag)
    iam_op(f"Untag{label}")(untag)
    iam_op(f"List{label}Tags")(list_tags)


_register_tagging("user", "User", "UserName")
_register_tagging("role", "Role", "RoleName")
_register_tagging("policy", "Policy", "PolicyArn")
_register_tagging("instanceprofile", "InstanceProfile", "InstanceProfileName")


# --- managed policies ------------------------------------------------------------------
async def _policies(ctx: RequestContext, fn: Callable[[Policies], T], *, write: bool = True) -> T:
    return await (_run if write else _read)(ctx, lambda m: fn(Policies(m)))


@iam_op("CreatePolicy")
async def create_policy(ctx: RequestContext, p: P) -> P:
    doc = await _policies(
        ctx,
        lambda x: x.create_policy(
            p["PolicyName"], p["PolicyDocument"], p.get("Path", "/"), p.get("Description"), p.get("Tags")
        ),
    )
    return {"Policy": views.policy(doc, description=False)}


@iam_op("GetPolicy")
async def get_policy(ctx: RequestContext, p: P) -> P:
    return {"Policy": views.policy(await _policies(ctx, lambda x: x.get_policy(p["PolicyArn"]), write=False))}


@iam_op("ListPolicies")
async def list_policies(ctx: RequestContext, p: P) -> P:
    rows = await _policies(
        ctx,
        lambda x: x.list_policies(
            p.get("Scope"), bool(p.get("OnlyAttached")), p.get("PathPrefix"), p.get("PolicyUsageFilter")
        ),
        write=False,
    )
    return _page("Policies", rows, p, lambda d: views.policy(d, description=False, tags=False))


@iam_op("DeletePolicy")
async def delete_policy(ctx: RequestContext, p: P) -> P:
    await _policies(ctx, lambda x: x.delete_policy(p["PolicyArn"]))
    return {}


@iam_op("CreatePolicyVersion")
async def create_policy_version(ctx: RequestContext, p: P) -> P:
    v = await _policies(
        ctx, lambda x: x.create_policy_version(p["PolicyArn"], p["PolicyDocument"], bool(p.get("SetAsDefault")))
    )
    return {"PolicyVersion": views.policy_version(v, document=False)}


@iam_op("GetPolicyVersion")
async def get_policy_version(ctx: RequestContext, p: P) -> P:
    v = await _policies(ctx, lambda x: x.get_policy_version(p["PolicyArn"], p["VersionId"]), write=False)
    return {"PolicyVersion": views.policy_version(v)}


@iam_op("ListPolicyVersions")
async def list_policy_versions(ctx: RequestContext, p: P) -> P:
    rows = await _policies(ctx, lambda x: x.list_policy_versions(p["PolicyArn"]), write=False)
    return _page("Versions", rows, p, lambda v: views.policy_version(v, document=False))


@iam_op("DeletePolicyVersion")
async def delete_policy_version(ctx: RequestContext, p: P) -> P:
    await _policies(ctx, lambda x: x.delete_policy_version(p["PolicyArn"], p["VersionId"]))
    return {}


@iam_op("SetDefaultPolicyVersion")
async def set_default_policy_version(ctx: RequestContext, p: P) -> P:
    await _policies(ctx, lambda x: x.set_default_policy_version(p["PolicyArn"], p["VersionId"]))
    return {}


@iam_op("ListEntitiesForPolicy")
async def list_entities_for_policy(ctx: RequestContext, p: P) -> P:
    rows = await _policies(
        ctx,
        lambda x: x.entities_for_policy(p["PolicyArn"], p.get("EntityFilter"), p.get("PathPrefix")),
        write=False,
    )
    out = page_result("Entities", rows, p.get("Marker"), p.get("MaxItems"), filters=_filters(p))
    entities = out.pop("Entities")
    for kind, label in (("group", "PolicyGroups"), ("user", "PolicyUsers"), ("role", "PolicyRoles")):
        out[label] = [e for k, e in entities if k == kind]
    return out


# --- attached and inline policies of users, groups and roles ---------------------------
def _register_entity_policies(kind: str, label: str) -> None:
    name_param = f"{label}Name"

    async def attach(ctx: RequestContext, p: P) -> P:
        await _policies(ctx, lambda x: x.attach(kind, p[name_param], p["PolicyArn"]))
        return {}

    async def detach(ctx: RequestContext, p: P) -> P:
        await _policies(ctx, lambda x: x.detach(kind, p[name_param], p["PolicyArn"]))
        return {}

    async def list_attached(ctx: RequestContext, p: P) -> P:
        rows = await _policies(ctx, lambda x: x.attached(kind, p[name_param], p.get("PathPrefix")), write=False)
        return _page("AttachedPolicies", rows, p, dict)

    async def put_inline(ctx: RequestContext, p: P) -> P:
        await _policies(ctx, lambda x: x.put_inline(kind, p[name_param], p["PolicyName"], p["PolicyDocument"]))
        return {}

    async def get_inline(ctx: RequestContext, p: P) -> P:
        entity, document = await _policies(
            ctx, lambda x: x.get_inline(kind, p[name_param], p["PolicyName"]), write=False
        )
        return {name_param: entity[name_param], "PolicyName": p["PolicyName"], "PolicyDocument": documents.encode(document)}

    async def list_inline(ctx: RequestContext, p: P) -> P:
        rows = await _policies(ctx, lambda x: x.list_inline(kind, p[name_param]), write=False)
        return page_result("PolicyNames", rows, p.get("Marker"), p.get("MaxItems"), filters=_filters(p))

    async def delete_inline(ctx: RequestContext, p: P) -> P:
        await _policies(ctx, lambda x: x.delete_inline(kind, p[name_param], p["PolicyName"]))
        return {}

    iam_op(f"Attach{label}Policy")(attach)
    iam_op(f"Detach{label}Policy")(detach)
    iam_op(f"ListAttached{label}Policies")(list_attached)
    iam_op(f"Put{label}Policy")(put_inline)
    iam_op(f"Get{label}Policy")(get_inline)
    iam_op(f"List{label}Policies")(list_inline)
    iam_op(f"Delete{label}Policy")(delete_inline)


_register_entity_policies("user", "User")
_register_entity_policies("role", "Role")
_register_entity_policies("group", "Group")


# --- OpenID Connect providers ---------------------------------------------------------
async def _oidc(ctx: RequestContext, fn: Callable[[OidcProviders], T], *, write: bool = True) -> T:
    return await (_run if write else _read)(ctx, lambda m: fn(OidcProviders(m)))


@iam_op("CreateOpenIDConnectProvider")
async def create_oidc_provider(ctx: RequestContext, p: P) -> P:
    doc = await _oidc(
        ctx,
        lambda x: x.create(p["Url"], p.get("ClientIDList", []), p.get("ThumbprintList", []), p.get("Tags", [])),
    )
    out: P = {"OpenIDConnectProviderArn": doc["Arn"]}
    if doc["Tags"]:
        out["Tags"] = doc["Tags"]
    return out


@iam_op("GetOpenIDConnectProvider")
async def get_oidc_provider(ctx: RequestContext, p: P) -> P:
    doc = await _oidc(ctx, lambda x: x.get(p["OpenIDConnectProviderArn"]), write=False)
    out: P = {
        "Url": doc["Url"],
        "ClientIDList": doc["ClientIDList"],
        "ThumbprintList": doc["ThumbprintList"],
        "CreateDate": ids.parse_iso(doc["CreateDate"]),
    }
    if doc["Tags"]:
        out["Tags"] = doc["Tags"]
    if doc.get("ContextProvider"):  # UpdateOpenIDConnectProvider (api_reports.py)
        out["ContextProvider"] = doc["ContextProvider"]
    return out


@iam_op("ListOpenIDConnectProviders")
async def list_oidc_providers(ctx: RequestContext, p: P) -> P:
    docs = await _oidc(ctx, lambda x: x.list(), write=False)
    return {"OpenIDConnectProviderList": [{"Arn": d["Arn"]} for d in docs]}


@iam_op("DeleteOpenIDConnectProvider")
async def delete_oidc_provider(ctx: RequestContext, p: P) -> P:
    await _oidc(ctx, lambda x: x.delete(p["OpenIDConnectProviderArn"]))
    return {}


@iam_op("AddClientIDToOpenIDConnectProvider")
async def add_oidc_client_id(ctx: RequestContext, p: P) -> P:
    await _oidc(ctx, lambda x: x.add_client_id(p["OpenIDConnectProviderArn"], p["ClientID"]))
    return {}


@iam_op("RemoveClientIDFromOpenIDConnectProvider")
async def remove_oidc_client_id(ctx: RequestContext, p: P) -> P:
    await _oidc(ctx, lambda x: x.remove_client_id(p["OpenIDConnectProviderArn"], p["ClientID"]))
    return {}


@iam_op("UpdateOpenIDConnectProviderThumbprint")
async def update_oidc_thumbprints(ctx: RequestContext, p: P) -> P:
    await _oidc(ctx, lambda x: x.set_thumbprints(p["OpenIDConnectProviderArn"], p["ThumbprintList"]))
    return {}


@iam_op("TagOpenIDConnectProvider")
async def tag_oidc_provider(ctx: RequestContext, p: P) -> P:
    await _oidc(ctx, lambda x: x.tag(p["OpenIDConnectProviderArn"], p["Tags"]))
    return {}


@iam_op("UntagOpenIDConnectProvider")
async def untag_oidc_provider(ctx: RequestContext, p: P) -> P:
    await _oidc(ctx, lambda x: x.untag(p["OpenIDConnectProviderArn"], p["TagKeys"]))
    return {}


@iam_op("ListOpenIDConnectProviderTags")
async def list_oidc_provider_tags(ctx: RequestContext, p: P) -> P:
    doc = await _oidc(ctx, lambda x: x.get(p["OpenIDConnectProviderArn"]), write=False)
    return _page("Tags", [(t["Key"].lower(), t) for t in doc["Tags"]], p, dict, ordered=False)


# --- instance profiles -----------------------------------------------------------------
def _profile_view(m: Iam, doc: Any) -> P:
    return views.instance_profile(doc, m.profile_roles(doc))


@iam_op("CreateInstanceProfile")
async def create_instance_profile(ctx: RequestContext, p: P) -> P:
    out = await _run(
        ctx,
        lambda m: _profile_view(
            m, m.create_instance_profile(p["InstanceProfileName"], p.get("Path", "/"), p.get("Tags"))
        ),
    )
    return {"InstanceProfile": out}


@iam_op("GetInstanceProfile")
async def get_instance_profile(ctx: RequestContext, p: P) -> P:
    out = await _read(ctx, lambda m: _profile_view(m, m.get_instance_profile(p["InstanceProfileName"])))
    return {"InstanceProfile": out}


@iam_op("ListInstanceProfiles")
async def list_instance_profiles(ctx: RequestContext, p: P) -> P:
    rows = await _read(
        ctx, lambda m: [(k, _profile_view(m, d)) for k, d in m.list_instance_profiles(p.get("PathPrefix"))]
    )
    return _page("InstanceProfiles", rows, p, dict)


@iam_op("ListInstanceProfilesForRole")
async def list_instance_profiles_for_role(ctx: RequestContext, p: P) -> P:
    rows = await _read(
        ctx, lambda m: [(k, _profile_view(m, d)) for k, d in m.instance_profiles_for_role(p["RoleName"])]
    )
    return _page("InstanceProfiles", rows, p, dict)


@iam_op("AddRoleToInstanceProfile")
async def add_role_to_instance_profile(ctx: RequestContext, p: P) -> P:
    await _run(ctx, lambda m: m.add_role_to_instance_profile(p["InstanceProfileName"], p["RoleName"]))
    return {}


@iam_op("RemoveRoleFromInstanceProfile")
async def remove_role_from_instance_profile(ctx: RequestContext, p: P) -> P:
    await _run(ctx, lambda m: m.remove_role_from_instance_profile(p["InstanceProfileName"], p["RoleName"]))
    return {}


@iam_op("DeleteInstanceProfile")
async def delete_instance_profile(ctx: RequestContext, p: P) -> P:
    await _run(ctx, lambda m: m.delete_instance_profile(p["InstanceProfileName"]))
    return {}
