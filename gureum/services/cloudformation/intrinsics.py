"""The intrinsic functions and condition functions, evaluated on values (no I/O): `Ref`,
`Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::If`, `Fn::FindInMap`,
`Fn::Base64`, `Fn::Cidr`, `Fn::GetAZs`, `Fn::ImportValue`, `Fn::Length`, `Fn::ToJsonString`,
`Fn::Equals`/`And`/`Or`/`Not`, `Condition`, and the pseudo parameters. `AWS::NoValue` drops
the key or item holding it. Also what a value refers to (`references`), for the dependency
graph. Errors raise TemplateError with AWS's wording."""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gureum.services.cloudformation.template import TemplateError

NO_VALUE: Any = object()  # AWS::NoValue: removed from the enclosing object or list
SUB_VAR = re.compile(r"\$\{([^!}][^}]*)\}")
PSEUDO = ("AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region",
          "AWS::StackId", "AWS::StackName", "AWS::URLSuffix")


class NotReady(Exception):
    """A value needs a resource that has no physical id yet (a dependency not created)."""


@dataclass
class Scope:
    """What intrinsics read: parameters and pseudo parameters (`params`), conditions,
    mappings, the Ref value and attributes of each resource created so far, and exports."""

    params: dict[str, Any]
    conditions: dict[str, bool] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, Any] = field(default_factory=dict)
    attrs: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: frozenset[str] = frozenset()
    region: str = "us-east-1"
    imports: Callable[[str], str] = lambda name: _no_export(name)
    imported: list[str] = field(default_factory=list)


def _no_export(name: str) -> str:
    raise TemplateError(f"No export named {name} found.")


def _ref(name: Any, scope: Scope) -> Any:
    if not isinstance(name, str):
        raise TemplateError("Template error: every Ref object must have a single String value.")
    if name in scope.params:
        return scope.params[name]
    if name == "AWS::NoValue":
        return NO_VALUE
    if name in scope.refs:
        return scope.refs[name]
    if name in scope.resources:
        raise NotReady(name)
    raise TemplateError(f"Template format error: Unresolved resource dependencies [{name}] in the Resources block of the template")


def _getatt(arg: Any, scope: Scope) -> Any:
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[0], str):
        raise TemplateError("Template error: every Fn::GetAtt object requires two non-empty parameters, "
                            "the resource name and the resource attribute")
    name, attribute = arg[0], resolve(arg[1], scope)
    if name not in scope.resources:
        raise TemplateError(f"Template error: instance of Fn::GetAtt references undefined resource {name}")
    if name not in scope.attrs:
        raise NotReady(name)
    attrs = scope.attrs[name]
    if attribute not in attrs:
        raise TemplateError(f"Template error: resource {name} does not support attribute type {attribute} in Fn::GetAtt")
    return attrs[attribute]


def _sub(arg: Any, scope: Scope) -> Any:
    if isinstance(arg, str):
        text, variables = arg, {}
    elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
        text, variables = arg[0], {k: resolve(v, scope) for k, v in arg[1].items()}
    else:
        raise TemplateError("Template error: One or more Fn::Sub intrinsic functions don't specify expected "
                            "arguments. Specify a string as first argument, and an optional second argument to "
                            "specify a mapping of values to replace in the string")

    def one(m: re.Match[str]) -> str:
        name = m.group(1).strip()
        if name in variables:
            value = variables[name]
        elif "." in name and name.split(".", 1)[0] in scope.resources:
            value = _getatt(name.split(".", 1), scope)
        else:
            value = _ref(name, scope)
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        return _text(value)

    out = SUB_VAR.sub(one, text)
    return out.replace("${!", "${")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TemplateError("Template error: every value substituted must be a string")


def _join(arg: Any, scope: Scope) -> Any:
    if not isinstance(arg, list) or len(arg) != 2:
        raise TemplateError("Template error: every Fn::Join object requires two parameters, (1) a string "
                            "delimiter and (2) a list of strings to be joined or a function that returns a list "
                            "of strings (such as Fn::GetAZs) to be joined.")
    delim, items = resolve(arg[0], scope), resolve(arg[1], scope)
    if not isinstance(items, list):
        raise TemplateError("Template error: every Fn::Join object requires two parameters, (1) a string "
                            "delimiter and (2) a list of strings to be joined or a function that returns a list "
                            "of strings (such as Fn::GetAZs) to be joined.")
    return str(delim).join(_text(i) for i in items if i is not NO_VALUE)


def _select(arg: Any, scope: Scope) -> Any:
    if not isinstance(arg, list) or len(arg) != 2:
        raise TemplateError("Template error: Fn::Select requires a list argument with two elements: an integer "
                            "index and a list")
    index, items = resolve(arg[0], scope), resolve(arg[1], scope)
    try:
        i = int(index)
    except (TypeError, ValueError):
        raise TemplateError("Template error: Fn::Select requires a list argument with two elements: an integer "
                            "index and a list") from None
    if not isinstance(items, list):
        raise TemplateError("Template error: Fn::Select requires a list argument with two elements: an integer "
                            "index and a list")
    if not 0 <= i < len(items):
        raise TemplateError("Template error: Fn::Select cannot select nonexistent value at index " + str(i))
    return items[i]


def _split(arg: Any, scope: Scope) -> Any:
    if not isinstance(arg, list) or len(arg) != 2:
        raise TemplateError("Template error: every Fn::Split object requires two parameters, (1) a string "
                            "delimiter and (2) a string to be split or a function that returns a string to be split.")
    delim, text = resolve(arg[0], scope), resolve(arg[1], scope)
    return str(text).split(str(delim))


def _if(arg: Any, scope: Scope) -> Any:
    if not isinstance(arg, list) or len(arg) != 3 or not isinstance(arg[0], str):
        raise TemplateError("Template error: Fn::If requires a list argument with three elements")
    if arg[0] not in scope.conditions:
        raise TemplateError(f"Template format error: Unresolved condition dependencies [{arg[0]}] in Fn::If")
    return resolve(arg[1] if scope.conditions[arg[0]] else arg[2], scope)


def _find_in_map(arg: Any, scope: Scope) -> Any:
    if not isinstance(arg, list) or len(arg) not in (3, 4):
        raise TemplateError("Template error: every Fn::FindInMap object requires three parameters, the map "
                            "name, map key and the attribute for return value")
    name, top, second = (resolve(a, scope) for a in arg[:3])
    if not all(isinstance(x, (str, int, float)) for x in (name, top, second)):
        raise TemplateError("Template error: every Fn::FindInMap object requires three parameters, the map "
                            "name, map key and the attribute for return value")
    mapping = scope.mappings.get(name) if isinstance(scope.mappings, dict) else None
    if not isinstance(mapping, dict):
        raise TemplateError(f"Template error: Unable to get mapping for {name}::{top}::{second}")
    level = mapping.get(top)
    if not isinstance(level, dict) or second not in level:
        if len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
            return resolve(arg[3]["DefaultValue"], scope)
        raise TemplateError(f"Template error: Unable to get mapping for {name}::{top}::{second}")
    return level[second]


def _base64(arg: Any, scope: Scope) -> Any:
    return base64.b64encode(_text(resolve(arg, scope)).encode()).decode()


def _cidr(arg: Any, scope: Scope) -> Any:
    if not isinstance(arg, list) or len(arg) != 3:
        raise TemplateError("Template error: Fn::Cidr requires a list argument with three elements")
    block, count, bits = (resolve(a, scope) for a in arg)
    try:
        net = ipaddress.ip_network(str(block), strict=False)
        n, size = int(count), int(bits)
        prefix = net.max_prefixlen - size
        if not 1 <= n <= 256 or prefix < net.prefixlen:
            raise ValueError
        out = []
        for sub in net.subnets(new_prefix=prefix):
            out.append(str(sub))
            if len(out) == n:
                break
    except (ValueError, TypeError):
        raise TemplateError("Template error: Fn::Cidr requires a valid ip block, a count between 1 and 256 and "
                            "a cidr size that fits the block") from None
    if len(out) < n:
        raise TemplateError("Template error: Fn::Cidr cannot produce the requested number of subnets")
    return out


def _get_azs(arg: Any, scope: Scope) -> Any:
    region = resolve(arg, scope) or scope.region
    return [f"{region}{z}" for z in "abc"]


def _import_value(arg: Any, scope: Scope) -> Any:
    name = resolve(arg, scope)
    if not isinstance(name, str):
        raise TemplateError("Template error: the attribute in Fn::ImportValue must not depend on any resources, "
                            "imported values, or Fn::GetAZs")
    value = scope.imports(name)
    if name not in scope.imported:
        scope.imported.append(name)
    return value


def _length(arg: Any, scope: Scope) -> Any:
    value = resolve(arg, scope)
    if not isinstance(value, list):
        raise TemplateError("Template error: Fn::Length requires a list argument")
    return len(value)


def _to_json(arg: Any, scope: Scope) -> Any:
    return json.dumps(resolve(arg, scope), separators=(",", ":"))


def _equals(arg: Any, scope: Scope) -> Any:
    if not isinstance(arg, list) or len(arg) != 2:
        raise TemplateError("Template error: Fn::Equals requires a list argument with two elements")
    a, b = (resolve(x, scope) for x in arg)
    return _text(a) == _text(b) if not isinstance(a, list) and not isinstance(b, list) else a == b


def _all(arg: Any, scope: Scope) -> Any:
    return all(_bool(resolve(c, scope)) for c in _conds(arg, "Fn::And"))


def _any(arg: Any, scope: Scope) -> Any:
    return any(_bool(resolve(c, scope)) for c in _conds(arg, "Fn::Or"))


def _not(arg: Any, scope: Scope) -> Any:
    if not isinstance(arg, list) or len(arg) != 1:
        raise TemplateError("Template error: Fn::Not requires a list argument with one function token")
    return not _bool(resolve(arg[0], scope))


def _conds(arg: Any, fn: str) -> list[Any]:
    if not isinstance(arg, list) or not 2 <= len(arg) <= 10:
        raise TemplateError(f"Template error: {fn} requires a list argument with between 2 and 10 elements")
    return arg


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise TemplateError("Template error: a condition must evaluate to a boolean")


def _condition(arg: Any, scope: Scope) -> Any:
    if not isinstance(arg, str) or arg not in scope.conditions:
        raise TemplateError(f"Template format error: Unresolved condition dependencies [{arg}] in the Conditions block of the template")
    return scope.conditions[arg]


FUNCTIONS: dict[str, Callable[[Any, Scope], Any]] = {
    "Ref": _ref, "Fn::GetAtt": _getatt, "Fn::Sub": _sub, "Fn::Join": _join, "Fn::Select": _select,
    "Fn::Split": _split, "Fn::If": _if, "Fn::FindInMap": _find_in_map, "Fn::Base64": _base64,
    "Fn::Cidr": _cidr, "Fn::GetAZs": _get_azs, "Fn::ImportValue": _import_value, "Fn::Length": _length,
    "Fn::ToJsonString": _to_json, "Fn::Equals": _equals, "Fn::And": _all, "Fn::Or": _any, "Fn::Not": _not,
    "Condition": _condition,
}


def resolve(value: Any, scope: Scope) -> Any:
    """`value` with every intrinsic evaluated; NO_VALUE members and items dropped."""
    if isinstance(value, dict):
        if len(value) == 1:
            (key, arg), = value.items()
            fn = FUNCTIONS.get(key)
            if fn is not None and not (key == "Condition" and isinstance(arg, dict)):
                return fn(arg, scope)
        out = {}
        for k, v in value.items():
            r = resolve(v, scope)
            if r is not NO_VALUE:
                out[k] = r
        return out
    if isinstance(value, list):
        return [r for r in (resolve(v, scope) for v in value) if r is not NO_VALUE]
    return value


def evaluate_conditions(conditions: dict[str, Any], scope: Scope) -> dict[str, bool]:
    """Every condition's truth (a condition may name others; a cycle is an error)."""
    done: dict[str, bool] = {}
    active: list[str] = []

    def one(name: str) -> bool:
        if name in done:
            return done[name]
        if name not in conditions:
            raise TemplateError(f"Template format error: Unresolved condition dependencies [{name}] in the Conditions block of the template")
        if name in active:
            raise TemplateError(f"Template error: Circular dependency between conditions: {active + [name]}")
        active.append(name)
        inner = Scope(params=scope.params, mappings=scope.mappings, region=scope.region,
                      conditions=_Lazy(one, conditions))
        done[name] = _bool(resolve(conditions[name], inner))
        active.pop()
        return done[name]

    for name in conditions:
        one(name)
    return done


class _Lazy(dict[str, bool]):
    """A conditions table that evaluates a condition when it is first read."""

    def __init__(self, fn: Callable[[str], bool], names: dict[str, Any]) -> None:
        super().__init__()
        self._fn, self._names = fn, names

    def __contains__(self, key: object) -> bool:
        return key in self._names

    def __getitem__(self, key: str) -> bool:
        return self._fn(key)


def references(value: Any, out: set[str] | None = None) -> set[str]:
    """The names `value` reads with Ref, Fn::GetAtt and Fn::Sub (resources, parameters and
    pseudo parameters alike; the caller keeps the resources)."""
    found = set() if out is None else out
    if isinstance(value, dict):
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref" and isinstance(arg, str):
                found.add(arg)
                return found
            if key == "Fn::GetAtt":
                if isinstance(arg, str):
                    found.add(arg.split(".", 1)[0])
                elif isinstance(arg, list) and arg and isinstance(arg[0], str):
                    found.add(arg[0])
                return found
            if key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0] if isinstance(arg, list) and arg else ""
                local = set(arg[1]) if isinstance(arg, list) and len(arg) > 1 and isinstance(arg[1], dict) else set()
                if isinstance(text, str):
                    for m in SUB_VAR.finditer(text):
                        name = m.group(1).strip().split(".", 1)[0]
                        if name not in local:
                            found.add(name)
                if isinstance(arg, list) and len(arg) > 1:
                    references(arg[1], found)
                return found
        for v in value.values():
            references(v, found)
    elif isinstance(value, list):
        for v in value:
            references(v, found)
    return found
