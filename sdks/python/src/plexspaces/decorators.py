"""The decorators that make a class an actor and its methods handlers.

    @actor(facets=["durability"])          # or plain @actor
    class Account:
        balance: int = state(default=0)

        @init_handler
        def setup(self, config: dict): ...

        @handler("deposit")                 # message type "deposit"
        def deposit(self, amount: int = 0) -> dict: ...

Behaviours, as in the TypeScript SDK (src/sdk/behaviours.ts):

- `@actor`: a message goes to the handler of its type; a type without one
  is answered with an error reply.
- `@gen_server_actor`: the same routing; the runtime's own messages (`exit`
  from a link, `down` from a monitor) and timer messages go to
  `@info_handler` if there is one and are otherwise ignored (a plain actor
  answers them with an error).
- `@workflow_actor`: `run` calls the `@run_handler` once (a second run is
  refused); `signal:NAME` (or plain `NAME`) calls `@signal_handler("NAME")`;
  `query:NAME` (or `NAME`) calls `@query_handler("NAME")`, whose changes to
  the state are undone, so a query only reads.

Facets are the node's (durability, virtual, metrics, logging, timer). Like
the TypeScript SDK, which declares none in code, the list is checked here
and the deploy decides: an application is durable unless deployed with
`durable=false`, and a manifest lists the others (docs/applications.md).
"""

from .state import declared_fields

#: The node's facet names (src/actors/facets/).
KNOWN_FACETS = ("durability", "virtual", "metrics", "logging", "timer")
BEHAVIOURS = ("actor", "gen_server", "workflow")

_MARK = "__plexspaces_handler__"
_SPEC = "__plexspaces_actor__"


class ActorSpec:
    """What the decorators found on a class: behaviour, facets, state fields and handlers by message type."""

    def __init__(self, cls, behaviour, facets):
        self.cls = cls
        self.name = cls.__name__
        self.behaviour = behaviour
        self.facets = tuple(facets)
        self.fields = declared_fields(cls)
        self.init = None
        self.run = None
        self.info = None
        self.handlers = {}
        self.signals = {}
        self.queries = {}
        for attr in _methods(cls):
            mark = getattr(attr, _MARK, None)
            if mark is None:
                continue
            kind, names = mark
            if kind in ("init", "run", "info"):
                if getattr(self, kind) is not None:
                    raise TypeError(f"{self.name}: more than one @{kind}_handler ({getattr(self, kind).__name__}, {attr.__name__})")
                setattr(self, kind, attr)
                continue
            table = {"handler": self.handlers, "signal": self.signals, "query": self.queries}[kind]
            for name in names:
                if name in table:
                    raise TypeError(f"{self.name}: two {kind} handlers for {name!r} ({table[name].__name__}, {attr.__name__})")
                table[name] = attr
        if behaviour == "workflow" and self.run is None:
            raise TypeError(f"{self.name}: a @workflow_actor needs a @run_handler method")
        if behaviour != "workflow":
            for kind, found in (("run", self.run), ("signal", self.signals), ("query", self.queries)):
                if found:
                    raise TypeError(f"{self.name}: @{kind}_handler belongs to a @workflow_actor, not @{behaviour if behaviour != 'gen_server' else 'gen_server_actor'}")
        if behaviour != "gen_server" and self.info is not None:
            raise TypeError(f"{self.name}: @info_handler belongs to a @gen_server_actor")


def _methods(cls):
    seen = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            seen[name] = value
    return [v for v in seen.values() if callable(v)]


def _actor_decorator(behaviour):
    def decorate(cls=None, *, facets=()):
        if isinstance(facets, str) or not all(isinstance(f, str) for f in facets):
            raise TypeError(f"facets must be a list of facet names, got {facets!r}")
        unknown = [f for f in facets if f not in KNOWN_FACETS]
        if unknown:
            raise ValueError(f"unknown facet {unknown[0]!r}: the node's facets are {', '.join(KNOWN_FACETS)}")

        def mark(klass):
            if not isinstance(klass, type):
                raise TypeError(f"@{behaviour} decorates a class, got {klass!r}")
            setattr(klass, _SPEC, ActorSpec(klass, behaviour, facets))
            return klass

        return mark if cls is None else mark(cls)

    return decorate


actor = _actor_decorator("actor")
gen_server_actor = _actor_decorator("gen_server")
workflow_actor = _actor_decorator("workflow")


def spec_of(cls):
    """The ActorSpec of a decorated class, or None."""
    spec = vars(cls).get(_SPEC) if isinstance(cls, type) else None
    return spec if isinstance(spec, ActorSpec) else None


def _named(kind):
    """`@handler("a", "b")` (aliases), `@handler()` or bare `@handler` (the method's name)."""

    def decorator(*names):
        if len(names) == 1 and callable(names[0]):
            fn = names[0]
            setattr(fn, _MARK, (kind, (fn.__name__,)))
            return fn
        for name in names:
            if not isinstance(name, str) or name == "":
                label = "handler" if kind == "handler" else f"{kind}_handler"
                raise TypeError(f"@{label} names must be non-empty strings, got {name!r}")

        def mark(fn):
            setattr(fn, _MARK, (kind, tuple(names) or (fn.__name__,)))
            return fn

        return mark

    return decorator


def _single(kind):
    def mark(fn):
        if not callable(fn):
            raise TypeError(f"@{kind}_handler decorates a method, got {fn!r}")
        setattr(fn, _MARK, (kind, ()))
        return fn

    return mark


handler = _named("handler")
signal_handler = _named("signal")
query_handler = _named("query")
init_handler = _single("init")
run_handler = _single("run")
info_handler = _single("info")
