"""Attach to a city through its supervisor's HTTP API, read-only, from any machine.

API (the same as `core.attach.session.AttachSession`, which reads a city directory)::

    s = ApiAttachSession.open(ApiTarget("http://127.0.0.1:8372"), "alpha", AttachOptions())
    s.poll()          # re-read every endpoint, then take what the event stream brought
    s.poll([])        # only take what the event stream brought (cheap; after `wait_change`)
    s.wait_change(t)  # sleep until the stream has news (an event, a drop, a reconnect)
    s.snapshot()      # the same picture as a file attach (AttachSnapshot), with the API's own sources
    s.world(), s.model(), s.drift()
    s.close()

What it reads (all GETs of `core.attach.api.guard.ENDPOINTS`): the city's `/config` and
`/status` (the model's config, `core.attach.api.config_map`; or a local copy of the config with
`config_dir`), `/beads?type=session` and `/beads` (the session and work beads the model and the
trackers, deferrals and alarms read), `/sessions` (what runs, with `running`/`attached`/
`activity` from whatever provider the city uses: `core.attach.api.runtime`), `/events` once for
the recent backlog, then the live `/events/stream` (`core.attach.api.stream`). The API does not
expose the reconciler trace: drift compares with the live beads and runtime only.

Staleness: each source keeps its last good reply when a read fails, and says when it was
fetched and how old the supervisor's cache was (`cache_age_s`). A reply marked `partial` keeps
its items and adds a warning with the supervisor's `partial_errors`. When the supervisor stops
answering, everything stays as last read, `sources.api.reachable` turns false and
`sources.api.notice` says since when; the stream reconnects with backoff on its own.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from core.attach.api.client import (
    ApiError,
    ApiRefused,
    ApiTarget,
    ApiUnreachable,
    Listing,
    SupervisorClient,
)
from core.attach.api.config_map import city_from_api, compare_configs
from core.attach.api.guard import RefusedRequest
from core.attach.api.records import (
    ApiSession,
    CityInfo,
    CityStatus,
    ConfigView,
    SupervisorHealth,
    decode_cities,
    decode_config,
    decode_health,
    decode_sessions,
    decode_status,
    event_problem,
)
from core.attach.api.runtime import runtime_listing
from core.attach.api.stream import LIVE, Backoff, EventStream
from core.attach.api.wire import problems_text
from core.attach.beads_source import BeadSet, decode_beads
from core.attach.live import LiveCitySession
from core.attach.options import AttachOptions
from core.attach.session import AttachError
from core.attach.sources import (
    ApiLink,
    BeadsSource,
    CityBlock,
    ConfigSource,
    EventsSource,
    RuntimeSource,
    SourceRead,
    Sources,
    TraceSource,
)
from core.attach.tmux import TmuxListing
from core.config.city_config import City
from core.formats.timefmt import format_time
from core.tracefile.problems import ReadWarning, RecentWarnings

STALE_CACHE_S = 30.0  # Gas City's own clients flag a cache older than this as a stale read
RELEVANT_EVENTS = ("session.", "bead.", "controller.", "city.")  # events after which the state is read again


class CityNotFound(AttachError):
    """The supervisor runs no city of that name (bad input)."""


@dataclass(frozen=True)
class ApiLayout:
    """The names an attach view shows for the city (as `core.attach.city.CityLayout` has them)."""

    name: str
    root: str


class NoTrace:
    """The API exposes no reconciler trace: no decisions, no cycles (what the feed reads)."""

    decisions: tuple = ()
    cycles: dict = {}

    def last_cycle(self) -> None:
        return None


def list_cities(client: SupervisorClient) -> tuple[SupervisorHealth | None, list[CityInfo], list[str]]:
    """The supervisor's health (None when `/health` fails: a standalone controller may not serve
    it) and its cities, and the reply fields that could not be read. Raises ApiError when
    `/v0/cities` cannot be read."""
    health = None
    problems: list[str] = []
    try:
        health, problems = decode_health(client.call(client.get("health")).body)
    except ApiUnreachable:
        raise
    except ApiError:
        pass
    cities, more = decode_cities(client.call(client.get("cities")).body)
    return health, cities, problems + more


class ApiAttachSession(LiveCitySession):
    """One city of a supervisor, read through its API (see the module docstring)."""

    def __init__(self, client: SupervisorClient, city: str, options: AttachOptions, *, config_dir: str | None = None,
                 stream: bool = True, backlog: int = 500, backoff: Backoff | None = None,
                 rng: random.Random | None = None, refetch_interval: float = 1.0) -> None:
        super().__init__(options)
        self.client = client
        self.city_name = city
        self.root = client.origin.url("city", city)
        self.layout = ApiLayout(city, self.root)
        self.trace = NoTrace()
        self.config_dir = config_dir
        self.backlog = backlog
        self.refetch_interval = refetch_interval
        self.supervisor: SupervisorHealth | None = None
        self.info: CityInfo | None = None
        self._config: ConfigView | None = None
        self._status: CityStatus | None = None
        self._local_city: City | None = None
        self._config_notes: list[str] = []
        self._beads = BeadSet()
        self._sessions: list[ApiSession] = []
        self._listing: TmuxListing | None = None
        self._reads: dict[str, SourceRead] = {k: SourceRead() for k in ("config", "status", "beads", "runtime",
                                                                        "events")}
        self._problems: dict[str, list[str]] = {}
        self._stream_warnings = RecentWarnings(self.options.max_read_warnings)
        self.unreachable_since: datetime | None = None
        self.last_ok_at: datetime | None = None
        self._last_fetch: datetime | None = None
        self._answered = False  # some read of the current fetch succeeded
        self._event_index: int | None = None  # the supervisor's event head when the backlog was read
        self._stream_enabled = stream
        self._stream: EventStream | None = None
        self._backoff = backoff
        self._rng = rng

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def open(cls, target: ApiTarget, city: str, options: AttachOptions | None = None, **kw: Any) -> ApiAttachSession:
        """Connect, check that the supervisor runs `city`, read everything once and start the
        event stream. Raises ApiUnreachable (nothing answered), ApiRefused (401/403),
        CityNotFound (no such city) or ApiError."""
        client = SupervisorClient(target)
        try:
            s = cls(client, city, options or AttachOptions(), **kw)
            s._connect()
            return s
        except RefusedRequest as e:  # a name the supervisor lists but that no read request may carry
            client.close()
            raise AttachError(f"{city!r}: citywatch cannot read this city ({e})") from None
        except BaseException:
            client.close()
            raise

    def _connect(self) -> None:
        health, cities, problems = list_cities(self.client)
        self.supervisor = health
        names = [c.name for c in cities]
        if self.city_name not in names:
            raise CityNotFound(f"{self.client.origin.base_url} runs no city named {self.city_name!r} (it runs: "
                               f"{', '.join(names) or 'none'})")
        self.info = next(c for c in cities if c.name == self.city_name)
        if problems:
            self._problems["cities"] = problems
        if self.config_dir:
            self._load_local_config(self.config_dir)
        self.poll()
        if self.unreachable_since is not None:
            raise ApiUnreachable(self._reads["beads"].error or self._reads["config"].error
                                 or f"{self.client.origin.base_url} stopped answering")
        self._read_backlog()
        if self._stream_enabled:
            # Resume right after the backlog, so no event falls between the two reads.
            after = max((e["seq"] for e in self.events), default=self._event_index)
            self._stream = EventStream(self.client, self.city_name, after, backoff=self._backoff,
                                       clock=self.options.clock, rng=self._rng)
            self._stream.start()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.stop()
        self.client.close()

    def watch_paths(self) -> list[str]:
        """No file to watch: the event stream says when something changed (`wait_change`)."""
        return []

    def wait_change(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds until the event stream has news; True if it had."""
        if self._stream is None:
            import time

            time.sleep(timeout)
            return False
        return self._stream.wait_change(timeout)

    # ------------------------------------------------------------------ reading
    def _load_local_config(self, config_dir: str) -> None:
        from core.config.errors import ConfigError
        from core.config.load import load_city

        try:
            self._local_city = load_city(config_dir, packs_dir=self.options.packs_dir)
        except ConfigError as e:
            raise AttachError(f"--config: {e.render()}") from None
        except OSError as e:
            raise AttachError(f"--config {self.config_dir}: cannot be read ({e.strerror or e})") from None

    def poll(self, changed: Iterable[str] | None = None) -> set[str]:
        """`changed` None: read every endpoint again, then take the streamed events; otherwise
        take the streamed events only (and read the state again after an event that may have
        changed it, at most every `refetch_interval` seconds). Returns the sources that changed
        (`config`, `beads`, `runtime`, `events`, and `connection` when the supervisor's or the
        stream's state did)."""
        out: set[str] = set()
        before = self._connection_sig()
        if changed is None:
            out |= self._fetch_state()
        got = self._drain_stream()
        if got:
            out.add("events")
            if changed is not None and any(str(e.get("type", "")).startswith(RELEVANT_EVENTS) for e in got):
                now = self.options.clock()
                if self._last_fetch is None or (now - self._last_fetch).total_seconds() >= self.refetch_interval:
                    out |= self._fetch_state()
        if self._connection_sig() != before:
            out.add("connection")
        self._note_changes(out)
        return out

    def _connection_sig(self) -> tuple:
        st = self._stream.status if self._stream is not None else None
        return (self.unreachable_since, st.phase if st else "", st.attempt if st else 0,
                tuple((k, r.error, r.partial) for k, r in sorted(self._reads.items())))

    def _get(self, source: str, endpoint: str, params: dict[str, Any] | None = None):
        """One reply (or None after recording why it failed on `source`)."""
        try:
            return self.client.call(self.client.get(endpoint, self.city_name, params))
        except ApiError as e:
            self._failed(source, e)
            return None

    def _list(self, source: str, endpoint: str, params: dict[str, Any] | None = None) -> Listing | None:
        try:
            return self.client.call(self.client.list(endpoint, self.city_name, params))
        except ApiError as e:
            self._failed(source, e)
            return None

    def _failed(self, source: str, e: ApiError) -> None:
        self._reads[source] = replace(self._reads[source], error=str(e))
        if isinstance(e, (ApiUnreachable, ApiRefused)) and self.unreachable_since is None and not self._answered:
            self.unreachable_since = self.options.clock()

    def _fetched(self, source: str, *, cache_age_s: float | None, partial: bool = False,
                 partial_errors: list[str] | None = None, truncated: bool = False) -> None:
        now = self.options.clock()
        self._reads[source] = SourceRead(now, cache_age_s, tuple(partial_errors or ()), partial, truncated)
        self.last_ok_at = now
        self._answered = True

    def _fetch_state(self) -> set[str]:
        """Read config, status, beads and sessions; keep the last good reply of each that fails."""
        out: set[str] = set()
        self._last_fetch = self.options.clock()
        self._answered = False
        if self._fetch_config():
            out.add("config")
        sessions = self._list("beads", "beads", {"type": "session"})
        work = self._list("beads", "beads") if sessions is not None else None
        if sessions is not None and work is not None:
            ids = {b.get("id") for b in sessions.items if isinstance(b, dict)}
            rows = sessions.items + [b for b in work.items if not (isinstance(b, dict) and b.get("id") in ids)]
            beads, warns = decode_beads(rows, "beads", self.root + "/beads")
            self._fetched("beads", cache_age_s=_oldest(sessions.cache_age_s, work.cache_age_s),
                          partial=sessions.partial or work.partial,
                          partial_errors=sessions.partial_errors + work.partial_errors,
                          truncated=sessions.truncated or work.truncated)
            new = BeadSet(beads, 0, warns)
            if new.beads != self._beads.beads:
                out.add("beads")
            self._beads = new
        listing = self._list("runtime", "sessions")
        if listing is not None:
            decoded, problems = decode_sessions(listing.items)
            self._problems["sessions"] = problems
            self._fetched("runtime", cache_age_s=listing.cache_age_s, partial=listing.partial,
                          partial_errors=listing.partial_errors, truncated=listing.truncated)
            new_listing = runtime_listing(decoded, partial=listing.partial or listing.truncated)
            if decoded != self._sessions or self._listing is None or \
                    new_listing.observable != self._listing.observable:
                out.add("runtime")
            self._sessions, self._listing = decoded, new_listing
        if self._answered:
            self.unreachable_since = None
        return out

    def _fetch_config(self) -> bool:
        """Config and status; the City the model runs on (the local copy with `config_dir`)."""
        cfg = self._get("config", "config")
        status = self._get("status", "status")
        st: CityStatus | None = self._status  # a failed status read keeps the last good one (pool bounds)
        if status is not None:
            st, problems = decode_status(status.body)
            self._problems["status"] = problems
            body = status.body if isinstance(status.body, dict) else {}
            self._fetched("status", cache_age_s=status.cache_age_s, partial=body.get("partial") is True,
                          partial_errors=[e for e in body.get("partial_errors") or [] if isinstance(e, str)])
        if cfg is None:
            return False
        config, problems = decode_config(cfg.body)
        self._problems["config"] = problems
        self._fetched("config", cache_age_s=cfg.cache_age_s)
        if config == self._config and st == self._status and self.city is not None:
            return False
        self._config, self._status = config, st
        if self._local_city is not None:
            self.city = self._local_city
            self._config_notes = [f"the local config {self.config_dir} differs from the supervisor's: {d}"
                                  for d in compare_configs(self._local_city, config)]
        else:
            self.city, self._config_notes = city_from_api(config, st, root=self.info.path if self.info else "",
                                                          source=self.root + "/config")
        return True

    def _read_backlog(self) -> None:
        """The newest `backlog` events, oldest first (the list endpoint serves newest first)."""
        reply = self._get("events", "events", {"limit": min(max(self.backlog, 1), 1000)})
        if reply is None:
            return
        body = reply.body if isinstance(reply.body, dict) else {}
        items = body.get("items")
        items = items if isinstance(items, list) else []
        good = [e for e in items if not event_problem(e)]
        if len(good) != len(items):
            self._problems["events"] = [f"{len(items) - len(good)} event(s) without an integer seq or a type"]
        self.events.extend(sorted(good, key=lambda e: e["seq"]))
        self._event_index = reply.index
        self._fetched("events", cache_age_s=reply.cache_age_s, partial=body.get("partial") is True,
                      partial_errors=[e for e in body.get("partial_errors") or [] if isinstance(e, str)])

    def _drain_stream(self) -> list[dict[str, Any]]:
        if self._stream is None:
            return []
        events, warnings = self._stream.drain()
        self._stream_warnings.add(warnings)
        self.events.extend(events)
        return events

    # ------------------------------------------------------------------ views
    def beads(self) -> BeadSet:
        return self._beads

    def runtime_listing(self) -> TmuxListing | None:
        return self._listing

    def _open_beads_only(self) -> bool:
        return True

    @property
    def stream_status(self):
        return self._stream.status if self._stream is not None else None

    def warnings(self) -> list[ReadWarning]:
        out = [ReadWarning("config", "config_warning", n) for n in self._config_notes]
        base = self.root
        for source, r in sorted(self._reads.items()):
            if r.error:
                out.append(ReadWarning(source, "api_error", f"{r.error}; showing the last good reply"
                                       + (f" (fetched {format_time(r.fetched_at)})" if r.fetched_at else ""), base))
            if r.partial:
                out.append(ReadWarning(source, "partial", "the supervisor's reply is partial"
                                       + (f": {'; '.join(r.partial_errors[:5])}" if r.partial_errors else ""), base))
            if r.truncated:
                out.append(ReadWarning(source, "truncated", "more items than citywatch reads in one refresh; the "
                                       "rest are not shown", base))
            if r.cache_age_s is not None and r.cache_age_s > STALE_CACHE_S:
                out.append(ReadWarning(source, "stale_cache", f"the supervisor's cache was {r.cache_age_s:.0f}s old "
                                       "when it answered", base))
        for source, problems in sorted(self._problems.items()):
            if problems:
                out.append(ReadWarning(source, "bad_field", "fields of the wrong type read as empty: "
                                       + problems_text(problems), base))
        out += self._beads.warnings
        out += self._scale_check_warnings()
        return out + list(self._stream_warnings)

    def _scale_checks(self) -> dict[str, int]:
        return {}

    def _empty_city(self):
        from core.config.city_config import City

        return City(root="", path=self.root + "/config")

    def notice(self) -> str:
        """One sentence for a banner when the view is not live ("" when it is)."""
        st = self.stream_status
        if self.unreachable_since is not None:
            return (f"the supervisor has not answered since {_clock(self.unreachable_since)}: the view is as of "
                    f"{_clock(self.last_ok_at) if self.last_ok_at else 'never'}, marked stale")
        if st is not None and st.phase != LIVE:
            return (f"the event stream is {st.phase}" + (f" (attempt {st.attempt}, next try {_clock(st.retry_at)})"
                                                        if st.attempt and st.retry_at else "")
                    + (f": {st.last_error}" if st.last_error else ""))
        return ""

    def _snapshot_city(self) -> CityBlock:
        cfg = self._config
        return CityBlock(
            path=self.root, name=self.city_name, config_loaded=self.city is not None,
            config_revision=self.city.revision if self.city is not None else "",
            config_source="local" if self._local_city is not None else "api",
            config_dir=self.config_dir or "", tmux_socket="",
            session_provider=cfg.provider if cfg else "", bead_provider="api", bead_source="api",
            supervisor_path=self.info.path if self.info else "")

    def _snapshot_sources(self) -> Sources:
        now = self.options.clock()
        sessions, work = self._beads.counts()
        last_event = self.events[-1] if self.events else {}
        reads = self._reads
        return Sources(
            api=ApiLink(url=self.client.origin.base_url, city=self.city_name,
                        supervisor_version=self.supervisor.version if self.supervisor else "",
                        reachable=self.unreachable_since is None, unreachable_since=self.unreachable_since,
                        last_ok_at=self.last_ok_at,
                        stale_for_s=round((now - self.last_ok_at).total_seconds(), 1)
                        if self.unreachable_since is not None and self.last_ok_at else None,
                        stream=self.stream_status, notice=self.notice()),
            config=ConfigSource("local" if self._local_city is not None else "api", reads["config"]),
            beads=BeadsSource(present=reads["beads"].fetched_at is not None, sessions=sessions, work=work,
                              read=reads["beads"]),
            events=EventsSource(present=True, held=len(self.events), last_seq=last_event.get("seq"),
                                last_ts=last_event.get("ts"), read=reads["events"]),
            trace=TraceSource(present=False, head=None, batches_read=0, last_tick_id="",
                              note="the supervisor API does not expose the reconciler trace"),
            runtime=RuntimeSource(socket="", label="runtime (api)", observable=self.runtime_observable,
                                  server_running=self._listing is not None,
                                  running=sum(1 for s in self._sessions if s.running),
                                  note=self._listing.note if self._listing else "", read=reads["runtime"]),
        )


def _clock(t: datetime) -> str:
    """A time of day for a sentence, to the second (UTC, as every time citywatch shows)."""
    return t.strftime("%H:%M:%S UTC")


def _oldest(*ages: float | None) -> float | None:
    known = [a for a in ages if a is not None]
    return max(known) if known else None
