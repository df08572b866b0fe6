"""Drives a node through the Python client (sdks/python, plexspaces.client); run by python-client.test.ts.

argv: the node's gRPC address, the pool worker's .wasm. Prints one JSON object of what it saw;
the test compares it with what the node must have done.
"""
import json
import sys
import threading
import time

from plexspaces.client import ANY, Int64, PlexClient, PlexError, Prefix, Range, Type

address, worker_wasm = sys.argv[1], sys.argv[2]
seen = {}


def code_of(call):
    try:
        call()
    except PlexError as error:
        return error.code
    except ValueError as error:
        return f"ValueError: {error}"
    return "no error"


with PlexClient(address, tenant="pyclient", namespace="lab") as client:
    seen["health"] = client.health()
    jobs = client.space("jobs")

    # Bulk writes are batched (2000 tuples per call), and the space holds every tuple once.
    seen["written"] = jobs.write_all(("job", i, {"weight": i % 7, "tags": ["a", None], "blob": b"\x00\x01"}) for i in range(5000))
    seen["count"] = jobs.count(("job", ANY, ANY))
    seen["selective"] = jobs.count(("job", Range(gte=100, lt=200), ANY))
    seen["first"] = list(jobs.try_take(("job", Type("number"), ANY)))
    client.space("ints").write(("big", Int64(2**62 + 1)))
    big = client.space("ints").take(("big", ANY))
    seen["int64"] = [big[0], str(big[1]), type(big[1]).__name__]  # as text: JSON numbers stop at 2**53

    # A blocking take waits for a write made later by another client.
    def later():
        time.sleep(0.3)
        with PlexClient(address, tenant="pyclient", namespace="lab") as other:
            other.space("jobs").write(("result", "late", 42))

    threading.Thread(target=later).start()
    started = time.time()
    seen["blocking_take"] = list(jobs.take(("result", Prefix("la"), ANY), timeout_ms=10_000))
    seen["blocking_waited"] = time.time() - started >= 0.25
    seen["timeout"] = jobs.take(("never",), timeout_ms=200)

    # Watch: events for matching tuples as they happen.
    events = []
    watching = threading.Event()

    def watch():
        stream = jobs.watch(("watched", ANY))
        watching.set()
        for event in stream:
            events.append([event.type, list(event.tuple)])
            if len(events) == 2:
                stream.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    watching.wait()
    time.sleep(0.3)  # the watch is registered once the node has the call
    jobs.write(("watched", 1))
    jobs.write(("unwatched", 2))
    jobs.take(("watched", 1))
    watcher.join(10)
    seen["watch"] = events

    # Crash-safe take: a nack brings the tuple back, counted as a second delivery.
    delivery = jobs.take_with_ack(("job", 4999, ANY), lease_ms=5000)
    delivery.nack()
    again = jobs.take_with_ack(("job", 4999, ANY))
    seen["deliveries"] = [delivery.deliveries, again.deliveries]
    again.ack()
    seen["after_ack"] = jobs.count(("job", 4999, ANY))

    # Bad input: a clear error, nothing written.
    before = jobs.count((ANY, ANY, ANY))
    seen["errors"] = {
        "empty_tuple": code_of(lambda: jobs.write(())),
        "nan": code_of(lambda: jobs.write(("x", float("nan")))),
        "bad_space": code_of(lambda: client.space("../other").write(("x",))),
        "bad_type": code_of(lambda: jobs.count((Type("colour"),))),
        "unknown_pool": code_of(lambda: client.parallel_map("no-such-pool", {"action": "stats"})),
        "no_action": code_of(lambda: client.parallel_map("no-such-pool", {"value": 1})),
        "unknown_app": code_of(lambda: client.create_worker_pool("p", "no-such-app", 2)),
        "unknown_actor": code_of(lambda: client.ask("nobody", "ping")),
    }
    seen["unchanged"] = jobs.count((ANY, ANY, ANY)) == before

    # The article's worker pool: 20 workers, 10,000 keyed updates, then map and reduce.
    with open(worker_wasm, "rb") as f:
        seen["deploy"] = client.deploy("worker", f.read())["kind"]
    pool = client.create_worker_pool("worker-pool-1", "worker", 20, partition="hash")
    updates = {f"key-{i:05}": {"action": "set", "key": f"key-{i:05}", "value": i} for i in range(10_000)}
    update = client.parallel_update(pool, updates, consistency="eventual")
    seen["update"] = {"entries": update["entries"], "calls": update["calls"], "failed": len(update["failed"])}
    totals = client.parallel_map(pool, {"action": "get_total_count"})
    seen["map"] = {
        "answers": len(totals.values),
        "total": sum(t["total"] for t in totals.values),
        "keys": sum(t["keys_processed"] for t in totals.values),
        "every_worker_has_keys": all(t["keys_processed"] > 0 for t in totals.values),
    }
    stats = client.parallel_reduce(pool, {"action": "stats"}, strategy="concat")
    seen["reduce_concat"] = len(stats.value)
    seen["reduce_sum"] = client.parallel_reduce(pool, {}, strategy="sum", message_type="stats", path="keys_in_state").value
    seen["stream"] = sorted(r.shard for r in client.parallel_stream(pool, {"action": "stats"}))
    scaled = client.pools.scale(pool, 24)
    seen["scale"] = {"to": scaled["to"], "keys": scaled["keys"]}
    seen["after_scale"] = client.parallel_reduce(pool, {}, strategy="sum", message_type="get_total_count", path="total").value
    seen["pools"] = [p["id"] for p in client.pools.list()]
    client.delete_worker_pool(pool)
    seen["deleted"] = client.pools.list()

print(json.dumps(seen, default=lambda value: value.hex() if isinstance(value, bytes) else str(value)))
