"""A node on this machine for notebooks and scripts: ``plexspaces start`` on free ports, in memory."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Optional

from .client import PlexClient

ROOT = Path(__file__).resolve().parents[5]


def _cli() -> list:
    """How to run the plexspaces CLI: $PLEXSPACES_CLI, the checkout's (or npm package's) dist/cli/main.js, else npx."""
    if os.environ.get("PLEXSPACES_CLI"):
        return os.environ["PLEXSPACES_CLI"].split()
    built = ROOT / "dist" / "cli" / "main.js"
    if built.is_file():
        return ["node", str(built)]
    if shutil.which("npx"):
        return ["npx", "--no-install", "plexspaces"]
    raise RuntimeError("cannot find the plexspaces CLI: set PLEXSPACES_CLI, or run npm run build in the checkout")


class LocalNode:
    """A node process; ``stop()`` (or leaving a ``with``) ends it. ``grpc``, ``http`` and ``ws`` are its addresses."""

    def __init__(self, workers: int = 2, memory: bool = True, extra_args: Optional[list] = None, timeout_s: float = 60):
        args = [*_cli(), "start", "--http-port", "0", "--grpc-port", "0", "--workers", str(workers)]
        args += ["--memory"] if memory else []
        args += extra_args or []
        self._process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT if ROOT.is_dir() else None)
        self._log: list = []
        addresses = {}
        # The node prints one line per endpoint once it serves, websocket last.
        for line in self._process.stdout:
            self._log.append(line)
            match = re.match(r"^(grpc|http|websocket): (\S+)", line)
            if match:
                addresses[match.group(1)] = match.group(2)
            if "websocket" in addresses:
                break
        else:
            raise RuntimeError(f"the node exited before it served: {self._process.stderr.read()}{''.join(self._log)}")
        # Keep draining its output, or a chatty node would block on a full pipe.
        for stream in (self._process.stdout, self._process.stderr):
            threading.Thread(target=lambda s=stream: [self._log.append(l) for l in s], daemon=True).start()
        self.grpc = addresses["grpc"]
        self.http = addresses["http"]
        self.ws = addresses["websocket"]

    def connect(self, tenant: str = "default", namespace: str = "default", token: Optional[str] = None) -> PlexClient:
        return PlexClient(self.grpc, tenant, namespace, token)

    def build(self, source: str) -> bytes:
        """``plexspaces build SOURCE`` (TypeScript, Python, C, a Go or Cargo directory): the module's bytes."""
        with tempfile.TemporaryDirectory() as work:
            out = os.path.join(work, "actor.wasm")
            result = subprocess.run([*_cli(), "build", source, "-o", out], capture_output=True, text=True, cwd=ROOT if ROOT.is_dir() else None)
            if result.returncode != 0:
                raise RuntimeError(f"plexspaces build {source} failed:\n{result.stderr}")
            return Path(out).read_bytes()

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()

    def __enter__(self) -> "LocalNode":
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


def start_node(workers: int = 2, memory: bool = True) -> LocalNode:
    """Starts a node on free ports, in memory (nothing written to disk)."""
    return LocalNode(workers=workers, memory=memory)
