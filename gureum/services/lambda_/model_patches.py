"""What gureum adds to botocore's Lambda model (merged by gureum/aws/specs.py, named by
Lambda's manifest): errors AWS Lambda sends that the published model declares no shape for.
CreateFunction with a ZipFile over the request limit answers
`RequestEntityTooLargeException` 413 (the model only has `RequestTooLargeException`, which
Invoke answers); a request IAM refuses answers `AccessDeniedException` 403 (gureum's IAM
denials, policy/denials.py)."""

from __future__ import annotations

from typing import Any

PATCHES: dict[str, Any] = {
    "shapes": {
        "AccessDeniedException": {
            "type": "structure",
            "members": {"Message": {"shape": "String"}},
            "exception": True,
            "error": {"httpStatusCode": 403, "senderFault": True},
        },
        "RequestEntityTooLargeException": {
            "type": "structure",
            "members": {},
            "exception": True,
            "error": {"httpStatusCode": 413, "senderFault": True},
        },
    }
}
