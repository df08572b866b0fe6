"""The gRPC stubs of ``proto/plexspaces/v1``, generated on first use.

The generated modules are not committed: they would tie the package to one
protobuf release. ``grpc_tools.protoc`` (package grpcio-tools, Debian
python3-grpc-tools) generates them once per proto content into a cache
directory, which joins this package's path, so that the generated
``plexspaces.v1`` modules import as ``plexspaces.v1.tuplespace_pb2`` even
though ``plexspaces`` is this package.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import plexspaces

PROTO_FILES = ("tuple", "tuplespace", "actor", "shardgroup", "node")
_loaded: SimpleNamespace | None = None


def proto_dir() -> Path:
    """Where the .proto files are: $PLEXSPACES_PROTO_DIR, else the repository or npm package this SDK sits in."""
    candidates = []
    if os.environ.get("PLEXSPACES_PROTO_DIR"):
        candidates.append(Path(os.environ["PLEXSPACES_PROTO_DIR"]))
    # sdks/python/src/plexspaces/client/_stubs.py: the root (repository or npm package) is five levels up.
    candidates.append(Path(__file__).resolve().parents[5] / "proto")
    for candidate in candidates:
        if (candidate / "plexspaces" / "v1" / "tuplespace.proto").is_file():
            return candidate
    raise ImportError(
        "the PlexSpaces client needs the node's proto/ directory: set PLEXSPACES_PROTO_DIR to it "
        f"(looked in {', '.join(str(c) for c in candidates)})"
    )


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache" if Path.home().is_dir() else None)
    return Path(base or tempfile.gettempdir()) / "plexspaces" / "grpc"


def stubs() -> SimpleNamespace:
    """The generated modules: ``t`` (tuple_pb2), ``ts``/``ts_grpc``, ``actor``/``actor_grpc``, ``sg``/``sg_grpc``, ``node``/``node_grpc``."""
    global _loaded
    if _loaded is not None:
        return _loaded
    try:
        import grpc  # noqa: F401
        from grpc_tools import protoc
    except ImportError as cause:
        raise ImportError(
            "the PlexSpaces client needs grpcio and grpcio-tools: pip install 'plexspaces[client]' "
            "(Debian: apt-get install python3-grpcio python3-grpc-tools)"
        ) from cause
    root = proto_dir()
    sources = [root / "plexspaces" / "v1" / f"{name}.proto" for name in PROTO_FILES]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:16]
    target = _cache_root() / digest
    if not (target / "plexspaces" / "v1" / "node_pb2_grpc.py").is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        # Generated beside the cache and renamed into place: two processes starting at once never see half a set.
        partial = Path(tempfile.mkdtemp(dir=target.parent, prefix=f"{digest}."))
        args = ["protoc", f"-I{root}", f"--python_out={partial}", f"--grpc_python_out={partial}"]
        args += [str(p.relative_to(root)) for p in sources]
        if protoc.main(args) != 0:
            shutil.rmtree(partial, ignore_errors=True)
            raise ImportError(f"grpc_tools.protoc could not compile {root}/plexspaces/v1")
        try:
            partial.rename(target)
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)  # another process won the race; its copy is the same
    portion = str(target / "plexspaces")
    if portion not in plexspaces.__path__:
        plexspaces.__path__.append(portion)
    from plexspaces.v1 import (  # type: ignore[import-not-found]
        actor_pb2,
        actor_pb2_grpc,
        node_pb2,
        node_pb2_grpc,
        shardgroup_pb2,
        shardgroup_pb2_grpc,
        tuple_pb2,
        tuplespace_pb2,
        tuplespace_pb2_grpc,
    )

    _loaded = SimpleNamespace(
        t=tuple_pb2,
        ts=tuplespace_pb2,
        ts_grpc=tuplespace_pb2_grpc,
        actor=actor_pb2,
        actor_grpc=actor_pb2_grpc,
        sg=shardgroup_pb2,
        sg_grpc=shardgroup_pb2_grpc,
        node=node_pb2,
        node_grpc=node_pb2_grpc,
    )
    return _loaded
