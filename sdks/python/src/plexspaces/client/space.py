"""One named tuple space of a tenant and namespace, over gRPC."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional, Sequence

import grpc

from ._stubs import stubs
from .errors import from_rpc_error
from .tuples import from_tuple, to_template, to_tuple

# Tuples per WriteAll call: big batches are one round trip each, yet far under gRPC's 4 MiB message cap.
WRITE_BATCH = 2000


@dataclass
class Delivery:
    """A tuple taken with ``take_with_ack``: held under a lease until ``ack`` (gone) or ``nack`` (back for the next taker)."""

    tuple: tuple
    delivery_id: str
    deliveries: int
    lease_expires_at_ms: int
    _space: "Space"

    def ack(self) -> None:
        self._space._settle("Ack", self.delivery_id)

    def nack(self) -> None:
        self._space._settle("Nack", self.delivery_id)


@dataclass
class WatchEvent:
    type: str  # write | take | expire | overflow
    tuple: Optional[tuple]
    dropped: int = 0


class Space:
    def __init__(self, client, name: str):
        self._client = client
        self.name = name
        self._stub = stubs().ts_grpc.TupleSpaceStub(client._channel)
        self._ref = stubs().ts.SpaceRef(tenant=client.tenant, namespace=client.namespace, space=name)

    def __repr__(self) -> str:
        return f"Space({self._client.tenant}/{self._client.namespace}/{self.name})"

    def _call(self, method: str, request, timeout: Optional[float] = None):
        try:
            return getattr(self._stub, method)(request, metadata=self._client._metadata, timeout=timeout)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    def write(self, values: Sequence[Any], ttl_ms: int = 0) -> None:
        """Writes one tuple; with ``ttl_ms`` it expires that long after the write."""
        self._call("Write", stubs().ts.WriteRequest(space=self._ref, tuple=to_tuple(values), ttl_ms=ttl_ms))

    def write_all(self, tuples: Iterable[Sequence[Any]]) -> int:
        """Writes many tuples, ``WRITE_BATCH`` per call; each call's batch is atomic. Returns how many were written."""
        written = 0
        batch = []
        for values in tuples:
            batch.append(to_tuple(values))
            if len(batch) == WRITE_BATCH:
                written += self._call("WriteAll", stubs().ts.WriteAllRequest(space=self._ref, tuples=batch)).written
                batch = []
        if batch:
            written += self._call("WriteAll", stubs().ts.WriteAllRequest(space=self._ref, tuples=batch)).written
        return written

    def _one(self, method: str, template, timeout_ms: int):
        request = stubs().ts.ReadRequest(space=self._ref, template=to_template(template), timeout_ms=timeout_ms)
        # The RPC's own deadline leaves the node time to answer "nothing in time" itself.
        response = self._call(method, request, timeout=None if timeout_ms == 0 else timeout_ms / 1000 + 30)
        return from_tuple(response.tuple) if response.HasField("tuple") else None

    def read(self, template: Sequence[Any], timeout_ms: int = 0) -> Optional[tuple]:
        """The oldest match, left in the space; waits up to ``timeout_ms`` (≤ 5 min) for one. ``None``: nothing in time."""
        return self._one("Read", template, timeout_ms)

    def take(self, template: Sequence[Any], timeout_ms: int = 0) -> Optional[tuple]:
        """Removes and returns the oldest match; waits up to ``timeout_ms`` (≤ 5 min). ``None``: nothing in time."""
        return self._one("Take", template, timeout_ms)

    def try_read(self, template: Sequence[Any]) -> Optional[tuple]:
        return self._one("TryRead", template, 0)

    def try_take(self, template: Sequence[Any]) -> Optional[tuple]:
        return self._one("TryTake", template, 0)

    def read_all(self, template: Sequence[Any], limit: int = 0) -> list:
        response = self._call("ReadAll", stubs().ts.ReadAllRequest(space=self._ref, template=to_template(template), limit=limit))
        return [from_tuple(t) for t in response.tuples]

    def take_all(self, template: Sequence[Any], limit: int = 0) -> list:
        response = self._call("TakeAll", stubs().ts.ReadAllRequest(space=self._ref, template=to_template(template), limit=limit))
        return [from_tuple(t) for t in response.tuples]

    def count(self, template: Sequence[Any]) -> int:
        return int(self._call("Count", stubs().ts.ReadRequest(space=self._ref, template=to_template(template))).count)

    def take_with_ack(self, template: Sequence[Any], timeout_ms: int = 0, lease_ms: int = 0) -> Optional[Delivery]:
        """A crash-safe take: the tuple is held until ``ack``; ``nack``, the lease's end or this client's death returns it."""
        request = stubs().ts.TakeWithAckRequest(space=self._ref, template=to_template(template), timeout_ms=timeout_ms, lease_ms=lease_ms)
        response = self._call("TakeWithAck", request, timeout=None if timeout_ms == 0 else timeout_ms / 1000 + 30)
        if not response.HasField("tuple"):
            return None
        return Delivery(from_tuple(response.tuple), response.delivery_id, response.deliveries, response.lease_expires_at, self)

    def _settle(self, method: str, delivery_id: str) -> None:
        self._call(method, stubs().ts.SettleRequest(space=self._ref, delivery_id=delivery_id))

    def watch(self, template: Sequence[Any]) -> Iterator[WatchEvent]:
        """Events for tuples matching ``template`` as they happen, until the iterator is closed (``close()`` or leaving a ``for``)."""
        call = self._stub.Watch(stubs().ts.ReadRequest(space=self._ref, template=to_template(template)), metadata=self._client._metadata)
        try:
            for event in call:
                yield WatchEvent(event.type, from_tuple(event.tuple) if event.HasField("tuple") else None, int(event.dropped))
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.CANCELLED:
                raise from_rpc_error(error) from None
        finally:
            call.cancel()
