"""SQS errors: the json model's error names, with the query-protocol codes AWS still sends
in x-amzn-query-error (botocore maps those back to the modeled exceptions)."""

from __future__ import annotations

from gureum.aws.errors import AwsError


def _err(code: str, query_code: str | None, message: str, status: int = 400) -> AwsError:
    if query_code is None or query_code == code:
        return AwsError(code, message, status)
    return AwsError(code, message, status, QueryCode=query_code)


def queue_does_not_exist() -> AwsError:
    return _err("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
                "The specified queue does not exist.")


def queue_name_exists(message: str) -> AwsError:
    return _err("QueueNameExists", "QueueAlreadyExists", message)


def invalid_parameter(message: str) -> AwsError:
    return _err("InvalidParameterValue", None, message)


def missing_parameter(message: str) -> AwsError:
    return _err("MissingParameter", None, message)


def invalid_attribute_name(message: str) -> AwsError:
    return _err("InvalidAttributeName", None, message)


def invalid_attribute_value(message: str) -> AwsError:
    return _err("InvalidAttributeValue", None, message)


def receipt_handle_invalid(handle: str) -> AwsError:
    return _err("ReceiptHandleIsInvalid", None,
                f'The input receipt handle "{handle}" is not a valid receipt handle.')


def message_not_inflight() -> AwsError:
    return _err("MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight",
                "The message referred to isn't in flight.")


def invalid_message_contents(message: str) -> AwsError:
    return _err("InvalidMessageContents", None, message)


def batch(code: str, message: str) -> AwsError:
    return _err(code, "AWS.SimpleQueueService." + code, message)


def purge_in_progress(name: str) -> AwsError:
    return _err("PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress",
                f"Only one PurgeQueue operation on {name} is allowed every 60 seconds.", 403)


def unsupported(message: str) -> AwsError:
    return _err("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", message)


def resource_not_found(message: str) -> AwsError:
    return _err("ResourceNotFoundException", None, message, 404)
