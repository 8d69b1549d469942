"""ACM's gureum endpoints:
- GET /_gureum/ca.pem: the root of gureum's certificate authority (ca.py), for clients to
  trust the certificates ACM issues;
- /_gureum/acm/approve?certificate=&domain=&code=: the link of an EMAIL validation's approval
  mail (email_validation.py): GET shows the approval form, POST approves (200), a wrong or
  stale link answers 400. It needs no signature (a mailbox owner follows it): the code is the
  secret."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from gureum.http.server import Request, Response
from gureum.services.acm.paths import APPROVE_PATH, CA_PATH

if TYPE_CHECKING:
    from gureum.app import App

_HTML = [("content-type", "text/html; charset=utf-8")]


async def handle(app: App, request: Request) -> Response | None:
    if request.path == CA_PATH:
        from gureum.services.acm import ca  # cryptography: only when the CA is asked for

        pem = await app.store.run(ca.root_pem)
        return Response(200, [("content-type", "application/x-pem-file")], pem.encode())
    if request.path.rstrip("/") != APPROVE_PATH:
        return None
    from gureum.services.acm import email_validation, metering  # only for an approval link

    q = request.query_dict()
    arn, domain, code = (q.get(k) or "" for k in ("certificate", "domain", "code"))
    if request.method == "GET":
        return Response(200, _HTML, email_validation.page(arn, domain, None).encode())
    if request.method != "POST":
        return Response(405, [("allow", "GET, POST"), *_HTML], b"<html><body>GET or POST the approval link</body></html>")
    now = time.time()
    ok, issued = await app.store.run(lambda t: email_validation.approve(t, arn, domain, code, now))
    if issued is not None:
        await metering.issued(app, issued)
    return Response(200 if ok else 400, _HTML, email_validation.page(arn, domain, ok).encode())
