"""Loads an actor module the way the build does, in a component or in plain CPython.

The module runs with a prelude: the SDK's public names (``actor``,
``state``, ``handler``, ``host``, …) and ``json`` are already defined, so
the articles' snippets that use them without importing them (the payment
processor's ``json.dumps``, the leader election, which imports nothing) run
unchanged. A module's own imports take precedence.
"""

import json
import sys
import types

from .decorators import spec_of


class ActorModuleError(Exception):
    """The module defines no actor, several without a choice, or not the one asked for."""


def prelude():
    import plexspaces  # the package itself: every public name

    names = {name: getattr(plexspaces, name) for name in plexspaces.__all__}
    names["json"] = json
    return names


def load_module(source, filename, module_name):
    """Runs the module's source with the prelude and registers it in sys.modules."""
    module = types.ModuleType(module_name)
    module.__file__ = filename
    module.__dict__.update(prelude())
    sys.modules[module_name] = module
    try:
        exec(compile(source, filename, "exec"), module.__dict__)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def actors_of(module):
    """The actor classes the module itself defines, in the order they appear."""
    found = []
    for value in vars(module).values():
        spec = spec_of(value)
        if spec is not None and value.__module__ == module.__name__ and spec not in found:
            found.append(spec)
    return found


def pick_actor(module, actor_name=None):
    """The module's actor: the one named, or its only one."""
    specs = actors_of(module)
    names = ", ".join(s.name for s in specs)
    if actor_name is not None:
        for spec in specs:
            if spec.name == actor_name:
                return spec
        raise ActorModuleError(f"{module.__file__} defines no actor class {actor_name!r} (its actors: {names or 'none'})")
    if not specs:
        raise ActorModuleError(f"{module.__file__} defines no actor: decorate a class with @actor, @gen_server_actor or @workflow_actor")
    if len(specs) > 1:
        raise ActorModuleError(f"{module.__file__} defines several actors ({names}): choose one with --actor NAME")
    return specs[0]
