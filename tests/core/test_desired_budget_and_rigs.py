"""The create budget's token accounting, the rig an agent's dir names, and when a deferred alias
may be retried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.config.city_config import Agent, City, Rig
from core.desired.alias import next_retry_at
from core.desired.budget import CreateBudget
from core.desired.context import BuildContext
from core.desired.reach import configured_rig_name
from core.world.beads import SessionBead
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)


def test_a_budget_without_shares_counts_down_and_refunds():
    b = CreateBudget(2)
    assert (b.try_claim("a"), b.try_claim("b"), b.try_claim("a")) == (True, True, False)
    b.release()
    assert b.try_claim("c") and not b.try_claim("c")
    free = CreateBudget(0)
    assert all(free.try_claim("a") for _ in range(50)) and CreateBudget(-3).unlimited
    free.release()
    assert free.try_claim("a")


def test_a_budget_with_shares_spends_a_templates_share_then_the_spare():
    b = CreateBudget(3)
    b.shares, b.spare = {"a": 1, "b": 1}, 1
    assert b.try_claim("a") and b.shares["a"] == 0 and b.spare == 1
    assert b.try_claim("a") and b.spare == 0           # a's share is spent: the spare goes
    assert not b.try_claim("a")                        # nothing left for a
    assert b.try_claim("b") and b.remaining == 0
    assert not b.try_claim("b")
    b.release()  # a failed create's token comes back as spare capacity for any template
    assert (b.remaining, b.spare) == (1, 1) and b.try_claim("a")


def test_a_refund_adds_to_what_is_left_and_a_template_without_a_share_takes_the_spare():
    """CreateBudget.Release adds one token (and one spare under fair share) to what is left;
    TryClaim for a template with no reserved share reads its share as 0 and takes a spare."""
    b = CreateBudget(4)
    b.shares, b.spare = {"a": 1, "b": 1}, 2
    assert b.try_claim("c") and (b.remaining, b.spare) == (3, 1)
    b.release()
    assert (b.remaining, b.spare) == (4, 2)
    plain = CreateBudget(3)
    assert plain.try_claim("a")
    plain.release()
    assert plain.remaining == 3 and plain.shares is None and plain.spare == 0


def test_configured_rig_name_by_name_then_by_path():
    city = City(root="/c", path="/c/city.toml", rigs=[Rig(name="alpha", path="repos/alpha/"), Rig(name="beta", path="beta")])
    ctx = BuildContext(city, World(T0), "current", [])
    assert configured_rig_name(ctx, Agent(name="w", dir="alpha")) == "alpha"
    assert configured_rig_name(ctx, Agent(name="w", dir="repos/alpha")) == "alpha"
    assert configured_rig_name(ctx, Agent(name="w", dir="repos/alpha/")) == "alpha"
    assert configured_rig_name(ctx, Agent(name="w", dir="gamma")) == ""
    assert configured_rig_name(ctx, Agent(name="w")) == ""


def test_configured_rig_name_compares_paths_without_trailing_slashes_only():
    """Only slashes are trimmed before the comparison: a path ending in other characters keeps them."""
    city = City(root="/c", path="/c/city.toml", rigs=[Rig(name="gamma", path="srcX/"), Rig(name="delta", path="dst")])
    ctx = BuildContext(city, World(T0), "current", [])
    assert configured_rig_name(ctx, Agent(name="w", dir="srcX")) == "gamma"
    assert configured_rig_name(ctx, Agent(name="w", dir="dstX/")) == ""


def test_configured_rig_name_prefers_a_name_to_an_earlier_path_and_the_first_rig_at_a_path():
    """ConfiguredRigName looks for a rig named like the dir before any rig at that path, and
    takes the first rig at a path; a config whose rig list is replaced is read afresh."""
    city = City(root="/c", path="/c/city.toml",
                rigs=[Rig(name="one", path="beta"), Rig(name="two", path="beta/"), Rig(name="beta", path="x")])
    ctx = BuildContext(city, World(T0), "current", [])
    assert configured_rig_name(ctx, Agent(name="w", dir="beta")) == "beta"
    assert configured_rig_name(ctx, Agent(name="w", dir="beta/")) == "one"
    city.rigs = [Rig(name="three", path="beta/")]
    assert configured_rig_name(ctx, Agent(name="w", dir="beta")) == "three"


def test_next_retry_at_follows_the_backoff():
    at = "2026-05-04T12:00:00Z"
    assert next_retry_at(SessionBead("b", T0, {})) is None
    assert next_retry_at(SessionBead("b", T0, {"pool_alias_conflict_at": at})) == T0 + timedelta(seconds=30)
    assert next_retry_at(SessionBead("b", T0, {"pool_alias_conflict_at": at, "pool_alias_conflict_count": "x"})) == \
        T0 + timedelta(seconds=30)
    assert next_retry_at(SessionBead("b", T0, {"pool_alias_conflict_at": at, "pool_alias_conflict_count": "3"})) == \
        T0 + timedelta(seconds=120)
    assert next_retry_at(SessionBead("b", T0, {"pool_alias_conflict_at": at, "pool_alias_conflict_count": "9"})) == \
        T0 + timedelta(minutes=30)


def test_a_scale_check_value_is_a_non_negative_integer_or_nothing():
    from core.desired.demand import _scale_value

    assert [_scale_value(v) for v in (0, 3, -1, True, False, "4", " 5 ", "-2", "x", "", "error")] == \
        [0, 3, None, None, None, 4, 5, None, None, None, None]


def test_context_helpers_live_work_resume_checks_activity_and_caps():
    from core.config.city_config import Workspace
    from core.desired.entries import Request
    from core.desired.realize import _resumes_assigned_work
    from core.world.beads import WorkBead

    city = City(root="/c", path="/c/city.toml", rigs=[Rig(name="alpha", path="alpha", max_active_sessions=4),
                                                       Rig(name="frozen", path="frozen", suspended=True)],
                workspace=Workspace(name="t", max_active_sessions=7))
    ctx = BuildContext(city, World(T0), "current", [])
    ctx.assigned_work = [WorkBead("w1", status="closed", assignee="gc-1"), WorkBead("w1", status="open", assignee="gc-1"),
                         WorkBead("w2", status="in_progress", assignee="other"), WorkBead("w3", status="closed")]
    assert ctx.live_assigned_work("w1").status == "open" and ctx.live_assigned_work("w3") is None
    ctx.assigned_work = [WorkBead("w9", status="open")]  # a new list is indexed again
    assert ctx.live_assigned_work("w9") is not None and ctx.live_assigned_work("w1") is None
    ctx.assigned_work = [WorkBead("w1", status="open", assignee="gc-1"), WorkBead("w2", status="open", assignee=" ")]
    b = SessionBead("gc-1", T0, {"session_name": "w-gc-1"})
    assert _resumes_assigned_work(ctx, Request("w", "resume", session_bead_id="gc-1", work_bead_id="w1"), b)
    assert not _resumes_assigned_work(ctx, Request("w", "new", session_bead_id="gc-1", work_bead_id="w1"), b)
    assert not _resumes_assigned_work(ctx, Request("w", "resume", session_bead_id="gc-2", work_bead_id="w1"), b)
    assert not _resumes_assigned_work(ctx, Request("w", "resume", session_bead_id="gc-1"), b)
    assert not _resumes_assigned_work(ctx, Request("w", "resume", session_bead_id="gc-1", work_bead_id="w2"), b)
    assert not _resumes_assigned_work(ctx, Request("w", "resume", session_bead_id="gc-1", work_bead_id="w7"), b)
    assert ctx.agent_active(Agent(name="a")) and not ctx.agent_active(Agent(name="a", suspended=True))
    assert not ctx.agent_active(Agent(name="a", dir="frozen"))
    assert [ctx.cap(a) for a in (Agent(name="a", max_active_sessions=2), Agent(name="a", max_active_sessions=-1),
                                 Agent(name="a", dir="alpha"), Agent(name="a"))] == [2, None, 4, 7]
