"""A recording stand-in for the world's imports, for tests in plain CPython."""

import json


class FakeWorld:
    def __init__(self, actor_id="default/default/test"):
        self.actor_id = actor_id
        self.calls = []
        self.answers = {}
        self.tuples = []
        self.kv = {}

    def answer(self, name, value):
        self.answers[name] = value

    def __getattr__(self, name):
        def call(*args):
            self.calls.append((name, args))
            if name in self.answers:
                return self.answers[name]
            return self._default(name, args)

        return call

    def _default(self, name, args):
        if name == "self_id":
            return self.actor_id
        if name == "ts_write":
            self.tuples.append(json.loads(args[0]))
            return "ok"
        if name == "ts_take":
            pattern = json.loads(args[0])
            for t in self.tuples:
                if len(t) == len(pattern) and all(p is None or p == v for p, v in zip(pattern, t)):
                    self.tuples.remove(t)
                    return json.dumps(t)
            return ""
        if name == "kv_put":
            self.kv[args[0]] = args[1]
            return "ok"
        if name == "kv_get":
            return self.kv.get(args[0], "")
        if name == "lock_acquire":
            return json.dumps({"lock_id": args[3], "version": "7"})
        return "ok"
