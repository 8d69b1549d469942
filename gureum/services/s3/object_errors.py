"""The error codes S3's object-level features send (Object Lock, archive restores, S3 Select,
directory buckets, the features a gureum node cannot serve) that botocore's S3 model declares
no shape for, with their HTTP statuses from AWS's S3 error code table. model_patches.py merges
them into the model's patch, so `AwsError.modeled("s3", code, ...)` finds them."""

from __future__ import annotations

STATUS: dict[str, int] = {
    "InvalidBucketState": 409,
    "ObjectLockConfigurationNotFoundError": 404,
    "NoSuchObjectLockConfiguration": 404,
    "RestoreAlreadyInProgress": 409,
    "ExpressionTooLong": 400,
    "ParseUnexpectedToken": 400,
    "ParseExpectedExpression": 400,
    "ParseInvalidContextForWildcardInSelectList": 400,
    "InvalidColumnIndex": 400,
    "InvalidDataType": 400,
    "CastFailed": 400,
    "EvaluatorInvalidArguments": 400,
    "UnsupportedSqlOperation": 400,
    "InvalidTextEncoding": 400,
    "InvalidFileHeaderInfo": 400,
    "InvalidExpressionType": 400,
    "InvalidCompressionFormat": 400,
    "ObjectSerializationConflict": 400,
    "JSONParsingError": 400,
    "CSVParsingError": 400,
    "NoSuchAnnotation": 404,
    "MetadataConfigurationNotFound": 404,
    "KMS.NotFoundException": 400,
}
