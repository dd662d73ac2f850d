"""Saving and loading a world (World.to_json -> json.dumps -> World.from_json) loses nothing.

Worlds are drawn directly (hypothesis), with every kind of record a world holds: open and closed
session beads with any metadata, work beads, runtime sessions (zombies, corpses, meta, env),
injected start failures, scale_check results and every kind of controller memory, with times
down to the microsecond. How a model run gets there is tests/test_properties.py's business;
here every field is reached, not only the ones a short run happens to produce.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import immutables
from hypothesis import given
from hypothesis import strategies as st

from core.formats.timefmt import UTC
from core.world.beads import SessionBead, WaitBead, WorkBead
from core.world.memory import Circuit, DeferStreak, Drain, IdleProbe, Memory
from core.world.runtime import RuntimeSession
from core.world.suspension import RuntimeSuspension
from core.world.world import World
from tests import hypothesis_profiles  # noqa: F401  (selects the profile)

# ---------------------------------------------------------------------- comparing worlds


def world_diff(a: World, b: World) -> list[str]:
    """Where two worlds differ, field by field (empty when equal)."""
    x, y = a.snapshot(), b.snapshot()
    out = [f"{f}: {getattr(x, f)!r} != {getattr(y, f)!r}"
           for f in ("now", "tick", "scale_checks", "memory", "suspension") if getattr(x, f) != getattr(y, f)]
    if x.store.next_id != y.store.next_id or a.store.prefix != b.store.prefix:
        out.append(f"ids: {a.store.prefix}/{x.store.next_id} != {b.store.prefix}/{y.store.next_id}")
    for what, p, q in (("session", x.store.sessions, y.store.sessions), ("work", x.store.work, y.store.work),
                       ("wait", x.store.waits, y.store.waits), ("runtime", x.runtime.sessions, y.runtime.sessions)):
        out += [f"{what} {k}: {p.get(k)!r} != {q.get(k)!r}" for k in sorted(set(p) | set(q)) if p.get(k) != q.get(k)]
    for kind in ("start_failures", "stop_failures"):
        if getattr(x.runtime, kind) != getattr(y.runtime, kind):
            out.append(f"{kind}: {getattr(x.runtime, kind)!r} != {getattr(y.runtime, kind)!r}")
    return out


def saved_and_loaded(world: World) -> World:
    """`world` through World.to_json, json.dumps and World.from_json, checked to lose nothing."""
    saved = json.dumps(world.to_json())
    loaded = World.from_json(json.loads(saved))
    lost = world_diff(loaded, world)
    assert not lost, "the loaded world differs from the saved one: " + "; ".join(lost)
    assert json.dumps(loaded.to_json()) == saved, "saving the loaded world again gives other JSON"
    return loaded


# ---------------------------------------------------------------------- drawing worlds

EPOCH = datetime(2026, 7, 19, 12, 0, tzinfo=UTC)
times = st.builds(lambda s, us: EPOCH + timedelta(seconds=s, microseconds=us),
                  st.integers(-86_400, 86_400 * 30), st.sampled_from([0, 0, 0, 1, 500_000, 999_999]))
maybe_times = st.one_of(st.none(), times)
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
names = st.sampled_from(["", "mayor", "town/refinery", "refinery-gc-1", "town/worker-2", "boss0", "gc-3"])
ids = st.one_of(st.builds(lambda n: f"gc-{n}", st.integers(1, 40)), st.text("abcxyz-09", min_size=1, max_size=6))
INDEXED = ("session_name", "alias", "agent_name", "template", "configured_named_identity")
metadata = st.dictionaries(st.one_of(st.sampled_from(INDEXED + ("state", "pool_slot", "sleep_reason")), text),
                           st.one_of(names, text), max_size=8)

session_beads = st.builds(SessionBead, ids, times, metadata, st.booleans(), text,
                          st.frozensets(st.sampled_from(["gc:session", "agent:mayor", "template:town/worker"])))
work_beads = st.builds(WorkBead, ids, st.sampled_from(["open", "in_progress", "closed"]), names, names,
                       st.integers(-3, 10), st.booleans(), maybe_times, text)
runtime_sessions = st.builds(
    RuntimeSession, st.text("abcdefgh-/0123456789", min_size=1, max_size=12), names, text, names, maybe_times,
    maybe_times, st.booleans(), st.booleans(), st.booleans(), st.booleans(), text,
    st.dictionaries(text, text, max_size=3), st.dictionaries(text, text, max_size=3))
drains = st.builds(Drain, ids, st.sampled_from(["orphaned", "suspended", "config-drift", "idle-timeout"]), times,
                   times, text, st.booleans())
circuits = st.builds(Circuit, st.lists(times, max_size=4).map(tuple),
                     st.sampled_from(["CIRCUIT_CLOSED", "CIRCUIT_OPEN", "CIRCUIT_HALF_OPEN"]), maybe_times,
                     maybe_times, maybe_times, maybe_times, text, st.booleans(), st.integers(0, 9))
probes = st.builds(IdleProbe, times, st.booleans(), st.booleans(), maybe_times)


def maps(values):
    return st.dictionaries(ids, values, max_size=4).map(immutables.Map)


memories = st.builds(Memory, maps(drains), maps(st.builds(DeferStreak, ids, st.integers(0, 9))), maps(circuits),
                     maps(st.integers(0, 5)), maps(probes), st.integers(0, 9), st.booleans(),
                     circuit_generations=maps(st.integers(1, 9)))


@st.composite
def worlds(draw) -> World:
    w = World(draw(times), prefix=draw(st.sampled_from(["gc", "hq"])))
    w.tick = draw(st.integers(0, 500))
    for b in draw(st.lists(session_beads, max_size=8, unique_by=lambda b: b.id)):
        w.store.put_session(b)
    for x in draw(st.lists(work_beads, max_size=6, unique_by=lambda x: x.id)):
        w.store.put_work(x)
    for r in draw(st.lists(runtime_sessions, max_size=5, unique_by=lambda r: r.name)):
        w.runtime.put(r)
    w.runtime.start_failures = draw(st.lists(st.tuples(names, st.integers(0, 3), text).map(list), max_size=3))
    w.store.next_id = draw(st.integers(1, 60))
    for tpl, value in draw(st.dictionaries(names, st.one_of(st.integers(0, 9), st.just("error")), max_size=3)).items():
        w.set_scale_check(tpl, value)
    w.memory = draw(memories)
    return w


# ---------------------------------------------------------------------- properties


@given(worlds())
def test_any_world_loads_back_whole(world):
    saved_and_loaded(world)


@given(worlds())
def test_a_loaded_store_answers_every_query_as_the_saved_one(world):
    loaded = saved_and_loaded(world)
    a, b = world.store, loaded.store
    assert [x.id for x in b.open_sessions()] == [x.id for x in a.open_sessions()]
    assert [x.id for x in b.all_sessions()] == [x.id for x in a.all_sessions()]
    for key in INDEXED:
        for value in {x.get(key) for x in a.sessions.values()}:
            assert [x.id for x in b.open_by(key, value)] == [x.id for x in a.open_by(key, value)], (key, value)
    for who in {x.assignee for x in a.work.values()} | {x.routed_to for x in a.work.values()}:
        assert sorted(x.id for x in b.work_assigned_to(who)) == sorted(x.id for x in a.work_assigned_to(who))
    assert b.new_id() == a.new_id()


def test_a_world_with_every_record_kind_loads_back_whole():
    """One hand-made world holding each kind of memory record a short model run rarely reaches."""
    w = World(EPOCH + timedelta(microseconds=250_000))
    w.store.put_session(SessionBead("gc-1", EPOCH, {"session_name": "mayor", "state": "awake"}, True, "mayor",
                                    frozenset({"gc:session"})))
    w.store.put_session(SessionBead("gc-2", EPOCH, {"session_name": "worker-gc-2", "state": "closed"}, False))
    w.runtime.put(RuntimeSession("mayor", "gc-1", "tok", "mayor", EPOCH, EPOCH + timedelta(seconds=1),
                                 pending_interaction=True, process_alive=False, peek="panic: x",
                                 meta={"GC_DRAIN_ACK": "1"}, env={"GC_SESSION_ID": "gc-1"}))
    w.runtime.inject_start_failure("template:mayor", 2, "boom")
    w.memory = Memory(
        drains=immutables.Map({"gc-1": Drain("gc-1", "config-drift", EPOCH, EPOCH + timedelta(minutes=5), "g1", True)}),
        defer=immutables.Map({"mayor": DeferStreak("gc-1", 3)}),
        circuits=immutables.Map({"mayor": Circuit((EPOCH, EPOCH + timedelta(seconds=30)), "CIRCUIT_OPEN", EPOCH,
                                                  EPOCH, None, EPOCH, "sig", True, 2)}),
        named_absence=immutables.Map({"gc-1": 1}),
        idle_probes=immutables.Map({"gc-1": IdleProbe(EPOCH, True, False, None)}),
        idle_probe_cursor=4, adopted=True, reset_stalls=immutables.Map({"gc-1": True}))
    w.runtime.inject_stop_failure("mayor", 1, "stuck")
    w.store.put_wait(WaitBead("wait-1", "gc-1", "pending", "deps", ("w-1", "w-2"), "any", "3",
                              "2026-01-01T00:05:00Z"))
    w.suspension = RuntimeSuspension(city=False, rigs={"town": True}, env_suspended=True)
    saved_and_loaded(w)
