"""Where an attach snapshot's picture came from: the `city` block (what is attached and how its
config, beads and runtime are provided) and the `sources` block (how fresh each source is).

A city directory and a supervisor's API describe the same blocks with a few fields of their
own: a field left None here is one its kind of source does not have, and it is left out of
the JSON form (so each keeps exactly the keys it always had, in their order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.formats.timefmt import format_time

if TYPE_CHECKING:
    from core.attach.api.stream import StreamStatus
    from core.attach.trace_view import TraceHead


def _kept(pairs: tuple[tuple[str, object], ...]) -> dict[str, Any]:
    """The pairs whose value is not None (a field the source does not have)."""
    return {k: v for k, v in pairs if v is not None}


@dataclass(frozen=True, slots=True)
class SourceRead:
    """The last read of one supervisor endpoint group: when it succeeded, how stale the
    supervisor said it was, whether it was partial or cut short, and the error of the last
    failed attempt."""

    fetched_at: datetime | None = None
    cache_age_s: float | None = None
    partial_errors: tuple[str, ...] = ()
    partial: bool = False
    truncated: bool = False
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"fetched_at": format_time(self.fetched_at), "cache_age_s": self.cache_age_s, "partial": self.partial,
                "partial_errors": list(self.partial_errors), "truncated": self.truncated, "error": self.error}


def _read(read: SourceRead | None) -> dict[str, Any]:
    return read.to_json() if read is not None else {}


@dataclass(frozen=True, slots=True)
class CityBlock:
    """What is attached (the snapshot's `city`): its directory and name, the config's state, and
    how its sessions and beads are provided. The API adds where the config came from and the
    city's directory on the supervisor's machine."""

    path: str
    name: str
    config_loaded: bool
    config_revision: str
    tmux_socket: str
    session_provider: str
    bead_provider: str
    bead_source: str  # file | bd | none | api
    config_source: str | None = None  # API: local | api
    config_dir: str | None = None  # API: the local copy of the config ("" when none)
    supervisor_path: str | None = None  # API

    def to_json(self) -> dict[str, Any]:
        return _kept((("path", self.path), ("name", self.name), ("config_loaded", self.config_loaded),
                      ("config_revision", self.config_revision), ("config_source", self.config_source),
                      ("config_dir", self.config_dir), ("tmux_socket", self.tmux_socket),
                      ("session_provider", self.session_provider), ("bead_provider", self.bead_provider),
                      ("bead_source", self.bead_source), ("supervisor_path", self.supervisor_path)))


@dataclass(frozen=True, slots=True)
class BeadsSource:
    """The beads as last read: the file (path relative to the city, its mtime) or the API's read."""

    present: bool
    sessions: int
    work: int
    path: str | None = None  # file
    modified_at: str | None = None  # file ("" when unknown)
    read: SourceRead | None = None  # API

    def to_json(self) -> dict[str, Any]:
        return _kept((("path", self.path), ("present", self.present), ("modified_at", self.modified_at),
                      ("sessions", self.sessions), ("work", self.work))) | _read(self.read)


@dataclass(frozen=True, slots=True)
class EventsSource:
    """The events held, and the newest one's seq and time as it wrote them (None: no event)."""

    present: bool
    held: int
    last_seq: object
    last_ts: object
    path: str | None = None  # file
    read: SourceRead | None = None  # API

    def to_json(self) -> dict[str, Any]:
        return _kept((("path", self.path), ("present", self.present))) | {
            "held": self.held, "last_seq": self.last_seq, "last_ts": self.last_ts} | _read(self.read)


@dataclass(frozen=True, slots=True)
class TraceSource:
    """The reconciler trace: whether it is there, its head.json, the batches read and the last
    traced tick; the API says why it has none."""

    present: bool
    head: TraceHead | None
    batches_read: int
    last_tick_id: str
    path: str | None = None  # file
    note: str | None = None  # API

    def to_json(self) -> dict[str, Any]:
        return _kept((("path", self.path), ("present", self.present))) | {
            "head": self.head.to_json() if self.head is not None else None, "batches_read": self.batches_read,
            "last_tick_id": self.last_tick_id} | _kept((("note", self.note),))


@dataclass(frozen=True, slots=True)
class RuntimeSource:
    """What runs: the tmux socket (a city directory) or the API's sessions, whether it can be
    observed, whether anything answered, and a note on why not."""

    socket: str
    observable: bool
    server_running: bool
    note: str
    label: str | None = None  # API
    running: int | None = None  # API: sessions the provider says run
    read: SourceRead | None = None  # API

    def to_json(self) -> dict[str, Any]:
        return _kept((("socket", self.socket), ("label", self.label), ("observable", self.observable),
                      ("server_running", self.server_running), ("running", self.running),
                      ("note", self.note))) | _read(self.read)


@dataclass(frozen=True, slots=True)
class ApiLink:
    """The supervisor attached to: its URL and version, whether it answers, since when it does
    not, how stale the view is, the event stream's state and a banner notice ("" when live)."""

    url: str
    city: str
    supervisor_version: str
    reachable: bool
    unreachable_since: datetime | None
    last_ok_at: datetime | None
    stale_for_s: float | None
    stream: StreamStatus | None
    notice: str

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "city": self.city, "supervisor_version": self.supervisor_version,
                "reachable": self.reachable, "unreachable_since": format_time(self.unreachable_since),
                "last_ok_at": format_time(self.last_ok_at), "stale_for_s": self.stale_for_s,
                "stream": self.stream.to_json() if self.stream else None, "notice": self.notice}


@dataclass(frozen=True, slots=True)
class ConfigSource:
    """Where the API attach's config came from (a local copy or the API) and its last read."""

    source: str
    read: SourceRead

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source} | self.read.to_json()


@dataclass(frozen=True, slots=True)
class Sources:
    """The snapshot's `sources`: each source's freshness (`api` and `config` for an API attach)."""

    beads: BeadsSource
    events: EventsSource
    trace: TraceSource
    runtime: RuntimeSource
    api: ApiLink | None = None
    config: ConfigSource | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.api is not None:
            out["api"] = self.api.to_json()
        if self.config is not None:
            out["config"] = self.config.to_json()
        return out | {"beads": self.beads.to_json(), "events": self.events.to_json(),
                      "trace": self.trace.to_json(), "runtime": self.runtime.to_json()}
