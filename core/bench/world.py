"""The benchmark's synthetic world: session beads, runtime sessions and work beads for the
city of `core.bench.city`, as a controller that has been running for a while would leave them.

Every rig block gets the same layout (ids, clocks and which sessions are due for a tracker
are fixed; the seed only picks the titles, priorities and routes of historical work), so two
runs with the same size and seed build the same world, bead for bead:

- the refinery's canonical holder beside a stale `refinery-1` bead (a pre-#2053 leftover with
  work in progress): a deferral;
- the witness (the workers' dependency floor), six slotted workers (one asleep), three
  namepool polecats (one past `max_session_age`), four unlimited crew (two past
  `idle_timeout`), two builders, three scouts, two reviewers (one past `max_session_age`);
- the mayor (`always`) running and the deacon (`on_demand`) asleep, woken by assigned work in
  every other block;
- closed session beads and closed work filling the world up to the size's totals.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from core.bench.city import NAMEPOOL, Size, rig_name
from core.config.city_config import City
from core.formats.timefmt import format_time
from core.identity import pool_session_name, session_name_for
from core.reconcile import hashes
from core.world import beads as B
from core.world.beads import SessionBead, WorkBead
from core.world.runtime import RuntimeSession
from core.world.world import World

START = datetime(2026, 7, 1, 12, 0, 0, tzinfo=UTC)
POOLS = ("worker", "polecat", "crew", "builder", "scout", "reviewer")
ROUTED = ("worker", "crew", "scout")  # templates fed by routed, unassigned work
SCALE_CHECKS = {"refinery": 1, "builder": 2}


@dataclass
class _Open:
    """One open session bead to lay out: its identity, slot, state and runtime clocks."""

    template: str
    identity: str
    slot: int = 0
    state: str = "active"
    running: bool = True
    started_ago: float = 600.0  # seconds before START
    idle_for: float = 20.0
    named_mode: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _block_sessions(rig: str) -> list[_Open]:
    q = f"{rig}/"
    out = [
        _Open("refinery", q + "refinery-1", slot=1, state="awake", started_ago=7200),  # stale, created first
        _Open("refinery", q + "refinery"),
        _Open("witness", q + "witness", extra={B.DEPENDENCY_ONLY: "true"}),
    ]
    for n in range(1, 7):
        asleep = n == 6
        out.append(_Open("worker", f"{q}worker-{n}", slot=n, state="asleep" if asleep else "active",
                         running=not asleep, extra={B.SLEEP_REASON: "idle"} if asleep else {}))
    for n, name in enumerate(NAMEPOOL, 1):
        out.append(_Open("polecat", q + name, slot=n, started_ago=900 if n == 1 else 300))
    for n in range(1, 5):
        out.append(_Open("crew", f"{q}crew-{n}", slot=n, idle_for=600 if n > 2 else 20))
    for n in range(1, 3):
        out.append(_Open("builder", f"{q}builder-{n}", slot=n))
    for n in range(1, 4):
        out.append(_Open("scout", f"{q}scout-{n}", slot=n))
    for n in range(1, 3):
        out.append(_Open("reviewer", f"{q}reviewer-{n}", slot=n, started_ago=2400 if n == 1 else 600))
    out.append(_Open("mayor", q + "mayor", named_mode="always"))
    out.append(_Open("deacon", q + "deacon", state="asleep", running=False, named_mode="on_demand",
                     extra={B.SLEEP_REASON: "no-wake-reason"}))
    return out


OPEN_PER_BLOCK = len(_block_sessions("rig000"))


def build_world(city: City, size: Size, seed: int = 0) -> World:
    """The world of `size` for `city` (as written by `core.bench.city.write_city`)."""
    rng = random.Random(seed)
    world = World(START)
    store = world.store
    next_bead = 1
    next_work = 1
    sessions_per_block = size.sessions // size.blocks
    work_per_block = size.work // size.blocks
    for k in range(size.blocks):
        rig = rig_name(k)
        # Historical sessions first: they were created (and closed) before the live ones.
        layout = _block_sessions(rig)
        closed = max(sessions_per_block - len(layout), 0)
        for i in range(closed):
            template = POOLS[i % len(POOLS)]
            bid = f"gc-{next_bead}"
            next_bead += 1
            store.put_session(_closed_bead(bid, rig, template, i, START - timedelta(days=2, seconds=-i * 60)))
        holders: dict[str, str] = {}
        for o in layout:
            bid = f"gc-{next_bead}"
            next_bead += 1
            b = _open_bead(city, bid, rig, o)
            store.put_session(b)
            holders[o.identity] = b.session_name
            if o.running:
                world.runtime.put(RuntimeSession(
                    name=b.session_name, session_id=bid, instance_token=b.get(B.INSTANCE_TOKEN),
                    template=f"{rig}/{o.template}", started_at=START - timedelta(seconds=o.started_ago),
                    last_activity=START - timedelta(seconds=o.idle_for)))
        next_work = _block_work(store, rig, k, next_work, work_per_block, rng)
        for template, value in SCALE_CHECKS.items():
            world.set_scale_check(f"{rig}/{template}", value)
    store.next_id = next_bead
    store.journal.clear()
    return world


def _closed_bead(bid: str, rig: str, template: str, i: int, created: datetime) -> SessionBead:
    qn = f"{rig}/{template}"
    ident = f"{qn}-{i % 4 + 1}"
    md = {B.TEMPLATE: qn, B.AGENT_NAME: ident, B.SESSION_NAME: pool_session_name(qn, bid),
          B.SESSION_ORIGIN: "ephemeral", B.POOL_MANAGED: "true", B.POOL_SLOT: str(i % 4 + 1),
          B.STATE: "drained", B.CLOSE_REASON: B.close_reason_text("drained"),
          B.CLOSED_AT: format_time(created + timedelta(hours=1)), B.GENERATION: "1"}
    return SessionBead(bid, created, md, False, ident, frozenset({"gc:session", f"agent:{ident}"}))


def _open_bead(city: City, bid: str, rig: str, o: _Open) -> SessionBead:
    qn = f"{rig}/{o.template}"
    a = city.agent(qn)
    assert a is not None, qn
    created = START - timedelta(seconds=o.started_ago + 60)
    md = {B.TEMPLATE: qn, B.AGENT_NAME: o.identity, B.ALIAS: o.identity, B.STATE: o.state,
          B.GENERATION: "1", B.CONTINUATION_EPOCH: "1", B.INSTANCE_TOKEN: f"tok-{bid}",
          B.CANONICAL_INSTANCE_NAME: o.identity, **o.extra}
    if o.named_mode:
        md.update({B.SESSION_NAME: session_name_for(city, o.identity), B.SESSION_ORIGIN: "named",
                   B.CONFIGURED_NAMED_SESSION: "true", B.CONFIGURED_NAMED_IDENTITY: o.identity,
                   B.CONFIGURED_NAMED_MODE: o.named_mode})
    else:
        md.update({B.SESSION_NAME: pool_session_name(qn, bid), B.SESSION_ORIGIN: "ephemeral",
                   B.POOL_MANAGED: "true"})
    if o.slot:
        md[B.POOL_SLOT] = md[B.CANONICAL_POOL_SLOT] = str(o.slot)
    if o.running:
        md.update({B.STARTED_CONFIG_HASH: hashes.core_hash(a), B.LIVE_HASH: hashes.live_hash(a),
                   B.STARTED_LIVE_HASH: hashes.live_hash(a), B.CORE_HASH_BREAKDOWN: hashes.breakdown(a),
                   B.CREATION_COMPLETE_AT: format_time(created), B.LAST_WOKE_AT: format_time(created)})
    else:
        md[B.SLEPT_AT] = format_time(START - timedelta(seconds=300))
    return SessionBead(bid, created, md, True, o.identity, frozenset({"gc:session", f"agent:{o.identity}"}))


def _block_work(store, rig: str, k: int, next_work: int, total: int, rng: random.Random) -> int:
    """Lay out one block's work beads; return the next free work number."""
    q = f"{rig}/"
    live: list[WorkBead] = []

    def add(status: str, assignee: str, routed: str, ready: bool = True) -> None:
        nonlocal next_work
        live.append(WorkBead(f"w-{next_work}", status, assignee, routed, rng.randrange(4), ready,
                             START - timedelta(minutes=rng.randrange(1, 600)), f"task {next_work}"))
        next_work += 1

    add("in_progress", q + "refinery-1", q + "refinery")  # the stale bead's merge work
    for n in range(1, 6):
        add("in_progress", f"{q}worker-{n}", q + "worker")
    for name in NAMEPOOL:
        add("in_progress", q + name, q + "polecat")
    for n in (1, 2):
        add("in_progress", f"{q}crew-{n}", q + "crew")
    for n in (1, 2, 3):
        add("in_progress", f"{q}scout-{n}", q + "scout")
    for n in (1, 2):
        add("in_progress", f"{q}reviewer-{n}", q + "reviewer")
    if k % 2 == 0:
        add("in_progress", q + "deacon", "")
    for template in ROUTED:
        add("open", "", q + template)
        add("open", "", q + template, ready=False)
    for _ in range(max(total - len(live), 0)):
        template = POOLS[rng.randrange(len(POOLS))]
        add("closed", f"{q}{template}-{rng.randrange(1, 5)}", q + template)
    for w in live:
        store.put_work(w)
    return next_work
