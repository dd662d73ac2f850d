"""The simulated runtime provider and the world's JSON round trip."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.world.memory import Drain, IdleProbe, Memory
from core.world.runtime import (
    Runtime,
    RuntimeSession,
    SessionExists,
    StartError,
    screen_rate_limited,
    terminal_error_reason,
)
from core.world.world import World

NOW = datetime(2026, 5, 16, 12, 0, tzinfo=UTC)


def start(rt: Runtime, name: str, template: str = "worker"):
    return rt.start(name, session_id="gc-1", instance_token="tok", template=template, now=NOW,
                    env={"GC_RUNTIME_EPOCH": "2"})


def test_injected_start_failures_count_down_by_name_and_template():
    rt = Runtime()
    rt.inject_start_failure("template:worker", 2, "boom")
    for _ in range(2):
        with pytest.raises(StartError, match="boom"):
            start(rt, "worker-gc-1")
    start(rt, "worker-gc-1")
    assert rt.alive("worker-gc-1") and rt.start_failures == []
    with pytest.raises(SessionExists):
        start(rt, "worker-gc-1")


def test_zombie_and_corpse_liveness():
    rt = Runtime()
    rt.put(RuntimeSession("z", process_alive=False))
    rt.put(RuntimeSession("c", corpse=True))
    assert rt.is_running("z") and not rt.alive("z")
    assert not rt.is_running("c") and not rt.alive("c")
    assert rt.running_names() == ["c", "z"]


def test_meta_reads_session_identity_and_set_meta_removes_empty_values():
    rt = Runtime()
    s = start(rt, "w")
    assert s.meta == {"GC_RUNTIME_EPOCH": "2"}
    assert rt.get_meta("w", "GC_SESSION_ID") == "gc-1" and rt.get_meta("w", "GC_INSTANCE_TOKEN") == "tok"
    rt.set_meta("w", {"GC_DRAIN_ACK": "1"})
    assert rt.get_meta("w", "GC_DRAIN_ACK") == "1"
    rt.set_meta("w", {"GC_DRAIN_ACK": ""})
    assert rt.get_meta("w", "GC_DRAIN_ACK") == "" and rt.get_meta("missing", "GC_DRAIN_ACK") == ""


def test_screen_classifiers_follow_gas_city():
    assert screen_rate_limited("Usage limit reached for today")
    assert screen_rate_limited("API rate limit hit. Keep trying? / Stop")
    assert not screen_rate_limited("rate limit mentioned in passing")
    assert terminal_error_reason("error: model_not_found") == "model_not_found"
    assert terminal_error_reason("insufficient_quota") == "quota_exceeded"
    assert terminal_error_reason("disk quota exceeded") == ""
    assert terminal_error_reason("panic: nil pointer") == ""


def test_world_json_round_trip_keeps_memory_and_corpses():
    w = World(NOW)
    w.runtime.put(RuntimeSession("c", corpse=True, session_id="gc-1"))
    w.memory = Memory().set("drains", "gc-1", Drain("gc-1", "orphaned", NOW, NOW, "2", True)) \
        .set("idle_probes", "gc-2", IdleProbe(NOW, True, True, NOW)).with_(idle_probe_cursor=1)
    again = World.from_json(w.to_json())
    assert again.dumps() == w.dumps()
    assert again.runtime.get("c").corpse
    assert again.memory.drains["gc-1"].acked and again.memory.idle_probes["gc-2"].ready


def test_reload_keeps_the_drain_tracker_and_drops_defer_streaks():
    from core.world.memory import DeferStreak

    m = Memory().set("drains", "gc-1", Drain("gc-1", "idle", NOW, NOW, "1")).set("defer", "w", DeferStreak("b", 2))
    r = m.after_reload()
    assert "gc-1" in r.drains and "w" not in r.defer
