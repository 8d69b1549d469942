"""What a handler returned that its operation's output shape does not declare: the protocol
serializers write only modeled members and drop the rest without a word, so a misspelt or
invented member would silently never reach the client. With the `api.report_unmodeled`
setting on (the test harness turns it on), the edge names those members in an
`x-gureum-unmodeled` response header, which tests/aws/shape_check.py reports as findings.
Paths are dotted member names from the output's root, `[]` for list items and `{}` for map
values; at most MAX_REPORTED are named."""

from __future__ import annotations

from typing import Any

from gureum.aws.specs import Shape

HEADER = "x-gureum-unmodeled"
MAX_REPORTED = 20


def unmodeled(shape: Shape, value: Any, path: str = "") -> list[str]:
    """The paths of members in `value` that `shape` does not declare (documents are free)."""
    out: list[str] = []
    _walk(shape, value, path, out)
    return out[:MAX_REPORTED]


def _walk(shape: Shape, value: Any, path: str, out: list[str]) -> None:
    if value is None or shape.raw.get("document") or len(out) >= MAX_REPORTED:
        return
    t = shape.type
    if t == "structure" and isinstance(value, dict):
        members = shape.members
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            mshape = members.get(key)
            if mshape is None:
                out.append(where)
            else:
                _walk(mshape, item, where, out)
    elif t == "list" and isinstance(value, list):
        member = shape.member
        if member.type in ("structure", "list", "map"):  # scalars declare nothing more
            for item in value:
                _walk(member, item, f"{path}[]", out)
    elif t == "map" and isinstance(value, dict):
        for item in value.values():
            _walk(shape.value, item, f"{path}{{}}", out)
