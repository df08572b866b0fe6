import json
import unittest

from plexspaces import actor, gen_server_actor, handler, info_handler, init_handler, query_handler, run_handler, signal_handler, state, workflow_actor
from plexspaces.decorators import spec_of
from plexspaces.dispatch import ActorRuntime


def runtime(cls):
    rt = ActorRuntime(spec_of(cls))
    assert rt.init("{}") == '{"ok": true}'
    return rt


def ask(rt, msg_type, payload=None, sender="caller"):
    return json.loads(rt.handle(sender, msg_type, json.dumps({} if payload is None else payload)))


@actor(facets=["durability"])
class Account:
    balance: int = state(default=0)
    log: list = state(default_factory=list)
    note: str = state()

    @init_handler
    def setup(self, config: dict):
        self.balance = config.get("opening", 0)

    @handler("deposit", "credit")
    def deposit(self, amount: int = 0) -> dict:
        self.balance += amount
        self.log.append(amount)
        return {"balance": self.balance}

    @handler("place")
    def place(self, order: dict) -> dict:
        return {"sku": order["sku"]}

    @handler("pair")
    def pair(self, a, b):
        return {"sum": a + b}

    @handler("nothing")
    def nothing(self):
        return None

    @handler("fail")
    def fail(self):
        raise KeyError("missing")

    @handler("bad_reply")
    def bad_reply(self):
        return {"x": object()}


class Handlers(unittest.TestCase):
    def test_payload_fields_fill_parameters_by_name_and_extra_fields_are_ignored(self):
        rt = runtime(Account)
        self.assertEqual(ask(rt, "deposit", {"amount": 5, "action": "deposit"}), {"balance": 5})
        self.assertEqual(ask(rt, "credit", {}), {"balance": 5})

    def test_one_parameter_without_its_field_gets_the_whole_payload(self):
        self.assertEqual(ask(runtime(Account), "place", {"sku": "A-1", "id": 3}), {"sku": "A-1"})

    def test_missing_required_fields_are_named_in_the_error_reply(self):
        reply = ask(runtime(Account), "pair", {"a": 1})
        self.assertIn("lacks 'b'", reply["error"])

    def test_non_object_payload_for_several_parameters_is_refused(self):
        self.assertIn("must be a JSON object", ask(runtime(Account), "pair", [1, 2])["error"])

    def test_none_replies_an_empty_object(self):
        self.assertEqual(ask(runtime(Account), "nothing"), {})

    def test_an_exception_is_an_error_reply_and_the_actor_keeps_its_state(self):
        rt = runtime(Account)
        ask(rt, "deposit", {"amount": 3})
        self.assertEqual(ask(rt, "fail"), {"error": "KeyError: 'missing'"})
        self.assertEqual(ask(rt, "deposit", {"amount": 1}), {"balance": 4})

    def test_a_reply_that_is_not_json_is_an_error_reply(self):
        self.assertIn("is not JSON", ask(runtime(Account), "bad_reply")["error"])

    def test_unknown_message_type_lists_the_handled_ones(self):
        self.assertEqual(ask(runtime(Account), "withdraw")["error"], "no handler for message type 'withdraw' (handled: bad_reply, credit, deposit, fail, nothing, pair, place)")

    def test_malformed_payload_json_is_an_error_reply(self):
        self.assertIn("is not JSON", json.loads(runtime(Account).handle("x", "deposit", "{oops"))["error"])

    def test_init_gets_the_config_and_a_failing_init_refuses_the_spawn(self):
        rt = ActorRuntime(spec_of(Account))
        rt.init('{"opening": 10}')
        self.assertEqual(ask(rt, "deposit", {"amount": 1}), {"balance": 11})
        self.assertTrue(rt.init("[1]").startswith("ERROR: AttributeError"))


class State(unittest.TestCase):
    def test_get_state_saves_the_declared_fields_and_set_state_restores_them(self):
        rt = runtime(Account)
        ask(rt, "deposit", {"amount": 7})
        saved = rt.get_state()
        self.assertEqual(json.loads(saved), {"balance": 7, "log": [7], "note": None})
        other = ActorRuntime(spec_of(Account))
        self.assertEqual(other.set_state(saved), "")
        self.assertEqual(ask(other, "deposit", {"amount": 1}), {"balance": 8})

    def test_default_factory_values_are_not_shared_between_instances(self):
        a, b = runtime(Account), runtime(Account)
        ask(a, "deposit", {"amount": 1})
        self.assertEqual(json.loads(b.get_state())["log"], [])

    def test_set_state_refuses_what_is_not_a_json_object(self):
        rt = runtime(Account)
        self.assertTrue(rt.set_state("nope").startswith("ERROR: invalid state JSON"))
        self.assertTrue(rt.set_state("[]").startswith("ERROR: a saved state is a JSON object"))


class Declarations(unittest.TestCase):
    def test_facets_are_recorded_and_unknown_names_refused(self):
        self.assertEqual(spec_of(Account).facets, ("durability",))
        with self.assertRaisesRegex(ValueError, "unknown facet 'fast'"):
            actor(facets=["fast"])

    def test_two_handlers_for_one_type_are_refused(self):
        with self.assertRaisesRegex(TypeError, "two handler handlers for 'a'"):

            @actor
            class Twice:
                @handler("a")
                def one(self):
                    pass

                @handler("a")
                def two(self):
                    pass

    def test_state_takes_default_or_factory_not_both(self):
        with self.assertRaises(TypeError):
            state(default=[], default_factory=list)


@gen_server_actor
class Server:
    downs: list = state(default_factory=list)

    @handler("ping")
    def ping(self):
        return {"pong": True}

    @info_handler
    def info(self, msg_type, payload):
        self.downs.append(msg_type)


@workflow_actor(facets=["durability"])
class Flow:
    status: str = state(default="pending")
    steps: list = state(default_factory=list)

    @run_handler
    def run(self, input_data: dict) -> dict:
        if input_data.get("explode"):
            raise ValueError("boom")
        self.steps.append("one")
        self.status = "completed"
        return {"status": self.status}

    @signal_handler("cancel")
    def cancel(self, data: dict) -> None:
        self.status = "cancelled"

    @query_handler("status")
    def get_status(self) -> dict:
        self.status = "changed by a query"
        return {"status": "seen", "steps": self.steps}


class Behaviours(unittest.TestCase):
    def test_gen_server_system_messages_go_to_the_info_handler(self):
        rt = runtime(Server)
        self.assertEqual(ask(rt, "down", {"actor": "x"}, sender="system"), {})
        self.assertEqual(json.loads(rt.get_state())["downs"], ["down"])
        self.assertEqual(ask(rt, "ping"), {"pong": True})

    def test_workflow_runs_once_and_a_second_run_is_refused(self):
        rt = runtime(Flow)
        self.assertEqual(ask(rt, "run", {"order_id": "o1"}), {"status": "completed"})
        self.assertEqual(ask(rt, "run", {}), {"error": "the workflow has finished (completed)"})

    def test_a_failed_run_is_recorded_and_survives_set_state(self):
        rt = runtime(Flow)
        self.assertEqual(ask(rt, "run", {"explode": True}), {"error": "ValueError: boom"})
        restored = ActorRuntime(spec_of(Flow))
        restored.set_state(rt.get_state())
        self.assertEqual(ask(restored, "query:workflow"), {"phase": "failed", "error": "ValueError: boom"})

    def test_signals_and_queries_by_prefix_or_bare_name(self):
        rt = runtime(Flow)
        self.assertEqual(ask(rt, "signal:cancel"), {})
        self.assertEqual(json.loads(rt.get_state())["status"], "cancelled")
        self.assertEqual(ask(rt, "status"), {"status": "seen", "steps": []})

    def test_a_query_cannot_change_the_state(self):
        rt = runtime(Flow)
        ask(rt, "query:status")
        self.assertEqual(json.loads(rt.get_state())["status"], "pending")

    def test_unknown_signal_and_query_are_error_replies(self):
        rt = runtime(Flow)
        self.assertEqual(ask(rt, "signal:refund"), {"error": "no signal 'refund'"})
        self.assertEqual(ask(rt, "query:eta"), {"error": "no query 'eta'"})


if __name__ == "__main__":
    unittest.main()
