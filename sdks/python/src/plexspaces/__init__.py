"""PlexSpaces actors in Python: decorators, declared state and the host's functions.

    from plexspaces import actor, state, handler

    @actor
    class Counter:
        count: int = state(default=0)

        @handler("increment")
        def increment(self, amount: int = 1) -> dict:
            self.count += amount
            return {"count": self.count}

Build it into a WebAssembly component with ``plexspaces-py build
counter.py -o counter.wasm`` (or ``npx plexspaces build counter.py``).
"""

from . import host
from .decorators import (
    KNOWN_FACETS,
    actor,
    gen_server_actor,
    handler,
    info_handler,
    init_handler,
    query_handler,
    run_handler,
    signal_handler,
    workflow_actor,
)
from .errors import HostCallError, HostUnavailableError, PayloadError, PlexSpacesError
from .state import state

__all__ = [
    "actor",
    "gen_server_actor",
    "workflow_actor",
    "state",
    "handler",
    "init_handler",
    "info_handler",
    "run_handler",
    "signal_handler",
    "query_handler",
    "host",
    "HostCallError",
    "HostUnavailableError",
    "PayloadError",
    "PlexSpacesError",
    "KNOWN_FACETS",
]
