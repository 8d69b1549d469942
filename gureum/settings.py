"""Typed settings: one parser that fills a package's frozen settings dataclass from the node's
raw settings (`gureum up --set prefix.field=VALUE`, or the environment twin
`GUREUM_PREFIX_FIELD`; see gureum/config.py `Config.setting`).

A settings class is a frozen dataclass with a `PREFIX` class variable; each field is the
setting "<PREFIX>.<field name>" unless its metadata names another key
(`field(default=..., metadata=key("ecs.bridge"))`), and its default is the dataclass default.
The text is converted by the field's annotation:

- `str`, `int`, `float`, `pathlib.Path`;
- `bool`: ONE rule for every boolean setting: 1/true/yes/on and 0/false/no/off, case-insensitive;
- `tuple[str, ...]` (or of int or float; a `list[...]` is kept as a tuple): comma-separated,
  blanks dropped, each item converted;
- `X | None`: as X, None when unset.

An unset or empty setting takes the default. Text that does not convert is a `SettingError`
naming the setting, raised when the node reads the class (at start-up: App.serve reads every
class a manifest declares before listening).
"""

from __future__ import annotations

import dataclasses
import itertools
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})

Lookup = Callable[[str], str | None]


class SettingError(ValueError):
    """A setting's text does not fit its type (the message names the setting)."""


class SettingsClass(Protocol):
    """What `read()` accepts: a dataclass with a `PREFIX`."""

    PREFIX: ClassVar[str]
    __dataclass_fields__: ClassVar[dict[str, Any]]


S = TypeVar("S", bound=SettingsClass)


def key(name: str) -> dict[str, str]:
    """Field metadata naming the setting's full key where it is not "<PREFIX>.<field>"."""
    return {"key": name}


def env_name(setting: str) -> str:
    """The environment variable that sets `setting` ("lambda.idle_timeout" ->
    GUREUM_LAMBDA_IDLE_TIMEOUT)."""
    return "GUREUM_" + setting.upper().replace(".", "_").replace("-", "_")


def parse_bool(setting: str, text: str) -> bool:
    """The one boolean rule; anything else is a SettingError naming `setting`."""
    word = text.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise SettingError(f"setting {setting}: expected one of 1/true/yes/on or 0/false/no/off, got {text!r}")


def flag(lookup: Lookup, setting: str, default: bool) -> bool:
    """A boolean setting whose key is not a field of a class (e.g. "<component>.enabled")."""
    text = lookup(setting)
    return default if text is None or text.strip() == "" else parse_bool(setting, text)


@dataclasses.dataclass(frozen=True)
class Entry:
    """One setting of a class, for `gureum up --help` and the docs."""

    key: str
    type: str
    default: Any
    doc: str


def _setting_key(cls: type[Any], f: dataclasses.Field[Any]) -> str:
    return str(f.metadata.get("key") or f"{cls.PREFIX}.{f.name}")


def _convert(setting: str, hint: Any, text: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(options) != 1:
            raise TypeError(f"setting {setting}: unsupported annotation {hint!r}")
        return _convert(setting, options[0], text)
    if origin in (tuple, list):
        args = typing.get_args(hint)
        item = args[0] if args else str
        if item not in (str, int, float):
            raise TypeError(f"setting {setting}: only sequences of str, int or float are supported, not {hint!r}")
        return tuple(_convert(setting, item, part.strip()) for part in text.split(",") if part.strip())
    if hint is bool:
        return parse_bool(setting, text)
    if hint is int:
        try:
            return int(text.strip())
        except ValueError:
            raise SettingError(f"setting {setting}: expected an integer, got {text!r}") from None
    if hint is float:
        try:
            return float(text.strip())
        except ValueError:
            raise SettingError(f"setting {setting}: expected a number, got {text!r}") from None
    if hint is str:
        return text
    if hint is Path:
        return Path(text).expanduser()
    raise TypeError(f"setting {setting}: unsupported annotation {hint!r}")


def _fields(cls: type[Any]) -> Iterator[tuple[dataclasses.Field[Any], Any]]:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        yield f, hints[f.name]


def read(cls: type[S], lookup: Lookup) -> S:
    """An instance of `cls` filled from `lookup(key) -> text or None`; defaults where unset."""
    values: dict[str, Any] = {}
    for f, hint in _fields(cls):
        setting = _setting_key(cls, f)
        text = lookup(setting)
        if text is None or text.strip() == "":
            continue  # the dataclass default
        values[f.name] = _convert(setting, hint, text)
    return cls(**values)


def entries(cls: type[Any]) -> list[Entry]:
    """Every setting of `cls` with its type, default and the doc line after the field."""
    docs = field_docs(cls)
    out = []
    for f, hint in _fields(cls):
        if f.default is not dataclasses.MISSING:
            default: Any = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = None
        out.append(Entry(_setting_key(cls, f), _type_name(hint), default, docs.get(f.name, "")))
    return out


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(hint))
    if origin in (tuple, list):
        return "list"
    return getattr(hint, "__name__", str(hint))


def field_docs(cls: type[Any]) -> dict[str, str]:
    """The string literal written under each field of `cls` (its doc), by field name."""
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    out: dict[str, str] = {}
    for stmt, after in itertools.pairwise(body):
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            out[stmt.target.id] = " ".join(after.value.value.split())
    return out


class SettingsCache:
    """Each settings class read once per node (`App.settings(cls)`)."""

    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
        self._read: dict[type[Any], Any] = {}

    def __call__(self, cls: type[S]) -> S:
        got = self._read.get(cls)
        if got is None:
            got = self._read[cls] = read(cls, self._lookup)
        return typing.cast(S, got)


def from_mapping(settings: Mapping[str, str]) -> Lookup:
    """A lookup over a plain mapping (tests)."""
    return settings.get
