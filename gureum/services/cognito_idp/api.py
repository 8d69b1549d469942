"""Cognito user pools' handlers: read the parameters, run one model function (or one flow
step), shape the answer. Signed calls (pools, clients, Admin*) act in the caller's account;
unsigned ones (SignUp, InitiateAuth, GetUser...) find their pool from the client id or
the access token."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from gureum.aws.dispatch import Handler, RequestContext, operation
from gureum.services.cognito_idp import (
    admin,
    clients,
    groups,
    pool_tags,
    pools,
    selfservice,
    signin,
    tokens,
    ui_custom,
    users,
)
from gureum.store import Txn

S = "cognito-idp"
Doc = dict[str, Any]
OWNED = (clients.CLIENTS, users.USERS, users.ALIASES, groups.GROUPS, groups.MEMBERS, groups.USER_GROUPS,
         clients.RESOURCE_SERVERS, tokens.USER_SESSIONS, ui_custom.TABLE)


def op(name: str) -> Callable[[Handler], Handler]:
    """@operation for cognito-idp, refusing a pool id of another Region than the request's
    (a pool id starts with its Region, "us-east-1_..."; pools are regional, as in AWS)."""
    def register(fn: Handler) -> Handler:
        async def in_region(ctx: RequestContext, params: Doc) -> Any:
            pool_id = params.get("UserPoolId")
            if isinstance(pool_id, str) and not pool_id.startswith(ctx.region + "_"):
                raise pools.not_found(pool_id)
            return await fn(ctx, params)
        return operation(S, name)(in_region)
    return register


def _next(name: str, token: str | None) -> Doc:
    return {name: token} if token else {}


# --- pools ---------------------------------------------------------------------------------------

@op("CreateUserPool")
async def create_user_pool(ctx: RequestContext, params: Doc) -> Doc:
    key, public = await asyncio.to_thread(tokens.new_key)
    now = time.time()
    doc = await ctx.app.store.run(lambda t: pools.create(
        t, ctx.account_id, ctx.region, params, lambda tx, arn: tokens.seal_key(tx, key, public, arn), now))
    return {"UserPool": pools.public(doc)}


@op("DescribeUserPool")
async def describe_user_pool(ctx: RequestContext, params: Doc) -> Doc:
    def read(t: Txn) -> Doc:
        doc = pools.get(t, params["UserPoolId"], ctx.account_id)
        return pools.public(doc, users.count(t, doc["Id"]))
    return {"UserPool": await ctx.app.store.read(read)}


@op("UpdateUserPool")
async def update_user_pool(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: pools.update(t, ctx.account_id, params, time.time()))
    return {}


@op("DeleteUserPool")
async def delete_user_pool(ctx: RequestContext, params: Doc) -> Doc:
    def write(t: Txn) -> None:
        doc = pools.get(t, params["UserPoolId"], ctx.account_id)
        if doc.get("Domain"):
            t.delete(clients.DOMAINS, doc["Domain"])
        for cid, _ in t.scan(clients.CLIENTS, doc["Id"] + "/"):
            t.delete(clients.CLIENT_INDEX, cid.rsplit("/", 1)[1])
        pools.delete(t, ctx.account_id, params["UserPoolId"], OWNED)
    await ctx.app.store.run(write)
    return {}


@op("ListUserPools")
async def list_user_pools(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: pools.listing(t, ctx.account_id, ctx.region, params))
    return {"UserPools": items, **_next("NextToken", nxt)}


@op("AddCustomAttributes")
async def add_custom_attributes(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: pools.add_custom_attributes(t, ctx.account_id, params["UserPoolId"],
                                                                   params["CustomAttributes"], time.time()))
    return {}


@op("SetUserPoolMfaConfig")
async def set_user_pool_mfa_config(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: pools.set_mfa_config(t, ctx.account_id, params))


@op("GetUserPoolMfaConfig")
async def get_user_pool_mfa_config(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.read(lambda t: pools.get(t, params["UserPoolId"], ctx.account_id))
    return {"MfaConfiguration": doc.get("MfaConfiguration", "OFF"),
            "SoftwareTokenMfaConfiguration": doc.get("SoftwareTokenMfaConfiguration") or {"Enabled": False}}


# --- clients, domains, resource servers ------------------------------------------------------------

@op("CreateUserPoolClient")
async def create_user_pool_client(ctx: RequestContext, params: Doc) -> Doc:
    return {"UserPoolClient": await ctx.app.store.run(lambda t: clients.create(t, ctx.account_id, params, time.time()))}


@op("DescribeUserPoolClient")
async def describe_user_pool_client(ctx: RequestContext, params: Doc) -> Doc:
    def read(t: Txn) -> Doc:
        pools.get(t, params["UserPoolId"], ctx.account_id)
        return clients.public(t, clients.get_in(t, params["UserPoolId"], params["ClientId"]))
    return {"UserPoolClient": await ctx.app.store.read(read)}


@op("UpdateUserPoolClient")
async def update_user_pool_client(ctx: RequestContext, params: Doc) -> Doc:
    return {"UserPoolClient": await ctx.app.store.run(lambda t: clients.update(t, ctx.account_id, params, time.time()))}


@op("DeleteUserPoolClient")
async def delete_user_pool_client(ctx: RequestContext, params: Doc) -> Doc:
    def run(t: Txn) -> None:
        clients.delete(t, ctx.account_id, params["UserPoolId"], params["ClientId"])
        ui_custom.forget_client(t, params["UserPoolId"], params["ClientId"])

    await ctx.app.store.run(run)
    return {}


@op("ListUserPoolClients")
async def list_user_pool_clients(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: clients.listing(t, ctx.account_id, params))
    return {"UserPoolClients": items, **_next("NextToken", nxt)}


@op("CreateUserPoolDomain")
async def create_user_pool_domain(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: clients.create_domain(t, ctx.account_id, params))
    return {"CloudFrontDomain": f"{params['Domain']}.auth.{ctx.region}.amazoncognito.com", "ManagedLoginVersion": 1}


@op("SetUICustomization")
async def set_ui_customization(ctx: RequestContext, params: Doc) -> Doc:
    now = time.time()
    return {"UICustomization": await ctx.app.store.run(lambda t: ui_custom.put(t, ctx.account_id, params, now))}


@op("GetUICustomization")
async def get_ui_customization(ctx: RequestContext, params: Doc) -> Doc:
    return {"UICustomization": await ctx.app.store.read(lambda t: ui_custom.get(t, ctx.account_id, params))}


@op("DescribeUserPoolDomain")
async def describe_user_pool_domain(ctx: RequestContext, params: Doc) -> Doc:
    return {"DomainDescription": await ctx.app.store.read(lambda t: clients.describe_domain(t, ctx.account_id, params["Domain"]))}


@op("DeleteUserPoolDomain")
async def delete_user_pool_domain(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: clients.delete_domain(t, ctx.account_id, params))
    return {}


@op("UpdateUserPoolDomain")
async def update_user_pool_domain(ctx: RequestContext, params: Doc) -> Doc:
    def check(t: Txn) -> None:  # a domain has no settings gureum keeps beyond its pool
        pools.get(t, params["UserPoolId"], ctx.account_id)
        row = t.get(clients.DOMAINS, params["Domain"])
        if row is None or row["pool"] != params["UserPoolId"]:
            raise pools.err("InvalidParameterException", "No such domain or user pool exists.")
    await ctx.app.store.read(check)
    return {"CloudFrontDomain": f"{params['Domain']}.auth.{ctx.region}.amazoncognito.com", "ManagedLoginVersion": 1}


@op("TagResource")
async def tag_resource(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: pool_tags.tag(t, ctx.account_id, params["ResourceArn"], params.get("Tags") or {}))
    return {}


@op("UntagResource")
async def untag_resource(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: pool_tags.untag(t, ctx.account_id, params["ResourceArn"], params["TagKeys"]))
    return {}


@op("ListTagsForResource")
async def list_tags_for_resource(ctx: RequestContext, params: Doc) -> Doc:
    return {"Tags": await ctx.app.store.read(lambda t: pool_tags.listing(t, ctx.account_id, params["ResourceArn"]))}


@op("CreateResourceServer")
async def create_resource_server(ctx: RequestContext, params: Doc) -> Doc:
    return {"ResourceServer": await ctx.app.store.run(lambda t: clients.put_resource_server(t, ctx.account_id, params, True))}


@op("UpdateResourceServer")
async def update_resource_server(ctx: RequestContext, params: Doc) -> Doc:
    return {"ResourceServer": await ctx.app.store.run(lambda t: clients.put_resource_server(t, ctx.account_id, params, False))}


@op("DescribeResourceServer")
async def describe_resource_server(ctx: RequestContext, params: Doc) -> Doc:
    return {"ResourceServer": await ctx.app.store.read(lambda t: clients.get_resource_server(
        t, ctx.account_id, params["UserPoolId"], params["Identifier"]))}


@op("DeleteResourceServer")
async def delete_resource_server(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: clients.delete_resource_server(t, ctx.account_id, params["UserPoolId"], params["Identifier"]))
    return {}


@op("ListResourceServers")
async def list_resource_servers(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: clients.list_resource_servers(t, ctx.account_id, params))
    return {"ResourceServers": items, **_next("NextToken", nxt)}


# --- users (admin) -----------------------------------------------------------------------------------

@op("AdminCreateUser")
async def admin_create_user(ctx: RequestContext, params: Doc) -> Doc:
    return {"User": await admin.create_user(ctx.app, ctx.account_id, params, time.time())}


@op("AdminGetUser")
async def admin_get_user(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.read(lambda t: admin.get_user(t, ctx.account_id, params))


@op("AdminDeleteUser")
async def admin_delete_user(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: admin.delete_user(t, ctx.account_id, params))
    return {}


@op("AdminDisableUser")
async def admin_disable_user(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: admin.set_enabled(t, ctx.account_id, params, False, time.time()))
    return {}


@op("AdminEnableUser")
async def admin_enable_user(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: admin.set_enabled(t, ctx.account_id, params, True, time.time()))
    return {}


@op("AdminSetUserPassword")
async def admin_set_user_password(ctx: RequestContext, params: Doc) -> Doc:
    await admin.set_password(ctx.app, ctx.account_id, params, time.time())
    return {}


@op("AdminUpdateUserAttributes")
async def admin_update_user_attributes(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: admin.update_attributes(t, ctx.account_id, params, time.time()))
    return {}


@op("AdminDeleteUserAttributes")
async def admin_delete_user_attributes(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: admin.delete_attributes(t, ctx.account_id, params, time.time()))
    return {}


@op("AdminConfirmSignUp")
async def admin_confirm_sign_up(ctx: RequestContext, params: Doc) -> Doc:
    pool, doc = await ctx.app.store.run(lambda t: admin.confirm_sign_up(t, ctx.account_id, params, time.time()))
    await selfservice._post_confirmation(ctx.app, pool, doc, None, "PostConfirmation_ConfirmSignUp")
    return {}


@op("AdminResetUserPassword")
async def admin_reset_user_password(ctx: RequestContext, params: Doc) -> Doc:
    pool, doc, code = await ctx.app.store.run(lambda t: admin.reset_password(t, ctx.account_id, params, time.time()))
    await selfservice.send_code(ctx.app, pool, doc, None, "forgot", code, "CustomMessage_AdminResetUserPassword")
    return {}


@op("AdminUserGlobalSignOut")
async def admin_user_global_sign_out(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: admin.sign_out(t, ctx.account_id, params))
    return {}


@op("AdminSetUserMFAPreference")
async def admin_set_user_mfa_preference(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: admin.set_mfa(t, ctx.account_id, params, time.time()))
    return {}


@op("ListUsers")
async def list_users(ctx: RequestContext, params: Doc) -> Doc:
    def read(t: Txn) -> tuple[list[Doc], str | None]:
        return users.listing(t, pools.get(t, params["UserPoolId"], ctx.account_id), params)
    items, nxt = await ctx.app.store.read(read)
    return {"Users": items, **_next("PaginationToken", nxt)}


# --- groups --------------------------------------------------------------------------------------------

@op("CreateGroup")
async def create_group(ctx: RequestContext, params: Doc) -> Doc:
    def write(t: Txn) -> Doc:
        pools.get(t, params["UserPoolId"], ctx.account_id)
        return groups.create(t, params["UserPoolId"], params, time.time())
    return {"Group": await ctx.app.store.run(write)}


@op("GetGroup")
async def get_group(ctx: RequestContext, params: Doc) -> Doc:
    def read(t: Txn) -> Doc:
        pools.get(t, params["UserPoolId"], ctx.account_id)
        return groups.get(t, params["UserPoolId"], params["GroupName"])
    return {"Group": await ctx.app.store.read(read)}


@op("UpdateGroup")
async def update_group(ctx: RequestContext, params: Doc) -> Doc:
    def write(t: Txn) -> Doc:
        pools.get(t, params["UserPoolId"], ctx.account_id)
        return groups.update(t, params["UserPoolId"], params, time.time())
    return {"Group": await ctx.app.store.run(write)}


@op("DeleteGroup")
async def delete_group(ctx: RequestContext, params: Doc) -> Doc:
    def write(t: Txn) -> None:
        pools.get(t, params["UserPoolId"], ctx.account_id)
        groups.delete(t, params["UserPoolId"], params["GroupName"])
    await ctx.app.store.run(write)
    return {}


@op("ListGroups")
async def list_groups(ctx: RequestContext, params: Doc) -> Doc:
    def read(t: Txn) -> tuple[list[Doc], str | None]:
        pools.get(t, params["UserPoolId"], ctx.account_id)
        return groups.listing(t, params["UserPoolId"], params)
    items, nxt = await ctx.app.store.read(read)
    return {"Groups": items, **_next("NextToken", nxt)}


@op("AdminAddUserToGroup")
async def admin_add_user_to_group(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: admin.add_to_group(t, ctx.account_id, params))
    return {}


@op("AdminRemoveUserFromGroup")
async def admin_remove_user_from_group(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: admin.remove_from_group(t, ctx.account_id, params))
    return {}


@op("AdminListGroupsForUser")
async def admin_list_groups_for_user(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: admin.groups_for_user(t, ctx.account_id, params))
    return {"Groups": items, **_next("NextToken", nxt)}


@op("ListUsersInGroup")
async def list_users_in_group(ctx: RequestContext, params: Doc) -> Doc:
    def read(t: Txn) -> tuple[list[Doc], str | None]:
        pool = pools.get(t, params["UserPoolId"], ctx.account_id)
        return groups.members_page(t, pool, params["GroupName"], params)
    items, nxt = await ctx.app.store.read(read)
    return {"Users": items, **_next("NextToken", nxt)}


# --- sign-in --------------------------------------------------------------------------------------------

@op("InitiateAuth")
async def initiate_auth(ctx: RequestContext, params: Doc) -> Doc:
    return await signin.initiate(ctx.app, params, admin=False, account=None, now=time.time())


@op("AdminInitiateAuth")
async def admin_initiate_auth(ctx: RequestContext, params: Doc) -> Doc:
    return await signin.initiate(ctx.app, params, admin=True, account=ctx.account_id, now=time.time())


@op("RespondToAuthChallenge")
async def respond_to_auth_challenge(ctx: RequestContext, params: Doc) -> Doc:
    return await signin.respond(ctx.app, params, admin=False, account=None, now=time.time())


@op("AdminRespondToAuthChallenge")
async def admin_respond_to_auth_challenge(ctx: RequestContext, params: Doc) -> Doc:
    return await signin.respond(ctx.app, params, admin=True, account=ctx.account_id, now=time.time())


# --- self-service ----------------------------------------------------------------------------------------

@op("SignUp")
async def sign_up(ctx: RequestContext, params: Doc) -> Doc:
    return await selfservice.sign_up(ctx.app, params, time.time())


@op("ConfirmSignUp")
async def confirm_sign_up(ctx: RequestContext, params: Doc) -> Doc:
    await selfservice.confirm_sign_up(ctx.app, params, time.time())
    return {}


@op("ResendConfirmationCode")
async def resend_confirmation_code(ctx: RequestContext, params: Doc) -> Doc:
    return await selfservice.resend_code(ctx.app, params, time.time())


@op("ForgotPassword")
async def forgot_password(ctx: RequestContext, params: Doc) -> Doc:
    return await selfservice.forgot_password(ctx.app, params, time.time())


@op("ConfirmForgotPassword")
async def confirm_forgot_password(ctx: RequestContext, params: Doc) -> Doc:
    await selfservice.confirm_forgot_password(ctx.app, params, time.time())
    return {}


@op("ChangePassword")
async def change_password(ctx: RequestContext, params: Doc) -> Doc:
    await selfservice.change_password(ctx.app, params, time.time())
    return {}


@op("GetUser")
async def get_user(ctx: RequestContext, params: Doc) -> Doc:
    return await selfservice.get_user(ctx.app, params["AccessToken"], time.time())


@op("UpdateUserAttributes")
async def update_user_attributes(ctx: RequestContext, params: Doc) -> Doc:
    return await selfservice.update_attributes(ctx.app, params, time.time())


@op("DeleteUserAttributes")
async def delete_user_attributes(ctx: RequestContext, params: Doc) -> Doc:
    await selfservice.delete_attributes(ctx.app, params, time.time())
    return {}


@op("GetUserAttributeVerificationCode")
async def get_user_attribute_verification_code(ctx: RequestContext, params: Doc) -> Doc:
    return await selfservice.attribute_code(ctx.app, params, time.time())


@op("VerifyUserAttribute")
async def verify_user_attribute(ctx: RequestContext, params: Doc) -> Doc:
    await selfservice.verify_attribute(ctx.app, params, time.time())
    return {}


@op("DeleteUser")
async def delete_user(ctx: RequestContext, params: Doc) -> Doc:
    await selfservice.delete_self(ctx.app, params["AccessToken"], time.time(), admin.MEMBER_TABLES)
    return {}


@op("GlobalSignOut")
async def global_sign_out(ctx: RequestContext, params: Doc) -> Doc:
    await selfservice.global_sign_out(ctx.app, params["AccessToken"], time.time())
    return {}


@op("GetTokensFromRefreshToken")
async def get_tokens_from_refresh_token(ctx: RequestContext, params: Doc) -> Doc:
    return await selfservice.tokens_from_refresh(ctx.app, params, time.time())


@op("RevokeToken")
async def revoke_token(ctx: RequestContext, params: Doc) -> Doc:
    await selfservice.revoke_token(ctx.app, params, time.time())
    return {}


@op("AssociateSoftwareToken")
async def associate_software_token(ctx: RequestContext, params: Doc) -> Doc:
    return await selfservice.associate_token(ctx.app, params, time.time())


@op("VerifySoftwareToken")
async def verify_software_token(ctx: RequestContext, params: Doc) -> Doc:
    return await selfservice.verify_token(ctx.app, params, time.time())


@op("SetUserMFAPreference")
async def set_user_mfa_preference(ctx: RequestContext, params: Doc) -> Doc:
    await selfservice.set_user_mfa_preference(ctx.app, params, time.time())
    return {}
