"""IAM and Lambda resource types: AWS::IAM::Role, AWS::IAM::Policy, AWS::IAM::ManagedPolicy,
AWS::Lambda::Function (inline ZipFile code or S3 code), AWS::Lambda::Permission."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    ignore_missing,
    policy_text,
    provider,
    updating,
)


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "NoSuchEntity", "ResourceNotFoundException")


@provider("AWS::IAM::Role")
async def create_role(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = props.get("RoleName") or ctx.name(64)
    params: dict[str, Any] = {"RoleName": name, "AssumeRolePolicyDocument": policy_text(props["AssumeRolePolicyDocument"]),
                              "Path": props.get("Path", "/")}
    for k in ("Description", "PermissionsBoundary"):
        if k in props:
            params[k] = props[k]
    if "MaxSessionDuration" in props:
        params["MaxSessionDuration"] = int(props["MaxSessionDuration"])
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    role = (await ctx.call("iam", "CreateRole", params))["Role"]
    done = Done(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})
    try:
        await _role_policies(ctx, name, {}, props)
    except AwsError:
        await delete_role(ctx, name, props, done)
        raise
    return done


async def _role_policies(ctx: ResourceContext, name: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    old_inline = {p["PolicyName"]: p for p in old.get("Policies") or ()}
    new_inline = {p["PolicyName"]: p for p in new.get("Policies") or ()}
    for pname in set(old_inline) - set(new_inline):
        await _ignore_missing(ctx.call("iam", "DeleteRolePolicy", {"RoleName": name, "PolicyName": pname}))
    for pname, p in new_inline.items():
        if old_inline.get(pname) != p:
            await ctx.call("iam", "PutRolePolicy", {"RoleName": name, "PolicyName": pname,
                                                    "PolicyDocument": policy_text(p["PolicyDocument"])})
    old_managed, new_managed = set(old.get("ManagedPolicyArns") or ()), set(new.get("ManagedPolicyArns") or ())
    for arn in old_managed - new_managed:
        await _ignore_missing(ctx.call("iam", "DetachRolePolicy", {"RoleName": name, "PolicyArn": arn}))
    for arn in new_managed - old_managed:
        await ctx.call("iam", "AttachRolePolicy", {"RoleName": name, "PolicyArn": arn})


@updating("AWS::IAM::Role")
async def update_role(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    if old.get("AssumeRolePolicyDocument") != new.get("AssumeRolePolicyDocument"):
        await ctx.call("iam", "UpdateAssumeRolePolicy", {"RoleName": physical,
                                                         "PolicyDocument": policy_text(new["AssumeRolePolicyDocument"])})
    if old.get("Description") != new.get("Description") or old.get("MaxSessionDuration") != new.get("MaxSessionDuration"):
        params: dict[str, Any] = {"RoleName": physical, "Description": new.get("Description", "")}
        if "MaxSessionDuration" in new:
            params["MaxSessionDuration"] = int(new["MaxSessionDuration"])
        await ctx.call("iam", "UpdateRole", params)
    await _role_policies(ctx, physical, old, new)
    return done


@deleting("AWS::IAM::Role")
async def delete_role(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _role_policies(ctx, physical, props, {})
    await _ignore_missing(ctx.call("iam", "DeleteRole", {"RoleName": physical}))


def _targets(props: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(put operation, name member, name) for each role, user and group the policy goes on."""
    out = [("Role", "RoleName", r) for r in props.get("Roles") or ()]
    out += [("User", "UserName", u) for u in props.get("Users") or ()]
    out += [("Group", "GroupName", g) for g in props.get("Groups") or ()]
    return out


@provider("AWS::IAM::Policy")
async def create_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    doc = policy_text(props["PolicyDocument"])
    for kind, member, name in _targets(props):
        await ctx.call("iam", f"Put{kind}Policy", {member: name, "PolicyName": props["PolicyName"], "PolicyDocument": doc})
    return Done(ctx.name(128).rsplit("-", 1)[-1] + "-" + str(props["PolicyName"])[:50], {})


@updating("AWS::IAM::Policy")
async def update_policy(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    gone = set(_targets(old)) - set(_targets(new))
    for kind, member, name in gone:
        await _ignore_missing(ctx.call("iam", f"Delete{kind}Policy", {member: name, "PolicyName": old["PolicyName"]}))
    await create_policy(ctx, new)
    return done


@deleting("AWS::IAM::Policy")
async def delete_policy(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    for kind, member, name in _targets(props):
        await _ignore_missing(ctx.call("iam", f"Delete{kind}Policy", {member: name, "PolicyName": props["PolicyName"]}))


@provider("AWS::IAM::ManagedPolicy")
async def create_managed_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = props.get("ManagedPolicyName") or ctx.name(128)
    params: dict[str, Any] = {"PolicyName": name, "PolicyDocument": policy_text(props["PolicyDocument"]),
                              "Path": props.get("Path", "/")}
    if props.get("Description"):
        params["Description"] = props["Description"]
    policy = (await ctx.call("iam", "CreatePolicy", params))["Policy"]
    arn = policy["Arn"]
    done = Done(arn, {"PolicyArn": arn, "PolicyId": policy["PolicyId"]})
    for kind, member, target in _targets(props):
        await ctx.call("iam", f"Attach{kind}Policy", {member: target, "PolicyArn": arn})
    return done


@updating("AWS::IAM::ManagedPolicy")
async def update_managed_policy(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    if old.get("PolicyDocument") != new.get("PolicyDocument"):
        versions = (await ctx.call("iam", "ListPolicyVersions", {"PolicyArn": physical}))["Versions"]
        if len(versions) >= 5:
            oldest = min((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
            await ctx.call("iam", "DeletePolicyVersion", {"PolicyArn": physical, "VersionId": oldest["VersionId"]})
        await ctx.call("iam", "CreatePolicyVersion", {"PolicyArn": physical, "SetAsDefault": True,
                                                      "PolicyDocument": policy_text(new["PolicyDocument"])})
    before, after = set(_targets(old)), set(_targets(new))
    for kind, member, target in before - after:
        await _ignore_missing(ctx.call("iam", f"Detach{kind}Policy", {member: target, "PolicyArn": physical}))
    for kind, member, target in after - before:
        await ctx.call("iam", f"Attach{kind}Policy", {member: target, "PolicyArn": physical})
    return done


@deleting("AWS::IAM::ManagedPolicy")
async def delete_managed_policy(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    for kind, member, target in _targets(props):
        await _ignore_missing(ctx.call("iam", f"Detach{kind}Policy", {member: target, "PolicyArn": physical}))
    try:
        versions = (await ctx.call("iam", "ListPolicyVersions", {"PolicyArn": physical}))["Versions"]
    except AwsError as e:
        if e.code == "NoSuchEntity":
            return
        raise
    for v in versions:
        if not v["IsDefaultVersion"]:
            await ctx.call("iam", "DeletePolicyVersion", {"PolicyArn": physical, "VersionId": v["VersionId"]})
    await _ignore_missing(ctx.call("iam", "DeletePolicy", {"PolicyArn": physical}))


def _inline_zip(runtime: str, source: str) -> bytes:
    """AWS's packaging of ZipFile code: one file, index.py (Python) or index.js (Node.js)."""
    name = "index.js" if runtime.startswith("nodejs") else "index.py"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo(name)
        info.external_attr = 0o644 << 16
        z.writestr(info, source)
    return buf.getvalue()


def _code(props: dict[str, Any]) -> dict[str, Any]:
    code = props.get("Code") or {}
    if "ZipFile" in code:
        return {"ZipFile": _inline_zip(str(props.get("Runtime", "")), str(code["ZipFile"]))}
    return {k: code[k] for k in ("S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri") if k in code}


_FUNCTION_CONFIG = ("Role", "Handler", "Description", "Timeout", "MemorySize", "Environment", "Runtime",
                    "DeadLetterConfig", "KMSKeyArn", "TracingConfig", "Layers", "EphemeralStorage",
                    "ImageConfig", "LoggingConfig", "VpcConfig", "SnapStart", "FileSystemConfigs")


def _config(props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in _FUNCTION_CONFIG:
        if k not in props:
            continue
        v = props[k]
        if k in ("Timeout", "MemorySize"):
            v = int(v)
        elif k == "EphemeralStorage":
            v = {"Size": int(v["Size"])}
        out[k] = v
    return out


@provider("AWS::Lambda::Function")
async def create_function(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = props.get("FunctionName") or ctx.name(64)
    params: dict[str, Any] = {"FunctionName": name, "Code": _code(props), **_config(props)}
    for k in ("PackageType", "Architectures"):
        if k in props:
            params[k] = props[k]
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = {t["Key"]: t["Value"] for t in tags}
    out = await ctx.call("lambda", "CreateFunction", params)
    if "ReservedConcurrentExecutions" in props:
        await ctx.call("lambda", "PutFunctionConcurrency", {"FunctionName": name, "ReservedConcurrentExecutions":
                                                            int(props["ReservedConcurrentExecutions"])})
    return Done(name, {"Arn": out["FunctionArn"]})


@updating("AWS::Lambda::Function")
async def update_function(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    if old.get("Code") != new.get("Code") or old.get("Runtime") != new.get("Runtime"):
        await ctx.call("lambda", "UpdateFunctionCode", {"FunctionName": physical, **_code(new)})
    before, after = _config(old), _config(new)
    if before != after:
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        if "Environment" in before and "Environment" not in after:
            changed["Environment"] = {"Variables": {}}
        if changed:
            await ctx.call("lambda", "UpdateFunctionConfiguration", {"FunctionName": physical, **changed})
    return done


@deleting("AWS::Lambda::Function")
async def delete_function(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("lambda", "DeleteFunction", {"FunctionName": physical}))


@provider("AWS::Lambda::Permission")
async def create_permission(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    sid = ctx.name(100)
    params: dict[str, Any] = {"FunctionName": props["FunctionName"], "StatementId": sid, "Action": props["Action"],
                              "Principal": props["Principal"]}
    for k in ("SourceArn", "SourceAccount", "EventSourceToken", "FunctionUrlAuthType", "PrincipalOrgID"):
        if k in props:
            params[k] = props[k]
    await ctx.call("lambda", "AddPermission", params)
    return Done(sid)


@deleting("AWS::Lambda::Permission")
async def delete_permission(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("lambda", "RemovePermission", {"FunctionName": props["FunctionName"], "StatementId": physical}))


_MAPPING_KEYS = ("EventSourceArn", "BatchSize", "Enabled", "MaximumBatchingWindowInSeconds", "StartingPosition",
                 "StartingPositionTimestamp", "FilterCriteria", "FunctionResponseTypes", "ScalingConfig",
                 "MaximumRecordAgeInSeconds", "MaximumRetryAttempts", "BisectBatchOnFunctionError",
                 "ParallelizationFactor", "DestinationConfig", "TumblingWindowInSeconds")


def _mapping_params(props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"FunctionName": props["FunctionName"]}
    for k in _MAPPING_KEYS:
        if k not in props:
            continue
        v = props[k]
        if k in ("BatchSize", "MaximumBatchingWindowInSeconds", "MaximumRecordAgeInSeconds", "MaximumRetryAttempts",
                 "ParallelizationFactor", "TumblingWindowInSeconds"):
            v = int(v)
        elif k in ("Enabled", "BisectBatchOnFunctionError"):
            v = str(v).lower() == "true"
        out[k] = v
    return out


@provider("AWS::Lambda::EventSourceMapping")
async def create_event_source_mapping(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    out = await ctx.call("lambda", "CreateEventSourceMapping", _mapping_params(props))
    return Done(out["UUID"], {"Id": out["UUID"], "EventSourceMappingArn": out.get("EventSourceMappingArn", "")})


@updating("AWS::Lambda::EventSourceMapping")
async def update_event_source_mapping(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                      done: Done) -> Done:
    params = {k: v for k, v in _mapping_params(new).items() if k not in ("EventSourceArn", "StartingPosition",
                                                                        "StartingPositionTimestamp")}
    await ctx.call("lambda", "UpdateEventSourceMapping", {"UUID": physical, **params})
    return done


@deleting("AWS::Lambda::EventSourceMapping")
async def delete_event_source_mapping(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("lambda", "DeleteEventSourceMapping", {"UUID": physical}))


@provider("AWS::Lambda::Version")
async def create_version(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    params: dict[str, Any] = {"FunctionName": props["FunctionName"]}
    if props.get("Description"):
        params["Description"] = props["Description"]
    out = await ctx.call("lambda", "PublishVersion", params)
    return Done(out["FunctionArn"], {"Version": out["Version"], "FunctionArn": out["FunctionArn"]})


@deleting("AWS::Lambda::Version")
async def delete_version(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    name, _, version = physical.rpartition(":")
    await _ignore_missing(ctx.call("lambda", "DeleteFunction", {"FunctionName": name, "Qualifier": version}))


def _alias_params(props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"FunctionName": props["FunctionName"], "FunctionVersion": str(props["FunctionVersion"])}
    if "Description" in props:
        out["Description"] = props["Description"]
    routing = props.get("RoutingConfig")
    if isinstance(routing, dict) and routing.get("AdditionalVersionWeights"):
        out["RoutingConfig"] = {"AdditionalVersionWeights": {str(w["FunctionVersion"]): float(w["FunctionWeight"])
                                                             for w in routing["AdditionalVersionWeights"]}}
    return out


@provider("AWS::Lambda::Alias")
async def create_alias(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    out = await ctx.call("lambda", "CreateAlias", {**_alias_params(props), "Name": props["Name"]})
    return Done(out["AliasArn"], {"AliasArn": out["AliasArn"]})


@updating("AWS::Lambda::Alias")
async def update_alias(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    await ctx.call("lambda", "UpdateAlias", {**_alias_params(new), "Name": new["Name"]})
    return done


@deleting("AWS::Lambda::Alias")
async def delete_alias(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("lambda", "DeleteAlias", {"FunctionName": props["FunctionName"], "Name": props["Name"]}))


@provider("AWS::Lambda::Url")
async def create_url(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    params: dict[str, Any] = {"FunctionName": props["TargetFunctionArn"], "AuthType": props["AuthType"]}
    for k in ("Cors", "InvokeMode"):
        if k in props:
            params[k] = props[k]
    if props.get("Qualifier"):
        params["Qualifier"] = props["Qualifier"]
    out = await ctx.call("lambda", "CreateFunctionUrlConfig", params)
    return Done(out["FunctionArn"], {"FunctionArn": out["FunctionArn"], "FunctionUrl": out["FunctionUrl"]})


@deleting("AWS::Lambda::Url")
async def delete_url(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    params: dict[str, Any] = {"FunctionName": props["TargetFunctionArn"]}
    if props.get("Qualifier"):
        params["Qualifier"] = props["Qualifier"]
    await _ignore_missing(ctx.call("lambda", "DeleteFunctionUrlConfig", params))


async def _principal_policies(ctx: ResourceContext, kind: str, member: str, name: str, old: dict[str, Any],
                              new: dict[str, Any]) -> None:
    """A user's or group's inline Policies and ManagedPolicyArns, from `old` to `new`."""
    old_inline = {p["PolicyName"]: p for p in old.get("Policies") or ()}
    new_inline = {p["PolicyName"]: p for p in new.get("Policies") or ()}
    for pname in set(old_inline) - set(new_inline):
        await _ignore_missing(ctx.call("iam", f"Delete{kind}Policy", {member: name, "PolicyName": pname}))
    for pname, p in new_inline.items():
        if old_inline.get(pname) != p:
            await ctx.call("iam", f"Put{kind}Policy", {member: name, "PolicyName": pname,
                                                       "PolicyDocument": policy_text(p["PolicyDocument"])})
    before, after = set(old.get("ManagedPolicyArns") or ()), set(new.get("ManagedPolicyArns") or ())
    for arn in before - after:
        await _ignore_missing(ctx.call("iam", f"Detach{kind}Policy", {member: name, "PolicyArn": arn}))
    for arn in after - before:
        await ctx.call("iam", f"Attach{kind}Policy", {member: name, "PolicyArn": arn})


@provider("AWS::IAM::User")
async def create_user(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = props.get("UserName") or ctx.name(64)
    params: dict[str, Any] = {"UserName": name, "Path": props.get("Path", "/")}
    if props.get("PermissionsBoundary"):
        params["PermissionsBoundary"] = props["PermissionsBoundary"]
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    user = (await ctx.call("iam", "CreateUser", params))["User"]
    done = Done(name, {"Arn": user["Arn"]})
    try:
        await _user_parts(ctx, name, {}, props)
    except AwsError:
        await delete_user(ctx, name, props, done)
        raise
    return done


async def _user_parts(ctx: ResourceContext, name: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    await _principal_policies(ctx, "User", "UserName", name, old, new)
    before, after = set(old.get("Groups") or ()), set(new.get("Groups") or ())
    for g in before - after:
        await _ignore_missing(ctx.call("iam", "RemoveUserFromGroup", {"UserName": name, "GroupName": g}))
    for g in after - before:
        await ctx.call("iam", "AddUserToGroup", {"UserName": name, "GroupName": g})
    login = new.get("LoginProfile")
    if login and login != old.get("LoginProfile"):
        op = "UpdateLoginProfile" if old.get("LoginProfile") else "CreateLoginProfile"
        await ctx.call("iam", op, {"UserName": name, "Password": login["Password"],
                                   "PasswordResetRequired": str(login.get("PasswordResetRequired", False)).lower() == "true"})
    elif old.get("LoginProfile") and not login:
        await _ignore_missing(ctx.call("iam", "DeleteLoginProfile", {"UserName": name}))


@updating("AWS::IAM::User")
async def update_user(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    await _user_parts(ctx, physical, old, new)
    return done


@deleting("AWS::IAM::User")
async def delete_user(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _user_parts(ctx, physical, props, {})
    await _ignore_missing(ctx.call("iam", "DeleteUser", {"UserName": physical}))


@provider("AWS::IAM::Group")
async def create_group(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = props.get("GroupName") or ctx.name(128)
    group = (await ctx.call("iam", "CreateGroup", {"GroupName": name, "Path": props.get("Path", "/")}))["Group"]
    done = Done(name, {"Arn": group["Arn"]})
    try:
        await _principal_policies(ctx, "Group", "GroupName", name, {}, props)
    except AwsError:
        await delete_group(ctx, name, props, done)
        raise
    return done


@updating("AWS::IAM::Group")
async def update_group(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    await _principal_policies(ctx, "Group", "GroupName", physical, old, new)
    return done


@deleting("AWS::IAM::Group")
async def delete_group(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _principal_policies(ctx, "Group", "GroupName", physical, props, {})
    await _ignore_missing(ctx.call("iam", "DeleteGroup", {"GroupName": physical}))


@provider("AWS::IAM::AccessKey", replaces=("Serial",))
async def create_access_key(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    key = (await ctx.call("iam", "CreateAccessKey", {"UserName": props["UserName"]}))["AccessKey"]
    if props.get("Status") == "Inactive":
        await ctx.call("iam", "UpdateAccessKey", {"UserName": props["UserName"], "AccessKeyId": key["AccessKeyId"],
                                                  "Status": "Inactive"})
    return Done(key["AccessKeyId"], {"SecretAccessKey": key["SecretAccessKey"]})


@updating("AWS::IAM::AccessKey")
async def update_access_key(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    await ctx.call("iam", "UpdateAccessKey", {"UserName": new["UserName"], "AccessKeyId": physical,
                                              "Status": new.get("Status", "Active")})
    return done


@deleting("AWS::IAM::AccessKey")
async def delete_access_key(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("iam", "DeleteAccessKey", {"UserName": props["UserName"], "AccessKeyId": physical}))


@provider("AWS::IAM::InstanceProfile")
async def create_instance_profile(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = props.get("InstanceProfileName") or ctx.name(128)
    profile = (await ctx.call("iam", "CreateInstanceProfile", {"InstanceProfileName": name,
                                                               "Path": props.get("Path", "/")}))["InstanceProfile"]
    for role in props.get("Roles") or ():
        await ctx.call("iam", "AddRoleToInstanceProfile", {"InstanceProfileName": name, "RoleName": role})
    return Done(name, {"Arn": profile["Arn"]})


@updating("AWS::IAM::InstanceProfile")
async def update_instance_profile(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                  done: Done) -> Done:
    before, after = set(old.get("Roles") or ()), set(new.get("Roles") or ())
    for role in before - after:
        await _ignore_missing(ctx.call("iam", "RemoveRoleFromInstanceProfile", {"InstanceProfileName": physical, "RoleName": role}))
    for role in after - before:
        await ctx.call("iam", "AddRoleToInstanceProfile", {"InstanceProfileName": physical, "RoleName": role})
    return done


@deleting("AWS::IAM::InstanceProfile")
async def delete_instance_profile(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    for role in props.get("Roles") or ():
        await _ignore_missing(ctx.call("iam", "RemoveRoleFromInstanceProfile", {"InstanceProfileName": physical, "RoleName": role}))
    await _ignore_missing(ctx.call("iam", "DeleteInstanceProfile", {"InstanceProfileName": physical}))


@provider("AWS::Lambda::LayerVersion")
async def create_layer_version(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    params: dict[str, Any] = {"LayerName": props.get("LayerName") or ctx.name(64), "Content": dict(props["Content"])}
    for k in ("Description", "CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"):
        if k in props:
            params[k] = props[k]
    out = await ctx.call("lambda", "PublishLayerVersion", params)
    return Done(out["LayerVersionArn"], {"LayerVersionArn": out["LayerVersionArn"]})


@deleting("AWS::Lambda::LayerVersion")
async def delete_layer_version(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    name, _, version = physical.rpartition(":")
    await _ignore_missing(ctx.call("lambda", "DeleteLayerVersion", {"LayerName": name, "VersionNumber": int(version)}))


def _invoke_config(props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"FunctionName": props["FunctionName"], "Qualifier": props["Qualifier"]}
    for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
        if k in props:
            out[k] = int(props[k])
    if props.get("DestinationConfig"):
        out["DestinationConfig"] = props["DestinationConfig"]
    return out


@provider("AWS::Lambda::EventInvokeConfig")
async def create_event_invoke_config(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    await ctx.call("lambda", "PutFunctionEventInvokeConfig", _invoke_config(props))
    return Done(f"{props['FunctionName']}:{props['Qualifier']}")


@updating("AWS::Lambda::EventInvokeConfig")
async def update_event_invoke_config(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                     done: Done) -> Done:
    await ctx.call("lambda", "PutFunctionEventInvokeConfig", _invoke_config(new))
    return done


@deleting("AWS::Lambda::EventInvokeConfig")
async def delete_event_invoke_config(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("lambda", "DeleteFunctionEventInvokeConfig", {"FunctionName": props["FunctionName"],
                                                                                 "Qualifier": props["Qualifier"]}))
