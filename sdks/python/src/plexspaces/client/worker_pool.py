"""Shard groups under the article's names: worker pools with parallel update, map and reduce."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Optional, Union

import grpc

from ._stubs import stubs
from .errors import PlexError, from_rpc_error

# Entries per BulkUpdate call: 10,000 updates are two round trips, each well under gRPC's 4 MiB cap.
UPDATE_BATCH = 5000
PARTITIONS = {"consistent-hash": "consistent-hash", "hash": "hash", "PartitionStrategyHash": "hash"}
CONSISTENCY = {"all": "all", "eventual": "eventual", "ConsistencyLevelEventual": "eventual", "ConsistencyLevelAll": "all"}


@dataclass
class ShardResult:
    shard: int
    status: str  # ok | error | timeout
    latency_ms: float
    value: Any = None
    error_code: str = ""
    error_message: str = ""
    node: str = ""


@dataclass
class Gathered:
    """What a scatter-gather answered: ``value`` (the aggregate), every shard's ``results``, and whether enough shards answered."""

    value: Any
    results: list = field(default_factory=list)
    satisfied: bool = True

    @property
    def values(self) -> list:
        """The answers of the shards that answered, in shard order."""
        return [r.value for r in sorted(self.results, key=lambda r: r.shard) if r.status == "ok"]


def _result(message) -> ShardResult:
    return ShardResult(
        shard=message.shard,
        status=message.status,
        latency_ms=message.latency_ms,
        value=json.loads(message.value_json) if message.value_json else None,
        error_code=message.error_code,
        error_message=message.error_message,
        node=message.node,
    )


class WorkerPools:
    """The client's shard groups (``client.create_worker_pool`` and friends delegate here)."""

    def __init__(self, client):
        self._client = client
        self._stub = stubs().sg_grpc.ShardGroupStub(client._channel)

    def _ref(self, pool_id: str):
        return stubs().sg.GroupRef(tenant=self._client.tenant, namespace=self._client.namespace, id=pool_id)

    def _call(self, method: str, request):
        try:
            return getattr(self._stub, method)(request, metadata=self._client._metadata)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    def create(self, pool_id: str, actor_type: str, workers: int, partition: str = "consistent-hash", config: Optional[Mapping[str, Any]] = None) -> str:
        """A pool of ``workers`` shards of the application ``actor_type``; ``config`` goes to every shard's init."""
        if partition not in PARTITIONS:
            raise PlexError("PLEX_ERR_INVALID_ARGUMENT", f"partition must be one of {', '.join(PARTITIONS)}, got {partition!r}")
        request = stubs().sg.CreateGroupRequest(group=self._ref(pool_id), application_id=actor_type, shards=workers, partition=PARTITIONS[partition], config=json.dumps(dict(config or {})))
        return self._call("Create", request).id

    def delete(self, pool_id: str) -> None:
        self._call("Delete", stubs().sg.DeleteGroupRequest(group=self._ref(pool_id)))

    def list(self) -> list:
        response = self._call("List", stubs().sg.ListGroupsRequest(tenant=self._client.tenant, namespace=self._client.namespace))
        return [{"id": g.id, "workers": g.shards, "partition": g.partition, "rebalancing": g.rebalancing, "nodes": list(g.nodes)} for g in response.groups]

    def update(self, pool_id: str, updates: Union[Mapping[Any, Any], Iterable[tuple]], consistency: str = "all") -> dict:
        """Routes each (key, value) to the shard that owns the key, ``UPDATE_BATCH`` entries per call."""
        if consistency not in CONSISTENCY:
            raise PlexError("PLEX_ERR_INVALID_ARGUMENT", f"consistency must be one of {', '.join(CONSISTENCY)}, got {consistency!r}")
        items = updates.items() if isinstance(updates, Mapping) else updates
        sg = stubs().sg
        total = 0
        results: list = []
        batch: list = []

        def send() -> None:
            nonlocal total
            response = self._call("BulkUpdate", sg.BulkUpdateRequest(group=self._ref(pool_id), entries=batch, consistency=CONSISTENCY[consistency]))
            total += response.entries
            results.extend(_result(r) for r in response.shards)

        for key, value in items:
            if not isinstance(key, (str, int, float)) or isinstance(key, bool):
                raise PlexError("PLEX_ERR_INVALID_ARGUMENT", f"a key is a string or a number, got {key!r}")
            batch.append(sg.KeyValue(key_json=json.dumps(key), value_json=json.dumps(value)))
            if len(batch) == UPDATE_BATCH:
                send()
                batch = []
        if batch:
            send()
        failed = [r for r in results if r.status != "ok"]
        return {"entries": total, "calls": -(-total // UPDATE_BATCH) if total else 0, "failed": failed}

    def _gather_request(self, pool_id: str, payload: Any, message_type: Optional[str], **fields):
        if message_type is None:
            # The article's workers dispatch on the payload's "action"; here the message type names the handler.
            if isinstance(payload, Mapping) and isinstance(payload.get("action"), str):
                message_type = payload["action"]
            else:
                raise PlexError("PLEX_ERR_INVALID_ARGUMENT", "give message_type, or a payload with an \"action\" naming the handler")
        return stubs().sg.GatherRequest(group=self._ref(pool_id), message_type=message_type, payload_json=json.dumps(payload), **fields)

    def map(self, pool_id: str, payload: Any, message_type: Optional[str] = None, aggregate: str = "concat", min_responses: int = 0, deadline_ms: int = 0) -> Gathered:
        """Sends ``payload`` to every shard and collects the answers (``Gathered.values``, one per shard)."""
        response = self._call("Map", self._gather_request(pool_id, payload, message_type, aggregate=aggregate, min_responses=min_responses, deadline_ms=deadline_ms))
        return Gathered(json.loads(response.value_json) if response.value_json else None, [_result(r) for r in response.shards], response.satisfied)

    def reduce(self, pool_id: str, payload: Any, strategy: str = "concat", min_responses: int = 0, message_type: Optional[str] = None, path: str = "", deadline_ms: int = 0) -> Gathered:
        """Every shard's answer combined: ``concat``/``merge``/``first``/``majority`` as a gather, ``sum``/``min``/``max``/``product``/``and``/``or`` (of ``path`` in each answer) as a reduction."""
        strategy = {"ShardGroupAggregationConcat": "concat", "ShardGroupAggregationMerge": "merge", "ShardGroupAggregationSum": "sum"}.get(strategy, strategy)
        if strategy in ("concat", "merge", "first", "majority"):
            return self.map(pool_id, payload, message_type, aggregate=strategy, min_responses=min_responses, deadline_ms=deadline_ms)
        response = self._call("Reduce", self._gather_request(pool_id, payload, message_type, op=strategy, path=path, min_responses=min_responses, deadline_ms=deadline_ms))
        return Gathered(json.loads(response.value_json) if response.value_json else None, [_result(r) for r in response.shards], response.satisfied)

    def stream(self, pool_id: str, payload: Any, message_type: Optional[str] = None, deadline_ms: int = 0) -> Iterator[ShardResult]:
        """The shards' answers as they arrive (completion order), not all at the end."""
        call = self._stub.ScatterGather(self._gather_request(pool_id, payload, message_type, deadline_ms=deadline_ms), metadata=self._client._metadata)
        try:
            for message in call:
                yield _result(message)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        finally:
            call.cancel()

    def scale(self, pool_id: str, workers: int) -> dict:
        response = self._call("Scale", stubs().sg.ScaleRequest(group=self._ref(pool_id), shards=workers))
        return {"from": getattr(response, "from"), "to": response.to, "keys": int(response.keys), "moved": int(response.moved), "elapsed_ms": response.elapsed_ms}
