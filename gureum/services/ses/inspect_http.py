"""gureum's own SES endpoints, what a mailbox would see:
- `GET /_gureum/ses[?email=&account=&region=]`: every message SES sent (API sends,
  verification mails, bounces), oldest first, as {"messages": [{id, source, destination,
  subject, body, raw, ...}], "smtp_port": the inbound SMTP server's port or null}; `email`
  keeps those naming that address as sender or recipient;
- `DELETE /_gureum/ses[?account=]`: forget them;
- `GET /_gureum/ses/verify?account=&region=&identity=&code=[&template=]`: the link of a
  verification mail; confirms the email identity (200) or says the link is not valid (400);
  a custom verification mail's link (`template`) redirects (302) to its template's
  SuccessRedirectionURL or FailureRedirectionURL instead;
- `GET|POST /_gureum/ses/unsubscribe?account=&region=&list=&email=&code=[&topic=]`: the
  List-Unsubscribe link of mail sent with a contact list (one-click POST, RFC 8058): the
  contact opts out of the topic, or of everything (200), or the link is not valid (400).
In strict auth mode the listing answers only an operator (a request signed with an
operator's root key), as /_gureum/sns/messages does; the verify link needs no signature (a
mailbox owner clicks it), its code is the secret (so is the unsubscribe link's)."""

from __future__ import annotations

import html
import json
import time
from typing import TYPE_CHECKING, Any

from gureum.http.server import BodyTooLarge, Request, Response
from gureum.services.ses import contacts, custom_verification, identities, messages
from gureum.services.ses.outbound import UNSUBSCRIBE_PATH, VERIFY_PATH
from gureum.services.ses.slots import SMTP_PORT

if TYPE_CHECKING:
    from gureum.app import App

LIST_PATH = "/_gureum/ses"


def _json(status: int, doc: Any) -> Response:
    return Response(status, [("content-type", "application/json")], json.dumps(doc, indent=1).encode())


def _html(status: int, text: str) -> Response:
    return Response(status, [("content-type", "text/html; charset=utf-8")], f"<html><body><p>{text}</p></body></html>".encode())


async def handle(app: App, request: Request) -> Response | None:
    path = request.path.rstrip("/")
    if path not in (LIST_PATH, VERIFY_PATH, UNSUBSCRIBE_PATH):
        return None
    if app.is_agent:
        return _json(404, {"error": "NotFound", "message": f"no gureum endpoint {request.path}"})
    query = request.query_dict()
    if path == UNSUBSCRIBE_PATH:
        if request.method not in ("GET", "POST"):
            return _json(405, {"error": "MethodNotAllowed", "message": "GET or POST the unsubscribe link"})
        account, region, name, address, code = (query.get(k) or "" for k in ("account", "region", "list", "email", "code"))
        ok = await app.store.run(lambda t: contacts.unsubscribe(t, account, region, name, address, query.get("topic"),
                                                                code, time.time()))
        if not ok:
            return _html(400, "This unsubscribe link is not valid.")
        return _html(200, f"{html.escape(address)} is unsubscribed.")
    if path == VERIFY_PATH:
        if request.method != "GET":
            return _json(405, {"error": "MethodNotAllowed", "message": "GET the verification link"})
        account, region, identity, code = (query.get(k) or "" for k in ("account", "region", "identity", "code"))
        ok = await app.store.run(lambda t: identities.confirm_email(t, account, region, identity, code))
        if query.get("template"):
            template = await app.store.read(lambda t: custom_verification.find(t, account, region, query["template"]))
            target = (template or {}).get("SuccessRedirectionURL" if ok else "FailureRedirectionURL")
            if target:
                return Response(302, [("location", str(target))], b"")
        if not ok:
            return _html(400, "This verification link is not valid (it may have expired or been used for another request).")
        return _html(200, f"Congratulations! You have successfully verified an email address. You can now start sending "
                          f"email from {identity}.")
    if app.config.auth == "strict":
        from gureum import internal
        from gureum.aws.errors import AwsError

        try:
            await internal._check_operator(app, request, "read SES's sent messages")
        except AwsError as err:
            return _json(err.status, {"error": err.code, "message": err.message})
        except BodyTooLarge:
            return _json(413, {"error": "RequestEntityTooLarge", "message": "request body too large"})
    if request.method == "GET":
        found = await app.store.read(lambda t: messages.listing(t, query.get("email"), query.get("account"), query.get("region")))
        return _json(200, {"messages": found, "smtp_port": app.parts.get(SMTP_PORT)})
    if request.method == "DELETE":
        gone = await app.store.run(lambda t: messages.clear(t, query.get("account")))
        return _json(200, {"deleted": gone})
    return _json(405, {"error": "MethodNotAllowed", "message": f"{request.method} {LIST_PATH}"})
