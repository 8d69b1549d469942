"""Which API requests AWS bills, and under which unit of the price table (pricing.py): S3's
PUT/COPY/POST/LIST requests (tier 1) and GET and the rest (tier 2; DELETE is free), every
SQS action (a batch is one request; FIFO queues at their own rate) and SNS publishes (a batch
counts each message). Other services' API requests are free (or, as Lambda's Invoke,
metered by the service itself). Pure: `classify` only looks at the operation and its input.
"""

from __future__ import annotations

from typing import Any

from gureum.aws import arn as arns

S3_FREE = frozenset({"DeleteObject", "DeleteObjects", "DeleteBucket", "AbortMultipartUpload"})
S3_TIER1_PREFIXES = ("Put", "Copy", "Post", "List", "Create", "Complete", "Upload", "Restore")


def classify(service: str, operation: str, params: dict[str, Any], account: str, region: str) -> tuple[str, int, str] | None:
    """(price table unit, requests, resource) of a successful request, or None when AWS
    does not bill it by request."""
    if service == "s3":
        if operation in S3_FREE:
            return None
        tier = "Requests-Tier1" if operation.startswith(S3_TIER1_PREFIXES) else "Requests-Tier2"
        return tier, 1, str(params.get("Bucket") or "")
    if service == "sqs":
        url = str(params.get("QueueUrl") or "")
        name = url.rstrip("/").rsplit("/", 1)[-1] if url else ""
        resource = arns.sqs_queue(region, account, name) if name else ""
        return ("Requests-FIFO-RBP" if name.endswith(".fifo") else "Requests-RBP"), 1, resource
    if service == "sns" and operation in ("Publish", "PublishBatch"):
        n = len(params.get("PublishBatchRequestEntries") or []) if operation == "PublishBatch" else 1
        return "SNS-Requests-Tier1", max(1, n), str(params.get("TopicArn") or params.get("TargetArn") or "")
    return None
