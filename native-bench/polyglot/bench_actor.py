"""The polyglot benchmark's actor in Python (README.md): ping and spin."""
from plexspaces import actor, handler


@actor
class BenchActor:
    @handler("ping")
    def ping(self) -> dict:
        return {"pong": True}

    @handler("spin")
    def spin(self, n: int) -> dict:
        acc = 1.0
        for i in range(n):
            v = (i % 7) + 1.0
            r = i % 4
            if r == 0:
                acc = acc + v
            elif r == 1:
                acc = acc - v * 0.5
            elif r == 2:
                acc = acc * 1.0000001
            else:
                acc = acc / 1.0000002
        return {"result": int(acc * 1e6)}
