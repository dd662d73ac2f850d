"""The headless commands `scenario`, `config show`, `explain` and `bench`: each returns its exit
code (tui.cli_options) and never imports textual."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from tui.cli_options import BAD_INPUT, CHECK_FAILED, OK, UNREACHABLE, city_options


def err(msg: str, code: int = BAD_INPUT) -> int:
    """Print `citywatch: msg` on stderr (control characters escaped) and return `code`."""
    from core.guards.safetext import printable_lines

    print(f"citywatch: {printable_lines(msg)}", file=sys.stderr)
    return code


def print_json(doc: dict[str, Any], *, indent: int | None = 2, schema_version: int = 1) -> None:
    """One JSON document on stdout, with its `schema_version` first among sorted keys."""
    from core.guards.safetext import json_text

    print(json_text(json.dumps({"schema_version": schema_version, **doc}, indent=indent, sort_keys=True)))


def wide_output(args: argparse.Namespace) -> bool:
    """Whether text output shows every value whole: `--wide`, or stdout is not a terminal."""
    return bool(getattr(args, "wide", False)) or not sys.stdout.isatty()


def scale_check_timeout(args: argparse.Namespace) -> float | None:
    """The timeout for live scale_checks when `--run-scale-checks` was given, else None; raises
    ValueError with a message for a bad --scale-check-timeout."""
    if not args.run_scale_checks:
        return None
    from core.formats.durations import DurationError, parse_duration

    try:
        return parse_duration(args.scale_check_timeout)
    except DurationError as e:
        raise ValueError(f"--scale-check-timeout: {e}") from None


def packs_dir(args: argparse.Namespace) -> str | None:
    """`--packs` checked to be a directory; raises ValueError otherwise."""
    if args.packs and not os.path.isdir(args.packs):
        raise ValueError(f"--packs {args.packs}: not a directory")
    return args.packs or None


def cmd_scenario(args: argparse.Namespace) -> int:
    """`citywatch scenario run|check`: print a run's states, or check files against their
    expectations. Returns 0, 1 if any check failed, 2 for bad input."""
    try:
        timeout, packs = scale_check_timeout(args), packs_dir(args)
    except ValueError as e:
        return err(str(e))
    if args.action == "run":
        return _scenario_run(args, timeout, packs)
    from core.scenario.report import check_files, render_text, to_json, to_junit

    report = check_files(args.files, packs_dir=packs, semantics=args.semantics, scale_check_timeout=timeout)
    if args.junit:
        try:
            with open(args.junit, "wb") as f:  # the operator named this file to be written
                f.write(to_junit(report))
        except OSError as e:
            return err(f"--junit {args.junit}: cannot write ({e.strerror or e})")
    if args.json:
        print_json(to_json(report))
    else:
        from core.guards.safetext import printable_lines

        print(printable_lines(render_text(report, quiet=args.quiet)))
    return report.exit_code


def _scenario_run(args: argparse.Namespace, timeout: float | None, packs: str | None) -> int:
    from core.scenario.file import ScenarioError, dumps_state, load_scenario, run

    if len(args.files) != 1:
        return err("scenario run: give exactly one scenario file (scenario check takes many)")
    try:
        scn = load_scenario(args.files[0], packs)
    except ScenarioError as e:
        return err(str(e))
    if args.semantics:
        scn.semantics = args.semantics
    r = run(scn, scale_check_timeout=timeout)
    if args.trace_dir:
        from core.scenario.run_trace import write_run_trace
        from core.tracefile.writer import TraceWriteRefused

        try:
            print(write_run_trace(r, args.trace_dir).summary(), file=sys.stderr)
        except TraceWriteRefused as e:
            return err(str(e))
        except OSError as e:
            return err(f"{args.trace_dir}: cannot write the trace ({e.strerror or e})")
    for st in r.states:
        if args.json:
            from core.guards.safetext import json_text

            print(json_text(dumps_state(st)))
        else:
            print(f"step {st['step']} {st['do'] or '(start)'} tick={st['tick']} now={st['now']} "
                  f"desired={[d['identity'] for d in st['desired']]} "
                  f"actions={[a['kind'] + ':' + a['bead_id'] for a in st['actions']]}")
    for f in r.invariant_failures:
        print(f"INVARIANT: {f}", file=sys.stderr)
    return OK


def cmd_config_show(args: argparse.Namespace) -> int:
    """`citywatch config show`: print a city's agents and identity shapes. A config Gas City's
    loader refuses exits 2; so do validator errors with `--validate`, which otherwise are shown
    as warnings and `validation_errors` (as `gc config show` does)."""
    from core.config.errors import ConfigError
    from core.config.load import load_city
    from core.config.validate import validation_errors
    from core.views.configview import city_summary, render_summary, scale_check_rows

    try:
        timeout, packs = scale_check_timeout(args), packs_dir(args)
    except ValueError as e:
        return err(str(e))
    try:
        city = load_city(args.city, packs_dir=packs)
    except ConfigError as e:
        return err(e.render())
    errors = validation_errors(city)
    if args.validate and errors:
        for problem in errors:
            err(problem.render())
        return BAD_INPUT
    summary = city_summary(city, args.semantics or "current", errors)
    if timeout is not None:
        from core.model.scalecheck import run_all

        summary["scale_check_runs"] = scale_check_rows(run_all(city, timeout))
    if args.json:
        print_json(summary)
    elif args.validate:
        print("Config valid.")
    else:
        from core.guards.safetext import printable_lines

        print(printable_lines(render_summary(summary, clip=not wide_output(args))))
    return OK


def cmd_explain(args: argparse.Namespace) -> int:
    """`citywatch explain`: print why a session is as it is; 2 on bad input."""
    from core.explain.explanation import ExplainError
    from core.explain.run import explain_target

    try:
        timeout, packs = scale_check_timeout(args), packs_dir(args)
    except ValueError as e:
        return err(str(e))
    try:
        result = explain_target(args.target, args.session, semantics=args.semantics, steps=args.steps,
                                scale_check_timeout=timeout, packs_dir=packs)
    except ExplainError as e:
        return err(str(e))
    if args.json:
        print_json(result.to_json())
    else:
        from core.explain.explanation import render_explanation
        from core.guards.safetext import printable_lines

        print(printable_lines(render_explanation(result)))
    return OK


def cmd_plan(args: argparse.Namespace) -> int:
    """`citywatch plan`: print what NEW would do to SOURCE; with --exit-code, 1 when it changes
    anything. 2 for bad input, 3 for a live city that cannot be read."""
    from core.change_plan import PlanError, make_plan
    from core.formats.timefmt import parse_time

    try:
        timeout, packs = scale_check_timeout(args), packs_dir(args)
    except ValueError as e:
        return err(str(e))
    now = None
    if args.now:
        now = parse_time(args.now)
        if now is None:
            return err(f"--now: expected an RFC 3339 time such as 2026-08-21T12:00:00Z, got {args.now!r}")
    try:
        plan = make_plan(args.source, args.new_config, ticks=args.ticks, now=now, packs_dir=packs,
                         semantics=args.semantics, scale_check_timeout=timeout)
    except PlanError as e:
        return err(str(e), UNREACHABLE if e.unreachable else BAD_INPUT)
    if args.json:
        from core.guards.safetext import json_text

        print(json_text(json.dumps(plan.to_json(), indent=2, sort_keys=True)))
    else:
        from core.change_plan.render import render_plan

        print(render_plan(plan, colour=sys.stdout.isatty() and "NO_COLOR" not in os.environ))
    return CHECK_FAILED if args.exit_code and not plan.empty else OK


def cmd_bench(args: argparse.Namespace) -> int:
    """`citywatch bench`: run the benchmark and print its result; 2 for --ticks below 1."""
    from core.bench import render_bench, run_bench
    from tui.bench import PROBES

    if args.ticks < 1:
        return err("--ticks: must be at least 1")
    result = run_bench(args.size, args.ticks, include_ui=not args.no_ui, probes=PROBES)
    if args.json:
        print_json(result, indent=None)
    else:
        print(render_bench(result))
    return OK


__all__ = ["city_options", "cmd_bench", "cmd_config_show", "cmd_explain", "cmd_scenario", "err", "print_json"]
