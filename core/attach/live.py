"""What every attach session offers, whatever it reads the live city from.

`LiveCitySession` holds what a city directory (`core.attach.session.AttachSession`) and a
supervisor's HTTP API (`core.attach.api.session.ApiAttachSession`) share once their sources are
read: the live state as a model `World`, one model tick on a copy of it for drift, the loop
alarms over the events, and the snapshot (`core.attach.snapshot.AttachSnapshot`). A subclass says where the beads, the runtime,
the last traced cycle and the warnings come from, and describes its own sources in the
snapshot's `city`, `sources` and `trace` blocks.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.alarms import AlarmMemory, evaluate_alarms
from core.attach.beads_source import BeadSet
from core.attach.controller_drift import DriftReport, compute_drift
from core.attach.lifecycle import lifecycle_rows
from core.attach.snapshot import AttachSnapshot, TraceBlock, event_row, runtime_rows, session_rows
from core.attach.world_map import live_world
from core.tracefile.problems import ReadWarning
from core.world.world import World

if TYPE_CHECKING:
    from core.attach.options import AttachOptions
    from core.attach.sources import CityBlock, Sources
    from core.attach.tmux import TmuxListing
    from core.attach.trace_view import Cycle
    from core.config.city_config import City
    from core.views.state_json import AliasDeferral

MODEL_SOURCES = frozenset({"config", "beads", "trace", "runtime"})  # what the live world and drift read


class LiveCitySession:
    """The model, drift, alarms and snapshot over a live city's sources (see the module
    docstring). Subclasses provide `beads()`, `runtime_listing()`, `warnings()` and the
    snapshot blocks, and call `_note_changes` with the sources each poll changed."""

    def __init__(self, options: AttachOptions) -> None:
        self.options = options
        self.city: City | None = None
        self.events: deque[dict[str, Any]] = deque(maxlen=options.keep_events)
        self._alarm_memory = AlarmMemory()
        self._world: World | None = None
        self._drift: DriftReport | None = None  # the last one computed (kept while stale)
        self._inputs = 0  # bumped whenever a source the model reads changes
        self._drift_inputs = -1  # the `_inputs` the drift was computed from
        self.drift_runs = 0  # how many times drift was computed (one model tick each)
        self.drift_computed_at: datetime | None = None

    # ------------------------------------------------------------------ what a subclass provides
    def beads(self) -> BeadSet:
        """The session and work beads as last read."""
        raise NotImplementedError

    def runtime_listing(self) -> TmuxListing | None:
        """What runs, as last listed (None: not listed yet)."""
        raise NotImplementedError

    def last_cycle(self) -> Cycle | None:
        """The controller's last traced cycle, when the source has a trace."""
        return None

    def warnings(self) -> list[ReadWarning]:
        """Every problem met reading the sources, as they stand now."""
        raise NotImplementedError

    def _scale_checks(self) -> dict[str, int]:
        """The scale_check counts the model uses (the controller's own, where the source has them)."""
        c = self.last_cycle()
        return c.counts("scale_check_counts") if c else {}

    def _open_beads_only(self) -> bool:
        """True when the beads are a listing of open beads only: a blocker missing from it is closed."""
        return False

    def _snapshot_city(self) -> CityBlock:
        raise NotImplementedError

    def _snapshot_sources(self) -> Sources:
        raise NotImplementedError

    def _snapshot_trace(self) -> TraceBlock:
        return TraceBlock()

    def _empty_city(self) -> City:
        """The City the deferral view runs on when no config is loaded."""
        from core.config.city_config import City

        return City(root="", path="")

    # ------------------------------------------------------------------ shared
    def _note_changes(self, changed: set[str]) -> None:
        """Drop what depends on changed sources; let the alarms see each new bead state once.
        Events feed only the alarms and the feed: the world and drift do not depend on them."""
        if changed & MODEL_SOURCES:
            self._world = None
            self._inputs += 1
        if "beads" in changed:
            self._alarm_memory.observe_conflicts(self.world_view())

    @property
    def runtime_observable(self) -> bool:
        listing = self.runtime_listing()
        return bool(listing and listing.observable)

    def world_view(self) -> World:
        """The cached live world (do not mutate; use `world()` for a copy)."""
        if self._world is None:
            prefix = (self.city.workspace.prefix if self.city is not None and self.city.workspace.prefix else "gc")
            self._world = live_world(self.beads(), self.runtime_listing(), self.options.clock(), prefix=prefix,
                                     scale_checks=self._scale_checks(), open_only=self._open_beads_only())
        return self._world

    def world(self) -> World:
        """A copy of the live world that the caller may tick and poke freely."""
        w = self.world_view()
        return World.from_state(w.snapshot(), prefix=w.store.prefix)

    def model(self):
        """A Model over a copy of the live world (None without a loadable config)."""
        from core.model.facade import Model

        if self.city is None:
            return None
        return Model(self.city, self.world(), self.options.semantics, adopt_on_start=False)

    @property
    def inputs_version(self) -> int:
        """Bumped whenever a source the model reads (config, beads, trace, runtime) changes."""
        return self._inputs

    @property
    def drift_stale(self) -> bool:
        """Has a source the model reads changed since drift was last computed?"""
        return self._drift is None or self._drift_inputs != self._inputs

    def drift(self, *, recompute: bool = True) -> DriftReport:
        """The drift of the current state. `recompute=False` returns the last one computed even
        when it is stale (see `drift_stale`), and computes only when there is none yet: a caller
        that coalesces changes (core.attach.settle) recomputes when the city settles."""
        if self._drift is None or (recompute and self.drift_stale):
            inputs = self._inputs
            self._drift = compute_drift(self.city, self.world_view(), self.last_cycle(),
                                        runtime_observable=self.runtime_observable, semantics=self.options.semantics)
            self._drift_inputs = inputs
            self.drift_runs += 1
            self.drift_computed_at = self.options.clock()
        return self._drift

    def _scale_check_warnings(self) -> list[ReadWarning]:
        if self.city is None:
            return []
        known = self._scale_checks()
        missing = sorted(a.qualified_name for a in self.city.agents
                         if getattr(a, "has_scale_check", False) and a.qualified_name not in known)
        if not missing:
            return []
        return [ReadWarning("model", "scale_check_unknown", "attach never runs scale_check commands and the trace "
                            f"has no scale_check_counts for {', '.join(missing)}; the model assumes 0 for them")]

    def snapshot(self, *, fresh_drift: bool = True) -> AttachSnapshot:
        """The current picture, deterministic for the same inputs and clock (its `to_json()` is
        what `attach --json` prints). `fresh_drift=False`: the last drift computed, even when
        stale (see `drift()`)."""
        now = self.options.clock()
        world = self.world_view()
        defer_rows, extra = self._deferrals(world)
        drift = self.drift(recompute=fresh_drift)
        alarms = evaluate_alarms(world, self.events, now, self.options.thresholds, self._alarm_memory, self.city)
        return AttachSnapshot(
            city=self._snapshot_city(),
            as_of=now,
            sources=self._snapshot_sources(),
            sessions=tuple(session_rows(world, self.runtime_observable)),
            runtime=tuple(runtime_rows(world)),
            deferrals=tuple(defer_rows),
            trackers=tuple(lifecycle_rows(world, now)),
            events=tuple(event_row(e) for e in list(self.events)[-self.options.show_events:]),
            trace=self._snapshot_trace(),
            drift=drift,
            alarms=tuple(alarms),
            warnings=tuple(self.warnings() + extra),
        )

    def _deferrals(self, world: World) -> tuple[list[AliasDeferral], list[ReadWarning]]:
        """The alias deferrals of the live world, or none and a warning when they cannot be
        computed (live beads are arbitrary input: the rest of the snapshot still shows)."""
        from core.model.facade import Model
        from core.views.state_json import deferrals

        try:
            return deferrals(Model(
                self.city or self._empty_city(), World.from_state(world.snapshot(), prefix=world.store.prefix),
                self.options.semantics, adopt_on_start=False)), []
        except Exception as e:
            return [], [ReadWarning("model", "deferrals_failed", f"alias deferrals could not be computed "
                                    f"({type(e).__name__}: {e})")]
