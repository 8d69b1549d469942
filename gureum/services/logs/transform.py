"""Log transformers' processors, sans-IO: `check(config)` validates a transformerConfig as
PutTransformer does, `run(config, message, meta)` transforms one log event's message into
the JSON document CloudWatch Logs keeps as its transformed version (None when the event is
not transformed: the first processor, a parser, found nothing to parse).

Processors that transform: parseJSON, parseKeyValue, csv, grok (the common patterns in
GROK), parseVPC (the default version-2 flow log fields), addKeys, deleteKeys, renameKeys,
moveKeys, copyValue (with the metadata keys @logGroupName, @logGroupStream, @accountId,
@regionName), lowerCaseString, upperCaseString, trimString, splitString, substituteString,
typeConverter, listToMap. The vendor parsers parseCloudfront, parseRoute53, parsePostgres,
parseWAF, parseToOCSF and dateTimeConverter are accepted and stored but leave the event as
they find it (PASS_THROUGH). Keys are dot paths into the document (`a.b.c`).
"""

from __future__ import annotations

import csv as csvlib
import io
import json
import re
from typing import Any

PARSERS = ("parseJSON", "parseKeyValue", "csv", "grok", "parseVPC", "parseCloudfront", "parseRoute53", "parsePostgres",
           "parseWAF", "parseToOCSF")
VENDED = ("parseCloudfront", "parseRoute53", "parsePostgres", "parseWAF", "parseVPC", "parseToOCSF")
PASS_THROUGH = ("parseCloudfront", "parseRoute53", "parsePostgres", "parseWAF", "parseToOCSF", "dateTimeConverter")
METADATA = ("@logGroupName", "@logGroupStream", "@accountId", "@regionName")
VPC_FIELDS = ("version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets",
              "bytes", "start", "end", "action", "log_status")

GROK: dict[str, str] = {
    "WORD": r"\b\w+\b", "NOTSPACE": r"\S+", "SPACE": r"\s*", "DATA": r".*?", "GREEDYDATA": r".*",
    "INT": r"[+-]?\d+", "POSINT": r"\b[1-9][0-9]*\b", "NONNEGINT": r"\b[0-9]+\b",
    "NUMBER": r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", "BASE10NUM": r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)",
    "IPV4": r"(?:\d{1,3}\.){3}\d{1,3}", "IPV6": r"[0-9A-Fa-f:]+:[0-9A-Fa-f:.]*",
    "IP": r"(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f:]+:[0-9A-Fa-f:.]*)",
    "HOSTNAME": r"\b[0-9A-Za-z][0-9A-Za-z-]{0,62}(?:\.[0-9A-Za-z][0-9A-Za-z-]{0,62})*\.?\b",
    "USERNAME": r"[a-zA-Z0-9._-]+", "USER": r"[a-zA-Z0-9._-]+", "EMAILADDRESS": r"[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+",
    "UUID": r"[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}",
    "QUOTEDSTRING": r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'", "QS": r"\"(?:[^\"\\]|\\.)*\"",
    "URIPATH": r"(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_\-]*)+", "URIPARAM": r"\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]<>]*",
    "URI": r"[A-Za-z][A-Za-z0-9+\-.]*://\S+",
    "LOGLEVEL": r"(?:[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo|INFO|[Ww]arn(?:ing)?|WARN(?:ING)?"
                r"|[Ee]rr(?:or)?|ERR(?:OR)?|[Cc]rit(?:ical)?|CRIT(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|EMERG(?:ENCY)?"
                r"|[Ee]merg(?:ency)?)",
    "TIMESTAMP_ISO8601": r"\d{4}-\d{2}-\d{2}[T ]\d{2}:?\d{2}(?::?\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?",
    "HTTPDATE": r"\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}", "MONTH": r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\w*\b",
    "YEAR": r"\d{2,4}", "HOUR": r"\d{2}", "MINUTE": r"\d{2}", "SECOND": r"\d{2}(?:[.,]\d+)?", "MONTHDAY": r"\d{1,2}",
    "MONTHNUM": r"\d{1,2}", "TIME": r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?", "DATE": r"\d{1,4}[/-]\d{1,2}[/-]\d{1,4}",
    "WORDS": r"[\w ]+", "HTTPMETHOD": r"\b(?:GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE)\b",
}
_GROK_REF = re.compile(r"%\{(\w+)(?::([\w.@\[\]]+))?(?::(int|float|long|double|string|boolean))?\}")


class TransformError(ValueError):
    """A transformerConfig AWS refuses (InvalidParameterException)."""


def _only(proc: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    set_ = [(k, v) for k, v in proc.items() if v is not None]
    if len(set_) != 1:
        raise TransformError("Each processor in transformerConfig must specify exactly one processor type.")
    return set_[0][0], dict(set_[0][1] or {})


def check(config: list[dict[str, Any]]) -> None:
    names = [_only(p)[0] for p in config]
    if not names or names[0] not in PARSERS:
        raise TransformError("The first processor in a transformer must be a parser processor "
                             f"({', '.join(PARSERS)}).")
    vended = [n for n in names if n in VENDED]
    if len(vended) > 1 or vended and names[0] not in VENDED:
        raise TransformError("A transformer can contain at most one vended log parser, and it must be the first processor.")
    if names.count("grok") > 1:
        raise TransformError("A transformer can contain at most one grok processor.")
    for p in config:
        name, conf = _only(p)
        if name == "grok":
            grok_regex(conf["match"])
        if name == "substituteString":
            for e in conf.get("entries") or []:
                try:
                    re.compile(e["from"])
                except re.error:
                    raise TransformError(f"Invalid regular expression in substituteString: {e['from']}") from None


def grok_regex(match: str) -> tuple[re.Pattern[str], dict[str, str]]:
    """The regex of a grok pattern and the type conversions of its named captures."""
    types: dict[str, str] = {}
    groups: dict[str, str] = {}

    def sub(m: re.Match[str]) -> str:
        pattern = GROK.get(m.group(1))
        if pattern is None:
            raise TransformError(f"Unsupported grok pattern: {m.group(1)}")
        if not m.group(2):
            return f"(?:{pattern})"
        group = f"g{len(groups)}"
        groups[group] = m.group(2)
        if m.group(3):
            types[m.group(2)] = m.group(3)
        return f"(?P<{group}>{pattern})"

    try:
        rx = re.compile(_GROK_REF.sub(sub, match))
    except re.error:
        raise TransformError(f"Invalid grok pattern: {match}") from None
    types["\x00groups"] = json.dumps(groups)
    return rx, types


# --- document paths -------------------------------------------------------------------------------


def _get(doc: dict[str, Any], path: str) -> Any:
    cur: Any = doc
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _has(doc: dict[str, Any], path: str) -> bool:
    cur: Any = doc
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return False
        cur = cur[part]
    return True


def _set(doc: dict[str, Any], path: str, value: Any, overwrite: bool = True) -> None:
    parts = path.split(".")
    cur = doc
    for part in parts[:-1]:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            cur[part] = nxt
        cur = nxt
    if overwrite or parts[-1] not in cur:
        cur[parts[-1]] = value


def _delete(doc: dict[str, Any], path: str) -> Any:
    parts = path.split(".")
    cur: Any = doc
    for part in parts[:-1]:
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur.pop(parts[-1], None) if isinstance(cur, dict) else None


# --- running ----------------------------------------------------------------------------------------


def run(config: list[dict[str, Any]], message: str, meta: dict[str, str]) -> str | None:
    doc: dict[str, Any] = {}
    for i, proc in enumerate(config):
        name, conf = _only(proc)
        ok = _apply(name, conf, doc, message, meta)
        if i == 0 and not ok:
            return None
    return json.dumps(doc, separators=(",", ":"))


def _source(conf: dict[str, Any], doc: dict[str, Any], message: str) -> Any:
    src = conf.get("source") or "@message"
    return message if src == "@message" else _get(doc, src)


def _merge(doc: dict[str, Any], parsed: dict[str, Any], destination: str | None, overwrite: bool = True) -> None:
    if destination:
        _set(doc, destination, parsed)
    else:
        for k, v in parsed.items():
            if overwrite or k not in doc:
                doc[k] = v


def _apply(name: str, conf: dict[str, Any], doc: dict[str, Any], message: str, meta: dict[str, str]) -> bool:
    if name == "parseJSON":
        src = _source(conf, doc, message)
        try:
            parsed = json.loads(src) if isinstance(src, str) else src
        except ValueError:
            return False
        if not isinstance(parsed, dict):
            return False
        _merge(doc, parsed, conf.get("destination"))
        return True
    if name == "parseKeyValue":
        src = _source(conf, doc, message)
        if not isinstance(src, str):
            return False
        fd, kd = conf.get("fieldDelimiter") or "&", conf.get("keyValueDelimiter") or "="
        prefix, miss = conf.get("keyPrefix") or "", conf.get("nonMatchValue")
        out: dict[str, Any] = {}
        for part in src.split(fd):
            if kd in part:
                k, v = part.split(kd, 1)
                out[prefix + k] = v
            elif part and miss is not None:
                out[prefix + part] = miss
        if not out:
            return False
        _merge(doc, out, conf.get("destination"), bool(conf.get("overwriteIfExists", True)))
        return True
    if name == "csv":
        src = _source(conf, doc, message)
        if not isinstance(src, str):
            return False
        delim = (conf.get("delimiter") or ",").replace("\\t", "\t")
        try:
            row = next(csvlib.reader(io.StringIO(src), delimiter=delim[0], quotechar=conf.get("quoteCharacter") or '"'))
        except (StopIteration, csvlib.Error):
            return False
        cols = conf.get("columns") or [f"column_{i + 1}" for i in range(len(row))]
        _merge(doc, dict(zip(cols, row, strict=False)), conf.get("destination"))
        return True
    if name == "grok":
        src = _source(conf, doc, message)
        if not isinstance(src, str):
            return False
        rx, types = grok_regex(conf["match"])
        m = rx.search(src)
        if m is None:
            return False
        groups: dict[str, str] = json.loads(types.pop("\x00groups"))
        for g, field in groups.items():
            value: Any = m.group(g)
            if value is None:
                continue
            kind = types.get(field)
            if kind in ("int", "long"):
                value = _int(value)
            elif kind in ("float", "double"):
                value = _float(value)
            _set(doc, field, value)
        return True
    if name == "parseVPC":
        src = _source(conf, doc, message)
        parts = src.split() if isinstance(src, str) else []
        if len(parts) != len(VPC_FIELDS):
            return False
        doc.update(dict(zip(VPC_FIELDS, parts, strict=True)))
        return True
    if name in PASS_THROUGH:
        if not doc:  # a vendor parser first: keep the message as the document's one field
            doc["@message"] = message
        return True
    entries = conf.get("entries") or []
    if name == "addKeys":
        for e in entries:
            _set(doc, e["key"], e["value"], bool(e.get("overwriteIfExists")))
    elif name == "deleteKeys":
        for k in conf.get("withKeys") or []:
            _delete(doc, k)
    elif name in ("renameKeys", "moveKeys"):
        for e in entries:
            src_key = e["key"] if name == "renameKeys" else e["source"]
            dst_key = e["renameTo"] if name == "renameKeys" else e["target"]
            if _has(doc, src_key) and (e.get("overwriteIfExists") or not _has(doc, dst_key)):
                if name == "renameKeys" and "." not in src_key:
                    # a rename keeps the key where it was
                    doc_items = list(doc.items())
                    doc.clear()
                    doc.update({(dst_key if k == src_key else k): v for k, v in doc_items})
                else:
                    _set(doc, dst_key, _delete(doc, src_key))
    elif name == "copyValue":
        for e in entries:
            value = meta.get(e["source"]) if e["source"] in METADATA else _get(doc, e["source"])
            if value is not None:
                _set(doc, e["target"], value, bool(e.get("overwriteIfExists")))
    elif name in ("lowerCaseString", "upperCaseString", "trimString"):
        for k in conf.get("withKeys") or []:
            v = _get(doc, k)
            if isinstance(v, str):
                _set(doc, k, v.lower() if name == "lowerCaseString" else v.upper() if name == "upperCaseString" else v.strip())
    elif name == "splitString":
        for e in entries:
            v = _get(doc, e["source"])
            if isinstance(v, str):
                _set(doc, e["source"], v.split(e["delimiter"].replace("\\t", "\t")))
    elif name == "substituteString":
        for e in entries:
            v = _get(doc, e["source"])
            if isinstance(v, str):
                _set(doc, e["source"], re.sub(e["from"], e["to"], v))
    elif name == "typeConverter":
        for e in entries:
            v = _get(doc, e["key"])
            if v is not None:
                converted = _convert(v, e["type"])
                if converted is not None:
                    _set(doc, e["key"], converted)
    elif name == "listToMap":
        items = _get(doc, conf["source"])
        if isinstance(items, list):
            mapped: dict[str, Any] = {}
            for item in items:
                if isinstance(item, dict) and conf["key"] in item:
                    key = str(item[conf["key"]])
                    value = item.get(conf["valueKey"]) if conf.get("valueKey") else {k: v for k, v in item.items() if k != conf["key"]}
                    if conf.get("flatten"):
                        if key in mapped and conf.get("flattenedElement", "first") == "first":
                            continue
                        mapped[key] = value
                    else:
                        mapped.setdefault(key, []).append(value)
            _set(doc, conf.get("target") or conf["source"], mapped) if conf.get("target") else doc.update(mapped)
    return True


def _int(v: str) -> int | None:
    try:
        return int(float(v))
    except ValueError:
        return None


def _float(v: str) -> float | None:
    try:
        return float(v)
    except ValueError:
        return None


def _convert(v: Any, kind: str) -> Any:
    text = v if isinstance(v, str) else json.dumps(v) if not isinstance(v, (int, float)) else str(v)
    if kind == "string":
        return text
    if kind == "integer":
        return _int(text)
    if kind == "double":
        return _float(text)
    if kind == "boolean":
        low = text.strip().lower()
        return True if low == "true" else False if low == "false" else None
    return None
