"""The component's side of the SDK: imported by the module `plexspaces-py build` generates, never in plain CPython.

componentize-py runs that module at build time and snapshots the
interpreter, so everything imported here (and by the actor module) is in
the component. The component has no file system at run time: a module
imported for the first time inside a handler is not found.
"""

# Standard-library modules that other stdlib code imports lazily, on first use: without a file
# system at run time that import would fail inside a handler (datetime.strptime needs _strptime,
# host names need the idna codec). Imported here, they are in the snapshot.
import _strptime  # noqa: F401
import encodings.idna  # noqa: F401

import importlib

from wit_world import exports as _exports

from . import host as _sdk_host
from ._platform import PlatformBackend
from .dispatch import ActorRuntime
from .loader import load_module, pick_actor
from .worlds import PLATFORM_WORLDS


class _PrintedWorldBackend:
    """The printed world's imports as one object: `host` first, then `coordination` (full-actor-world)."""

    def __init__(self):
        self._host = importlib.import_module("wit_world.imports.host")
        try:
            self._coordination = importlib.import_module("wit_world.imports.coordination")
        except ImportError:  # built for actor-world: the host interface only
            self._coordination = None

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        found = getattr(self._host, name, None)
        if found is None and self._coordination is not None:
            found = getattr(self._coordination, name)
        if found is None:
            found = _absent(name)
        setattr(self, name, found)
        return found


def _absent(name):
    if name == "ts_eval":
        message = "ERROR PLEX_ERR_USAGE: ts-eval is in the platform's tuple-space interface, which the printed worlds do not have: build for a platform world"
    else:
        message = f"ERROR PLEX_ERR_USAGE: {name.replace('_', '-')} is in the coordination interface, which a component built for actor-world does not import: build for full-actor-world"

    def call(*_args):
        return message

    return call


def _backend(world):
    if world not in PLATFORM_WORLDS:
        return _PrintedWorldBackend()
    # wit_world.imports has a module per interface the world imports (tuple-space → tuple_space).
    interfaces = {c: importlib.import_module(f"wit_world.imports.{c.replace('-', '_')}") for c in PLATFORM_WORLDS[world]}
    return PlatformBackend(world, interfaces)


def actor_export(source, filename, module_name, actor_name=None, world="full-actor-world"):
    """The `Actor` class componentize-py exports for the world's `actor` interface."""
    _sdk_host.use_backend(_backend(world))
    module = load_module(source, filename, module_name)
    runtime = ActorRuntime(pick_actor(module, actor_name))

    class Actor(_exports.Actor):
        def init(self, config_json):
            return runtime.init(config_json)

        def handle(self, from_actor, msg_type, payload_json):
            return runtime.handle(from_actor, msg_type, payload_json)

        def get_state(self):
            return runtime.get_state()

        def set_state(self, state_json):
            return runtime.set_state(state_json)

    return Actor
