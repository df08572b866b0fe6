"""`plexspaces-py build actor.py -o actor.wasm`: the SDK's command line."""

import argparse
import sys

from .build import DEFAULT_WORLD, BuildError, build
from .worlds import CAPABILITIES


def main(argv=None):
    parser = argparse.ArgumentParser(prog="plexspaces-py", description="Build PlexSpaces actors written in Python into WebAssembly components.")
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="build an actor module into a component (componentize-py; tens of seconds)")
    b.add_argument("source", help="the actor module (.py)")
    b.add_argument("-o", "--out", required=True, help="where to write the component (.wasm)")
    b.add_argument("--actor", help="the actor class, when the module defines several")
    b.add_argument("--wit-dir", help="WIT directory (default: the one bundled with the SDK)")
    b.add_argument(
        "--world",
        default=DEFAULT_WORLD,
        help="the world to build for: auto (the default: the narrowest that covers what the actor uses), simple-actor, durable-actor, "
        "coordination-actor, event-actor, plexspaces-actor, or the printed actor-world / full-actor-world",
    )
    b.add_argument("-p", "--python-path", action="append", default=[], help="a directory of pure-Python modules the actor imports (repeatable)")
    args = parser.parse_args(argv)
    try:
        result = build(args.source, args.out, actor_name=args.actor, wit_dir=args.wit_dir, world=args.world, python_path=args.python_path, log=lambda line: print(line, file=sys.stderr))
    except BuildError as error:
        print(f"plexspaces-py: {error}", file=sys.stderr)
        return 1
    uses = "every capability: the build could not tell which it calls" if result.uses is None else ", ".join(c for c in CAPABILITIES if c in result.uses)
    print(f"wrote {result.out}: actor {result.actor}, {result.size / 2**20:.1f} MiB component for world {result.world} (uses {uses}) in {result.seconds:.1f} s")
    if result.facets:
        print(f"facets declared: {', '.join(result.facets)} (the deploy sets them: an application is durable unless deployed with durable=false; a manifest lists the others)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
