"""The second article's pool worker, in Python: one shard of a worker pool.

The article's Rust worker handles "set", "get_total_count" and "stats"
behind one wildcard handler that reads the payload's "action". Here each is
a handler of its own, and the client's parallel_map names it from the same
"action" field. The pool's own protocol is "bulk-update" (a batch of the
entries whose keys this shard owns), and "keys"/"extract", which let the
pool move keys when it is scaled.
"""
import time

from plexspaces import actor, handler, state


@actor
class PoolWorker:
    values: dict = state(default_factory=dict)
    tasks_processed: int = state(default=0)
    total_processing_time_ms: float = state(default=0.0)

    @handler("bulk-update")
    def bulk_update(self, entries: list) -> dict:
        started = time.perf_counter()
        for key, update in entries:
            # The article's update is {"action": "set", "key": k, "value": v}; a bare value is set as it is.
            value = update.get("value") if isinstance(update, dict) else update
            self.values[str(key)] = value
            self.tasks_processed += 1
        self.total_processing_time_ms += (time.perf_counter() - started) * 1000
        return {"applied": len(entries)}

    @handler("get_total_count")
    def get_total_count(self) -> dict:
        total = sum(v for v in self.values.values() if isinstance(v, (int, float)) and not isinstance(v, bool))
        return {"total": total, "keys_processed": len(self.values)}

    @handler("stats")
    def stats(self) -> dict:
        average = self.total_processing_time_ms / self.tasks_processed if self.tasks_processed else 0
        return {
            "tasks_processed": self.tasks_processed,
            "avg_processing_time_ms": average,
            "keys_in_state": len(self.values),
        }

    @handler("keys")
    def keys(self) -> list:
        return list(self.values)

    @handler("extract")
    def extract(self, keys: list) -> dict:
        entries = [[k, self.values.pop(str(k))] for k in keys if str(k) in self.values]
        return {"entries": entries}
