import json
import unittest

from plexspaces import HostCallError, HostUnavailableError, host

from fake_host import FakeWorld


class Host(unittest.TestCase):
    def setUp(self):
        self.world = FakeWorld()
        self.previous = host.use_backend(self.world)

    def tearDown(self):
        host.use_backend(self.previous)

    def test_outside_a_component_host_calls_say_so(self):
        host.use_backend(None)
        with self.assertRaisesRegex(HostUnavailableError, "plexspaces-py build"):
            host.get_actor_id()

    def test_an_error_answer_raises_host_call_error_with_its_code(self):
        self.world.answer("ask", "ERROR PLEX_ERR_ACTOR_NOT_FOUND: no actor x")
        with self.assertRaisesRegex(HostCallError, "PLEX_ERR_ACTOR_NOT_FOUND"):
            host.ask("x", "check_stock", {"sku": "a"}, timeout_ms=5000)

    def test_ask_and_tell_serialize_payloads_and_parse_the_reply(self):
        self.world.answer("ask", '{"available": true}')
        self.assertEqual(host.ask("inventory", "check_stock", {"sku": "a"}, timeout_ms=5000), {"available": True})
        host.tell("analytics", "order_placed", {"id": 1})
        self.assertIn(("ask", ("inventory", "check_stock", '{"sku": "a"}', 5000)), self.world.calls)
        self.assertIn(("send", ("analytics", "order_placed", '{"id": 1}')), self.world.calls)

    def test_tuples_as_json_text_answer_text_and_as_lists_answer_lists(self):
        host.ts_write(json.dumps(["order", "o1", "pending", []]))
        host.ts_write(["order", "o2", "pending", []])
        self.assertEqual(host.ts_take(json.dumps(["order", None, "pending", None])), '["order", "o1", "pending", []]')
        self.assertEqual(host.ts_take(["order", None, "pending", None]), ["order", "o2", "pending", []])
        self.assertEqual(host.ts_take(json.dumps(["order", None, "pending", None])), "")
        self.assertIsNone(host.ts_take(["order", None, "pending", None]))

    def test_lock_acquire_short_form_answers_the_version_or_none(self):
        self.assertEqual(host.lock_acquire("refund:t1", 5000), "7")
        self.assertEqual(self.world.calls[-1], ("lock_acquire", ("", "", "", "refund:t1", 30, 5000)))
        self.world.answer("lock_acquire", "ERROR PLEX_ERR_LOCK_TIMEOUT: held")
        self.assertIsNone(host.lock_acquire("refund:t1", 0))

    def test_lock_acquire_six_arguments_answer_the_host_text(self):
        self.assertEqual(json.loads(host.lock_acquire("", "leader-election", "a", "leader", 30, 0))["version"], "7")
        with self.assertRaises(TypeError):
            host.lock_acquire("a", "b", "c")

    def test_process_groups_join_only_this_actor(self):
        host.process_groups.join("lobby", host.get_actor_id())
        with self.assertRaisesRegex(ValueError, "joins groups itself"):
            host.process_groups.join("lobby", "someone/else")

    def test_process_groups_publish_broadcasts_without_a_topic(self):
        self.world.answer("pg_broadcast", "2")
        self.assertEqual(host.process_groups.publish("lobby", {"text": "hi"}), 2)
        self.assertEqual(self.world.calls[-1], ("pg_broadcast", ("lobby", "message", '{"text": "hi"}')))

    def test_whole_numbers_are_checked_before_the_call(self):
        with self.assertRaisesRegex(ValueError, "timeout_ms"):
            host.ask("x", "y", {}, timeout_ms=-1)

    def test_kv_values_other_than_strings_are_stored_as_json(self):
        host.kv_put("k", {"a": 1})
        self.assertEqual(host.kv_get("k"), '{"a": 1}')
        self.assertIsNone(host.kv_get("absent"))


if __name__ == "__main__":
    unittest.main()
