"""Helpers for the page, serve and browser tests: a synced copy of the shipped project,
and a real uvicorn server (in a thread, or `g40cal serve` in a subprocess)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn
from click.testing import CliRunner

from g40cal.cli import cli
from g40cal.config import Config

REPO = Path(__file__).resolve().parent.parent
# Before every shipped network day, so no cancellation has expired (as in conftest.py).
NOW = "2024-01-01T09:00:00+00:00"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_project(root: Path, base_url: str | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "programmes", root / "programmes")
    shutil.copy(REPO / "groups.toml", root / "groups.toml")
    if base_url:
        (root / "g40cal.toml").write_text(f'[network]\nbase_url = "{base_url}"\n',
                                          encoding="utf-8")
    return root


def sync(root: Path, now: str = NOW) -> None:
    result = CliRunner().invoke(cli, ["--root", str(root), "--state",
                                      str(root / ".g40cal" / "state.sqlite"), "--now", now,
                                      "sync", "--yes"])
    assert result.exit_code == 0, result.output


def edit_item(path: Path, item_id: str, extra: str) -> None:
    """Add TOML lines to one item of a definition (right after its id line)."""
    text = path.read_text(encoding="utf-8")
    marker = f'id = "{item_id}"\n'
    assert marker in text, f"{item_id} not in {path.name}"
    path.write_text(text.replace(marker, marker + extra.rstrip("\n") + "\n", 1),
                    encoding="utf-8")


def wait_for_port(port: int, alive: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("the server stopped before it listened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listened on port {port} within {timeout} s")


class ThreadServer:
    """A real uvicorn server for an ASGI app, in a thread of the test process."""

    def __init__(self, app: object, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False,
                                log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class CliServer:
    """`g40cal serve` in a subprocess: exactly what a user runs."""

    def __init__(self, root: Path, port: int) -> None:
        self.root, self.port = root, port
        self.log = root / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> CliServer:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "g40cal", "--root", str(self.root), "serve",
                 "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(self.port, lambda: self.process.poll() is None)
        except RuntimeError as exc:
            self.__exit__()
            raise RuntimeError(f"{exc}; its output:\n{self.log.read_text()}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def feed_url(config: Config, relative: str) -> str:
    return config.public_url(relative)
