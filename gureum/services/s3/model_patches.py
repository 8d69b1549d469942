"""What gureum adds to botocore's S3 model (merged by gureum/aws/specs.py, named by S3's
manifest): the error codes S3 sends that the published model declares no shape for, with
their HTTP statuses (AWS's S3 error code table, "List of error codes" in the S3 API
reference). `AwsError.modeled("s3", code, ...)` takes status and fault from here. And the
root element of each XML answer, which the model leaves out (its output shapes are named
`...Output`; AWS's roots are the names in each operation's "Response Syntax")."""

from __future__ import annotations

from typing import Any

from gureum.services.s3.object_errors import STATUS as _OBJECT_STATUS

_STATUS = {
    "AccessControlListNotSupported": 400,
    "BadDigest": 400,
    "InvalidBucketAclWithObjectOwnership": 400,
    "BadRequest": 400,
    "BucketNotEmpty": 409,
    "EntityTooLarge": 400,
    "EntityTooSmall": 400,
    "IllegalLocationConstraintException": 400,
    "InvalidBucketName": 400,
    "InvalidDigest": 400,
    "InvalidLocationConstraint": 400,
    "InvalidPart": 400,
    "InvalidPartNumber": 416,
    "InvalidPartOrder": 400,
    "InvalidRange": 416,
    "InvalidTag": 400,
    "InvalidURI": 400,
    "KeyTooLongError": 400,
    "MalformedPolicy": 400,
    "MalformedXML": 400,
    "MethodNotAllowed": 405,
    "NoSuchBucketPolicy": 404,
    "NoSuchCORSConfiguration": 404,
    "NoSuchTagSet": 404,
    "NoSuchVersion": 404,
    "PreconditionFailed": 412,
    "RequestTimeTooSkewed": 403,
}

# bucket configuration (encryption.py, bucket_access.py, bucket_config.py, report_configs.py, lifecycle.py,
# website.py, replication.py)
_STATUS.update({
    "CrossLocationLoggingProhibitted": 403,
    "InvalidBucketAclWithBlockPublicAccessError": 400,
    "InvalidBucketState": 409,
    "InvalidConfigurationId": 400,
    "InvalidTargetBucketForLogging": 400,
    "NoSuchConfiguration": 404,
    "NoSuchLifecycleConfiguration": 404,
    "NoSuchPublicAccessBlockConfiguration": 404,
    "NoSuchWebsiteConfiguration": 404,
    "OwnershipControlsNotFoundError": 404,
    "ReplicationConfigurationNotFoundError": 404,
    "TooManyConfigurations": 400,
})

_ROOTS = {
    "ListBucketsOutput": "ListAllMyBucketsResult",
    "ListObjectsOutput": "ListBucketResult",
    "ListObjectsV2Output": "ListBucketResult",
    "ListObjectVersionsOutput": "ListVersionsResult",
    "ListMultipartUploadsOutput": "ListMultipartUploadsResult",
    "ListPartsOutput": "ListPartsResult",
    "CreateMultipartUploadOutput": "InitiateMultipartUploadResult",
    "CompleteMultipartUploadOutput": "CompleteMultipartUploadResult",
    "DeleteObjectsOutput": "DeleteResult",
    "GetBucketAclOutput": "AccessControlPolicy",
    "GetObjectAclOutput": "AccessControlPolicy",
    "GetBucketCorsOutput": "CORSConfiguration",
    "GetBucketTaggingOutput": "Tagging",
    "GetObjectTaggingOutput": "Tagging",
    "GetBucketVersioningOutput": "VersioningConfiguration",
    "GetBucketLifecycleConfigurationOutput": "LifecycleConfiguration",
    "GetBucketLifecycleOutput": "LifecycleConfiguration",
    "GetBucketWebsiteOutput": "WebsiteConfiguration",
    "GetBucketLoggingOutput": "BucketLoggingStatus",
    "GetBucketRequestPaymentOutput": "RequestPaymentConfiguration",
    "GetBucketAccelerateConfigurationOutput": "AccelerateConfiguration",
    "GetBucketNotificationOutput": "NotificationConfiguration",
    "ListBucketAnalyticsConfigurationsOutput": "ListBucketAnalyticsConfigurationResult",
    "ListBucketInventoryConfigurationsOutput": "ListInventoryConfigurationsResult",
    "ListBucketMetricsConfigurationsOutput": "ListMetricsConfigurationsResult",
    "ListBucketIntelligentTieringConfigurationsOutput": "ListBucketIntelligentTieringConfigurationsOutput",
}

PATCHES: dict[str, Any] = {
    "shapes": {
        **{code: {"type": "structure", "members": {}, "exception": True, "error": {"httpStatusCode": status}}
           for code, status in {**_STATUS, **_OBJECT_STATUS}.items()},
        **{shape: {"locationName": root} for shape, root in _ROOTS.items()},
    }
}
