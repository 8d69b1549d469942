"""Template transforms, run when a stack or change set is submitted (the processed template is
what the stack runs; GetTemplate's Original stage shows the submitted one):
- `AWS::Include`: a template fragment from gureum's S3 (`s3://bucket/key` or an HTTPS S3
  URL), as the top-level transform or `Fn::Transform` anywhere in the template;
- `AWS::LanguageExtensions`: `Fn::ForEach` loops in Resources, Conditions and Outputs
  (`${Id}` and `&{Id}` in keys and values, `Ref: Id`); `Fn::Length` and `Fn::ToJsonString`
  are evaluated with the other intrinsics (intrinsics.py);
- `AWS::Serverless-2016-10-31`: SAM, expanded by AWS's own aws-sam-translator;
- a macro of the account and Region (macros.py), by name: `Fn::Transform` snippets first
  (deepest first; the fragment is the snippet's siblings, replaced by what the macro returns;
  a snippet alone in a list item is that item, `{}` its fragment), then the template-level
  transforms in the order the Transform section lists them. A template is processed when it
  has a Transform section or a snippet anywhere (`has_snippets`, on the parsed document, so
  YAML's `!Transform` counts). A nested stack's template is processed by its own CreateStack
  (providers/stacks.py passes CAPABILITY_AUTO_EXPAND down only from a parent that has it).
Failures raise TemplateError with AWS's wording ("Transform AWS::Serverless-2016-10-31
failed with: ...")."""

from __future__ import annotations

import copy
import re
from collections.abc import Awaitable, Callable
from typing import Any

from gureum.services.cloudformation.template import TemplateError, parse

SAM = "AWS::Serverless-2016-10-31"
LANGUAGE = "AWS::LanguageExtensions"
INCLUDE = "AWS::Include"
KNOWN = (SAM, LANGUAGE, INCLUDE)
FOREACH = "Fn::ForEach::"

Doc = dict[str, Any]
Fetch = Callable[[str], Awaitable[str]]  # an S3 location -> the fragment's text
# a macro's name, the fragment and the Fn::Transform parameters -> the processed fragment
MacroCall = Callable[[str, Any, dict[str, Any]], Awaitable[Any]]


async def _no_macro(name: str, fragment: Any, params: dict[str, Any]) -> Any:
    raise TemplateError(f"Template format error: Unsupported transform: {name}")


def declared(doc: Doc) -> list[str]:
    t = doc.get("Transform")
    names = t if isinstance(t, list) else [t] if t is not None else []
    out = []
    for n in names:
        if isinstance(n, dict):
            out.append(str(n.get("Name")))
        else:
            out.append(str(n))
    return out


def has_snippets(value: Any) -> bool:
    """Whether `value` holds an `Fn::Transform` anywhere (in a list item too), however the
    template wrote it (YAML's `!Transform` parses to the same key)."""
    if isinstance(value, dict):
        return "Fn::Transform" in value or any(has_snippets(v) for v in value.values())
    if isinstance(value, list):
        return any(has_snippets(v) for v in value)
    return False


async def apply(doc: Doc, fetch: Fetch, params: dict[str, Any], region: str,
                managed_policies: Callable[[], dict[str, str]], macro: MacroCall = _no_macro) -> Doc:
    """`doc` with its transforms applied, in AWS's order (includes and snippet macros, then the
    template-level ones as listed: language extensions before SAM)."""
    names = declared(doc)
    unknown = [n for n in names if n not in KNOWN and n.startswith("AWS::")]  # other names are macros
    if unknown:
        raise TemplateError(f"Template format error: Unsupported transform{'s' if len(unknown) > 1 else ''}: "
                            f"{', '.join(unknown)}")
    out = copy.deepcopy(doc)
    top = out.get("Transform")
    for t in (top if isinstance(top, list) else [top]):
        if isinstance(t, dict) and t.get("Name") == INCLUDE:
            fragment = await _include(t.get("Parameters") or {}, fetch)
            if not isinstance(fragment, dict):
                raise TemplateError("Transform AWS::Include failed with: the included fragment is not an object")
            out = {**fragment, **{k: v for k, v in out.items() if k != "Transform"}}
    out = await _inline_includes(out, fetch, macro)
    if LANGUAGE in names:
        out = _language_extensions(out, params)
    for name in names:
        if name not in KNOWN:  # a macro (one not registered: AWS's "No transform named ... found.")
            fragment = await macro(name, {k: v for k, v in out.items() if k != "Transform"}, {})
            if not isinstance(fragment, dict):
                raise TemplateError("Template format error: unsupported structure.")
            out = {**fragment, "Transform": out.get("Transform")}
        elif name == SAM:
            out["Transform"] = SAM
            out = _sam(out, params, region, managed_policies)
    out.pop("Transform", None)
    return out


async def _include(p: Doc, fetch: Fetch) -> Any:
    location = p.get("Location")
    if not isinstance(location, str):
        raise TemplateError("Transform AWS::Include failed with: Location must be a string")
    text = await fetch(location)
    try:
        return parse(text) if text.lstrip().startswith(("{", "Resources", "AWS", "Description")) else _parse_any(text)
    except TemplateError as e:
        raise TemplateError(f"Transform AWS::Include failed with: {e}") from None


def _parse_any(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        raise TemplateError("Transform AWS::Include failed with: the fragment is not well-formed") from None


async def _inline_includes(value: Any, fetch: Fetch, macro: MacroCall) -> Any:
    """`value` with its `Fn::Transform` snippets replaced: an include by the fragment, a macro
    by what it makes of the snippet's siblings (processed themselves first)."""
    if isinstance(value, dict):
        if len(value) == 1 and "Fn::Transform" in value:
            t = value["Fn::Transform"]
            if isinstance(t, dict) and t.get("Name") == INCLUDE:
                return await _include(t.get("Parameters") or {}, fetch)
        out: Doc = {}
        for k, v in value.items():
            out[k] = v if k == "Fn::Transform" else await _inline_includes(v, fetch, macro)
        if "Fn::Transform" in out:
            t = out.pop("Fn::Transform")
            name = t.get("Name") if isinstance(t, dict) else t
            if name == INCLUDE and isinstance(t, dict):
                included = await _include(t.get("Parameters") or {}, fetch)
                return {**out, **included} if isinstance(included, dict) else included
            if not isinstance(name, str) or name.startswith("AWS::"):
                raise TemplateError(f"Template format error: Unsupported transform: {name}")
            given = t.get("Parameters") if isinstance(t, dict) else None
            return await macro(name, out, given if isinstance(given, dict) else {})
        return out
    if isinstance(value, list):
        return [await _inline_includes(v, fetch, macro) for v in value]
    return value


def _language_extensions(doc: Doc, params: dict[str, Any]) -> Doc:
    defaults = {k: v.get("Default") for k, v in (doc.get("Parameters") or {}).items() if isinstance(v, dict)}
    values = {**defaults, **params}
    for section in ("Resources", "Conditions", "Outputs"):
        if isinstance(doc.get(section), dict):
            doc[section] = _expand(doc[section], values)
    return doc


def _expand(section: Doc, values: dict[str, Any]) -> Doc:
    out: Doc = {}
    for key, value in section.items():
        if not key.startswith(FOREACH):
            out[key] = value
            continue
        if not isinstance(value, list) or len(value) != 3 or not isinstance(value[0], str) or not isinstance(value[2], dict):
            raise TemplateError(f"Transform AWS::LanguageExtensions failed with: {key} must be a list of an identifier, "
                                "a collection and an output object")
        ident, collection, fragment = value
        for item in _collection(collection, values):
            expanded = _expand(_substitute(fragment, ident, str(item)), values)
            for k, v in expanded.items():
                if k in out:
                    raise TemplateError(f"Transform AWS::LanguageExtensions failed with: duplicate key {k} from {key}")
                out[k] = v
    return out


def _collection(value: Any, values: dict[str, Any]) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and "Ref" in value and value["Ref"] in values:
        v = values[value["Ref"]]
        return v if isinstance(v, list) else [s for s in str(v).split(",") if s != ""]
    raise TemplateError("Transform AWS::LanguageExtensions failed with: Fn::ForEach collection must be a list or a "
                        "Ref to a list parameter")


def _substitute(value: Any, ident: str, item: str) -> Any:
    alnum = re.sub(r"[^A-Za-z0-9]", "", item)

    def text(s: str) -> str:
        return s.replace("${" + ident + "}", item).replace("&{" + ident + "}", alnum)

    if isinstance(value, dict):
        if value == {"Ref": ident}:
            return item
        return {text(k): _substitute(v, ident, item) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, ident, item) for v in value]
    if isinstance(value, str):
        return text(value)
    return value


def _sam(doc: Doc, params: dict[str, Any], region: str, managed_policies: Callable[[], dict[str, str]]) -> Doc:
    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    try:
        out = translator.translate(doc, dict(params), get_managed_policy_map=managed_policies)
    except InvalidDocumentException as e:
        causes = " ".join(str(c.message) for c in e.causes) if e.causes else str(e)
        raise TemplateError(f"Transform {SAM} failed with: {causes}") from None
    except Exception as e:  # the translator's other refusals
        raise TemplateError(f"Transform {SAM} failed with: {e}") from None
    return dict(out)
