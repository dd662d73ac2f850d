"""The `citywatch` command. Headless subcommands never import textual; the app is imported
only when it opens."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

HEADLESS = ("scenario", "config", "explain", "bench", "attach")
PACKS_HELP = ("a directory of local pack folders by name: a remote import whose source ends in /<name> uses "
              "DIR/<name>, before the builtin core and bd packs that ship with citywatch")


def version_text() -> str:
    """`citywatch <version>` as installed (the package metadata is the one source of the number)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"citywatch {version('citywatch')}"
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "citywatch (version unknown: not installed)"


def _err(msg: str) -> int:
    print(f"citywatch: {msg}", file=sys.stderr)
    return 2


def cmd_scenario(args: argparse.Namespace) -> int:
    """`citywatch scenario run|check`: print a run's states, or check files against their
    expectations. Returns 0, 1 if any check failed, 2 for bad input."""
    from core.scenario import ScenarioError, check, dumps_state, load_scenario, run

    if args.action == "run":
        try:
            scn = load_scenario(args.files[0])
        except ScenarioError as e:
            return _err(str(e))
        r = run(scn)
        if args.trace_dir:
            from core.tracefile.scenario_trace import write_run_trace
            from core.tracefile.writer import TraceWriteRefused

            try:
                print(write_run_trace(r, args.trace_dir).summary(), file=sys.stderr)
            except TraceWriteRefused as e:
                return _err(str(e))
            except OSError as e:
                return _err(f"{args.trace_dir}: cannot write the trace ({e.strerror or e})")
        for st in r.states:
            if args.json:
                print(dumps_state(st))
            else:
                print(f"step {st['step']} {st['do'] or '(start)'} tick={st['tick']} now={st['now']} "
                      f"desired={[d['identity'] for d in st['desired']]} "
                      f"actions={[a['kind'] + ':' + a['bead_id'] for a in st['actions']]}")
        for f in r.invariant_failures:
            print(f"INVARIANT: {f}", file=sys.stderr)
        return 0
    failed = invalid = 0
    for path in args.files:
        try:
            scn = load_scenario(path)
        except ScenarioError as e:
            # an invalid file is bad input, as for `scenario run`: listed, located on stderr, exit 2
            print(f"ERROR {path}", flush=True)
            _err(str(e))
            invalid += 1
            continue
        fails = check(run(scn))
        if scn.xfail:
            if fails:
                print(f"xfail {path}  ({scn.xfail})")
            else:
                failed += 1
                print(f"XPASS {path}  (marked xfail but passes: {scn.xfail})")
            continue
        if fails:
            failed += 1
            print(f"FAIL  {path}  ({scn.name})")
            for f in fails:
                print(f"  - {f}")
        else:
            print(f"ok    {path}  ({scn.name})")
    return 2 if invalid else 1 if failed else 0


def cmd_config_show(args: argparse.Namespace) -> int:
    """`citywatch config show`: print a city's agents and identity shapes; 2 on a config error."""
    from core.config.errors import ConfigError
    from core.config.load import load_city
    from core.config.validate import validate_city
    from core.configview import city_summary, render_summary

    if args.packs and not os.path.isdir(args.packs):
        return _err(f"--packs {args.packs}: not a directory")
    try:
        city = load_city(args.city, packs_dir=args.packs)
        validate_city(city)
    except ConfigError as e:
        return _err(e.render())
    summary = city_summary(city, args.semantics)
    if args.json:
        print(json.dumps(summary, indent=2, sort_keys=True))
    else:
        print(render_summary(summary))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    """`citywatch explain`: print why a session is as it is; 2 on bad input."""
    from core.explain import ExplainError, explain_target

    from core.durations import DurationError, parse_duration

    timeout = None
    if args.run_scale_checks:
        try:
            timeout = parse_duration(args.scale_check_timeout)
        except DurationError as e:
            return _err(f"--scale-check-timeout: {e}")
    try:
        result = explain_target(args.target, args.session, semantics=args.semantics, steps=args.steps,
                                scale_check_timeout=timeout)
    except ExplainError as e:
        return _err(str(e))
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        from core.explain import render_explanation

        print(render_explanation(result))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """`citywatch bench`: run the benchmark and print its result; 2 for --ticks below 1."""
    from core.bench import render_bench, run_bench
    from tui.bench import PROBES

    if args.ticks < 1:
        return _err("--ticks: must be at least 1")
    result = run_bench(args.size, args.ticks, include_ui=not args.no_ui, probes=PROBES)
    print(json.dumps(result, sort_keys=True) if args.json else render_bench(result))
    return 0


def cmd_attach(args: argparse.Namespace) -> int:
    """`citywatch attach`: print one read-only snapshot of a live city; 2 if it cannot be read."""
    from core.attach.render import render_snapshot
    from core.attach.session import AttachError, AttachOptions, AttachSession
    from core.attach.settings import load_thresholds
    from core.config.errors import ConfigError
    from core.timefmt import parse_time

    try:
        thresholds = load_thresholds(args.settings, args.alarm or [])
    except ConfigError as e:
        return _err(e.render())
    opts = AttachOptions(use_bd=args.bd, tmux_socket=args.tmux_socket or "", thresholds=thresholds)
    if args.now:
        fixed = parse_time(args.now)
        if fixed is None:
            return _err(f"--now: expected an RFC 3339 time such as 2026-08-21T12:00:00Z, got {args.now!r}")
        opts.clock = lambda: fixed
    try:
        session = AttachSession.open(args.city_dir, opts)
    except AttachError as e:
        return _err(str(e))
    try:
        snap = session.snapshot()
    finally:
        session.close()
    print(json.dumps(snap, indent=2, sort_keys=True) if args.json else render_snapshot(snap))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for the headless subcommands."""
    p = argparse.ArgumentParser(prog="citywatch", description="An operator's view of a Gas City reconciler.")
    p.add_argument("--version", action="version", version=version_text())
    sub = p.add_subparsers(dest="cmd")
    sc = sub.add_parser("scenario", help="run or check scenario files")
    sc.add_argument("action", choices=["run", "check"])
    sc.add_argument("files", nargs="+")
    sc.add_argument("--json", action="store_true", help="one JSON state per line (run)")
    sc.add_argument("--trace-dir", metavar="DIR", help="run: also write the run's reconciler trace under DIR, in "
                    "the layout of a city's .gc/runtime/session-reconciler-trace/ (never inside a city's .gc/)")
    cf = sub.add_parser("config", help="show a city's agents and identity shapes")
    cf.add_argument("action", choices=["show"])
    cf.add_argument("city")
    cf.add_argument("--json", action="store_true")
    cf.add_argument("--semantics", default="current", choices=["current", "pre-2053", "pre-1989"])
    cf.add_argument("--packs", metavar="DIR", help=PACKS_HELP)
    ex = sub.add_parser("explain", help="why a session has its identity, slot and alias, which demand keeps it "
                        "(or why it is not desired), and its lifecycle")
    ex.add_argument("target", help="a city.toml (or its directory) or a scenario file")
    ex.add_argument("session", help="bead id, identity, alias, session name or any earlier alias")
    ex.add_argument("--json", action="store_true", help="the stable JSON form documented in core/explain.py")
    ex.add_argument("--semantics", default=None, choices=["current", "pre-2053", "pre-1989"],
                    help="follow an older controller's rules (default: the scenario's, or current)")
    ex.add_argument("--steps", type=int, default=None,
                    help="scenario: run only its first N steps (default all); city: run N ticks a patrol "
                         "interval apart on a fresh world (default 1)")
    ex.add_argument("--run-scale-checks", action="store_true",
                    help="run the config's scale_check commands (sh -c, in the city directory) before each tick; "
                         "off by default (the simulated values are used)")
    ex.add_argument("--scale-check-timeout", default="5s")
    bn = sub.add_parser("bench", help="measure tick, reload and table refresh times on a synthetic city")
    bn.add_argument("--size", choices=["S", "M", "L"], default="S")
    bn.add_argument("--ticks", type=int, default=10)
    bn.add_argument("--json", action="store_true")
    bn.add_argument("--no-ui", action="store_true", help="skip the headless table-refresh measurement")
    at = sub.add_parser("attach", help="read a live city's state without touching it: sessions, runtime, trace, "
                        "events, drift against the model, loop alarms")
    at.add_argument("city_dir", help="the city directory (holding city.toml and .gc/)")
    at.add_argument("--json", action="store_true", help="print the snapshot as JSON")
    add_attach_source_options(at)
    at.add_argument("--now", metavar="TIME", help="judge ages and alarms as of this RFC 3339 time (default: now)")
    return p


def add_attach_source_options(group, note: str = "") -> None:
    """The options that say where and how a live city is read (shared by `attach` and `--attach`);
    `note` prefixes each help text."""
    group.add_argument("--bd", action="store_true", help=f"{note}read session beads with `bd --readonly list` "
                       "(the only program attach runs besides tmux listings); default: .gc/beads.json")
    group.add_argument("--tmux-socket", metavar="NAME_OR_PATH", help=f"{note}the city's tmux server (default: "
                       "[session] socket, else the city name); a path is passed as -S")
    group.add_argument("--settings", metavar="FILE", help=f"{note}citywatch settings with a [citywatch.alarms] "
                       "table (default: ~/.config/citywatch/citywatch.toml when present)")
    group.add_argument("--alarm", action="append", metavar="KEY=VALUE", help=f"{note}override one alarm threshold")


def main(argv: list[str] | None = None) -> int:
    """The citywatch entry point: run a headless subcommand, else open the TUI; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in HEADLESS:
        args = build_parser().parse_args(argv)
        try:
            if args.cmd == "scenario":
                return cmd_scenario(args)
            if args.cmd == "config":
                return cmd_config_show(args)
            if args.cmd == "explain":
                return cmd_explain(args)
            if args.cmd == "bench":
                return cmd_bench(args)
            if args.cmd == "attach":
                return cmd_attach(args)
        except KeyboardInterrupt:
            return 130
        except BrokenPipeError:
            return 0
    return open_app(argv)


def open_app(argv: list[str]) -> int:
    """Parse the TUI's arguments and run it; 2 for attach-only options given without --attach."""
    p = argparse.ArgumentParser(prog="citywatch", description="Open the citywatch TUI (no argument: the demo city; "
                                "--attach CITY_DIR: a live city, read-only). "
                                "Subcommands: scenario run|check, config show, explain, bench, attach.")
    p.add_argument("city", nargs="?", help="a city.toml or city directory (default: the embedded demo city)")
    p.add_argument("--scenario", help="open a scenario file and step through it")
    p.add_argument("--semantics", default="current", choices=["current", "pre-2053", "pre-1989"])
    p.add_argument("--run-scale-checks", action="store_true",
                   help="run the config's scale_check commands (sh -c, in the city directory); off by default")
    p.add_argument("--scale-check-timeout", default="5s")
    p.add_argument("--packs", metavar="DIR", help=PACKS_HELP)
    p.add_argument("--version", action="version", version=version_text())
    at = p.add_argument_group("attach to a live city (read-only)")
    at.add_argument("--attach", metavar="CITY_DIR", help="show a running city's real state (beads, tmux, trace, "
                    "events), its drift from the model and its loop alarms; nothing under it is ever written")
    add_attach_source_options(at, "with --attach: ")
    args = p.parse_args(argv)
    if args.attach is not None:
        from tui.attach_app import run_attach

        return run_attach(args)
    stray = [f for f, v in (("--bd", args.bd), ("--settings", args.settings), ("--tmux-socket", args.tmux_socket),
                            ("--alarm", args.alarm)) if v]
    if stray:
        return _err(f"{', '.join(stray)}: only with --attach CITY_DIR")
    from tui.app import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
