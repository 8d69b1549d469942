"""S3 operations that need an AWS service gureum does not serve, answered with the error AWS
gives where that service's part is missing:

- WriteGetObjectResponse (S3 Object Lambda): only a Lambda function handed a request route and
  token by an Object Lambda access point may call it; gureum serves no Object Lambda access
  points (S3 Control), so no route or token it could be given is valid: InvalidRequest.
- UpdateObjectEncryption: moves an object to SSE-KMS under a KMS key; gureum serves no KMS,
  so every key is one S3 cannot find: KMS.NotFoundException, as S3 answers for a missing key.
  The object is checked first (NoSuchKey, a directory bucket's InvalidRequest)."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.s3 import model


@operation("s3", "WriteGetObjectResponse")
async def write_get_object_response(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    raise AwsError.modeled("s3", "InvalidRequest", "The request route and token do not belong to an open S3 Object "
                           "Lambda request (this endpoint serves no Object Lambda access points)")


@operation("s3", "UpdateObjectEncryption")
async def update_object_encryption(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, key = params["Bucket"], params["Key"]

    def check(t: Any) -> dict[str, Any]:
        b = model.bucket(t, name, ctx.account_id)
        if b.get("directory"):
            raise AwsError.modeled("s3", "InvalidRequest", "UpdateObjectEncryption is not supported for directory "
                                   "buckets")
        obj = model.get_object(t, name, ctx.account_id, key, params.get("VersionId"))
        if obj.get("dm"):
            raise AwsError.modeled("s3", "NoSuchKey", model.NO_SUCH_KEY, Key=key)
        return obj

    await ctx.app.store.read(check)
    kms = (params.get("ObjectEncryption") or {}).get("SSEKMS") or {}
    arn = kms.get("KMSKeyArn")
    if not arn:
        raise AwsError.modeled("s3", "InvalidRequest", "ObjectEncryption must name an SSE-KMS key (KMSKeyArn)")
    raise AwsError.modeled("s3", "KMS.NotFoundException", f"Key '{arn}' does not exist")
