"""Template parameters: the values a stack runs with, checked against their declaration as AWS
checks them (types incl. `List<...>`, `CommaDelimitedList`, `AWS::SSM::Parameter::Value<...>`
read from gureum's SSM; AllowedValues, AllowedPattern, Min/MaxLength, Min/MaxValue with AWS's
messages; `ConstraintDescription`), `UsePreviousValue` on update, and how DescribeStacks shows
them (NoEcho values as `****`, SSM-typed ones with their ResolvedValue)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gureum.services.cloudformation.template import TemplateError

SSM_TYPE = re.compile(r"^AWS::SSM::Parameter::Value<(.+)>$")
BASIC = ("String", "Number", "List<Number>", "CommaDelimitedList", "AWS::SSM::Parameter::Name")
AWS_TYPES = re.compile(r"^(List<)?AWS::[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+>?$")


class ParameterError(Exception):
    """A refused parameter value (ValidationError with this message)."""


@dataclass(frozen=True)
class Resolved:
    values: dict[str, Any]  # what Ref gives (lists for list types)
    described: list[dict[str, str]]  # DescribeStacks' Parameters
    given: dict[str, str]  # the values used (given or default), for UsePreviousValue on the next update


def check_types(declared: dict[str, Any]) -> None:
    """The declarations' types and constraints as AWS reads them."""
    for name, p in declared.items():
        t = str(p.get("Type"))
        if not (t in BASIC or SSM_TYPE.match(t) or AWS_TYPES.match(t)):
            raise TemplateError(f"Template format error: Unrecognized parameter type: {t}")
        if "AllowedValues" in p and not isinstance(p["AllowedValues"], list):
            raise TemplateError(f"Template format error: Every AllowedValues member must be a list, parameter {name}")
        for key in ("MinLength", "MaxLength", "MinValue", "MaxValue"):
            if key in p:
                try:
                    float(p[key])
                except (TypeError, ValueError):
                    raise TemplateError(f"Template format error: Parameter '{name}' {key} must be a number") from None
        if "AllowedPattern" in p and not isinstance(p["AllowedPattern"], str):
            raise TemplateError(f"Template format error: Parameter '{name}' AllowedPattern must be a string")


def resolve(declared: dict[str, Any], given: list[dict[str, Any]], previous: dict[str, str],
            ssm: Callable[[str], str]) -> Resolved:
    """Values for `declared` from `given` (the request's Parameters), the declaration's
    defaults and `previous` (UsePreviousValue). `ssm` reads a parameter store value."""
    check_types(declared)
    raw: dict[str, str] = {}
    unknown = [g.get("ParameterKey") for g in given if g.get("ParameterKey") not in declared]
    if unknown:
        raise ParameterError(f"Parameters: [{', '.join(str(u) for u in unknown)}] do not exist in the template")
    for g in given:
        key = str(g["ParameterKey"])
        if g.get("UsePreviousValue"):
            if key not in previous:
                raise ParameterError(f"Invalid input for parameter key {key}. Cannot specify usePreviousValue as "
                                     "true for a parameter key not in the previous template")
            raw[key] = previous[key]
        elif "ParameterValue" in g and g["ParameterValue"] is not None:
            raw[key] = str(g["ParameterValue"])
    missing = [n for n, p in declared.items() if n not in raw and "Default" not in p]
    if missing:
        raise ParameterError(f"Parameters: [{', '.join(missing)}] must have values")
    values: dict[str, Any] = {}
    described: list[dict[str, str]] = []
    used: dict[str, str] = {}
    for name, p in declared.items():
        text = raw[name] if name in raw else _default_text(p["Default"])
        used[name] = text
        t = str(p["Type"])
        m = SSM_TYPE.match(t)
        shown: dict[str, str] = {"ParameterKey": name, "ParameterValue": "****" if _no_echo(p) else text}
        if m:
            value_text = _from_ssm(text, ssm)
            shown["ResolvedValue"] = value_text
            value: Any = value_text.split(",") if m.group(1).startswith("List<") or m.group(1) == "CommaDelimitedList" else value_text
        else:
            value = _typed(name, t, text, p)
        described.append(shown)
        values[name] = value
    return Resolved(values, described, used)


def _default_text(d: Any) -> str:
    if isinstance(d, list):
        return ",".join(str(x) for x in d)
    if isinstance(d, bool):
        return "true" if d else "false"
    return str(d)


def _no_echo(p: dict[str, Any]) -> bool:
    return str(p.get("NoEcho", "false")).lower() == "true"


def _from_ssm(name: str, ssm: Callable[[str], str]) -> str:
    try:
        return ssm(name)
    except LookupError:
        raise ParameterError(f"Unable to fetch parameters [{name}] from parameter store for this account.") from None


def _typed(name: str, t: str, text: str, p: dict[str, Any]) -> Any:
    if t == "Number":
        _number(name, text)
        _check(name, text, p)
        return text
    if t in ("CommaDelimitedList", "List<Number>") or t.startswith("List<"):
        items = [] if text == "" else [s.strip() if t != "CommaDelimitedList" else s for s in text.split(",")]
        for item in items:
            if t == "List<Number>":
                _number(name, item)
            _check(name, item, p)
        return items
    _check(name, text, p)
    return text


def _number(name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ParameterError(f"Parameter '{name}' must be a number.") from None


def _check(name: str, text: str, p: dict[str, Any]) -> None:
    def fail(message: str) -> ParameterError:
        if p.get("ConstraintDescription"):
            return ParameterError(f"Parameter '{name}' failed to satisfy constraint: {p['ConstraintDescription']}")
        return ParameterError(message)

    allowed = p.get("AllowedValues")
    if isinstance(allowed, list) and text not in [_default_text(a) for a in allowed]:
        raise fail(f"Parameter '{name}' must be one of AllowedValues")
    pattern = p.get("AllowedPattern")
    if isinstance(pattern, str):
        try:
            ok = re.fullmatch(pattern, text) is not None
        except re.error:
            ok = False
        if not ok:
            raise fail(f"Parameter '{name}' must match pattern {pattern}")
    if "MinLength" in p and len(text) < float(p["MinLength"]):
        raise fail(f"Parameter '{name}' must contain at least {p['MinLength']} characters")
    if "MaxLength" in p and len(text) > float(p["MaxLength"]):
        raise fail(f"Parameter '{name}' must contain at most {p['MaxLength']} characters")
    if "MinValue" in p and _number(name, text) < float(p["MinValue"]):
        raise fail(f"Parameter '{name}' must be a number not less than {p['MinValue']}")
    if "MaxValue" in p and _number(name, text) > float(p["MaxValue"]):
        raise fail(f"Parameter '{name}' must be a number not greater than {p['MaxValue']}")


def declared_summary(declared: dict[str, Any]) -> list[dict[str, Any]]:
    """ValidateTemplate's Parameters."""
    out = []
    for name, p in declared.items():
        d: dict[str, Any] = {"ParameterKey": name, "NoEcho": _no_echo(p)}
        if "Default" in p:
            d["DefaultValue"] = _default_text(p["Default"])
        if p.get("Description"):
            d["Description"] = str(p["Description"])
        out.append(d)
    return out
