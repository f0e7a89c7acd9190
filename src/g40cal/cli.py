"""The command line: a thin shell over the library.

Exit codes: 0 ok, 1 input or user error, 2 usage error, 3 internal fault.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from g40cal import __version__
from g40cal.config import STATE_ENV, Config, load_config
from g40cal.errors import G40Error, StateError, UserError
from g40cal.lock import project_lock

INTERNAL_FAULT = 3
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    root: Path
    config_path: Path | None
    debug: bool
    now_override: str | None
    state_path: Path | None = None
    lock_wait: float = 0.0  # seconds to wait for another g40cal (--wait)
    _config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            config = load_config(self.root, self.config_path)
            if self.state_path is not None:
                config = replace(config, state_override=self.state_path.resolve())
            self._config = config
        return self._config

    def now(self) -> datetime:
        raw = self.now_override or os.environ.get("G40CAL_NOW")
        if not raw:
            return datetime.now(UTC).replace(microsecond=0)
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise click.BadParameter(f"{raw!r} is not an ISO date-time", param_hint="--now") \
                from None
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)

    def lock(self, command: str, *,
             wait: float | None = None) -> contextlib.AbstractContextManager[None]:
        """The project lock for ``command`` (see ``lock.py``), waiting ``--wait`` seconds.

        A command that writes refuses first a folder layout that would publish personal
        data (``layout.py``): the state inside the public folder, and the like."""
        from g40cal.layout import check_layout

        check_layout(self.config)
        wait = self.lock_wait if wait is None else max(wait, self.lock_wait)
        return project_lock(self.config.state_path, command, wait=wait,
                            on_wait=lambda message: click.echo(message, err=True))


pass_app = click.make_pass_decorator(AppContext)


def is_interactive() -> bool:
    """Is a person at the terminal? Only then do commands ask before acting."""
    return sys.stdin.isatty()


def emit_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False))


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit raises no second error."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def handle_errors(func: F) -> F:
    """One translator from exceptions to messages and exit codes, for every command."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except UserError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            for problem in exc.problems:
                click.echo(f"  {problem.format()}", err=True)
            sys.exit(1)
        except (StateError, G40Error) as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except sqlite3.Error as exc:  # a full disk, a locked or damaged state database
            from g40cal.state import describe_sqlite_error

            click.echo(f"Error: state database: {describe_sqlite_error(exc)}.", err=True)
            sys.exit(1)
        except BrokenPipeError:  # `g40cal sync --yes | head`: the reader went away
            _silence_stdout()
            click.echo("Stopped: the program reading g40cal's output closed it (a closed "
                       "pipe). What was done until then is done; nothing half-written was "
                       "left behind.", err=True)
            sys.exit(1)
        except OSError as exc:  # disk full, no permission, a folder that is a file …
            where = f" ({exc.filename})" if exc.filename else ""
            click.echo(f"Error: {exc.strerror or exc}{where}. Nothing half-written was left "
                       "behind; fix the cause and run the command again.", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted; nothing half-written was left behind.", err=True)
            sys.exit(130)
        except Exception as exc:
            ctx = click.get_current_context(silent=True)
            app = ctx.find_object(AppContext) if ctx else None
            if app and app.debug:
                traceback.print_exc()
            click.echo(f"Internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo("This is a bug in g40cal. Run again with --debug to see the traceback.",
                       err=True)
            sys.exit(INTERNAL_FAULT)

    return wrapper  # type: ignore[return-value]


def locked(command: str) -> Callable[[F], F]:
    """Run a command holding the project lock (``lock.py``): one writer at a time over the
    state and the published folders. Put it under ``@handle_errors``; the command's first
    argument is the ``AppContext``."""

    def decorate(func: F) -> F:
        @wraps(func)
        def wrapper(app: AppContext, *args: Any, **kwargs: Any) -> Any:
            with app.lock(command):
                return func(app, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="g40cal")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="Project folder (with programmes/ and g40cal.toml).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file (default: g40cal.toml in the project folder).")
@click.option("--state", "state_path", type=click.Path(dir_okay=False, path_type=Path),
              help=f"State database (default .g40cal/state.sqlite, or env {STATE_ENV}).")
@click.option("--wait", "lock_wait", type=click.FloatRange(min=0), default=0, envvar="G40CAL_WAIT",
              metavar="SECONDS", help="If another g40cal is working on this project, wait up "
              "to SECONDS for it (env G40CAL_WAIT; default 0: stop at once with who it is).")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.option("--now", "now_override", hidden=True, help="Pretend it is this time (tests).")
@click.pass_context
def cli(ctx: click.Context, root: Path, config_path: Path | None, state_path: Path | None,
        lock_wait: float, debug: bool, now_override: str | None) -> None:
    """g40cal: calendar feeds for the G40 Stedennetwerk's network days.

    \b
    Typical use by the bureau after editing a programme:
      g40cal check          validate every definition
      g40cal sync           show what changed and publish it
      g40cal log            what was announced, and when
    """
    ctx.obj = AppContext(root=root, config_path=config_path, debug=debug,
                         now_override=now_override, state_path=state_path,
                         lock_wait=lock_wait)


def main() -> None:
    cli(prog_name="g40cal")


# Commands live in their own modules to keep this one thin; importing registers them.
from g40cal import commands  # noqa: E402,F401
