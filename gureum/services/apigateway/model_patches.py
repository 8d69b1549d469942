"""What gureum adds to botocore's API Gateway model (merged by gureum/aws/specs.py, named by
the manifest): a request IAM refuses answers `AccessDeniedException` 403 with AWS's "User: ...
is not authorized to perform: apigateway:GET on resource: ..." (gureum's IAM denials,
policy/denials.py); the published model declares no shape for it."""

from __future__ import annotations

from typing import Any

PATCHES: dict[str, Any] = {
    "shapes": {
        "AccessDeniedException": {
            "type": "structure",
            "members": {"message": {"shape": "String"}},
            "exception": True,
            "error": {"httpStatusCode": 403, "senderFault": True},
        },
    }
}
