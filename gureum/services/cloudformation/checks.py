"""A template's shape checked as AWS checks it before anything is created (ValidateTemplate,
CreateStack, UpdateStack, CreateChangeSet), and its dependency graph: `DependsOn` plus every
`Ref`/`Fn::GetAtt`/`Fn::Sub` to another resource. Messages are AWS's ("Template format error:
...", "Unresolved resource dependencies [X] in the Resources block of the template",
"Circular dependency between resources: [...]"). Parameters and resources share one namespace
(a name in both: "Template error: all resources and parameters must have unique names.
Common name(s):[X]"); outputs, conditions and mappings have their own, as on AWS."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from gureum.services.cloudformation.intrinsics import PSEUDO, references
from gureum.services.cloudformation.template import TemplateError

TOP_LEVEL = ("AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Mappings", "Conditions",
             "Transform", "Resources", "Outputs", "Rules", "Hooks")
RESOURCE_KEYS = ("Type", "Properties", "DependsOn", "Condition", "DeletionPolicy", "UpdateReplacePolicy",
                 "Metadata", "CreationPolicy", "UpdatePolicy", "Version")
POLICIES = ("Delete", "Retain", "Snapshot", "RetainExceptOnCreate")
MAX_RESOURCES = 500
MAX_OUTPUTS = 200
MAX_PARAMETERS = 200


def structure(doc: dict[str, Any], known_type: Callable[[str], bool]) -> None:
    """Raise TemplateError for what AWS refuses before creating anything."""
    unknown = [k for k in doc if k not in TOP_LEVEL]
    if unknown:
        raise TemplateError(f"Template format error: Invalid template property or properties [{', '.join(unknown)}]")
    version = doc.get("AWSTemplateFormatVersion")
    if version is not None and version != "2010-09-09":
        raise TemplateError(f"Template format error: '{version}' is not a supported AWSTemplateFormatVersion value.")
    resources = doc.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("Template format error: At least one Resources member must be defined.")
    if len(resources) > MAX_RESOURCES:
        raise TemplateError(f"Template format error: Number of resources, {len(resources)}, is greater than maximum allowed, {MAX_RESOURCES}")
    params = doc.get("Parameters") or {}
    if not isinstance(params, dict):
        raise TemplateError("Template format error: Parameters must be an object")
    if len(params) > MAX_PARAMETERS:
        raise TemplateError(f"Template format error: Number of parameters, {len(params)}, is greater than maximum allowed, {MAX_PARAMETERS}")
    for p in params.values():
        if not isinstance(p, dict) or "Type" not in p:
            raise TemplateError("Template format error: Every Parameters object must contain a Type member.")
    for section in ("Mappings", "Metadata"):
        if doc.get(section) is not None and not isinstance(doc[section], dict):
            raise TemplateError(f"Template format error: {section} must be an object")
    for name, m in (doc.get("Mappings") or {}).items():
        if not isinstance(m, dict) or not all(isinstance(v, dict) for v in m.values()):
            raise TemplateError(f"Template format error: Mappings attribute {name} must be a map of maps")
    conditions = doc.get("Conditions") or {}
    if not isinstance(conditions, dict):
        raise TemplateError("Template format error: Conditions must be an object")
    unrecognized: list[str] = []
    for name, r in resources.items():
        if not name.isalnum():
            raise TemplateError(f"Template format error: Resource name {name} is non alphanumeric.")
        if not isinstance(r, dict):
            raise TemplateError(f"Template format error: [/Resources/{name}] resource definition is malformed")
        if "Type" not in r:
            raise TemplateError(f"Template format error: [/Resources/{name}] Every Resources object must contain a Type member.")
        extra = [k for k in r if k not in RESOURCE_KEYS]
        if extra:
            raise TemplateError(f"Invalid template resource property '{extra[0]}'")
        t = r["Type"]
        # a type gureum does not serve is refused, unless a condition may leave the resource
        # out: that one is refused once the conditions are known (`unserved`)
        if (not isinstance(t, str) or not known_type(t)) and "Condition" not in r:
            if str(t) not in unrecognized:
                unrecognized.append(str(t))
        for key in ("DeletionPolicy", "UpdateReplacePolicy"):
            if key in r and r[key] not in POLICIES:
                raise TemplateError(f"Template format error: Unrecognized {key} {r[key]} for resource {name}")
        cond = r.get("Condition")
        if cond is not None and cond not in conditions:
            raise TemplateError(f"Template format error: Unresolved dependencies [{cond}]. Cannot reference "
                                "resources in the Conditions block of the template")
        if "Properties" in r and not isinstance(r["Properties"], dict):
            raise TemplateError(f"Template format error: [/Resources/{name}/Properties] properties must be an object")
    if unrecognized:
        raise TemplateError(f"Template format error: Unrecognized resource types: [{', '.join(unrecognized)}]")
    shared = [n for n in resources if n in params]
    if shared:
        raise TemplateError(f"Template error: all resources and parameters must have unique names. "
                            f"Common name(s):[{', '.join(shared)}]")
    names = set(resources) | set(params) | set(PSEUDO)
    for r in resources.values():
        missing = sorted(n for n in references(r.get("Properties"), None) | set(_depends_on(r)) if n not in names)
        if missing:
            raise TemplateError(f"Template format error: Unresolved resource dependencies [{', '.join(missing)}] "
                                "in the Resources block of the template")
    outputs = doc.get("Outputs") or {}
    if not isinstance(outputs, dict):
        raise TemplateError("Template format error: Outputs must be an object")
    if len(outputs) > MAX_OUTPUTS:
        raise TemplateError(f"Template format error: Number of outputs, {len(outputs)}, is greater than maximum allowed, {MAX_OUTPUTS}")
    for name, o in outputs.items():
        if not isinstance(o, dict) or "Value" not in o:
            raise TemplateError(f"Template format error: Every Outputs member must contain a Value object, the Outputs member {name} does not contain a Value object")
        missing = sorted(n for n in references(o) if n not in names)
        if missing:
            raise TemplateError(f"Template format error: Unresolved resource dependencies [{', '.join(missing)}] "
                                "in the Outputs block of the template")
    graph(resources, set(resources))


def unserved(doc: dict[str, Any], conditions: dict[str, bool], known_type: Callable[[str], bool]) -> None:
    """Refuse the resources of types gureum does not serve that the conditions keep."""
    found: list[str] = []
    for r in (doc.get("Resources") or {}).values():
        t = str(r.get("Type"))
        if not known_type(t) and conditions.get(str(r.get("Condition")), True) and t not in found:
            found.append(t)
    if found:
        raise TemplateError(f"Template format error: Unrecognized resource types: [{', '.join(found)}]")


def _depends_on(r: dict[str, Any]) -> list[str]:
    d = r.get("DependsOn")
    if d is None:
        return []
    if isinstance(d, str):
        return [d]
    if isinstance(d, list) and all(isinstance(x, str) for x in d):
        return d
    raise TemplateError("Template format error: DependsOn must be a string or list of strings.")


def graph(resources: dict[str, Any], active: set[str]) -> dict[str, set[str]]:
    """Each active resource's dependencies among the active ones; a cycle raises AWS's error."""
    deps: dict[str, set[str]] = {}
    for name in active:
        r = resources[name]
        found = references(r.get("Properties")) | set(_depends_on(r))
        for key in ("Metadata", "CreationPolicy", "UpdatePolicy"):
            if key == "Metadata":
                continue
            references(r.get(key), found)
        deps[name] = {n for n in found if n in active and n != name}
    _refuse_cycles(deps)
    return deps


def _refuse_cycles(deps: dict[str, set[str]]) -> None:
    """Kahn's algorithm: what cannot be ordered is in (or behind) a cycle."""
    remaining = {k: set(v) for k, v in deps.items()}
    while True:
        free = [k for k, v in remaining.items() if not v]
        if not free:
            break
        for k in free:
            del remaining[k]
        for v in remaining.values():
            v.difference_update(free)
    if remaining:
        raise TemplateError(f"Circular dependency between resources: [{', '.join(sorted(remaining))}]")


def reverse(deps: dict[str, set[str]]) -> dict[str, set[str]]:
    """For deletion: each resource's dependents (deleted before it)."""
    out: dict[str, set[str]] = {k: set() for k in deps}
    for k, v in deps.items():
        for d in v:
            out.setdefault(d, set()).add(k)
    return out


def ordered(deps: dict[str, set[str]], names: Iterable[str]) -> list[str]:
    """`names` in an order respecting `deps` (dependencies first)."""
    wanted = set(names)
    out: list[str] = []
    seen: set[str] = set()

    def visit(n: str) -> None:
        if n in seen:
            return
        seen.add(n)
        for d in sorted(deps.get(n, ())):
            visit(d)
        if n in wanted:
            out.append(n)

    for n in sorted(wanted):
        visit(n)
    return out
