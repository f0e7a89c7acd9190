"""Where personal data may live: the folder layout of a project, checked before writing.

The public folder (``paths.feeds``) is served to everyone. Personal data — the state
database (names, e-mail addresses, tokens), its build cache, the private folder with the
personal feeds, mail-merge lists — must never be inside it; and the public folder must not
hold the project itself (its definitions, settings and state) or sit inside the private one.

The private folder is g40cal's own: it is made owner only (0700) with a marker file. An
existing folder g40cal did not make is refused — a shared, world-writable or someone else's
folder would otherwise be turned private or leak feeds — unless it is safe to adopt: owned by
this user, writable by nobody else, and empty or holding only personal feed files.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from g40cal.config import Config
from g40cal.errors import Problem, UserError

if TYPE_CHECKING:
    from g40cal.state import State

# Written into a private folder g40cal made (or adopted): its contents are g40cal's to manage.
PRIVATE_MARKER = ".g40cal-private"
_MARKER_TEXT = ("This folder was made by g40cal for personal feeds. Its files are private "
                "calendar feeds: do not publish or share it.\n")


def _inside(path: Path, folder: Path) -> bool:
    """``path`` is ``folder`` or somewhere below it (both resolved)."""
    return path == folder or folder in path.parents


def layout_problems(config: Config) -> list[Problem]:
    """Every way the configured folders would publish what must stay private, or mix the
    public and the private folder (the private folder inside the public one is checked
    when personal feeds are written: ``private_folder_problem``)."""
    feeds = config.feeds_path.resolve()
    state = config.state_path.resolve()
    problems: list[Problem] = []

    def refuse(field: str, message: str, hint: str) -> None:
        problems.append(Problem("error", "layout", message, config.path, field=field, hint=hint))

    if _inside(config.root.resolve(), feeds):
        refuse("paths.feeds", f"the public folder {feeds} holds the whole project (settings, "
               "definitions, the state database with personal data): all of it would be "
               "served", "set [paths] feeds to a folder of its own, e.g. \"feeds\"")
    else:
        if _inside(state.parent, feeds):
            refuse("paths.state", f"the state database {state} (names, e-mail addresses, "
                   f"feed tokens) and its cache would be inside the public folder {feeds}",
                   "keep the state out of the feeds folder, e.g. \".g40cal/state.sqlite\"")
        if _inside(config.programmes_path.resolve(), feeds):
            refuse("paths.programmes", f"the definitions {config.programmes_path} are inside "
                   f"the public folder {feeds}", "keep programmes/ next to the feeds folder")
        if config.path is not None and _inside(config.path.resolve(), feeds):
            refuse("paths.feeds", f"the settings file {config.path} is inside the public "
                   f"folder {feeds}", "keep g40cal.toml out of the feeds folder")
    private = config.private_path.resolve()
    if feeds != private and private in feeds.parents:
        refuse("paths.feeds", f"the public folder {feeds} is inside the private folder "
               f"{private}: public and personal files would be mixed",
               "set [paths] feeds and [paths] private to two separate folders")
    return problems


def check_layout(config: Config) -> None:
    """Raise ``UserError`` listing every layout problem (nothing is written then)."""
    problems = layout_problems(config)
    if problems:
        raise UserError(f"{config.path or 'the settings'}: refusing this folder layout: "
                        "personal data could be published", problems)


def personal_output_problem(config: Config, path: Path) -> str | None:
    """Why a file with personal data (a mail-merge list, an export) must not be written to
    ``path``, or None: never inside the public folder."""
    feeds = config.feeds_path.resolve()
    if _inside(path.resolve(), feeds):
        return (f"{path} is inside the public folder {feeds}, which is served to everyone; "
                "write it outside it, e.g. into registrations/")
    return None


# -- the private folder ------------------------------------------------------------------


def private_folder_problem(config: Config) -> Problem | None:
    """Why personal feeds must not be written to ``config.private_path``, or None."""
    from g40cal.people.participants import git_exposure

    private = config.private_path.resolve()
    feeds = config.feeds_path.resolve()
    if _inside(private, feeds):
        return _private_problem(config, f"the private folder {private} is inside the public "
                                f"folder {feeds}: personal feeds would be published openly",
                                "set [paths] private to a folder outside the feeds folder")
    reason = _foreign_folder(private)
    if reason:
        return _private_problem(config, f"refusing to use {private} as the private folder: "
                                f"{reason}",
                                "set [paths] private to a folder that does not exist yet "
                                "(g40cal makes it, owner only), or empty this one")
    reason = git_exposure(private, folder=True)
    if reason is None:
        return None
    return _private_problem(config, f"refusing to write personal feeds to {private}: {reason}",
                            "add the folder to .gitignore (e.g. a line '/private/'), or set "
                            "[paths] private to a folder outside the repository")


def _private_problem(config: Config, message: str, hint: str) -> Problem:
    return Problem("error", "private-path", message, config.path, field="paths.private",
                   hint=hint)


def _foreign_folder(folder: Path) -> str | None:
    """Why an existing folder is not g40cal's to use as the private folder, or None."""
    try:
        info = folder.lstat()
    except FileNotFoundError:
        return None  # g40cal makes it
    except OSError as exc:
        return f"it cannot be inspected ({exc.strerror})"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a folder"
    if (folder / PRIVATE_MARKER).is_file() and info.st_uid == os.getuid():
        return None  # made (or adopted) by g40cal
    if info.st_uid != os.getuid():
        return "it belongs to another user"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH | stat.S_ISVTX):
        return (f"it is a shared folder (mode {stat.S_IMODE(info.st_mode):o}: others may "
                "write there), not one g40cal made")
    strangers = [name for name in _names(folder) if not _is_personal_file(name)]
    if strangers:
        return (f"g40cal did not make it, and it holds other files (e.g. {strangers[0]!r})")
    return None  # empty, or personal feeds an older g40cal wrote: adopted when used


def _names(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


def _is_personal_file(name: str) -> bool:
    """A file g40cal writes into the private folder: <token>.ics, <token>.html, or one
    staged under a temporary name (``.<name>.<random>.staged``)."""
    if name == PRIVATE_MARKER:
        return True
    if name.startswith("."):
        return name.endswith(".staged") or name.endswith(".tmp")
    stem, dot, suffix = name.rpartition(".")
    return bool(dot and stem and suffix in ("ics", "html") and "/" not in stem)


def prepare_private_folder(folder: Path) -> None:
    """Make (or adopt) the private folder: owner only (0700), with g40cal's marker.

    Call ``private_folder_problem`` first: a folder g40cal may not use is never touched.
    """
    old = os.umask(0o077)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    finally:
        os.umask(old)
    with contextlib.suppress(OSError):  # e.g. a file system without permissions
        folder.chmod(0o700)
    marker = folder / PRIVATE_MARKER
    if not marker.exists():
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(_MARKER_TEXT)


def private_feed_names(config: Config) -> list[str]:
    """The personal feed files (<token>.ics / .html) in the private folder."""
    try:
        with os.scandir(config.private_path) as entries:
            return sorted(e.name for e in entries if not e.name.startswith(".")
                          and _is_personal_file(e.name) and e.is_file(follow_symlinks=False))
    except OSError:
        return []


def folder_stamp(folder: Path) -> str | None:
    """Changes whenever a file is added to or removed from ``folder`` (its mtime), so a
    sync need not list 100,000 personal feeds to learn that nothing came or went."""
    try:
        info = folder.stat()
    except OSError:
        return None
    return f"{info.st_ino}:{info.st_mtime_ns}"


def orphan_private_files(config: Config, state: State) -> list[str]:
    """Personal feed files no participant owns (their token is nobody's): left behind by a
    lost, emptied or replaced state database, and still served to whoever has the link."""
    if not config.private_path.is_dir():
        return []
    tokens = {row[0] for row in state.db.execute("SELECT token FROM participants")}
    return [name for name in private_feed_names(config)
            if name.rpartition(".")[0] not in tokens]


def orphans_text(config: Config, names: list[str], *, removing: bool) -> str:
    """What to tell the bureau about ``orphan_private_files`` (tokens shortened)."""
    examples = ", ".join(shortened(n) for n in names[:3]) + (" …" if len(names) > 3 else "")
    where = f"{len(names)} personal feed file(s) in {config.private_path} ({examples})"
    if removing:
        return f"Removing {where}: no participant owns them, so their links must not work."
    return (f"Warning: {where} belong to no participant (a lost, emptied or replaced state "
            "database left them behind); they are still served to whoever has their link. "
            "g40cal sync --full removes them.")


def shortened(name: str) -> str:
    """A token file name fit for a terminal or a log: never the whole token."""
    stem, _, suffix = name.rpartition(".")
    return f"{stem[:6]}….{suffix}"
