"""Which world `plexspaces-py build` targets: the narrowest that covers what the actor uses.

The platform's five worlds (wit/platform/worlds.wit) each import only some
capabilities; a component built for `simple-actor` cannot reach the tuple
space, and is smaller. The build reads the actor's own source (and any
module on ``--python-path`` that mentions plexspaces) with `ast`, collects
the `plexspaces.host` functions it names, and picks the narrowest world
whose capabilities cover them, as the TypeScript SDK does
(src/sdk/world-selection.ts; the tables below are checked against
src/runtime/capabilities.ts by test/polyglot/python-worlds.test.ts).

The module's prelude defines `host` (loader.py), so a bare ``host.log``
counts as the SDK's unless the module binds that name itself. The printed
world's six-argument ``lock_acquire(tenant, namespace, …)`` with a
namespace names a lock namespace inside the actor's scope, which the
platform's `locks` interface does not have: such an actor is built for the
printed `actor-world` (or `full-actor-world`), where it means what it says.

A use the reader cannot follow — `host` passed around as a value,
``getattr(host, name)``, ``from plexspaces.host import *`` — makes the whole
`plexspaces-actor` world the choice: the analysis may widen a world, never
leave out a capability the actor calls. ``--world`` chooses one by name.
"""

import ast

CAPABILITIES = (
    "messaging",
    "logging",
    "tuple-space",
    "channels",
    "durability",
    "workflow",
    "key-value",
    "blobs",
    "locks",
    "process-groups",
    "registry",
    "http-client",
    "cron",
)

#: The five worlds of the articles, as wit/platform/worlds.wit composes them.
PLATFORM_WORLDS = {
    "plexspaces-actor": CAPABILITIES,
    "simple-actor": ("messaging", "logging"),
    "durable-actor": ("messaging", "durability"),
    "coordination-actor": ("messaging", "tuple-space"),
    "event-actor": ("messaging", "channels"),
}

#: The printed plexspaces:simple-actor@0.1.0 worlds (wit/simple-actor.wit, wit/coordination.wit).
_LEGACY_HOST = ("messaging", "logging", "tuple-space", "key-value", "locks", "blobs", "process-groups", "workflow")
LEGACY_WORLDS = {
    "actor-world": _LEGACY_HOST,
    "full-actor-world": _LEGACY_HOST + ("channels",),
}

#: `plexspaces.host` functions by the capability each one needs.
HOST_FUNCTIONS = {
    "get_actor_id": "messaging",
    "self_id": "messaging",
    "tell": "messaging",
    "send": "messaging",
    "ask": "messaging",
    "spawn": "messaging",
    "stop": "messaging",
    "link": "messaging",
    "unlink": "messaging",
    "monitor": "messaging",
    "demonitor": "messaging",
    "log": "logging",
    "now_ms": "logging",
    "send_after": "workflow",
    "send_interval": "workflow",
    "cancel_timer": "workflow",
    "kv_get": "key-value",
    "kv_put": "key-value",
    "kv_delete": "key-value",
    "kv_list": "key-value",
    "ts_write": "tuple-space",
    "ts_read": "tuple-space",
    "ts_take": "tuple-space",
    "ts_read_all": "tuple-space",
    "ts_eval": "tuple-space",
    "lock_acquire": "locks",
    "lock_release": "locks",
    "blob_upload": "blobs",
    "blob_download": "blobs",
    "channel_send": "channels",
    "channel_receive": "channels",
    "channel_ack": "channels",
    "channel_nack": "channels",
    "process_groups": "process-groups",
}

#: Names of the host module that need no capability (the errors it raises, the test backend).
_NEUTRAL = {"HostCallError", "HostUnavailableError", "use_backend"}

AUTO = "auto"

#: Not a capability: the actor names lock namespaces, which only the printed worlds have.
LOCK_NAMESPACES = "lock-namespaces"


class WorldChoiceError(Exception):
    """The requested world does not cover what the actor uses, or names no world."""


def capabilities_used(source, filename="<actor>"):
    """The capabilities a module's source uses: a set, always with messaging; None when it cannot tell (then every one)."""
    tree = ast.parse(source, filename)
    return _Reader().read(tree)


class _Reader(ast.NodeVisitor):
    def __init__(self):
        self.used = {"messaging"}
        self.opaque = False
        # Local names bound to the host module, to the plexspaces package, and to host functions.
        self.host_names = set()
        self.package_names = set()
        self.function_names = {}

    def read(self, tree):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "plexspaces.host":
                        if alias.asname is not None:
                            self.host_names.add(alias.asname)
                        else:
                            self.package_names.add("plexspaces")
                    elif alias.name == "plexspaces":
                        self.package_names.add(alias.asname or "plexspaces")
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in ("plexspaces", "plexspaces.host"):
                for alias in node.names:
                    local = alias.asname or alias.name
                    if alias.name == "*":
                        if node.module == "plexspaces.host":
                            self.opaque = True
                    elif node.module == "plexspaces" and alias.name == "host":
                        self.host_names.add(local)
                    elif node.module == "plexspaces.host":
                        self._function(alias.name, local)
        if not self._binds(tree, "host"):
            self.host_names.add("host")
        self._uses(tree)
        self._lock_namespaces(tree)
        return None if self.opaque else self.used

    @staticmethod
    def _binds(tree, name):
        """The module binds `name` itself (an assignment, a def, an argument, an import of another module's)."""
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, (ast.Store, ast.Del)):
                return True
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
                return True
            if isinstance(node, ast.arg) and node.arg == name:
                return True
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if (alias.asname or alias.name.split(".")[0]) == name and not (isinstance(node, ast.ImportFrom) and node.module == "plexspaces"):
                        return True
        return False

    def _lock_namespaces(self, tree):
        # lock_acquire(tenant, namespace, holder, name, lease, timeout) / lock_release(lock_id, tenant, namespace, holder, version)
        positions = {"lock_acquire": (6, 1), "lock_release": (5, 2)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = None
            if isinstance(node.func, ast.Attribute) and (isinstance(node.func.value, ast.Name) and node.func.value.id in self.host_names or self._is_package_host(node.func.value)):
                name = node.func.attr
            elif isinstance(node.func, ast.Name) and self.function_names.get(node.func.id) == "locks":
                name = node.func.id
            if name not in positions or len(node.args) != positions[name][0]:
                continue
            namespace = node.args[positions[name][1]]
            if not (isinstance(namespace, ast.Constant) and namespace.value == ""):
                self.used.add(LOCK_NAMESPACES)

    def _function(self, name, local):
        if name in HOST_FUNCTIONS:
            self.function_names[local] = HOST_FUNCTIONS[name]
        elif name not in _NEUTRAL:
            self.opaque = True

    def _uses(self, tree):
        # Attribute chains first: `host.ts_write`, `plexspaces.host.log`, `host.process_groups.join`.
        seen = set()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            base = node.value
            if isinstance(base, ast.Name) and base.id in self.host_names:
                self._member(node.attr)
                seen.add(id(base))
            elif self._is_package_host(base):
                self._member(node.attr)
                seen.add(id(base))
        for node in ast.walk(tree):
            # `plexspaces.host` itself used as a value.
            if self._is_package_host(node) and id(node) not in seen:
                self.opaque = True
        for node in ast.walk(tree):
            if not isinstance(node, ast.Name) or isinstance(node.ctx, ast.Store):
                continue
            if node.id in self.function_names:
                self.used.add(self.function_names[node.id])
            elif node.id in self.host_names and id(node) not in seen:
                # The module itself used as a value: whatever it is given to may call anything.
                self.opaque = True

    def _is_package_host(self, node):
        return isinstance(node, ast.Attribute) and node.attr == "host" and isinstance(node.value, ast.Name) and node.value.id in self.package_names

    def _member(self, name):
        if name in HOST_FUNCTIONS:
            self.used.add(HOST_FUNCTIONS[name])
        elif name not in _NEUTRAL:
            self.opaque = True


def narrowest_world(used):
    """The narrowest world whose imports cover `used` (None: every capability): one of the five, or a printed one for lock namespaces."""
    if used is None:
        return "plexspaces-actor"
    if LOCK_NAMESPACES in used:
        return "full-actor-world" if "channels" in used else "actor-world"
    best = "plexspaces-actor"
    for world, capabilities in PLATFORM_WORLDS.items():
        if used <= set(capabilities) and len(capabilities) < len(PLATFORM_WORLDS[best]):
            best = world
    return best


def choose_world(used, requested=AUTO):
    """The world to build for: `requested` (checked to cover `used`), or the narrowest that does."""
    if requested in (None, AUTO):
        return narrowest_world(used)
    short = requested
    if short.startswith("plexspaces:platform/"):
        short = short[len("plexspaces:platform/") :].split("@", 1)[0]
    if short in PLATFORM_WORLDS:
        granted, kind = PLATFORM_WORLDS[short], "imports"
    elif short in LEGACY_WORLDS:
        granted, kind = LEGACY_WORLDS[short] + (LOCK_NAMESPACES,), "includes"
    else:
        names = ", ".join([AUTO, *PLATFORM_WORLDS, *LEGACY_WORLDS])
        raise WorldChoiceError(f"unknown world {requested!r} (expected one of {names})")
    if used is not None:
        missing = [c for c in (*CAPABILITIES, LOCK_NAMESPACES) if c in used and c not in granted]
        if missing:
            raise WorldChoiceError(
                f"the actor uses {', '.join(missing)}, which world {short} does not include (it {kind} {' + '.join(granted)}; "
                f"the narrowest world that covers the actor is {narrowest_world(used)})"
            )
    return short
