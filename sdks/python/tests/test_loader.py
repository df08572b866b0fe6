import sys
import unittest

from plexspaces import HostUnavailableError
from plexspaces.loader import ActorModuleError, load_module, pick_actor

LEADER_ELECTION = '''
@actor
class LeaderElection:
    candidate_id: str = state(default="")

    @handler("try_lead")
    def try_lead(self, candidate_id: str = None) -> dict:
        return {"encoded": json.dumps(candidate_id)}
'''


class Loader(unittest.TestCase):
    def tearDown(self):
        for name in [n for n in sys.modules if n.startswith("loader_test_")]:
            del sys.modules[name]

    def test_a_module_without_imports_gets_the_sdk_names_and_json(self):
        module = load_module(LEADER_ELECTION, "leader_election.py", "loader_test_leader")
        spec = pick_actor(module)
        self.assertEqual(spec.name, "LeaderElection")
        self.assertEqual(list(spec.fields), ["candidate_id"])

    def test_the_modules_own_imports_win_over_the_prelude(self):
        module = load_module("import json as json\njson = 'mine'\n", "own.py", "loader_test_own")
        self.assertEqual(module.json, "mine")

    def test_actors_imported_from_elsewhere_are_not_the_modules_own(self):
        load_module("@actor\nclass Base:\n    pass\n", "base.py", "loader_test_base")
        module = load_module("from loader_test_base import Base\n\n@actor\nclass Mine:\n    pass\n", "mine.py", "loader_test_mine")
        self.assertEqual(pick_actor(module).name, "Mine")

    def test_a_module_that_calls_the_host_at_load_time_fails_clearly(self):
        with self.assertRaises(HostUnavailableError):
            load_module("host.get_actor_id()\n", "eager.py", "loader_test_eager")
        self.assertNotIn("loader_test_eager", sys.modules)

    def test_several_actors_need_a_name(self):
        module = load_module("@actor\nclass A:\n    pass\n\n@workflow_actor\nclass B:\n    @run_handler\n    def run(self):\n        pass\n", "two.py", "loader_test_two")
        with self.assertRaisesRegex(ActorModuleError, r"several actors \(A, B\)"):
            pick_actor(module)
        self.assertEqual(pick_actor(module, "B").behaviour, "workflow")


if __name__ == "__main__":
    unittest.main()
