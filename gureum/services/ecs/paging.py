"""Pagination of ECS list operations: `nextToken` is the urlsafe base64 of the offset of the
next item, `maxResults` bounded per operation. Shared by api.py and instances_api.py (it lives
here so that neither imports the other for it)."""

from __future__ import annotations

import base64
from typing import Any

from gureum.services.ecs import model


def page(items: list[Any], params: dict[str, Any], default: int = 100, limit: int = 100) -> tuple[list[Any], str | None]:
    start = 0
    if params.get("nextToken"):
        try:
            start = int(base64.urlsafe_b64decode(params["nextToken"].encode()).decode())
        except ValueError:
            raise model.invalid("Invalid nextToken.") from None
    n = params.get("maxResults") or default
    if not 1 <= n <= limit:
        raise model.invalid(f"maxResults must be between 1 and {limit}.")
    chunk = items[start : start + n]
    token = base64.urlsafe_b64encode(str(start + n).encode()).decode() if start + n < len(items) else None
    return chunk, token
