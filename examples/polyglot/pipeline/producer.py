"""The pipeline's first stage, in Python: writes orders into the tuple space.

Each order is a tuple ("order", id, sku, quantity, unit_cents). Once a batch
is written the producer tells the transform stage (Rust) how many there are;
the stages after it run on their own from there.
"""
from plexspaces import actor, handler, host, state
import json

# A fixed catalogue, so that the totals the report prints can be checked by hand.
CATALOGUE = [("book", 1250), ("lamp", 4999), ("pen", 199)]


@actor
class Producer:
    produced: int = state(default=0)

    @handler("produce")
    def produce(self, orders: int) -> dict:
        if not isinstance(orders, int) or orders < 1 or orders > 10000:
            return {"error": "orders must be an integer in 1..10000"}
        first = self.produced + 1
        for n in range(first, first + orders):
            sku, unit_cents = CATALOGUE[n % len(CATALOGUE)]
            quantity = 1 + n % 4
            host.ts_write(json.dumps(["order", f"O-{n}", sku, quantity, unit_cents]))
        self.produced += orders
        host.tell("transform", "orders", {"count": orders})
        return {"written": orders, "produced": self.produced}

    @handler("stats")
    def stats(self) -> dict:
        return {"produced": self.produced}
