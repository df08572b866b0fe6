"""Declared actor state: the fields `get-state` saves and `set-state` restores.

    @actor
    class Counter:
        count: int = state(default=0)
        history: list = state(default_factory=list)

A field's value must survive ``json.dumps``; it is what a durable actor's
checkpoints hold and what recovery brings back. Attributes that are not
declared with ``state()`` live only as long as the instance (a restart or a
recovery starts them over).
"""

import copy

_MISSING = object()


class StateField:
    """One declared field. Made by `state()`; the class attribute is replaced by the value on each instance."""

    __slots__ = ("name", "default", "default_factory")

    def __init__(self, default=_MISSING, default_factory=None):
        if default is not _MISSING and default_factory is not None:
            raise TypeError("state() takes default or default_factory, not both")
        if default_factory is not None and not callable(default_factory):
            raise TypeError(f"state(default_factory=...) must be callable, got {default_factory!r}")
        self.name = None
        self.default = None if default is _MISSING else default
        self.default_factory = default_factory

    def __set_name__(self, owner, name):
        self.name = name

    def initial(self):
        """A fresh value: the factory's, or a copy of the default (so a mutable default is not shared)."""
        if self.default_factory is not None:
            return self.default_factory()
        return copy.deepcopy(self.default)

    def __repr__(self):
        return f"state({self.name!r})"


def state(default=_MISSING, default_factory=None):
    """Declares a persistent field; without arguments its initial value is None."""
    return StateField(default, default_factory)


def declared_fields(cls):
    """The class's state fields in declaration order, base classes first."""
    fields = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, StateField):
                fields[name] = value
    return fields
