"""What gureum adds to botocore's SQS model (merged by gureum/aws/specs.py, named by SQS's
manifest): the json model dropped the `error` traits of the query protocol, yet AWS still
sends each error's query code in x-amzn-query-error (botocore maps it back to the modeled
exception) and answers PurgeQueueInProgress 403, ResourceNotFoundException 404. Shapes not
listed keep their name as query code and status 400.

Two errors AWS sends that the model lacks as shapes (_UNMODELED): InvalidParameterValue and
MissingParameter are, on the json wire, `__type` InvalidParameterValueException and
MissingRequiredParameterException with the query codes InvalidParameterValue / MissingParameter
in x-amzn-query-error (what botocore shows as Error.Code, the `__type` as QueryErrorCode); the
query protocol sends the query codes. `AwsError.modeled("sqs", "InvalidParameterValue", ...)`
finds the shape by its code."""

from __future__ import annotations

from typing import Any

_PREFIX = "AWS.SimpleQueueService."
_TRAITS: dict[str, tuple[str, int]] = {
    "QueueDoesNotExist": (_PREFIX + "NonExistentQueue", 400),
    "QueueNameExists": ("QueueAlreadyExists", 400),
    "MessageNotInflight": (_PREFIX + "MessageNotInflight", 400),
    "BatchEntryIdsNotDistinct": (_PREFIX + "BatchEntryIdsNotDistinct", 400),
    "BatchRequestTooLong": (_PREFIX + "BatchRequestTooLong", 400),
    "EmptyBatchRequest": (_PREFIX + "EmptyBatchRequest", 400),
    "InvalidBatchEntryId": (_PREFIX + "InvalidBatchEntryId", 400),
    "TooManyEntriesInBatchRequest": (_PREFIX + "TooManyEntriesInBatchRequest", 400),
    "PurgeQueueInProgress": (_PREFIX + "PurgeQueueInProgress", 403),
    "UnsupportedOperation": (_PREFIX + "UnsupportedOperation", 400),
    "ResourceNotFoundException": ("ResourceNotFoundException", 404),
}

_UNMODELED: dict[str, str] = {
    "InvalidParameterValueException": "InvalidParameterValue",
    "MissingRequiredParameterException": "MissingParameter",
}

PATCHES: dict[str, Any] = {
    # The wire names the json model no longer carries: json errors' `__type` is the Smithy shape
    # id (com.amazonaws.sqs#QueueDoesNotExist, as botocore's own SQS tests record it), and the
    # query wire's namespace is the old queue.amazonaws.com one.
    "metadata": {"errorTypeNamespace": "com.amazonaws.sqs", "xmlNamespace": "http://queue.amazonaws.com/doc/2012-11-05/"},
    "shapes": {
        **{shape: {"error": {"code": code, "httpStatusCode": status, "senderFault": True}}
           for shape, (code, status) in _TRAITS.items()},
        **{shape: {"type": "structure", "members": {"message": {"shape": "ExceptionMessage"}},
                   "exception": True, "error": {"code": code, "httpStatusCode": 400, "senderFault": True}}
           for shape, code in _UNMODELED.items()},
    }
}
