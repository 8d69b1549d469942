"""Drift comparison (pure): a resource's expected properties (as the template set them, after
intrinsics) against the actual ones read back from its service, as CloudFormation compares them.

Only properties the template sets explicitly are compared (a property left to its default is
never drift), and only those the type's reader can read (`compared`); a nested object compares
the keys the template sets. Lists compare element by element (PropertyPath `/Prop/0/Sub`): an
element only expected is REMOVE, one only actual is ADD. Tag lists (`[{Key, Value}]`) and tag
maps compare by key; tags CloudFormation applies itself (`aws:` keys) and the stack's own tags
(propagated to its resources) are not drift. Scalars compare as CloudFormation passes them to
APIs: `30`, `"30"` and `30.0` are equal, as are `true` and `"true"`. JSON text read back where the
template has an object (policies, redrive policies) is parsed before comparing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Doc = dict[str, Any]
_WHOLE = re.compile(r"-?[0-9]+(\.0+)?")


@dataclass(frozen=True)
class Difference:
    path: str
    expected: Any
    actual: Any
    kind: str  # ADD | REMOVE | NOT_EQUAL

    def shown(self) -> Doc:
        """As PropertyDifferences shows it."""
        return {"PropertyPath": self.path, "ExpectedValue": value_text(self.expected),
                "ActualValue": value_text(self.actual), "DifferenceType": self.kind}


def value_text(value: Any) -> str:
    """A value as ExpectedValue/ActualValue carry it: scalars as text, objects as JSON."""
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return scalar(value)


def scalar(value: Any) -> str:
    """A scalar as CloudFormation passes it to an API: `30`, `"30"`, `30.0` -> "30"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    if _WHOLE.fullmatch(text):
        return str(int(text.split(".", 1)[0]))
    return text


def _is_tag_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(t, dict) and "Key" in t for t in value)


def compare(expected: Mapping[str, Any], actual: Mapping[str, Any], compared: Iterable[str],
            ignored_tags: Mapping[str, str] | None = None) -> list[Difference]:
    """The differences of the properties in `compared` the template sets (see the module
    docstring); `ignored_tags` are the stack's tags (not drift when a resource carries them)."""
    out: list[Difference] = []
    ignored = dict(ignored_tags or {})
    for key in sorted(set(compared) & set(expected)):
        path = f"/{key}"
        if key not in actual or actual[key] is None:
            out.append(Difference(path, expected[key], None, "REMOVE"))
        elif key == "Tags":
            out.extend(_tags(path, expected[key], actual[key], ignored))
        else:
            out.extend(_value(path, expected[key], actual[key]))
    return out


def _value(path: str, expected: Any, actual: Any) -> list[Difference]:
    if isinstance(actual, str) and isinstance(expected, (dict, list)):
        try:
            actual = json.loads(actual)
        except ValueError:
            return [Difference(path, expected, actual, "NOT_EQUAL")]
    if isinstance(expected, str) and isinstance(actual, (dict, list)):
        try:
            expected = json.loads(expected)
        except ValueError:
            return [Difference(path, expected, actual, "NOT_EQUAL")]
    if isinstance(expected, dict) and isinstance(actual, dict):
        out: list[Difference] = []
        for k in sorted(expected):
            sub = f"{path}/{k}"
            if k not in actual or actual[k] is None:
                if expected[k] is not None:
                    out.append(Difference(sub, expected[k], None, "REMOVE"))
            else:
                out.extend(_value(sub, expected[k], actual[k]))
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        out = []
        for i in range(max(len(expected), len(actual))):
            sub = f"{path}/{i}"
            if i >= len(actual):
                out.append(Difference(sub, expected[i], None, "REMOVE"))
            elif i >= len(expected):
                out.append(Difference(sub, None, actual[i], "ADD"))
            else:
                out.extend(_value(sub, expected[i], actual[i]))
        return out
    if isinstance(expected, (dict, list)) or isinstance(actual, (dict, list)):
        return [Difference(path, expected, actual, "NOT_EQUAL")]
    if scalar(expected) != scalar(actual):
        return [Difference(path, expected, actual, "NOT_EQUAL")]
    return []


def _tags(path: str, expected: Any, actual: Any, ignored: Mapping[str, str]) -> list[Difference]:
    """Tags by key: a list of {Key, Value} (most types) or a map (SSM parameters)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out: list[Difference] = []
        for k in sorted(expected):
            if k not in actual:
                out.append(Difference(f"{path}/{k}", expected[k], None, "REMOVE"))
            elif scalar(expected[k]) != scalar(actual[k]):
                out.append(Difference(f"{path}/{k}", expected[k], actual[k], "NOT_EQUAL"))
        for k in sorted(set(actual) - set(expected)):
            if not k.startswith("aws:") and ignored.get(k) != actual[k]:
                out.append(Difference(f"{path}/{k}", None, actual[k], "ADD"))
        return out
    if not (_is_tag_list(expected) and _is_tag_list(actual)):
        return _value(path, expected, actual)
    have = {str(t["Key"]): t.get("Value", "") for t in actual}
    out = []
    for i, t in enumerate(expected):
        k = str(t["Key"])
        if k not in have:
            out.append(Difference(f"{path}/{i}", t, None, "REMOVE"))
        elif scalar(t.get("Value", "")) != scalar(have[k]):
            out.append(Difference(f"{path}/{i}/Value", t.get("Value", ""), have[k], "NOT_EQUAL"))
    wanted = {str(t["Key"]) for t in expected}
    extra = [t for t in actual if str(t["Key"]) not in wanted and not str(t["Key"]).startswith("aws:")
             and ignored.get(str(t["Key"])) != t.get("Value")]
    for j, t in enumerate(extra):
        out.append(Difference(f"{path}/{len(expected) + j}", None, {"Key": t["Key"], "Value": t.get("Value", "")}, "ADD"))
    return out


def actual_view(expected: Mapping[str, Any], actual: Mapping[str, Any], compared: Iterable[str]) -> Doc:
    """ActualProperties: the template's properties with each one read back replaced by its
    actual value (a property read back as absent is left out)."""
    readable = set(compared)
    out: Doc = {}
    for k, v in expected.items():
        if k not in readable:
            out[k] = v
        elif actual.get(k) is not None:
            out[k] = actual[k]
    return out
