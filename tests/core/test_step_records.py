"""The trace records a controller step returns: a sync or hygiene step stamps them as a tick
does (records.finish)."""

from __future__ import annotations

from factories import one_worker_city, scenario_model

CITY = one_worker_city("records")


def test_a_sync_or_hygiene_step_stamps_every_record_with_its_cycle(tmp_path):
    # as a tick does (records.finish): the build's records and the sync's alike carry the cycle's
    # trace id and are numbered in order, so a trace written from a sync step reads as one cycle
    m = scenario_model(tmp_path, CITY)
    for step in ({"do": "sync"}, {"do": "hygiene"}, {"do": "tick"}):
        out = m.do(step)
        assert out.trace or step["do"] == "hygiene", step
        assert {r.trace_id for r in out.trace} <= {f"cycle-{m.world.tick:016x}"}, step
        assert [r.seq for r in out.trace] == list(range(1, len(out.trace) + 1)), step
