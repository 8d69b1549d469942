"""S3 default encryption: Put/Get/DeleteBucketEncryption, the encryption each object is
written with (reflected in PutObject, GetObject, HeadObject, CopyObject and multipart
answers), and UpdateObjectEncryption (a version re-keyed to SSE-KMS in place).

State: the bucket document's `encryption` (the ServerSideEncryptionConfiguration as given, or
None: SSE-S3, the default for every bucket since January 2023, which GetBucketEncryption
returns and DeleteBucketEncryption restores); each object version's `sse`
({"alg": "AES256" | "aws:kms" | "aws:kms:dsse", "kms": key ARN or None, "bk": bool}), fixed
when the version is written: from the request's x-amz-server-side-encryption headers when
given, else from the bucket's default. A version without `sse` (written before) is SSE-S3.
gureum serves no KMS: a key named is recorded and echoed as AWS does, without a KMS call;
aws:kms without a key id names the account's AWS managed key for S3 (aws/s3).
"""

from __future__ import annotations

import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.s3 import model

SSE_S3 = "AES256"
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
DEFAULT_RULES: list[dict[str, Any]] = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": SSE_S3},
                                        "BucketKeyEnabled": False}]


def managed_key(region: str, account: str) -> str:
    """The ARN of the account's AWS managed key for S3 (alias aws/s3) in `region`."""
    return arns.kms_key(region, account, str(uuid.uuid5(uuid.NAMESPACE_URL, f"gureum:kms:{account}:{region}:aws/s3")))


def _kms_arn(region: str, account: str, key: str) -> str:
    """A key id, alias name or ARN as S3 reports it (a bare id or alias becomes an ARN)."""
    if arns.looks_like_arn(key):
        return key
    if key.startswith("alias/"):
        return arns.kms_alias(region, account, key[len("alias/"):])
    return arns.kms_key(region, account, key)


def check_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A ServerSideEncryptionConfiguration's rules held to S3's rules; returns them normalized."""
    if len(rules) != 1:
        raise AwsError.modeled("s3", "MalformedXML", "The XML you provided was not well-formed or did not validate "
                                                     "against our published schema")
    default = rules[0].get("ApplyServerSideEncryptionByDefault")
    if default is None:
        raise AwsError.modeled("s3", "MalformedXML", "The XML you provided was not well-formed or did not validate "
                                                     "against our published schema")
    if default.get("KMSMasterKeyID") and default["SSEAlgorithm"] not in KMS_ALGORITHMS:
        raise AwsError.modeled("s3", "InvalidArgument", "a KMSMasterKeyID is not applicable if the default sse "
                                                        "algorithm is not aws:kms or aws:kms:dsse",
                               ArgumentName="ApplyServerSideEncryptionByDefault")
    rule = {"ApplyServerSideEncryptionByDefault": dict(default), "BucketKeyEnabled": bool(rules[0].get("BucketKeyEnabled"))}
    if rules[0].get("BlockedEncryptionTypes"):
        rule["BlockedEncryptionTypes"] = rules[0]["BlockedEncryptionTypes"]
    return [rule]


def bucket_rules(bucket: dict[str, Any]) -> list[dict[str, Any]]:
    return (bucket.get("encryption") or {}).get("Rules") or DEFAULT_RULES


def for_object(bucket: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The `sse` of a version written by a request: its own headers, else the bucket default."""
    region, account = bucket["region"], bucket["account"]
    alg = params.get("ServerSideEncryption")
    if alg:
        if params.get("SSEKMSKeyId") and alg not in KMS_ALGORITHMS:
            raise AwsError.modeled("s3", "InvalidArgument", "Server Side Encryption with KMS managed key requires "
                                                            "HTTP header x-amz-server-side-encryption : aws:kms",
                                   ArgumentName="x-amz-server-side-encryption-aws-kms-key-id")
        key = params.get("SSEKMSKeyId")
        bk = bool(params.get("BucketKeyEnabled"))
    else:
        rule = bucket_rules(bucket)[0]
        default = rule["ApplyServerSideEncryptionByDefault"]
        alg, key, bk = default["SSEAlgorithm"], default.get("KMSMasterKeyID"), bool(rule.get("BucketKeyEnabled"))
    if alg not in KMS_ALGORITHMS:
        return {"alg": alg, "kms": None, "bk": False}
    return {"alg": alg, "kms": _kms_arn(region, account, key) if key else managed_key(region, account), "bk": bk}


def response_fields(sse: dict[str, Any] | None) -> dict[str, Any]:
    """ServerSideEncryption, SSEKMSKeyId and BucketKeyEnabled as a response carries them."""
    if not sse:
        return {"ServerSideEncryption": SSE_S3}
    out: dict[str, Any] = {"ServerSideEncryption": sse["alg"]}
    if sse.get("kms"):
        out["SSEKMSKeyId"] = sse["kms"]
    if sse.get("bk"):
        out["BucketKeyEnabled"] = True
    return out


@operation("s3", "PutBucketEncryption")
async def put_bucket_encryption(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    rules = check_rules((params.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or [])
    await ctx.app.store.run(lambda t: model.update_bucket(t, params["Bucket"], ctx.account_id,
                                                         encryption={"Rules": rules}))
    return {}


@operation("s3", "GetBucketEncryption")
async def get_bucket_encryption(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await ctx.app.store.read(lambda t: model.bucket(t, params["Bucket"], ctx.account_id))
    return {"ServerSideEncryptionConfiguration": {"Rules": bucket_rules(b)}}


@operation("s3", "DeleteBucketEncryption")
async def delete_bucket_encryption(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: model.update_bucket(t, params["Bucket"], ctx.account_id, encryption=None))
    return {}


def _invalid_request(message: str) -> AwsError:
    return AwsError.modeled("s3", "InvalidRequest", message)


def update_object(t: Any, bucket_name: str, account: str, key: str, version_id: str | None,
                  target: dict[str, Any]) -> None:
    """UpdateObjectEncryption: an SSE-S3 or SSE-KMS version re-keyed to SSE-KMS in place (its
    bytes, metadata, storage class and version id unchanged)."""
    b = model.bucket(t, bucket_name, account)
    obj = model.get_object(t, bucket_name, account, key, version_id)
    if obj.get("dm"):
        raise AwsError.modeled("s3", "NoSuchKey", model.NO_SUCH_KEY, Key=key)
    kms = target.get("SSEKMS")
    if not kms:
        raise _invalid_request("Requests that modify an object encryption configuration require a valid new encryption "
                               "type. Valid values are SSEKMS. Modify the request to specify SSE-KMS for the updated "
                               "encryption type, and then try again.")
    current = (obj.get("sse") or {}).get("alg") or SSE_S3
    if current not in (SSE_S3, "aws:kms"):
        raise _invalid_request("The UpdateObjectEncryption operation doesn't support source objects with the "
                               "encryption type DSSE-KMS or SSE-C. Only source objects encrypted with SSE-S3 or "
                               "SSE-KMS are supported.")
    parsed = arns.try_parse(kms.get("KMSKeyArn") or "")
    if parsed is None or parsed.service != "kms" or parsed.resource_type != "key" or not parsed.resource_id:
        raise _invalid_request("Requests that modify an object's encryption type to SSE-KMS require a valid Amazon "
                               "Web Services KMS key Amazon Resource Name (ARN). Confirm that you have a correctly "
                               "formatted KMS key ARN in your request, and then try again.")
    if parsed.account != b["account"]:
        raise AwsError.modeled("s3", "AccessDenied", "The Amazon Web Services KMS key in the request must be owned by "
                                                     "the same account as the bucket. Modify the request to specify a "
                                                     "KMS key from the same account, and then try again.")
    obj["sse"] = {"alg": "aws:kms", "kms": kms["KMSKeyArn"], "bk": bool(kms.get("BucketKeyEnabled"))}
    t.put(model.VERSIONS, f"{bucket_name}/{key}\x01{obj['seqkey']}", obj)
    live = t.get(model.OBJECTS, f"{bucket_name}/{key}")
    if live is not None and live.get("vid") == obj.get("vid"):
        t.put(model.OBJECTS, f"{bucket_name}/{key}", obj)


@operation("s3", "UpdateObjectEncryption")
async def update_object_encryption(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: update_object(t, params["Bucket"], ctx.account_id, params["Key"],
                                                    params.get("VersionId"), params["ObjectEncryption"]))
    return {}
