"""The PlexSpaces client for Python: a node's tuple spaces, actors, applications and worker pools over gRPC."""
from __future__ import annotations

import json
from typing import Any, Iterable, Iterator, Mapping, Optional, Union

import grpc

from ._stubs import stubs
from .errors import from_rpc_error
from .space import Space
from .worker_pool import Gathered, ShardResult, WorkerPools


class PlexClient:
    """Talks to one node (any node of a cluster serves the whole platform).

    ``address`` is the node's gRPC address (``127.0.0.1:8000`` by default);
    ``tenant`` and ``namespace`` scope every call; ``token`` is a JWT when the
    node has auth on. Use it as a context manager, or call ``close()``.
    """

    def __init__(self, address: str = "127.0.0.1:8000", tenant: str = "default", namespace: str = "default", token: Optional[str] = None):
        self.address = address
        self.tenant = tenant
        self.namespace = namespace
        options = [("grpc.max_receive_message_length", 64 * 2**20), ("grpc.max_send_message_length", 64 * 2**20)]
        self._channel = grpc.insecure_channel(address, options=options)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        s = stubs()
        self._actors = s.actor_grpc.ActorStub(self._channel)
        self._applications = s.actor_grpc.ApplicationStub(self._channel)
        self._node = s.node_grpc.NodeStub(self._channel)
        self.pools = WorkerPools(self)

    def __enter__(self) -> "PlexClient":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def _call(self, stub, method: str, request, timeout: Optional[float] = None):
        try:
            return getattr(stub, method)(request, metadata=self._metadata, timeout=timeout)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    # ── the node ───────────────────────────────────────────────────────────

    def health(self) -> str:
        return self._call(self._node, "Health", stubs().node.HealthRequest()).status

    def info(self) -> dict:
        r = self._call(self._node, "Info", stubs().node.InfoRequest())
        return {"version": r.version, "started_at": r.started_at, "durable": r.durable, "workers": r.workers, "actors": r.actors}

    def nodes(self) -> list:
        r = self._call(self._node, "Nodes", stubs().node.NodesRequest())
        return [{"id": n.id, "grpc": n.grpc_address, "http": n.http_address, "workers": n.workers, "labels": dict(n.labels)} for n in r.nodes]

    # ── tuple spaces ───────────────────────────────────────────────────────

    def space(self, name: str = "default") -> Space:
        """A named tuple space of this client's tenant and namespace."""
        return Space(self, name)

    # ── applications and actors ────────────────────────────────────────────

    def deploy(self, application_id: str, wasm: bytes, name: str = "", version: str = "1", durable: Optional[bool] = None) -> dict:
        """Deploys one module as an application; its actors are activated by id on first use."""
        request = stubs().actor.DeployRequest(tenant=self.tenant, application_id=application_id, name=name or application_id, version=version, wasm=wasm)
        if durable is not None:
            request.durable = durable
        return _application(self._call(self._applications, "Deploy", request))

    def deploy_bundle(self, application_id: str, manifest: str, modules: Mapping[str, bytes]) -> dict:
        """Deploys an application bundle: ``manifest`` (app-config.toml text) and the module files it names."""
        request = stubs().actor.DeployRequest(tenant=self.tenant, application_id=application_id, manifest=manifest, modules=dict(modules), namespace=self.namespace)
        return _application(self._call(self._applications, "Deploy", request))

    def undeploy(self, application_id: str) -> bool:
        return self._call(self._applications, "Undeploy", stubs().actor.UndeployRequest(tenant=self.tenant, application_id=application_id)).removed

    def applications(self) -> list:
        return [_application(a) for a in self._call(self._applications, "List", stubs().actor.ListApplicationsRequest(tenant=self.tenant)).applications]

    def _actor_request(self, actor_id: str, message_type: str, payload: Any, application_id: str, timeout_ms: int):
        ref = stubs().actor.ActorRef(tenant=self.tenant, namespace=self.namespace, id=actor_id)
        return stubs().actor.AskRequest(actor=ref, message_type=message_type, payload_json=json.dumps(payload), application_id=application_id, timeout_ms=timeout_ms)

    def ask(self, actor_id: str, message_type: str, payload: Any = None, application_id: str = "", timeout_ms: int = 0) -> Any:
        """Sends a message and returns the actor's reply (parsed JSON; text that is not JSON comes back as a string)."""
        request = self._actor_request(actor_id, message_type, {} if payload is None else payload, application_id, timeout_ms)
        reply = self._call(self._actors, "Ask", request).reply_json
        try:
            return json.loads(reply) if reply else None
        except ValueError:
            return reply

    def tell(self, actor_id: str, message_type: str, payload: Any = None, application_id: str = "") -> None:
        """Sends a message without waiting for its handling."""
        self._call(self._actors, "Tell", self._actor_request(actor_id, message_type, {} if payload is None else payload, application_id, 0))

    def actors(self) -> list:
        return list(self._call(self._actors, "List", stubs().actor.ListActorsRequest(tenant=self.tenant, namespace=self.namespace)).ids)

    def stop(self, actor_id: str) -> None:
        ref = stubs().actor.ActorRef(tenant=self.tenant, namespace=self.namespace, id=actor_id)
        self._call(self._actors, "Stop", stubs().actor.StopRequest(actor=ref))

    # ── worker pools: the article's names for shard groups ─────────────────

    def create_worker_pool(self, pool_id: str, actor_type: str, workers: int, partition: str = "consistent-hash", config: Optional[Mapping[str, Any]] = None) -> str:
        """A pool of ``workers`` actors of the application ``actor_type``, each owning a partition of the keys."""
        return self.pools.create(pool_id, actor_type, workers, partition, config)

    def parallel_update(self, pool_id: str, updates: Union[Mapping[Any, Any], Iterable[tuple]], consistency: str = "all") -> dict:
        """Routes every (key, value) to the worker that owns the key, in batches (not one round trip per key)."""
        return self.pools.update(pool_id, updates, consistency)

    def parallel_map(self, pool_id: str, payload: Any, message_type: Optional[str] = None, min_responses: int = 0, deadline_ms: int = 0) -> Gathered:
        """The same message to every worker; ``.values`` holds one answer per worker."""
        return self.pools.map(pool_id, payload, message_type, min_responses=min_responses, deadline_ms=deadline_ms)

    def parallel_reduce(self, pool_id: str, payload: Any, strategy: str = "concat", min_responses: int = 0, message_type: Optional[str] = None, path: str = "") -> Gathered:
        """Every worker's answer combined by ``strategy`` (concat, merge, sum of ``path``, …)."""
        return self.pools.reduce(pool_id, payload, strategy, min_responses, message_type, path)

    def parallel_stream(self, pool_id: str, payload: Any, message_type: Optional[str] = None) -> Iterator[ShardResult]:
        """The workers' answers in the order they finish."""
        return self.pools.stream(pool_id, payload, message_type)

    def delete_worker_pool(self, pool_id: str) -> None:
        self.pools.delete(pool_id)


def _application(info) -> dict:
    return {"application_id": info.application_id, "name": info.name, "version": info.version, "kind": info.kind, "actors": list(info.actors), "durable": info.durable, "bytes": int(info.bytes)}
