"""The world's four actor exports (init, handle, get-state, set-state) for one decorated class.

A handler's arguments come from the message's JSON payload:

- an object payload fills the parameters by name (`{"operands": [1, 2]}` →
  `add(operands=[1, 2])`); fields no parameter names are ignored, unless
  the method takes ``**kwargs``, which gets them all;
- when a required parameter is missing and the method takes exactly one,
  the whole payload is that argument (`place_order(self, order)` gets the
  order object itself, `run(self, input_data)` the run's input);
- a method without parameters ignores the payload.

The value it returns, serialized with ``json.dumps``, is the reply; None
replies ``{}``. An exception does not crash the actor: the reply is
``{"error": "ExceptionType: message"}``, like the TypeScript SDK's
``{"error": message}``.
"""

import copy
import inspect
import json

from .errors import NoHandlerError, PayloadError, PlexSpacesError, WorkflowStateError

#: Messages the runtime sends on its own (link exits, monitor downs).
SYSTEM_MESSAGES = ("exit", "down")
#: Sent by the node to a durable actor after recovery; not journaled.
RECOVERED = "$recovered"
#: Where a workflow actor keeps its run's progress in the saved state.
WORKFLOW_KEY = "$workflow"


class ActorRuntime:
    """One actor instance of a decorated class, driven by the component's exports."""

    def __init__(self, spec):
        self.spec = spec
        self.instance = None
        self.workflow = {"phase": "idle"}

    # --- the world's exports -------------------------------------------------

    def init(self, config_json):
        """A fresh instance with its declared defaults, then the @init_handler with the config; ``ERROR: …`` refuses the spawn."""
        try:
            config = json.loads(config_json) if config_json else {}
            self.instance = self._fresh()
            self.workflow = {"phase": "idle"}
            if self.spec.init is not None:
                _call(self.spec.init, self.instance, config, "init")
            return json.dumps({"ok": True})
        except Exception as error:  # noqa: BLE001 - every failure refuses the spawn with its message
            return f"ERROR: {describe(error)}"

    def handle(self, from_actor, msg_type, payload_json):
        try:
            try:
                payload = json.loads(payload_json) if payload_json else {}
            except ValueError as error:
                return json.dumps({"error": f"the payload of {msg_type!r} is not JSON: {error}"})
            result = self._route(from_actor, msg_type, payload)
            return reply_json(result, msg_type)
        except Exception as error:  # noqa: BLE001 - a failing handler answers, it does not crash the actor
            return json.dumps({"error": describe(error)})

    def get_state(self):
        instance = self._ensure()
        saved = {name: getattr(instance, name) for name in self.spec.fields}
        if self.spec.behaviour == "workflow":
            saved[WORKFLOW_KEY] = self.workflow
        return json.dumps(saved)

    def set_state(self, state_json):
        """Restores what get_state saved: declared fields that are present; ``""`` on success."""
        try:
            saved = json.loads(state_json)
        except ValueError as error:
            return f"ERROR: invalid state JSON: {error}"
        if not isinstance(saved, dict):
            return f"ERROR: a saved state is a JSON object, got {type(saved).__name__}"
        instance = self._ensure()
        for name in self.spec.fields:
            if name in saved:
                setattr(instance, name, saved[name])
        if self.spec.behaviour == "workflow" and isinstance(saved.get(WORKFLOW_KEY), dict):
            self.workflow = saved[WORKFLOW_KEY]
        return ""

    # --- routing ---------------------------------------------------------------

    def _route(self, from_actor, msg_type, payload):
        spec = self.spec
        instance = self._ensure()
        if spec.behaviour == "gen_server" and (msg_type in SYSTEM_MESSAGES or from_actor == "timer") and msg_type not in spec.handlers:
            return None if spec.info is None else _call_info(spec.info, instance, msg_type, payload)
        if spec.behaviour == "workflow":
            routed, result = self._route_workflow(msg_type, payload)
            if routed:
                return result
        method = spec.handlers.get(msg_type) or spec.handlers.get("*")
        if method is not None:
            return _call(method, instance, payload, msg_type)
        if msg_type == RECOVERED:
            return None
        known = ", ".join(sorted(self._known_types())) or "none"
        raise NoHandlerError(f"no handler for message type {msg_type!r} (handled: {known})")

    def _route_workflow(self, msg_type, payload):
        spec = self.spec
        instance = self.instance
        if msg_type == "run":
            phase = self.workflow.get("phase", "idle")
            if phase != "idle":
                raise WorkflowStateError(f"the workflow has finished ({phase})")
            self.workflow = {"phase": "running"}
            try:
                result = _call(spec.run, instance, payload, "run")
            except Exception as error:
                self.workflow = {"phase": "failed", "error": describe(error)}
                raise
            self.workflow = {"phase": "completed"}
            return True, result
        kind, name = _split_prefix(msg_type)
        if kind in (None, "signal") and name in spec.signals:
            return True, _call(spec.signals[name], instance, payload, msg_type)
        if kind in (None, "query") and name in spec.queries:
            return True, self._query(spec.queries[name], payload, msg_type)
        if kind == "signal":
            raise NoHandlerError(f"no signal {name!r}")
        if kind == "query":
            if name == "workflow":
                return True, dict(self.workflow)
            raise NoHandlerError(f"no query {name!r}")
        return False, None

    def _query(self, method, payload, msg_type):
        """Runs a query on the instance, then puts every declared field back: a query cannot change the state."""
        instance = self.instance
        before = {name: copy.deepcopy(getattr(instance, name)) for name in self.spec.fields}
        try:
            return json.loads(reply_json(_call(method, instance, payload, msg_type), msg_type))
        finally:
            for name, value in before.items():
                setattr(instance, name, value)

    def _known_types(self):
        spec = self.spec
        known = set(spec.handlers)
        if spec.behaviour == "workflow":
            known |= {"run"} | {f"signal:{n}" for n in spec.signals} | {f"query:{n}" for n in spec.queries}
        return known

    # --- instances -------------------------------------------------------------

    def _ensure(self):
        # A recovered actor gets set-state (and replayed messages) without init: start from the defaults.
        if self.instance is None:
            self.instance = self._fresh()
        return self.instance

    def _fresh(self):
        cls = self.spec.cls
        instance = cls.__new__(cls)
        for name, field in self.spec.fields.items():
            setattr(instance, name, field.initial())
        if cls.__init__ is not object.__init__:
            cls.__init__(instance)
        return instance


def _split_prefix(msg_type):
    for kind in ("signal", "query"):
        if msg_type.startswith(kind + ":"):
            return kind, msg_type[len(kind) + 1 :]
    return None, msg_type


def _call_info(method, instance, msg_type, payload):
    params = _parameters(method)
    if len(params) >= 2:
        return method(instance, msg_type, payload)
    return _call(method, instance, payload, msg_type)


_signatures = {}


def _parameters(method):
    params = _signatures.get(method)
    if params is None:
        params = list(inspect.signature(method).parameters.values())[1:]  # without self
        _signatures[method] = params
    return params


def _call(method, instance, payload, msg_type):
    """Calls a handler with arguments taken from the payload (module docstring)."""
    params = _parameters(method)
    named = [p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    takes_kwargs = any(p.kind == p.VAR_KEYWORD for p in params)
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not params:
        return method(instance)
    if isinstance(payload, dict):
        names = {p.name for p in named}
        kwargs = {k: v for k, v in payload.items() if isinstance(k, str) and (takes_kwargs or k in names)}
        missing = [p.name for p in named if p.default is p.empty and p.name not in kwargs]
        if not missing and not any(p.kind == p.POSITIONAL_ONLY and p.default is p.empty for p in params):
            return method(instance, **kwargs)
        if len(positional) == 1 and len(missing) <= 1:
            return method(instance, payload)
        raise PayloadError(f"the payload of {msg_type!r} lacks {', '.join(repr(m) for m in missing)} (the handler takes {', '.join(p.name for p in named)})")
    if positional and sum(1 for p in params if p.default is p.empty and p.kind != p.VAR_KEYWORD and p.kind != p.VAR_POSITIONAL) <= 1:
        return method(instance, payload)
    raise PayloadError(f"the payload of {msg_type!r} must be a JSON object with the fields {', '.join(p.name for p in named)}, got {type(payload).__name__}")


def reply_json(result, msg_type):
    if result is None:
        return "{}"
    try:
        return json.dumps(result, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(f"the reply to {msg_type!r} is not JSON: {error}") from error


def describe(error):
    """The SDK's own errors by their message; any other exception as Python prints its last line."""
    text = str(error)
    if isinstance(error, PlexSpacesError):
        return text
    if isinstance(error, ModuleNotFoundError):
        # The component has no file system: only modules imported while it was built are in it.
        return f"ModuleNotFoundError: {text} (a module first imported inside a handler is not in the component: import it at the top of the actor module)"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
