"""The default demand probes' store reads (defaultScaleCheckCountsAndDemand,
defaultNamedSessionDemand in cmd/gc/build_desired_state.go): one sub-phase record per kind with
its target count, and per store group that fails or comes back partial, one log line naming the
group's templates, every template marked partial with its reason."""

from __future__ import annotations

from datetime import UTC, datetime

from core.config.city_config import City
from core.desired.context import BuildContext
from core.desired.demand import ProbeReads
from core.world.world import World

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)


def _ctx(faults: dict[str, tuple[str, int, str]]) -> BuildContext:
    world = World(T0)
    world.store.read_faults = dict(faults)
    ctx = BuildContext(City(root="/tmp", path="/tmp/city.toml"), world, "current", [])
    ctx.result.store_query_partial = False  # the faults are the probes' to report here
    return ctx


def test_each_failing_group_is_logged_once_and_marks_its_templates():
    ctx = _ctx({"r1": ("error", 1, "boom"), "city": ("partial", 1, "")})
    reads = ProbeReads()
    reads.add(["r1", "city"], "r1/worker", named=False)
    reads.add(["r1"], "r1/polecat", named=False)
    reads.add(["city"], "mayor", named=True)
    reads.add(["r2"], "r2/dog", named=False)
    reads.add(["a"], "a/cat", named=False)   # a clean group between two failing ones
    reads.report(ctx)
    assert [(r.fields["operation_name"], r.fields["targets"]) for r in ctx.trace] == [
        ("demand_snapshot.default_scale_demand", 5), ("demand_snapshot.named_session_demand", 1)]
    assert ctx.result.logs == [
        "buildDesiredState: default scale_check city templates=r1/worker: Ready(): partial result "
        "(counts above may be a partial of one demand source)",
        "buildDesiredState: default scale_check rig:r1 templates=r1/polecat,r1/worker: Ready(): boom "
        "(counts above may be a partial of one demand source)",
        "buildDesiredState: default scale_check city templates=mayor: Ready(): partial result "
        "(using named demand=false)"]
    assert ctx.result.store_query_partial
    assert ctx.result.partial_templates == {"r1/worker", "r1/polecat", "mayor"}
    assert ctx.result.partial_reasons == {
        "r1/worker": "the default demand read of the city store came back partial",
        "r1/polecat": "the default demand read of the rig:r1 store failed",
        "mayor": "the default demand read of the city store came back partial"}


def test_a_cold_probe_keys_its_group_by_the_bare_store_and_clean_reads_report_nothing():
    ctx = _ctx({"r1": ("error", 1, "")})
    reads = ProbeReads()
    reads.add(["r1"], "r1/worker", named=True, cold=True)
    reads.report(ctx)
    assert ctx.result.logs == ["buildDesiredState: default scale_check r1 templates=r1/worker: Ready(): "
                               f"{ctx.store.read_error('r1')} (using named demand=false)"]
    quiet = _ctx({})
    reads = ProbeReads()
    reads.add(["city"], "w", named=False)
    reads.report(quiet)
    assert quiet.result.logs == [] and not quiet.result.store_query_partial and quiet.result.partial_templates == set()
    assert [r.fields["operation_name"] for r in quiet.trace] == ["demand_snapshot.default_scale_demand"]


def test_an_agent_whose_dir_is_no_rig_probes_the_city_store_alone():
    """defaultScaleCheckTargetForAgent: only an agent of a configured rig reads its rig's store
    (plus the city-store guard); an agent whose dir names no rig has the city target alone."""
    from core.config.city_config import Agent, Rig
    from core.desired.demand import Demand, compute_counts

    def targets(rigs: list) -> int:
        city = City(root="/tmp", path="/tmp/city.toml", rigs=rigs,
                    agents=[Agent(name="w", dir="tools", max_active_sessions=3)])
        ctx = BuildContext(city, World(T0), "current", [])
        compute_counts(ctx, Demand())
        return sum(r.fields["targets"] for r in ctx.trace
                   if r.fields.get("operation_name") == "demand_snapshot.default_scale_demand")

    assert targets([]) == 1
    assert targets([Rig(name="tools", path="tools")]) == 2


def test_a_failed_city_store_read_is_logged_under_the_city_ref_and_marks_a_city_agent_partial():
    """A city agent's default probe reads the city store (defaultScaleCheckTargetForAgent's
    "city" key): a failed read of that store marks the template partial with the city group's
    line, and collectOpenUnassignedRoutedWork logs it under `city:<city name>`."""
    from core.config.city_config import Agent, Workspace
    from core.desired.demand import Demand, compute_counts

    world = World(T0)
    world.store.read_faults = {"city": ("error", 1, "boom")}
    city = City(root="/tmp", path="/tmp/city.toml", workspace=Workspace(name="town"),
                agents=[Agent(name="w", max_active_sessions=3)])
    ctx = BuildContext(city, world, "current", [])
    compute_counts(ctx, Demand())
    err = world.store.read_error("city")
    assert ctx.result.logs == [
        f"collectOpenUnassignedRoutedWork: city:town: List(open): {err}",
        f"buildDesiredState: default scale_check city templates=w: Ready(): {err} "
        "(counts above may be a partial of one demand source)"]
    assert ctx.result.partial_templates == {"w"}
    # recordDemandSubPhase: a controller operation at the demand snapshot site
    assert [(r.record_type, r.site_code, r.reason_code, r.outcome_code, r.operation_name) for r in ctx.trace] == [
        ("operation", "demand_snapshot.load", "retained", "complete", "demand_snapshot.default_scale_demand")]


def test_a_failing_read_of_an_active_rig_store_makes_the_build_store_partial_from_the_start():
    """storeQueryPartial: a fault on any store the build reads (the city store, or a rig store
    whose rig is not suspended) marks the whole build partial, work or no work."""
    from core.config.city_config import Rig

    city = City(root="/tmp", path="/tmp/city.toml", rigs=[Rig(name="r1", path="r1")])
    for faults, want in (({"r1": ("error", 1, "")}, True), ({"r1": ("partial", 1, "")}, True), ({}, False)):
        world = World(T0)
        world.store.read_faults = dict(faults)
        assert BuildContext(city, world, "current", []).result.store_query_partial is want, faults
