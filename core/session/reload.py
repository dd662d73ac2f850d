"""What to reload and how: the config files to watch, loading a new revision, deciding whether a
revision on disk may replace the running one, and the record of each revision an export needs
to reproduce it.

The TUI's watcher only notices file changes; every decision lives here.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import tomli

from core.config.city_config import City
from core.config.errors import ConfigError
from core.guards.safeio import CONFIG_MAX_BYTES, read_regular


@dataclass(frozen=True)
class ConfigSource:
    """Where one config revision came from, enough to write it back into a scenario.

    `kind` is "file" (a city.toml on disk: `path`, its parsed `table` and `text`) or "inline" (a
    scenario's `[city]` table, whose relative paths resolve against `base_dir`).
    """

    kind: str
    path: str
    base_dir: str
    table: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    text: str = ""
    revision: str = ""
    packs_dir: str = ""  # --packs: local copies of remote packs, by name
    strict: bool = True  # Gas City's strict mode for reloads (off with --no-strict)


@dataclass(frozen=True)
class Loaded:
    """A load attempt: either a city Gas City would run, with its source, or every reason it
    would refuse it (`errors`, each located; `error` is the first)."""

    city: City | None
    source: ConfigSource | None
    error: ConfigError | None = None
    errors: tuple[ConfigError, ...] = ()

    @property
    def ok(self) -> bool:
        return self.city is not None

    @property
    def reasons(self) -> tuple[ConfigError, ...]:
        """Every reason the config is refused (at least the first error when refused)."""
        return self.errors or ((self.error,) if self.error is not None else ())


def refused(errors: list[ConfigError]) -> Loaded:
    """A refusal with all its reasons."""
    return Loaded(None, None, errors[0], tuple(errors))


def city_file(path: str) -> str:
    """The city.toml a user means by `path` (a file, or a directory holding city.toml)."""
    if os.path.isdir(path):
        path = os.path.join(path, "city.toml")
    return os.path.abspath(path)


def load(path: str, packs_dir: str = "", *, gate: str = "start", strict: bool = True) -> Loaded:
    """Load the city at `path` (remote imports resolved from `packs_dir` when given) and judge
    it as Gas City's `gc start` (`gate="start"`) or a controller reload (`gate="reload"`) does,
    strict mode included unless `strict` is off (`--no-strict`); see gates.py. Never raises for
    bad input: every reason comes back located (`file:line:col` or `file: field`), so the caller
    can keep the last good config."""
    from core.config.gates import gate_city
    from core.config.load import load_city

    path = city_file(path)
    try:
        city = load_city(path, packs_dir=packs_dir or None)
        reasons = gate_city(city, gate=gate, strict=strict)
    except ConfigError as e:
        return refused([e])
    except OSError as e:
        return refused([ConfigError(path, f"cannot read the config: {e.strerror or e}")])
    except Exception as e:  # noqa: BLE001 - a bug met on hostile input must not stop the watcher
        return refused([ConfigError(path, f"the config could not be loaded ({type(e).__name__}: {e})")])
    if reasons:
        return refused(reasons)
    return Loaded(city, file_source(path, city.revision, packs_dir, strict))


def file_source(path: str, revision: str = "", packs_dir: str = "", strict: bool = True) -> ConfigSource:
    """Record the text and table of the city file as loaded (for export)."""
    try:
        raw = read_regular(path, CONFIG_MAX_BYTES)
        text = raw.decode("utf-8", errors="replace")
        table = tomli.loads(text)
    except (OSError, ValueError, RecursionError):  # TOMLDecodeError is a ValueError
        text, table = "", {}
    return ConfigSource("file", path, os.path.dirname(path), table, text, revision, packs_dir, strict)


def inline_source(table: dict[str, Any], scenario_path: str, revision: str = "") -> ConfigSource:
    """A ConfigSource for a scenario's inline [city] table, resolving paths against the scenario's directory."""
    return ConfigSource("inline", scenario_path, os.path.dirname(os.path.abspath(scenario_path)), table, "",
                        revision)


def watch_targets(city: City, exclude: Iterable[str] = ()) -> tuple[list[str], set[str]]:
    """The directories to watch (non-recursively: editors save by writing a temp file and
    renaming it over the original) and the set of files whose change means "reload".

    Every file the loader read counts: the city.toml, pack files, agent files, include fragments
    and namepool files. `exclude` drops files that are not config (a scenario file holding an
    inline city is re-read only on explicit request)."""
    skip = {os.path.abspath(p) for p in exclude}
    files = {os.path.abspath(f) for f in city.files if os.path.abspath(f) not in skip}
    if city.path and os.path.isfile(city.path) and os.path.abspath(city.path) not in skip:
        files.add(os.path.abspath(city.path))
    dirs = sorted({os.path.dirname(f) for f in files if os.path.isdir(os.path.dirname(f))})
    return dirs, files


def is_relevant(changed_path: str, files: set[str], dirs: Iterable[str] = ()) -> bool:
    """Does a change to `changed_path` (as the watcher reports it) call for a reload? A watched
    file, or one of the watched `dirs` (or a directory above one) coming, going or being
    replaced."""
    p = os.path.abspath(changed_path)
    return p in files or any(d == p or d.startswith(p.rstrip(os.sep) + os.sep) for d in dirs)


def watch_roots(dirs: Iterable[str]) -> list[str]:
    """The directories to hand the watcher for `dirs`: each one that exists, and the nearest
    existing directory above it, so that a watched directory deleted, recreated or replaced by
    a rename is noticed (a watch follows the directory it was put on, not its path)."""
    roots = set()
    for d in dirs:
        d = os.path.abspath(d)
        if os.path.isdir(d):
            roots.add(d)
        up = os.path.dirname(d)
        while not os.path.isdir(up) and os.path.dirname(up) != up:
            up = os.path.dirname(up)
        if os.path.isdir(up):
            roots.add(up)
    return sorted(roots)


def digest(files: Iterable[str]) -> str:
    """A hash of the current bytes of `files`; a missing or unreadable file counts as absent."""
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(f.encode() + b"\0")
        try:
            data = read_regular(f, CONFIG_MAX_BYTES)
        except OSError:
            h.update(b"-\0")
            continue
        h.update(b"+%d\0" % len(data) + data)
    return h.hexdigest()


@dataclass(frozen=True)
class Stamp:
    """The watched files as they are at one moment: `digest` (their bytes, as `digest` hashes
    them), `stats` (each file's inode, size and modification time, None when it is missing) and
    `modified_ns`, the latest of those modification times (0 when there is none)."""

    digest: str
    stats: tuple[tuple[int, int, int] | None, ...]
    modified_ns: int


def stamp(files: Iterable[str]) -> Stamp:
    """A Stamp of `files` now. Two equal stamps taken around a read mean the read saw one
    version: a write changes the bytes, or at least the modification time, and a file renamed
    over another brings its own inode."""
    files = sorted(files)
    stats: list[tuple[int, int, int] | None] = []
    for f in files:
        try:
            st = os.stat(f)
            stats.append((st.st_ino, st.st_size, st.st_mtime_ns))
        except OSError:
            stats.append(None)
    return Stamp(digest(files), tuple(stats), max((s[2] for s in stats if s is not None), default=0))


@dataclass(frozen=True)
class Reading:
    """One load of the files, with their stamp taken just before it (see Reloader.read)."""

    before: Stamp
    loaded: Loaded


@dataclass(frozen=True)
class Verdict:
    """What one look at the config on disk means for the running model.

    `kind` is "apply" (a new, valid revision: queue `loaded.city`), "same" (the model already
    runs or has queued this revision), "error" (the files do not load or validate: keep the last
    good config and show `error`) or "unsettled" (the files changed while being read: wait for
    the next change)."""

    kind: str
    loaded: Loaded | None = None
    error: ConfigError | None = None
    digest: str = ""

    @property
    def errors(self) -> tuple[ConfigError, ...]:
        """Every reason the config on disk is refused (empty unless kind is "error")."""
        if self.loaded is not None and self.loaded.reasons:
            return self.loaded.reasons
        return (self.error,) if self.error is not None else ()

    @property
    def revision(self) -> str:
        return self.loaded.city.revision if self.loaded and self.loaded.city else ""


class Reloader:
    """Decides, each time the watcher says the config may have changed, whether the model takes
    what is on disk. One check runs at a time (a lock), so verdicts come out in the order the
    files were read.

    A check loads and validates the files once, and stamps them (bytes, inode, size and
    modification time) before and after: unless the stamps agree, the verdict is "unsettled"
    and nothing is applied (a file that changed while it was read is never taken for whole).
    Whether the files held still long enough before the check is the watcher's to wait for.
    Like Gas City's reload, a revision that changes the city's name or its `[storage]` is
    refused: both are fixed when the controller starts.
    """

    def __init__(self, path: str, packs_dir: str = "", city: City | None = None, *, strict: bool = True) -> None:
        self.path = city_file(path)
        self.packs_dir = packs_dir
        self.strict = strict  # Gas City's strict mode (off with --no-strict)
        self.city_name = city.name if city is not None else ""
        self.storage = _storage(city) if city is not None else None  # [storage] is fixed at boot
        self.files: set[str] = {self.path}
        self.dirs: list[str] = [os.path.dirname(self.path)]
        if city is not None:
            self._watch(city)
        self.checked: str = ""  # digest of the files at the last settled check
        self.last: Verdict | None = None
        self._lock = threading.Lock()

    def _watch(self, city: City) -> None:
        dirs, files = watch_targets(city)
        self.files = files | {self.path}
        self.dirs = sorted(set(dirs) | {os.path.dirname(self.path)})

    def targets(self) -> tuple[list[str], set[str]]:
        """The directories and files to watch now (they follow the last config that loaded)."""
        return list(self.dirs), set(self.files)

    def digest(self) -> str:
        """The hash of the watched files as they are now."""
        return digest(self.files)

    def stamp(self) -> Stamp:
        """The watched files' stamp as they are now."""
        return stamp(self.files)

    @property
    def error(self) -> ConfigError | None:
        """The first located reason the config on disk is refused, while it is (for the banner)."""
        return self.last.error if self.last is not None else None

    @property
    def errors(self) -> tuple[ConfigError, ...]:
        """Every located reason the config on disk is refused, while it is."""
        return self.last.errors if self.last is not None else ()

    def read(self) -> Reading:
        """Stamp the files and load them, deciding nothing: `check` takes the reading once the
        files are known to have held still (the watcher reads while it waits for that)."""
        before = self.stamp()
        return Reading(before, load(self.path, self.packs_dir, gate="reload", strict=self.strict))

    def check(self, current_revision: str, reading: Reading | None = None) -> Verdict:
        """Look at the files now. `current_revision` is the revision the model runs, or the one it
        has queued for its next tick. An earlier `reading` is used when the files' stamp is
        still the one it was taken at (they are read again when it is not)."""
        with self._lock:
            try:
                for earlier in ((reading, None) if reading is not None else (None,)):
                    got = earlier or self.read()
                    after = self.stamp()
                    if after == got.before:
                        break
                else:
                    return Verdict("unsettled", digest=after.digest)
                verdict = self._judge(got.loaded, current_revision, after.digest)
            except Exception as e:  # noqa: BLE001 - whatever the files hold, the watcher must live on
                err = ConfigError(self.path, f"the config could not be checked ({type(e).__name__}: {e})")
                verdict = Verdict("error", refused([err]), err, self.digest())
            self.checked = verdict.digest
            self.last = verdict
            return verdict

    def _judge(self, loaded: Loaded, current_revision: str, at: str) -> Verdict:
        if not loaded.ok:
            return Verdict("error", loaded, loaded.error, at)
        city = loaded.city
        assert city is not None
        if self.city_name and city.name != self.city_name:
            line = city.line_finder(self.path, "workspace.name") if city.line_finder else None
            err = ConfigError(self.path, f'workspace.name changed from "{self.city_name}" to "{city.name}" '
                                         "(restart the controller to apply)", field="workspace.name", line=line)
            return Verdict("error", Loaded(None, None, err), err, at)
        if self.storage is not None and _storage(city) != self.storage:
            err = ConfigError(self.path, "config reload: [storage] changed, and live storage handles cannot be "
                                         "swapped; restart this city to apply it (keeping old config)", field="storage",
                              line=city.line_finder(self.path, "storage") if city.line_finder else None)
            return Verdict("error", Loaded(None, None, err), err, at)
        self._watch(city)
        if not self.city_name:
            self.city_name = city.name
        if self.storage is None:
            self.storage = _storage(city)
        return Verdict("same" if city.revision == current_revision else "apply", loaded, None, at)


def _storage(city: City):
    from core.config.storage_checks import storage_identity

    return storage_identity(city.sections.get("storage"))
