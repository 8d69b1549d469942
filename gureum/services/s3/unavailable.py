"""S3 operations that need an AWS service gureum does not serve, answered with the error AWS
gives where that service's part is missing:

- WriteGetObjectResponse (S3 Object Lambda): only a Lambda function handed a request route and
  token by an Object Lambda access point may call it; gureum serves no Object Lambda access
  points (S3 Control), so no route or token it could be given is valid: InvalidRequest.
"""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError


@operation("s3", "WriteGetObjectResponse")
async def write_get_object_response(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    raise AwsError.modeled("s3", "InvalidRequest", "The request route and token do not belong to an open S3 Object "
                           "Lambda request (this endpoint serves no Object Lambda access points)")
