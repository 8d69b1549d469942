"""The UserMigration trigger: an unknown user signing in with a password (or asking for a
password reset) is looked up by the pool's function; its userAttributes make the user
(CONFIRMED when finalUserStatus says so, as AWS does; otherwise RESET_REQUIRED), with the
password it was called with."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from gureum.services.cognito_idp import ids, passwords, triggers, users
from gureum.services.cognito_idp.pools import Doc, err

if TYPE_CHECKING:
    from gureum.app import App


async def migrate(app: App, pool: Doc, client: Doc, name: str, password: str | None, metadata: Doc, source: str) -> Doc | None:
    request: Doc = {"password": password, "validationData": {}, "clientMetadata": metadata} if password is not None else {
        "clientMetadata": metadata}
    response = await triggers.invoke(app, pool, "UserMigration", source, name, client["ClientId"], request)
    if not response or not isinstance(response.get("userAttributes"), dict):
        return None
    attrs = {str(k): str(v) for k, v in response["userAttributes"].items() if k not in ("sub", "username")}
    username, sub = users.plan_username(pool, name) if pool.get("UsernameAttributes") else (name, ids.sub())
    record = await asyncio.to_thread(passwords.make_record, pool["Id"], username, password) if password else None
    status = "CONFIRMED" if response.get("finalUserStatus") == "CONFIRMED" or password else "RESET_REQUIRED"
    if pool.get("UsernameAttributes") and "email" in pool["UsernameAttributes"] and "@" in name:
        attrs.setdefault("email", name)
    if not attrs and password is None:
        raise err("UserNotFoundException", "User does not exist.")
    now = users.now()
    return await app.store.run(lambda t: users.create(t, pool, username, sub, attrs, status, record, now))
