import unittest
from types import SimpleNamespace

from plexspaces import host
from plexspaces._platform import PlatformBackend
from plexspaces.errors import HostCallError
from plexspaces.worlds import LOCK_NAMESPACES, WorldChoiceError, capabilities_used, choose_world, narrowest_world


def world_of(source):
    return narrowest_world(capabilities_used(source))


class WhatTheActorUses(unittest.TestCase):
    def test_an_actor_that_only_replies_needs_messaging_alone(self):
        source = "from plexspaces import actor, handler\n@actor\nclass A:\n    @handler('x')\n    def x(self):\n        return {}\n"
        self.assertEqual(capabilities_used(source), {"messaging"})
        self.assertEqual(world_of(source), "simple-actor")

    def test_host_functions_are_found_by_every_way_of_importing_the_host(self):
        cases = {
            "from plexspaces import host\nhost.ts_write([1])\n": {"messaging", "tuple-space"},
            "from plexspaces import host as h\nh.channel_send('q', 1)\n": {"messaging", "channels"},
            "import plexspaces.host as h\nh.kv_get('k')\n": {"messaging", "key-value"},
            "import plexspaces\nplexspaces.host.blob_download('b')\n": {"messaging", "blobs"},
            "import plexspaces.host\nplexspaces.host.send_after(5, 't')\n": {"messaging", "workflow"},
            "from plexspaces.host import ts_take as grab\ngrab(['a', None])\n": {"messaging", "tuple-space"},
            "from plexspaces import host\nhost.process_groups.join('g')\n": {"messaging", "process-groups"},
            # The prelude's `host`, as the articles' modules use it without an import.
            "host.log('info', 'x')\n": {"messaging", "logging"},
        }
        for source, expected in cases.items():
            with self.subTest(source=source):
                self.assertEqual(capabilities_used(source), expected)

    def test_the_narrowest_world_covers_what_is_used(self):
        self.assertEqual(world_of("host.ts_read(['a'])\n"), "coordination-actor")
        self.assertEqual(world_of("host.channel_receive('q')\n"), "event-actor")
        self.assertEqual(world_of("host.log('info', 'x')\nhost.now_ms()\n"), "simple-actor")
        # Two narrow capabilities together fit no narrow world.
        self.assertEqual(world_of("host.log('info', 'x')\nhost.ts_write(['a'])\n"), "plexspaces-actor")
        self.assertEqual(world_of("host.kv_put('k', 'v')\n"), "plexspaces-actor")

    def test_a_use_it_cannot_follow_takes_every_capability(self):
        for source in (
            "from plexspaces import host\nrun(host)\n",
            "from plexspaces import host\ngetattr(host, 'ts_' + 'write')(['a'])\n",
            "from plexspaces.host import *\n",
            "import plexspaces\nh = plexspaces.host\n",
            "host.something_new()\n",
        ):
            with self.subTest(source=source):
                self.assertIsNone(capabilities_used(source))
                self.assertEqual(world_of(source), "plexspaces-actor")

    def test_a_module_that_binds_host_itself_is_not_calling_the_sdk(self):
        self.assertEqual(capabilities_used("host = 'example.com'\nhost.upper()\n"), {"messaging"})

    def test_lock_namespaces_keep_the_printed_world(self):
        used = capabilities_used("host.lock_acquire('', 'leader-election', 'me', 'leader', 30, 0)\n")
        self.assertEqual(used, {"messaging", "locks", LOCK_NAMESPACES})
        self.assertEqual(narrowest_world(used), "actor-world")
        # With the namespace empty the platform's locks mean the same.
        self.assertEqual(capabilities_used("host.lock_acquire('', '', 'me', 'leader', 30, 0)\n"), {"messaging", "locks"})
        self.assertEqual(capabilities_used("host.lock_acquire('leader', 100)\n"), {"messaging", "locks"})


class ChoosingAWorld(unittest.TestCase):
    def test_auto_is_the_narrowest(self):
        self.assertEqual(choose_world({"messaging", "tuple-space"}), "coordination-actor")
        self.assertEqual(choose_world({"messaging"}, "auto"), "simple-actor")

    def test_a_named_world_must_cover_the_actor(self):
        self.assertEqual(choose_world({"messaging"}, "plexspaces-actor"), "plexspaces-actor")
        self.assertEqual(choose_world({"messaging"}, "plexspaces:platform/event-actor@0.1.0"), "event-actor")
        with self.assertRaisesRegex(WorldChoiceError, r"uses tuple-space, which world simple-actor does not include .*narrowest world that covers the actor is coordination-actor"):
            choose_world({"messaging", "tuple-space"}, "simple-actor")
        with self.assertRaisesRegex(WorldChoiceError, r"uses channels, which world actor-world does not include"):
            choose_world({"messaging", "channels"}, "actor-world")

    def test_an_unknown_world_is_named(self):
        with self.assertRaisesRegex(WorldChoiceError, r"unknown world 'tiny-actor' \(expected one of auto, plexspaces-actor"):
            choose_world({"messaging"}, "tiny-actor")


def interface(**functions):
    return SimpleNamespace(**functions)


class PlatformBackendCalls(unittest.TestCase):
    def setUp(self):
        self.calls = []
        record = lambda name, answer="ok": lambda *args: self.calls.append((name, args)) or answer  # noqa: E731
        interfaces = {
            "messaging": interface(send=record("send"), self_id=lambda: "t/n/me"),
            "tuple-space": interface(write=record("write"), take=record("take", '["job", 1]'), read=record("read"), read_all=record("read_all", "[]")),
        }
        self.previous = host.use_backend(PlatformBackend("coordination-actor", interfaces))

    def tearDown(self):
        host.use_backend(self.previous)

    def test_functions_forward_to_the_interface_of_their_capability(self):
        host.tell("other", "ping", {"n": 1})
        host.ts_write(["job", 1])
        self.assertEqual(host.ts_take(["job", None]), ["job", 1])
        self.assertEqual(self.calls, [("send", ("other", "ping", '{"n": 1}')), ("write", ('["job", 1]',)), ("take", ('["job", null]',))])
        self.assertEqual(host.get_actor_id(), "t/n/me")

    def test_a_capability_outside_the_world_raises_the_nodes_refusal(self):
        with self.assertRaisesRegex(HostCallError, r"PLEX_ERR_FORBIDDEN: this actor was built for world coordination-actor, which does not import key-value"):
            host.kv_get("k")
        with self.assertRaisesRegex(HostCallError, r"which has no clock"):
            host.now_ms()
        # A log line without logging goes nowhere rather than failing the actor.
        host.log("info", "dropped")

    def test_the_printed_lock_arguments_map_onto_the_platform_interface(self):
        seen = []
        backend = PlatformBackend("plexspaces-actor", {"locks": interface(acquire=lambda *a: seen.append(a) or '{"version": "3"}', release=lambda *a: seen.append(a) or "ok")})
        host.use_backend(backend)
        self.assertEqual(host.lock_acquire("leader", 250, lease_secs=10, holder="me"), "3")
        host.lock_release("leader", "3", holder="me")
        self.assertEqual(seen, [("leader", "me", 10, 250), ("leader", "me", "3")])


if __name__ == "__main__":
    unittest.main()
