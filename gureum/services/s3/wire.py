"""S3's departures from the generic wire layer (gureum/aws/hooks.py), named by S3's manifest:

- virtual-hosted-style requests (`<bucket>.localhost`, `<bucket>.s3.localhost`,
  `<bucket>.s3[.<region>].amazonaws.com`) are routed as `/<bucket>` + path;
- a path label that is not UTF-8 once percent-decoded is `InvalidURI`;
- errors are `<Error>` documents ending in `RequestId` and `HostId` (the x-amz-id-2 value),
  with `x-amz-request-id` and `x-amz-id-2` headers; a stale signature date is `RequestTimeTooSkewed` with the times echoed;
- SigV4 takes the payload hash from `x-amz-content-sha256` and signs the path as sent;
- every answered request gets the bucket's CORS headers (cors.py) and is offered to server
  access logging (access_log.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from gureum.aws.errors import AwsError
from gureum.aws.hooks import GenericHooks
from gureum.aws.protocols import xml
from gureum.services.s3.addressing import bucket_from_host, split_path

if TYPE_CHECKING:
    from gureum.aws.dispatch import RequestContext
    from gureum.http.server import Request, Response

log = logging.getLogger("gureum.s3")



class S3Hooks(GenericHooks):
    def route_path(self, request: Request) -> str | None:
        bucket = bucket_from_host(request.host)
        return None if bucket is None else "/" + bucket + request.raw_path

    def label_error(self) -> AwsError | None:
        return AwsError.modeled("s3", "InvalidURI", "Couldn't parse the specified URI.")

    def request_id_header(self) -> str | None:
        return "x-amz-request-id"

    def error_envelope(self, err: AwsError, extra_xml: str, request_id: str) -> tuple[str, list[tuple[str, str]]] | None:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{xml.escape(err.code)}</Code><Message>{xml.escape(err.message)}</Message>"
            f"{extra_xml}<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
        )
        return body, [("x-amz-id-2", request_id)]

    def skew_error(self, amz_date: str, server_time: str) -> AwsError | None:
        return AwsError.modeled(
            "s3",
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            RequestTime=amz_date,
            ServerTime=server_time,
            MaxAllowedSkewMilliseconds="900000",
        )

    def payload_hash_from_header(self) -> bool:
        return True

    def path_signed_as_sent(self) -> bool:
        return True

    async def answered(self, ctx: RequestContext, response: Response, error_code: str | None) -> None:
        from gureum.services.s3 import access_log, cors

        where = None if ctx.request is None else split_path(ctx.request)
        if where is None or ctx.request is None:
            return
        if "\x00" in where[0] or "\x00" in (where[1] or ""):  # no bucket or key is named so: nothing to decorate or log
            return
        try:
            await cors.on_answer(ctx.app, ctx.request, where[0], response)
            await access_log.record(ctx, where[0], where[1], response, error_code)
        except Exception:  # CORS headers and a log line must never fail the request they describe
            log.exception("s3: could not add CORS headers or record an access log line")


HOOKS = S3Hooks()
