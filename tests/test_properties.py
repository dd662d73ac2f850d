"""Properties of the model over random cities and random events (hypothesis).

A city is drawn from every identity shape Gas City knows (canonical singletons with and without
scale_check, slot pools, namepools, unlimited pools, min fill, named always / on_demand
sessions, depends_on DAGs, rigs, caps at agent, rig and workspace level); then a sequence of
steps, each drawn against the state reached so far (ticks, clock advances, exits and crashes,
activity, attach and detach, drain acks, work added, updated and closed, scale_check changes,
config edits to another drawn city, controller restarts). Most runs start from a drawn world
(session beads of every origin, stale numbered identities, deferred alias claims, runtimes,
assigned and routed work), the rest from an empty one. What must hold:

- every invariant of core.model.invariants after every step;
- the same scenario gives byte-identical state JSON, run live and replayed twice from its file;
- a world saved as JSON and loaded back loses nothing and ticks on exactly as the original.

A failing example is printed as a scenario file (see `note`), ready to be shrunk further by
hand or filed under tests/scenarios/. Profiles: tests/hypothesis_profiles.py (HYPOTHESIS_PROFILE=
dev or deep to explore at random).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import tomlkit
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

from core.config.errors import ConfigError
from core.model.facade import Model, ModelError
from core.model.invariants import InvariantChecker
from core.outcome import Outcome
from core.scenario.file import ScenarioError, dumps_state, load_scenario, run
from core.steps.config import EditConfig
from core.views.state_json import state
from tests import hypothesis_profiles  # noqa: F401  (selects the profile)
from tests.test_world_roundtrip import saved_and_loaded, world_diff

START = "2026-07-19T12:00:00Z"
NAMEPOOL = "namepools/crew.txt"
CREW = ["furiosa", "nux", "rictus", "slit"]
AGENT_NAMES = ["mayor", "refinery", "worker", "polecat", "witness"]
RIGS = ["alpha", "beta"]
TIMERS = {"idle_timeout": ["2m", "10m"], "sleep_after_idle": ["1m", "5m"], "max_session_age": ["10m", "1h"]}
ADVANCE = ["5s", "30s", "90s", "3m", "11m", "1h"]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("properties")
    (d / "namepools").mkdir()
    (d / "namepools" / "crew.txt").write_text("\n".join(CREW) + "\n")
    return d


# ---------------------------------------------------------------------- cities


def qualified(agent: dict[str, Any]) -> str:
    return f'{agent["dir"]}/{agent["name"]}' if agent.get("dir") else agent["name"]


caps = st.one_of(st.none(), st.integers(0, 4))


@st.composite
def agent_tables(draw, name: str, dir_: str, earlier: list[str]) -> dict[str, Any]:
    t: dict[str, Any] = {"name": name}
    if dir_:
        t["dir"] = dir_
    shape = draw(st.sampled_from(["canonical", "slots", "namepool", "unlimited"]))
    top = {"canonical": 1, "slots": draw(st.integers(2, 4)), "namepool": draw(st.integers(1, 3)),
           "unlimited": None}[shape]
    if shape == "unlimited":
        if draw(st.booleans()):
            t["max_active_sessions"] = -1
    else:
        t["max_active_sessions"] = top
    if shape == "namepool":
        t["namepool"] = NAMEPOOL
    if draw(st.booleans()):
        t["scale_check"] = "printf 1"
    if shape != "canonical" and draw(st.booleans()):
        t["min_active_sessions"] = draw(st.integers(0, min(2, top if top is not None else 2)))
    if earlier and draw(st.booleans()):
        t["depends_on"] = draw(st.lists(st.sampled_from(earlier), min_size=1, max_size=2, unique=True))
    for key, values in TIMERS.items():
        if draw(st.integers(0, 3)) == 0:
            t[key] = draw(st.sampled_from(values))
    if draw(st.integers(0, 9)) == 0:
        t["suspended"] = True
    return t


@st.composite
def cities(draw) -> dict[str, Any]:
    """A city table that loads and validates (anything else is filtered out)."""
    city: dict[str, Any] = {"workspace": {"name": "prop"}}
    ws_cap = draw(caps)
    if ws_cap is not None:
        city["workspace"]["max_active_sessions"] = ws_cap + 2
    rigs = draw(st.lists(st.sampled_from(RIGS), max_size=2, unique=True))
    if rigs:
        city["rigs"] = []
        for r in rigs:
            rig: dict[str, Any] = {"name": r, "path": r}
            cap = draw(caps)
            if cap is not None:
                rig["max_active_sessions"] = cap
            city["rigs"].append(rig)
    where = draw(st.lists(st.tuples(st.sampled_from(["", "town", *rigs]), st.sampled_from(AGENT_NAMES)),
                          min_size=1, max_size=4, unique=True))
    agents: list[dict[str, Any]] = []
    for dir_, name in where:
        agents.append(draw(agent_tables(name, dir_, [qualified(a) for a in agents])))
    city["agent"] = agents
    named = []
    for i in range(draw(st.integers(0, 2))):
        a = draw(st.sampled_from(agents))
        mode = "on_demand" if "sleep_after_idle" in a else draw(st.sampled_from(["always", "on_demand"]))
        n = {"template": a["name"], "mode": mode}  # the template's dir goes in `dir`
        if i or draw(st.booleans()):
            n["name"] = f"boss{i}"
        if a.get("dir"):
            n["dir"] = a["dir"]
        named.append(n)
    if named:
        city["named_session"] = named
    if draw(st.booleans()):
        city["daemon"] = {"max_wakes_per_tick": draw(st.integers(1, 3))}
    return city


def scale_check_values():
    return st.one_of(st.integers(0, 4), st.just("error"))


def with_scale_check(city: dict[str, Any]) -> list[str]:
    return sorted(qualified(a) for a in city["agent"] if "scale_check" in a)


# ---------------------------------------------------------------------- scenarios


def write(doc: dict[str, Any], path) -> str:
    text = tomlkit.dumps(doc)
    path.write_text(text)
    return str(path)


BEAD_STATES = ["awake", "awake", "active", "asleep", "asleep", "creating", "drained"]
LIVE_STATES = ("awake", "active")


@st.composite
def worlds(draw, city: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """A world a running controller could have left for this city: pool beads (some holding a
    numbered identity their singleton template no longer uses, some with an alias claim still
    deferred), named beads, manual sessions, their runtimes, and work assigned or routed to them."""
    sessions: list[dict[str, Any]] = []
    runtime: list[dict[str, Any]] = []
    held: set[str] = set()
    named = {(n.get("dir", ""), n["template"]): n for n in city.get("named_session", [])}
    for i in range(1, draw(st.integers(0, 6), label="beads") + 1):
        a = draw(st.sampled_from(city["agent"]))
        qn, bid = qualified(a), f"gc-{i}"
        kind = draw(st.sampled_from(["pool", "pool", "named", "manual"]))
        n = named.get((a.get("dir", ""), a["name"]))
        if kind == "named" and n is None:
            kind = "pool"
        md = {"template": qn, "session_name": f"{a['name']}-{bid}",
              "state": draw(st.sampled_from(BEAD_STATES))}
        if kind == "pool":
            slot = draw(st.integers(1, 3))
            ident = qn if a.get("max_active_sessions") == 1 and draw(st.booleans()) else f"{qn}-{slot}"
            md |= {"agent_name": ident, "pool_managed": "true", "session_origin": "ephemeral"}
            if ident != qn:
                md["pool_slot"] = str(slot)
            if ident not in held:
                md["alias"] = ident
                held.add(ident)
            elif draw(st.booleans()):  # the alias is taken: its claim waits (a deferral)
                md |= {"pool_alias_conflict": ident, "pool_alias_conflict_count": str(draw(st.integers(1, 3))),
                       "pool_alias_conflict_at": START}
        elif kind == "named":
            ident = f'{n["dir"]}/{n.get("name", n["template"])}' if n.get("dir") else n.get("name", n["template"])
            md |= {"agent_name": ident, "session_origin": "named", "configured_named_session": "true",
                   "configured_named_identity": ident, "configured_named_mode": n["mode"]}
            if ident not in held:
                md["alias"] = ident
                held.add(ident)
        else:
            md |= {"session_origin": "manual", "manual_session": "true"}
        bead = {"id": bid, "metadata": md}
        if draw(st.integers(0, 7)) == 0:
            bead["open"] = False
        sessions.append(bead)
        if bead.get("open", True) and md["state"] in LIVE_STATES and draw(st.integers(0, 3)):
            runtime.append({"name": md["session_name"], "session_id": bid})
    people = sorted({s["metadata"].get("agent_name", "") for s in sessions} - {""}) + [s["id"] for s in sessions]
    work = []
    for i in range(1, draw(st.integers(0, 4), label="work") + 1):
        w = {"id": f"w-{i}", "status": draw(st.sampled_from(["open", "in_progress", "closed"])),
             "routed_to": draw(st.sampled_from(["", *[qualified(a) for a in city["agent"]]])),
             "priority": draw(st.integers(0, 2))}
        if people and draw(st.booleans()):
            w["assignee"] = draw(st.sampled_from(people))
        work.append(w)
    return {"session": sessions, "runtime": runtime, "work": work}


def start_model(draw, workdir) -> tuple[dict[str, Any], Any, Model]:
    """Draw a valid city, its scale_check results and a world to start from (empty or not); the
    scenario document and its live model."""
    city = draw(cities(), label="city")
    doc: dict[str, Any] = {"name": "property counterexample", "source": "tests/test_properties.py",
                           "start": START, "city": city,
                           "scale_check": {t: draw(scale_check_values(), label=f"scale_check {t}")
                                           for t in with_scale_check(city)}}
    if draw(st.integers(0, 3), label="start empty") > 0:
        world = draw(worlds(city), label="world")
        doc.update({k: v for k, v in world.items() if v})
        event("started from a drawn world" + ("" if world["session"] else " without beads"))
    else:
        event("started from an empty world")
    try:
        scn = load_scenario(write(doc, workdir / "case.toml"))
    except ScenarioError:
        assume(False)
    doc["step"] = []  # added after writing: tomlkit puts an empty array above the tables, moving their lines
    return doc, scn, scn.model()


def identities(model: Model) -> list[str]:
    out = set()
    for b in model.world.store.open_sessions():
        out.update(x for x in (b.alias, b.agent_name, b.session_name, b.id) if x)
    return sorted(out)


@st.composite
def steps(draw, model: Model, scn, workdir, n: int) -> dict[str, Any]:
    """One step, drawn against the model's current state (names that exist, work that exists)."""
    runtime = sorted(model.world.runtime.sessions)
    templates = sorted(a.qualified_name for a in model.city.agents)
    work = sorted(model.world.store.work)
    kinds = ["tick"] * 4 + ["advance"] * 3 + ["add_work", "set_scale_check", "set_scale_check", "edit_config",
                                                "restart_controller"]
    if runtime:
        kinds += ["runtime_exit", "runtime_exit", "activity", "attach", "detach", "drain_ack"]
    if work:
        kinds += ["update_work", "update_work"]
    kind = draw(st.sampled_from(kinds))
    if kind == "tick":
        return {"do": "tick", "count": draw(st.integers(1, 3)), "every": draw(st.sampled_from(["0s", "30s", "2m"]))}
    if kind == "advance":
        return {"do": "advance", "by": draw(st.sampled_from(ADVANCE))}
    if kind in ("runtime_exit", "activity", "attach", "detach", "drain_ack"):
        step = {"do": kind, "name": draw(st.sampled_from(runtime))}
        if kind == "runtime_exit":
            step["crash"] = draw(st.booleans())
        return step
    if kind == "add_work":
        step = {"do": "add_work", "id": model.new_work_id(),
                "status": draw(st.sampled_from(["open", "open", "in_progress"])),
                "routed_to": draw(st.sampled_from(["", *templates])),
                "priority": draw(st.integers(0, 2)), "ready": draw(st.booleans())}
        people = identities(model)
        if step["status"] == "in_progress" and people:
            step["assignee"] = draw(st.sampled_from(people))
        return step
    if kind == "update_work":
        step = {"do": "update_work", "id": draw(st.sampled_from(work)),
                "status": draw(st.sampled_from(["open", "in_progress", "closed", "closed"]))}
        people = identities(model)
        if step["status"] == "in_progress" and people:
            step["assignee"] = draw(st.sampled_from(people))
        elif draw(st.booleans()):
            step["assignee"] = ""
        return step
    if kind == "set_scale_check":
        checked = sorted(a.qualified_name for a in model.city.agents if a.has_scale_check)
        if not checked:
            return {"do": "tick", "count": 1, "every": "0s"}
        return {"do": "set_scale_check", "template": draw(st.sampled_from(checked)), "value": draw(scale_check_values())}
    if kind == "edit_config":
        city = draw(cities())
        try:
            scn.load_step_city(EditConfig.from_table({"city": city}, at=n - 1))
        except ScenarioError:
            return {"do": "tick", "count": 1, "every": "0s"}
        return {"do": "edit_config", "city": city}
    return {"do": "restart_controller"}


def do(model: Model, scn, step: dict[str, Any], n: int) -> Outcome:
    """Run step `n` as the scenario runner does (an impossible poke is an error, not a crash).
    `scn` must be loaded from a file holding the step: its text locates the edit's warnings."""
    try:
        return model.do(step, load_city=lambda s: scn.load_step_city(replace(s, at=n - 1)))
    except ModelError as e:
        return Outcome(error=str(e))


def take(model: Model, scn, doc: dict[str, Any], step: dict[str, Any], n: int, workdir) -> tuple[Outcome, Any]:
    """Append step `n` to the scenario and run it; the scenario as now loaded comes back too."""
    doc["step"].append(step)
    if step["do"] == "edit_config":
        scn = load_scenario(write(doc, workdir / "case.toml"))
    return do(model, scn, step, n), scn


def report(doc: dict[str, Any]) -> str:
    return "the scenario so far:\n" + tomlkit.dumps(doc)


# ---------------------------------------------------------------------- properties


@given(data=st.data())
def test_invariants_hold_after_every_step_and_a_replay_is_byte_identical(data, workdir):
    doc, scn, model = start_model(data.draw, workdir)
    checker = InvariantChecker(model)
    states = [dumps_state(state(model, 0, "", None))]
    reported: list[str] = []  # every breach, as the scenario runner words them
    for n in range(1, data.draw(st.integers(1, 20), label="length") + 1):
        step = data.draw(steps(model, scn, workdir, n), label=f"step {n}")
        out, scn = take(model, scn, doc, step, n, workdir)
        states.append(dumps_state(state(model, n, step["do"], out)))
        found = checker.after_step(out)
        reported += [f"after step {n} ({step['do']}): {msg}" for msg in found]
        if found:
            note(report(doc))
        assert not found, f"after step {n} ({step['do']}): " + "; ".join(found)
    found = checker.finish()
    reported += found
    assert not found, found

    path = write(doc, workdir / "case.toml")  # the same file name: warnings name it
    for attempt in ("first", "second"):
        replay = run(load_scenario(path))
        replayed = [dumps_state(s) for s in replay.states]
        if replayed != states:
            note(report(doc))
            first = next(i for i, (a, b) in enumerate(zip(replayed, states, strict=False)) if a != b)
            pytest.fail(f"{attempt} replay differs from the live run at step {first}")
        assert replay.invariant_failures == reported


@given(data=st.data())
def test_a_saved_world_loads_back_whole_and_ticks_on_like_the_original(data, workdir):
    doc, scn, model = start_model(data.draw, workdir)
    held: set[str] = set()
    for n in range(1, data.draw(st.integers(0, 20), label="length") + 1):
        step = data.draw(steps(model, scn, workdir, n), label=f"step {n}")
        _, scn = take(model, scn, doc, step, n, workdir)
        note(report(doc))
        saved_and_loaded(model.world)  # every world along the way
        mem = model.world.memory
        held |= {what for what in ("drains", "circuits", "defer", "idle_probes", "named_absence")
                 if getattr(mem, what)}
    for what in ("drains", "circuits", "defer", "idle_probes", "named_absence"):
        event(f"memory held {what}: {what in held}")
    twin = Model(model.city, saved_and_loaded(model.world), model.semantics, model.adopt_on_start)
    twin.pending_city = model.pending_city
    twin.last_desired = model.last_desired
    assert dumps_state(state(twin, 0, "", None)) == dumps_state(state(model, 0, "", None))
    for n, step in enumerate([{"do": "tick"}, {"do": "advance", "by": "45s"}, {"do": "tick", "count": 2, "every": "4m"}],
                             1):
        a, b = do(model, scn, step, n), do(twin, scn, step, n)
        assert dumps_state(state(twin, n, step["do"], b)) == dumps_state(state(model, n, step["do"], a)), \
            f"the reloaded world diverged at continuation step {n} ({step['do']})"
    assert not world_diff(twin.world, model.world)


def test_the_city_strategy_covers_every_shape(workdir):
    """The strategy can draw each shape the properties claim to cover (guards against a
    strategy that silently stops producing one)."""
    def loads(city: dict[str, Any]) -> bool:
        doc = {"name": "shape", "start": START, "city": city}
        try:
            load_scenario(write(doc, workdir / "shape.toml"))
        except (ScenarioError, ConfigError):
            return False
        return True

    agents = lambda c: c["agent"]  # noqa: E731
    wants = {
        "canonical with scale_check": lambda c: any(a.get("max_active_sessions") == 1 and "namepool" not in a
                                                    and "scale_check" in a for a in agents(c)),
        "canonical without scale_check": lambda c: any(a.get("max_active_sessions") == 1 and "namepool" not in a
                                                       and "scale_check" not in a for a in agents(c)),
        "slot pool": lambda c: any((a.get("max_active_sessions") or 0) > 1 and "namepool" not in a for a in agents(c)),
        "namepool": lambda c: any("namepool" in a for a in agents(c)),
        "unlimited": lambda c: any(a.get("max_active_sessions", -1) == -1 for a in agents(c)),
        "min fill": lambda c: any(a.get("min_active_sessions", 0) > 0 for a in agents(c)),
        "named always": lambda c: any(n["mode"] == "always" for n in c.get("named_session", [])),
        "named on_demand": lambda c: any(n["mode"] == "on_demand" for n in c.get("named_session", [])),
        "depends_on": lambda c: any("depends_on" in a for a in agents(c)),
        "rig cap": lambda c: any("max_active_sessions" in r for r in c.get("rigs", [])),
        "workspace cap": lambda c: "max_active_sessions" in c["workspace"],
    }
    seen: set[str] = set()

    @settings(max_examples=300, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(cities())
    def draw_some(city):
        new = {what for what, pred in wants.items() if what not in seen and pred(city)}
        if new and loads(city):
            seen.update(new)

    draw_some()
    assert seen == set(wants), f"never drawn as a loading city: {sorted(set(wants) - seen)}"


def test_the_world_strategy_covers_every_kind_of_start(workdir):
    """The drawn worlds hold each thing the properties claim to start from, and load."""
    wants = {
        "pool bead": lambda w: any(b["metadata"].get("pool_managed") for b in w["session"]),
        "named bead": lambda w: any(b["metadata"].get("configured_named_session") for b in w["session"]),
        "manual bead": lambda w: any(b["metadata"].get("manual_session") for b in w["session"]),
        "closed bead": lambda w: any(b.get("open") is False for b in w["session"]),
        "stale numbered singleton": lambda w: any(b["metadata"].get("pool_slot") and b["metadata"]["template"] in w["_singletons"]
                                                  for b in w["session"]),
        "deferred alias claim": lambda w: any(b["metadata"].get("pool_alias_conflict") for b in w["session"]),
        "runtime": lambda w: bool(w["runtime"]),
        "assigned work": lambda w: any(x.get("assignee") for x in w["work"]),
        "routed work": lambda w: any(x["routed_to"] for x in w["work"]),
    }
    seen: set[str] = set()

    @settings(max_examples=300, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def draw_some(data):
        city = data.draw(cities())
        w = data.draw(worlds(city))
        w["_singletons"] = {qualified(a) for a in city["agent"] if a.get("max_active_sessions") == 1}
        new = {what for what, pred in wants.items() if what not in seen and pred(w)}
        if not new:
            return
        doc = {"name": "world", "start": START, "city": city, **{k: v for k, v in w.items() if v and k != "_singletons"}}
        try:
            load_scenario(write(doc, workdir / "world.toml"))
        except (ScenarioError, ConfigError):
            return
        seen.update(new)

    draw_some()
    assert seen == set(wants), f"never drawn in a loading world: {sorted(set(wants) - seen)}"


def test_a_scenario_may_set_the_scale_check_of_an_agent_an_earlier_edit_added(workdir):
    """Found by the replay property: the scenario loader checked set_scale_check against the
    first config only."""
    doc = {"name": "edit then scale", "start": START, "city": {"agent": [{"name": "mayor", "max_active_sessions": 1}]},
           "step": [{"do": "edit_config", "city": {"agent": [{"name": "mayor", "max_active_sessions": 1},
                                                             {"name": "scout", "scale_check": "printf 1"}]}},
                    {"do": "set_scale_check", "template": "scout", "value": 2},
                    {"do": "tick"}]}
    replay = run(load_scenario(write(doc, workdir / "edit-then-scale.toml")))
    assert replay.states[-1]["scale_check_counts"] == {"scout": 2}
    doc["step"][1]["template"] = "sc0ut"
    with pytest.raises(ScenarioError, match='step\\[1\\].template: unknown template "sc0ut"'):
        load_scenario(write(doc, workdir / "edit-then-scale.toml"))
