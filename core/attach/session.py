"""Attach to a live Gas City directory, read-only, and keep an up-to-date picture of it.

API (what the TUI's attach mode drives)::

    s = AttachSession.open("/path/to/city", AttachOptions())   # reads everything once
    s.watch_paths()       # paths to hand to watchfiles (the city dir's .gc/ and city.toml)
    s.poll(changed)       # after a watchfiles batch: re-read only the sources under `changed`
    s.poll()              # on a timer: stat every file source, and list tmux (and bd)
    s.refresh_runtime()   # only the listings (tmux, and bd with --bd)
    s.snapshot()          # the current picture (core.attach.snapshot.AttachSnapshot; see below)
    s.world()             # the live state as a model World (a fresh copy each call)
    s.model()             # a Model over that copy, for the same panels and explain
    s.close()

`poll` returns the set of sources that changed (`config`, `beads`, `events`, `trace`,
`runtime`), so a caller repaints only when something did. Every reader is incremental: beads
are re-read on an inode/size/mtime change, events and trace segments from a saved byte offset.

Read-only by construction: files are opened for reading only, no lock is taken, nothing is
created under the city; the only programs run are the listings of `core/attach/commands.py`
(tmux list-sessions/list-panes/show-environment, and `bd --readonly list` only with `use_bd`).
Every source is optional: a missing, unreadable or damaged one becomes a warning and the rest
still shows.

Snapshot fields (and the keys of its JSON form): `city`, `as_of`, `sources`, `sessions`, `runtime`, `deferrals`, `trackers`,
`events` (newest last), `trace` (`last_cycle`, `decisions` with their real tick ids), `drift`,
`alarms`, `warnings`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime

from core.attach.bd import read_bd_sessions
from core.attach.beads_source import BeadSet, BeadsFile
from core.attach.city import CityLayout, resolve_layout
from core.attach.events import EventTail
from core.attach.live import MODEL_SOURCES, LiveCitySession
from core.attach.options import AttachOptions
from core.attach.snapshot import TraceBlock
from core.attach.sources import (
    BeadsSource,
    CityBlock,
    EventsSource,
    RuntimeSource,
    Sources,
    TraceSource,
)
from core.attach.tmux import TmuxListing, TmuxReader
from core.attach.trace_view import Cycle, TraceView
from core.formats.timefmt import format_time
from core.tracefile.problems import ReadWarning, RecentWarnings

SOURCES = ("config", "beads", "events", "trace", "runtime")
__all__ = ["MODEL_SOURCES", "SOURCES", "AttachError", "AttachOptions", "AttachSession", "AttachUnreachable"]


class AttachError(ValueError):
    """The path given is not something attach can open: missing, not a directory, or not a Gas
    City city (bad input)."""


class AttachUnreachable(AttachError):
    """The city directory exists but cannot be read (a source that cannot be reached)."""


def check_city_dir(city_dir: str) -> None:
    """Raise AttachError unless `city_dir` is a directory holding a Gas City city (its
    `city.toml`, or the `.gc/` folder a running city keeps), AttachUnreachable when it cannot be
    listed."""
    if not os.path.isdir(city_dir):
        raise AttachError(f"{city_dir}: not a directory (attach needs a city directory)")
    try:
        names = set(os.listdir(city_dir))
    except OSError as e:
        raise AttachUnreachable(f"{city_dir}: cannot be read ({e.strerror or e})") from None
    if "city.toml" not in names and ".gc" not in names:
        raise AttachError(f"{city_dir}: not a Gas City city (looked for city.toml and .gc/ in it; found neither)")


class AttachSession(LiveCitySession):
    """A live city read from its directory (see the module docstring)."""

    def __init__(self, city_dir: str, options: AttachOptions) -> None:
        check_city_dir(city_dir)
        super().__init__(options)
        self.layout: CityLayout = resolve_layout(city_dir, options.tmux_socket)
        self.root = self.layout.root
        self._config_sig: tuple | None = None
        self._config_warnings: list[ReadWarning] = []
        self._beads_file = BeadsFile(self.layout.beads_json)
        self._bd_set: BeadSet | None = None
        self._events = EventTail(self.layout.events_jsonl, options.events_backlog_bytes)
        self.trace = TraceView(self.layout.trace_root, history_segments=options.trace_history_segments)
        self._tmux = TmuxReader(self.layout.tmux_socket, tmux=options.tmux, timeout=options.tmux_timeout)
        self._tmux_listing: TmuxListing | None = None
        self._read_warnings = RecentWarnings(options.max_read_warnings)
        self._status_warnings: dict[str, list[ReadWarning]] = {}
        self._fresh_counts: tuple[str, dict[str, int]] | None = None  # (config revision, scale_check counts)

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def open(cls, city_dir: str, options: AttachOptions | None = None) -> AttachSession:
        """Open a city directory and read every source once. Raises AttachError for a path that
        is not a directory; everything else is reported as warnings."""
        s = cls(city_dir, options or AttachOptions())
        s.poll()
        return s

    def close(self) -> None:
        self._events.close()

    def watch_paths(self) -> list[str]:
        """What a watchfiles worker should watch: the city's `.gc/` (if present) and its config
        files. A change under them is what `poll(changed)` wants to hear about."""
        paths = [self.layout.gc_dir] if os.path.isdir(self.layout.gc_dir) else []
        files = list(self.city.files) if self.city is not None else [self.layout.city_toml]
        return paths + sorted({f for f in files if os.path.exists(f)})

    # ------------------------------------------------------------------ polling
    def poll(self, changed: Iterable[str] | None = None) -> set[str]:
        """Re-read what may have changed. `changed` None: every file source (each is cheap
        when nothing moved) plus the runtime listings; else only the sources whose files are
        at or under one of the `changed` paths. Returns the names of sources that changed."""
        wanted = set(SOURCES) if changed is None else self._sources_for(changed)
        out: set[str] = set()
        if "config" in wanted and self._poll_config():
            out.add("config")
        if "beads" in wanted and not self.options.use_bd:
            got, warns = self._beads_file.poll()
            self._add_read_warnings(warns)
            if got:
                out.add("beads")
        if "events" in wanted:
            d = self._events.poll()
            self._add_read_warnings(d.warnings)
            if d.events:
                self.events.extend(d.events)
                out.add("events")
        if "trace" in wanted:
            got, warns = self.trace.poll(final=self.options.one_shot)
            self._add_read_warnings(warns)
            if got:
                out.add("trace")
        if changed is None:
            out |= self._list_runtime()
        self._note_changes(out)  # once for all sources: each note rebuilds the live world
        return out

    def refresh_runtime(self) -> set[str]:
        """Run the listings (tmux; bd with `use_bd`) and return which of them changed."""
        out = self._list_runtime()
        self._note_changes(out)
        return out

    def _list_runtime(self) -> set[str]:
        out: set[str] = set()
        if self.layout.runtime_observable:
            listing = self._tmux.poll()
            self._status_warnings["runtime"] = listing.warnings
            if self._tmux_listing is None or _runtime_sig(listing) != _runtime_sig(self._tmux_listing):
                out.add("runtime")
            self._tmux_listing = listing
        else:
            self._status_warnings["runtime"] = [ReadWarning(
                "tmux", "unobservable", f"sessions use the {self.layout.session_provider!r} provider, which has no "
                "tmux socket; the runtime is unobservable")]
        if self.options.use_bd:
            bs = read_bd_sessions(self.root, bd=self.options.bd, timeout=self.options.bd_timeout)
            self._status_warnings["bd"] = bs.warnings
            if self._bd_set is None or bs.beads != self._bd_set.beads:
                out.add("beads")
            self._bd_set = bs
        return out

    def bd_failed(self) -> str:
        """Why `bd` could not give the session beads on its last run ("" when it did, or when
        bd is not used): with `--bd`, the one source of the beads."""
        if not self.options.use_bd:
            return ""
        failed = [w for w in self._status_warnings.get("bd", []) if w.code == "bd_failed"]
        return failed[0].message if failed and self._bd_set is not None and not self._bd_set.beads else ""

    def _sources_for(self, changed: Iterable[str]) -> set[str]:
        config_files = set(self.city.files) if self.city is not None else {self.layout.city_toml}
        config_files.add(os.path.join(self.layout.gc_dir, "site.toml"))
        owners = [(self.layout.beads_json, "beads"), (self.layout.events_jsonl, "events"),
                  (self.layout.trace_root, "trace")]
        out: set[str] = set()
        for p in changed:
            p = os.path.abspath(p)
            if p in config_files:
                out.add("config")
            for base, name in owners:
                if p == base or p.startswith(base + os.sep) or (name == "events" and p.startswith(base + ".")):
                    out.add(name)
            if p == self.layout.gc_dir:
                out |= {"beads", "events", "trace"}
        return out

    def _poll_config(self) -> bool:
        from core.config.errors import ConfigError
        from core.config.load import load_city
        from core.config.validate import validate_city

        files = list(self.city.files) if self.city is not None else [self.layout.city_toml]
        sig = tuple(_stat_sig(f) for f in sorted(set(files) | {os.path.join(self.layout.gc_dir, "site.toml")}))
        if sig == self._config_sig:
            return False
        self._config_sig = sig
        self.layout = resolve_layout(self.root, self.options.tmux_socket)
        try:
            self.city = load_city(self.root, packs_dir=self.options.packs_dir)
            validate_city(self.city)  # Gas City's controller refuses a config that fails validation
            self._config_warnings = [ReadWarning("config", "config_warning", w.render()) for w in self.city.warnings]
        except ConfigError as e:
            self.city = None
            self._config_warnings = [ReadWarning("config", "config_error", f"{e.render()} (the model and drift need "
                                                 "a loadable config; the rest still shows)")]
        except Exception as e:  # a live config is arbitrary input: never let it stop the other sources
            self.city = None
            self._config_warnings = [ReadWarning("config", "config_error", f"the config could not be loaded "
                                                 f"({type(e).__name__}: {e}); the rest still shows",
                                                 self.layout.city_toml)]
        # A city.toml the loader refused is reported once, by the loader.
        self._config_warnings += [w for w in self.layout.warnings
                                  if self.city is not None or w.path != self.layout.city_toml]
        if self.city is not None:  # the loader knows every file it read; watch them all from now on
            self._config_sig = tuple(_stat_sig(f) for f in sorted(set(self.city.files)
                                                                    | {os.path.join(self.layout.gc_dir, "site.toml")}))
        self._tmux = TmuxReader(self.layout.tmux_socket, tmux=self.options.tmux, timeout=self.options.tmux_timeout)
        return True

    def _add_read_warnings(self, warns: list[ReadWarning]) -> None:
        self._read_warnings.add(warns)

    # ------------------------------------------------------------------ views
    def beads(self) -> BeadSet:
        if self.options.use_bd:
            return self._bd_set or BeadSet()
        return self._beads_file.current

    def _scale_checks(self) -> dict[str, int]:
        c = self.trace.last_cycle()
        traced = c.counts("scale_check_counts") if c else {}
        if self.options.scale_check_timeout is None or self.city is None:
            return traced
        return {**self._fresh_scale_checks(), **traced}  # the controller's own reads come first

    def _fresh_scale_checks(self) -> dict[str, int]:
        """One run of the city's scale_check commands per config revision (opt-in only)."""
        from core.model.scalecheck import run_all

        assert self.city is not None and self.options.scale_check_timeout is not None
        if self._fresh_counts is None or self._fresh_counts[0] != self.city.revision:
            runs = run_all(self.city, self.options.scale_check_timeout)
            self._fresh_counts = (self.city.revision, {r.template: r.value for r in runs if r.value is not None})
        return self._fresh_counts[1]

    def runtime_listing(self) -> TmuxListing | None:
        return self._tmux_listing

    def last_cycle(self) -> Cycle | None:
        return self.trace.last_cycle()

    def warnings(self) -> list[ReadWarning]:
        out = list(self._config_warnings)
        for k in sorted(self._status_warnings):
            out += self._status_warnings[k]
        out += self._scale_check_warnings()
        return out + list(self._read_warnings)

    def _empty_city(self):
        from core.config.city_config import City

        return City(root=self.root, path=self.layout.city_toml)

    def _snapshot_city(self) -> CityBlock:
        return CityBlock(
            path=self.root, name=self.layout.name, config_loaded=self.city is not None,
            config_revision=self.city.revision if self.city is not None else "",
            tmux_socket=self.layout.tmux_socket, session_provider=self.layout.session_provider,
            bead_provider=self.layout.bead_provider,
            bead_source="bd" if self.options.use_bd else ("file" if self._beads_file.exists else "none"))

    def _snapshot_sources(self) -> Sources:
        sessions, work = self.beads().counts()
        last = self.trace.last_cycle()
        listing = self._tmux_listing
        last_event = self.events[-1] if self.events else {}
        return Sources(
            beads=BeadsSource(path=os.path.relpath(self.layout.beads_json, self.root),
                              present=self._beads_file.exists,
                              modified_at=format_time(_mtime(self._beads_file.mtime)),
                              sessions=sessions, work=work),
            events=EventsSource(path=os.path.relpath(self.layout.events_jsonl, self.root), present=self._events.exists,
                                held=len(self.events), last_seq=last_event.get("seq"), last_ts=last_event.get("ts")),
            trace=TraceSource(path=os.path.relpath(self.layout.trace_root, self.root), present=self.trace.reader.exists,
                              head=self.trace.head, batches_read=self.trace.batches_read,
                              last_tick_id=last.tick_id if last else ""),
            runtime=RuntimeSource(socket=self.layout.tmux_socket, observable=self.runtime_observable,
                                  server_running=bool(listing and listing.server_running),
                                  note=listing.note if listing else ""),
        )

    def _snapshot_trace(self) -> TraceBlock:
        last = self.trace.last_cycle()
        return TraceBlock(last.summary() if last else None,
                          tuple(list(self.trace.decisions)[-self.options.show_decisions:]))


def _stat_sig(path: str) -> tuple:
    try:
        st = os.stat(path)
    except OSError:
        return (path, None)
    return (path, st.st_ino, st.st_size, st.st_mtime_ns)


def _mtime(t: float | None) -> datetime | None:
    return datetime.fromtimestamp(t, UTC) if t is not None else None


def _runtime_sig(listing: TmuxListing) -> tuple:
    return (listing.observable, listing.server_running,
            tuple((s.name, s.alive, s.attached, s.activity, tuple(sorted(s.env.items()))) for s in listing.sessions))
