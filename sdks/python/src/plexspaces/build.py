"""Builds an actor module into a WebAssembly component with componentize-py.

The component is for the narrowest world that covers what the actor uses
(worlds.py reads its source): one of the platform's five worlds
(wit/platform/worlds.wit, bundled in wit/platform) — `simple-actor` for an
actor that only sends and logs, `coordination-actor` for one on the tuple
space, `plexspaces-actor` when it needs more than one narrow capability.
`world` names one instead, or the printed worlds `actor-world` and
`full-actor-world` (wit/simple-actor.wit + wit/coordination.wit) for a
component that must also run on PlexSpaces elsewhere. It holds CPython, the
standard library modules the SDK and the actor import, the SDK and the
actor: about 18 MB whichever the world.

Steps: the module is loaded in this interpreter first (a syntax error, a
module without an actor or a bad facet name fails here, in a second, rather
than inside componentize-py); then a staging directory gets a copy of the
SDK and a generated entry module that loads the actor's source, and
componentize-py snapshots it.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .loader import load_module, pick_actor
from .worlds import AUTO, PLATFORM_WORLDS, WorldChoiceError, capabilities_used, choose_world

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_WIT_DIR = PACKAGE_DIR / "wit"
#: The platform package (wit/platform), a copy of the checkout's.
PLATFORM_WIT_DIR = DEFAULT_WIT_DIR / "platform"
DEFAULT_WORLD = AUTO
ENTRY_MODULE = "plexspaces_actor_entry"
INSTALL_HINT = "pip install componentize-py"


class BuildError(Exception):
    """A build that cannot go on; the message says why and what to do."""


class BuildResult:
    def __init__(self, out, actor, facets, size, seconds, world, uses):
        self.world = world
        #: The capabilities the build found the actor using (None: it could not tell, so every one).
        self.uses = uses
        self.out = out
        self.actor = actor
        self.facets = facets
        self.size = size
        self.seconds = seconds


def componentize_py_available():
    return importlib.util.find_spec("componentize_py") is not None


def build(source_path, out_path, *, actor_name=None, wit_dir=None, world=DEFAULT_WORLD, python_path=(), log=None):
    """Builds source_path into out_path; returns a BuildResult or raises BuildError."""
    started = time.monotonic()
    source_path = Path(source_path)
    if source_path.suffix != ".py":
        raise BuildError(f"{source_path}: an actor module is a .py file")
    try:
        source = source_path.read_text(encoding="utf-8")
    except OSError as error:
        raise BuildError(f"cannot read {source_path}: {error.strerror}") from error
    module_name = source_path.stem if source_path.stem.isidentifier() else "actor_module"
    spec = _check_module(source, str(source_path), module_name, actor_name)
    uses = _capabilities(source, str(source_path), python_path)
    if wit_dir is not None:
        if world in (None, AUTO):
            raise BuildError(f"--wit-dir {wit_dir}: name the world to build for with --world (auto chooses among the bundled worlds only)")
        wit = Path(wit_dir)
    else:
        try:
            world = choose_world(uses, world)
        except WorldChoiceError as error:
            raise BuildError(f"{source_path}: {error}") from error
        wit = PLATFORM_WIT_DIR if world in PLATFORM_WORLDS else DEFAULT_WIT_DIR
    if not wit.is_dir():
        raise BuildError(f"--wit-dir {wit}: no such directory (leave it out to use the WIT bundled with the SDK, {DEFAULT_WIT_DIR})")
    if not componentize_py_available():
        raise BuildError(f"componentize-py is not installed for {sys.executable}: run `{sys.executable} -m {INSTALL_HINT}` (PyPI), then build again")
    for extra in python_path:
        if not Path(extra).is_dir():
            raise BuildError(f"--python-path {extra}: no such directory")
    with tempfile.TemporaryDirectory(prefix="plexspaces-py-") as staging:
        shutil.copytree(PACKAGE_DIR, Path(staging) / "plexspaces", ignore=shutil.ignore_patterns("__pycache__", "wit", "build.py", "cli.py"))
        (Path(staging) / f"{ENTRY_MODULE}.py").write_text(_entry_source(source, source_path.name, module_name, spec.name, world), encoding="utf-8")
        command = [sys.executable, "-c", "import sys; from componentize_py import script; sys.argv[0] = 'componentize-py'; sys.exit(script())"]
        command += ["-d", str(wit), "-w", world, "componentize", ENTRY_MODULE, "-p", staging]
        for extra in python_path:
            command += ["-p", str(extra)]
        command += ["-o", str(out_path)]
        if log is not None:
            log(f"componentize-py: {spec.name} from {source_path} for world {world}")
        done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip()
        raise BuildError(f"componentize-py failed for {source_path} (exit {done.returncode}):\n{output[-4000:]}")
    size = Path(out_path).stat().st_size
    return BuildResult(str(out_path), spec.name, spec.facets, size, time.monotonic() - started, world, uses)


def _capabilities(source, filename, python_path):
    """What the actor's source uses, with the modules on python_path that import plexspaces (None: cannot tell)."""
    used = capabilities_used(source, filename)
    for directory in python_path:
        for module in sorted(Path(directory).rglob("*.py")) if Path(directory).is_dir() else []:
            try:
                text = module.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if "plexspaces" not in text or used is None:
                continue
            try:
                more = capabilities_used(text, str(module))
            except SyntaxError as error:
                raise BuildError(f"{module}:{error.lineno}: syntax error: {error.msg}") from error
            used = None if more is None else used | more
    return used


def _check_module(source, filename, module_name, actor_name):
    try:
        module = load_module(source, filename, f"_plexspaces_check_{module_name}")
    except SyntaxError as error:
        raise BuildError(f"{filename}:{error.lineno}: syntax error: {error.msg}") from error
    except Exception as error:  # noqa: BLE001 - the module's own failure, reported with its type
        raise BuildError(f"{filename}: loading the module failed: {type(error).__name__}: {error}") from error
    try:
        return pick_actor(module, actor_name)
    except Exception as error:  # noqa: BLE001
        raise BuildError(str(error)) from error
    finally:
        sys.modules.pop(f"_plexspaces_check_{module_name}", None)


def _entry_source(source, filename, module_name, actor_name, world):
    return (
        "# Generated by plexspaces-py build: the actor module's source, loaded by the SDK.\n"
        "from plexspaces._component import actor_export\n"
        f"Actor = actor_export({source!r}, {filename!r}, {module_name!r}, {actor_name!r}, {world!r})\n"
    )
