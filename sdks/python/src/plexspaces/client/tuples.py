"""Python values and templates in the node's typed tuple form (proto/plexspaces/v1/tuple.proto).

=================  ==========================  ===============================
Python             on the wire                 read back as
=================  ==========================  ===============================
``str``            string                      ``str``
``float``          number (float64)            ``float``, or ``int`` when whole
``int``            number when |n| ≤ 2**53,    (as ``float``)
                   else int64
``Int64(n)``       int64 (a JS bigint)         ``Int64`` (an ``int``)
``bool``           bool                        ``bool``
``bytes``          bytes                       ``bytes``
``None``           null                        ``None``
``list``/``tuple`` array                       ``list``
``dict``           record (string keys)        ``dict``
=================  ==========================  ===============================

A plain ``int`` is a number because that is what actors' JSON tuples hold:
``(“job”, 3)`` written here matches ``["job", 3]`` written by an actor. A
whole number comes back as ``int``, as ``json.loads`` would give it.

In a template ``None`` (or ``ANY``) matches anything; ``Type``, ``OneOf``,
``Prefix``, ``Range`` and ``Eq`` are the operators of docs/tuple-space.md;
a list inside a template is a nested template of that array's fields.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from ._stubs import stubs

MAX_SAFE = 2**53
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Int64(int):
    """An int64 field (a JS bigint on the node): kept apart from float64 numbers, as the node keeps it."""

    def __new__(cls, value: int):
        value = int(value)
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueError(f"{value} does not fit in an int64")
        return super().__new__(cls, value)

    def __repr__(self) -> str:
        return f"Int64({int.__repr__(self)})"

    def __str__(self) -> str:
        return int.__repr__(self)


class _Any:
    def __repr__(self) -> str:
        return "ANY"


ANY = _Any()
"""Matches any field (``None`` does too)."""


@dataclass(frozen=True)
class Type:
    """A field of this type: string, number, int, bool, bytes, array, object, null."""

    name: str


@dataclass(frozen=True)
class OneOf:
    """A field equal to one of these values."""

    values: Sequence[Any]


@dataclass(frozen=True)
class Prefix:
    """A string starting with this."""

    prefix: str


@dataclass(frozen=True)
class Range:
    """A number, int64 or string within these bounds (compared within its type); unset bounds are open."""

    gt: Any = None
    gte: Any = None
    lt: Any = None
    lte: Any = None


@dataclass(frozen=True)
class Eq:
    """A field equal to this value, arrays included (a bare list in a template is a nested template)."""

    value: Any


def to_field(value: Any):
    t = stubs().t
    if value is None:
        return t.Field(null=t.NULL_VALUE)
    if isinstance(value, bool):
        return t.Field(bool=value)
    if isinstance(value, Int64):
        return t.Field(int=int(value))
    if isinstance(value, int):
        if -MAX_SAFE <= value <= MAX_SAFE:
            return t.Field(number=float(value))
        return t.Field(int=int(Int64(value)))
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"a tuple field must be a finite number, got {value}")
        return t.Field(number=value)
    if isinstance(value, str):
        return t.Field(string=value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return t.Field(bytes=bytes(value))
    if isinstance(value, (list, tuple)):
        return t.Field(array=t.FieldList(fields=[to_field(v) for v in value]))
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise ValueError(f"record keys are strings, got {key!r}")
        return t.Field(record=t.Record(fields={k: to_field(v) for k, v in value.items()}))
    raise ValueError(f"{type(value).__name__} is not a tuple field type (str, number, Int64, bool, bytes, None, list, dict)")


def to_tuple(values: Iterable[Any]):
    fields = [to_field(v) for v in values]
    if not fields:
        raise ValueError("a tuple has at least one field")
    return stubs().t.Tuple(fields=fields)


def from_field(field) -> Any:
    kind = field.WhichOneof("kind")
    if kind == "string":
        return field.string
    if kind == "number":
        n = field.number
        return int(n) if n.is_integer() and abs(n) <= MAX_SAFE else n
    if kind == "int":
        return Int64(field.int)
    if kind == "bool":
        return field.bool
    if kind == "bytes":
        return bytes(field.bytes)
    if kind == "array":
        return [from_field(f) for f in field.array.fields]
    if kind == "record":
        return {k: from_field(v) for k, v in field.record.fields.items()}
    return None


def from_tuple(message) -> tuple:
    return tuple(from_field(f) for f in message.fields)


def to_template_field(value: Any):
    t = stubs().t
    if value is None or value is ANY:
        return t.TemplateField(any=t.Wildcard())
    if isinstance(value, Type):
        return t.TemplateField(type=value.name)
    if isinstance(value, OneOf):
        return t.TemplateField(**{"in": t.FieldList(fields=[to_field(v) for v in value.values])})
    if isinstance(value, Prefix):
        return t.TemplateField(prefix=value.prefix)
    if isinstance(value, Range):
        bounds = {k: to_field(getattr(value, k)) for k in ("gt", "gte", "lt", "lte") if getattr(value, k) is not None}
        return t.TemplateField(range=t.Range(**bounds))
    if isinstance(value, Eq):
        return t.TemplateField(value=to_field(value.value))
    if isinstance(value, (list, tuple)):
        return t.TemplateField(nested=t.TemplateFieldList(fields=[to_template_field(v) for v in value]))
    return t.TemplateField(value=to_field(value))


def to_template(values: Iterable[Any]):
    fields = [to_template_field(v) for v in values]
    if not fields:
        raise ValueError("a template has at least one field")
    return stubs().t.Template(fields=fields)
