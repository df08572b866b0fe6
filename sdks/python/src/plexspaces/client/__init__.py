"""The PlexSpaces client for Python, over gRPC (``proto/plexspaces/v1``).

    from plexspaces.client import PlexClient, ANY

    with PlexClient("127.0.0.1:8000", tenant="lab") as client:
        jobs = client.space("jobs")
        jobs.write_all(("job", i) for i in range(1000))      # batched, not one call per tuple
        job = jobs.take(("job", ANY), timeout_ms=5000)          # blocks until a match or the timeout
        pool = client.create_worker_pool("pool-1", "kv", 20)
        client.parallel_update(pool, {f"key-{i:05}": i for i in range(10_000)})
        totals = client.parallel_map(pool, {"action": "stats"}).values

Needs grpcio and grpcio-tools (``pip install 'plexspaces[client]'``; Debian
python3-grpcio python3-grpc-tools). Actors written with this package do not
need them: the client is imported only from here.
"""
from .client import PlexClient
from .errors import PlexError
from .local_node import LocalNode, start_node
from .space import Delivery, Space, WatchEvent
from .tuples import ANY, Eq, Int64, OneOf, Prefix, Range, Type
from .worker_pool import Gathered, ShardResult

__all__ = [
    "PlexClient",
    "PlexError",
    "LocalNode",
    "start_node",
    "Space",
    "Delivery",
    "WatchEvent",
    "ANY",
    "Eq",
    "Int64",
    "OneOf",
    "Prefix",
    "Range",
    "Type",
    "Gathered",
    "ShardResult",
]
