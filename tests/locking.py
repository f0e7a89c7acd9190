"""Real g40cal processes for the lock tests: one holding the lock, one at its question."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from g40cal.config import load_config
from tests.conftest import BEFORE_EVENTS

NOW = BEFORE_EVENTS.isoformat()


def g40cal(root: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "g40cal", "--root", str(root), *args],
                          capture_output=True, text=True, timeout=timeout, env=g40cal_env(),
                          check=False)


def g40cal_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("G40CAL_STATE", "G40CAL_WAIT")}
    env["G40CAL_NOW"] = NOW
    return env


HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from g40cal.lock import project_lock
    with project_lock(Path(sys.argv[1]), "participants import"):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def hold_lock(root: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the project's lock (through the library) for ``seconds``."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(load_config(root).state_path), str(seconds)],
        stdout=subprocess.PIPE, text=True, env=g40cal_env())
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    return holder


class Prompted:
    """A g40cal on a terminal (a pseudo-terminal), stopped at its question."""

    def __init__(self, root: Path, *args: str) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "g40cal", "--root", str(root), *args],
            stdin=slave, stdout=slave, stderr=slave, env=g40cal_env(), close_fds=True)
        os.close(slave)
        self.output = ""

    def read_until(self, text: str, timeout: float = 120, after: str = "") -> str:
        deadline = time.monotonic() + timeout
        while text not in self.output[self.output.find(after):]:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} never came:\n{self.output}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the process ended
                    chunk = b""
                if not chunk:
                    assert text in self.output, f"{text!r} never came:\n{self.output}"
                self.output += chunk.decode(errors="replace")
        return self.output

    def answer(self, text: str) -> None:
        os.write(self.master, text.encode() + b"\n")

    def finish(self) -> int:
        deadline = time.monotonic() + 120
        while self.process.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if ready:
                try:
                    self.output += os.read(self.master, 4096).decode(errors="replace")
                except OSError:
                    break
        code = self.process.wait(timeout=10)
        os.close(self.master)
        return code
