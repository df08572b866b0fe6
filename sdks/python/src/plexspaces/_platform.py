"""The host functions of `plexspaces.host` on a platform world's imports (wit/platform/).

`plexspaces.host` calls the world through one object whose methods carry
the printed world's names (``ts_write``, ``kv_get``, ``lock_acquire`` with
its six arguments, …). A component built for a platform world imports one
interface per capability instead; this backend forwards each function to
the interface of its capability when the world imports it, and otherwise
answers what a host call outside the world gets from the node — an
``ERROR PLEX_ERR_FORBIDDEN`` text, which `plexspaces.host` raises as
HostCallError — so the actor learns why, not an AttributeError.

Importable in plain CPython: `interfaces` maps capability names to modules
(the component passes the generated ``wit_world.imports`` modules; tests
pass stand-ins).
"""


def _forbidden(world, capability):
    return f"ERROR PLEX_ERR_FORBIDDEN: this actor was built for world {world}, which does not import {capability}"


# name in plexspaces.host's backend → (capability, function of its interface, how the arguments map)
_SAME = None
_ROUTES = {
    "send": ("messaging", "send", _SAME),
    "ask": ("messaging", "ask", _SAME),
    "spawn": ("messaging", "spawn", _SAME),
    "stop": ("messaging", "stop", _SAME),
    "self_id": ("messaging", "self_id", _SAME),
    "link": ("messaging", "link", _SAME),
    "unlink": ("messaging", "unlink", _SAME),
    "monitor": ("messaging", "monitor", _SAME),
    "demonitor": ("messaging", "demonitor", _SAME),
    "send_after": ("workflow", "start_timer", _SAME),
    "send_interval": ("workflow", "start_interval", _SAME),
    "cancel_timer": ("workflow", "cancel_timer", _SAME),
    "kv_get": ("key-value", "get", _SAME),
    "kv_put": ("key-value", "put", _SAME),
    "kv_put_ttl": ("key-value", "put_ttl", _SAME),
    "kv_delete": ("key-value", "remove", _SAME),
    "kv_list": ("key-value", "keys", _SAME),
    "ts_write": ("tuple-space", "write", _SAME),
    "ts_read": ("tuple-space", "read", _SAME),
    "ts_take": ("tuple-space", "take", _SAME),
    "ts_read_all": ("tuple-space", "read_all", _SAME),
    "ts_eval": ("tuple-space", "eval_tuple", _SAME),
    # The printed world names the tenant and namespace; a platform world's locks are the actor's own.
    "lock_acquire": ("locks", "acquire", lambda _tenant, _namespace, holder, name, lease, timeout: (name, holder, lease, timeout)),
    "lock_release": ("locks", "release", lambda lock_id, _tenant, _namespace, holder, version: (lock_id, holder, version)),
    "blob_upload": ("blobs", "upload", _SAME),
    "blob_download": ("blobs", "download", _SAME),
    "channel_send": ("channels", "send", _SAME),
    "channel_receive": ("channels", "receive", _SAME),
    "channel_ack": ("channels", "ack", _SAME),
    "channel_nack": ("channels", "nack", _SAME),
    "pg_join": ("process-groups", "join", lambda group: (group, "[]")),
    "pg_join_topics": ("process-groups", "join", _SAME),
    "pg_leave": ("process-groups", "leave", _SAME),
    "pg_broadcast": ("process-groups", "broadcast", _SAME),
    "pg_publish": ("process-groups", "publish", _SAME),
    "pg_members": ("process-groups", "members", _SAME),
}


class PlatformBackend:
    """`plexspaces.host`'s backend for a component of platform world `world`, whose imported interfaces are `interfaces`."""

    def __init__(self, world, interfaces):
        self.world = world
        self.interfaces = dict(interfaces)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        found = self._resolve(name)
        setattr(self, name, found)
        return found

    def _resolve(self, name):
        if name == "log":
            module = self.interfaces.get("logging")
            # Without logging a line goes nowhere, as in the TypeScript SDK: logging never fails an actor.
            return module.log if module is not None else (lambda _level, _message: None)
        if name == "now_ms":
            module = self.interfaces.get("logging") or self.interfaces.get("durability")
            if module is not None:
                return module.now_ms
            return self._no_clock
        route = _ROUTES.get(name)
        if route is None:
            raise AttributeError(f"the host has no function {name!r}")
        capability, function, arguments = route
        module = self.interfaces.get(capability)
        if module is None:
            refusal = _forbidden(self.world, capability)
            return lambda *_args: refusal
        target = getattr(module, function)
        if arguments is _SAME:
            return target
        return lambda *args: target(*arguments(*args))

    def _no_clock(self):
        from .errors import HostCallError

        raise HostCallError(f"ERROR PLEX_ERR_FORBIDDEN: this actor was built for world {self.world}, which has no clock (logging or durability)")
