"""`citywatch attach CITY_DIR`: a read-only look at a live city, as a snapshot (text or JSON), a
monitoring probe (`--check`), or a stream of snapshots (`--watch`, JSON Lines with `--json`)."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
from typing import Any, Callable

from tui.cli_commands import err, packs_dir, print_json, scale_check_timeout
from tui.cli_options import BAD_INPUT, CHECK_FAILED, OK, UNREACHABLE


def open_session(args: argparse.Namespace, city_dir: str):
    """The AttachSession of `city_dir` the options ask for, or an int exit code after printing
    why not (used by `attach` and by the app's `--attach`)."""
    from core.attach.session import AttachError, AttachOptions, AttachSession, AttachUnreachable
    from core.attach.settings import load_thresholds
    from core.config.errors import ConfigError
    from core.timefmt import parse_time

    try:
        thresholds = load_thresholds(args.settings, args.alarm or [])
        timeout, packs = scale_check_timeout(args), packs_dir(args)
    except ConfigError as e:
        return err(e.render())
    except ValueError as e:
        return err(str(e))
    opts = AttachOptions(use_bd=args.bd, tmux_socket=args.tmux_socket or "", thresholds=thresholds,
                         semantics=args.semantics or "current", packs_dir=packs, scale_check_timeout=timeout)
    if getattr(args, "now", None):
        fixed = parse_time(args.now)
        if fixed is None:
            return err(f"--now: expected an RFC 3339 time such as 2026-08-21T12:00:00Z, got {args.now!r}")
        opts.clock = lambda: fixed
    try:
        session = AttachSession.open(city_dir, opts)
    except AttachUnreachable as e:
        return err(str(e), UNREACHABLE)
    except AttachError as e:
        return err(str(e), BAD_INPUT)
    if args.bd and session.bd_failed():
        message = session.bd_failed()
        session.close()
        return err(f"--bd: the session beads could not be read ({message})", UNREACHABLE)
    return session


def cmd_attach(args: argparse.Namespace) -> int:
    """`citywatch attach`: print a snapshot, check the alarms, or stream changes; see the module
    docstring. Exit codes as every command's (3 when the city or `bd` cannot be read)."""
    session = open_session(args, args.city_dir)
    if isinstance(session, int):
        return session
    try:
        if args.watch:
            return watch(session, args)
        snap = session.snapshot()
        if args.check:
            return check_alarms(snap, args.json)
        _print_snapshot(snap, args)
        return OK
    finally:
        session.close()


def _print_snapshot(snap: dict[str, Any], args: argparse.Namespace, *, lines: bool = False) -> None:
    if args.json:
        print_json(snap, indent=None if lines else 2)
    else:
        from core.attach.render import render_snapshot
        from core.safetext import printable_lines

        print(printable_lines(render_snapshot(snap)))
    sys.stdout.flush()


def check_alarms(snap: dict[str, Any], as_json: bool) -> int:
    """A monitoring probe: one line per active alarm (or one OK line), exit 1 when any is active."""
    alarms = snap["alarms"]
    name = snap["city"]["name"]
    if as_json:
        print_json({"city": name, "as_of": snap["as_of"], "ok": not alarms, "alarms": alarms})
    else:
        from core.safetext import printable

        if not alarms:
            print(f"OK city {printable(name)}: no alarm active (as of {snap['as_of']})")
        for a in alarms:
            print(f"ALARM {a['kind']} {printable(str(a['subject']))}: {printable(a['message'])}")
    return CHECK_FAILED if alarms else OK


def change_digest(snap: dict[str, Any]) -> str:
    """What counts as a change between two snapshots: everything but the clock (`as_of`) and the
    ages that grow with it (an alarm's value and message); the set of alarms still counts."""
    stable = {k: v for k, v in snap.items() if k not in ("as_of", "alarms")}
    stable["alarms"] = [(a["kind"], a["subject"], a["threshold"]) for a in snap["alarms"]]
    return hashlib.sha256(json.dumps(stable, sort_keys=True, default=str).encode()).hexdigest()


def watch(session, args: argparse.Namespace) -> int:
    """Print the snapshot, then a new one each time it changes, until interrupted (Ctrl-C ends
    with 130, as every command does): files under the city are watched, and the runtime
    listings (which no file announces) are read every `--interval`."""
    from core.durations import DurationError, parse_duration

    try:
        interval = parse_duration(args.interval)
    except DurationError as e:
        return err(f"--interval: {e}")
    if interval <= 0:
        return err("--interval: must be above 0")

    def emit(snap: dict[str, Any]) -> None:
        _print_snapshot(snap, args, lines=True)
        if not args.json:
            print("---", flush=True)

    asyncio.run(stream_changes(session, emit, interval))
    return OK


async def stream_changes(session, emit: Callable[[dict[str, Any]], None], interval: float,
                         stop: asyncio.Event | None = None) -> None:
    """Emit the current snapshot, then every snapshot whose `change_digest` differs from the last
    one emitted, until `stop` is set (or the task is cancelled)."""
    from tui.attach_watch import watch_city

    stop = stop or asyncio.Event()
    last = ""

    def publish() -> None:
        nonlocal last
        snap = session.snapshot()
        digest = change_digest(snap)
        if digest != last:
            last = digest
            emit(snap)

    publish()

    def changed(paths: set[str]) -> None:
        if session.poll(paths):
            publish()

    async def runtime_timer() -> None:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except asyncio.TimeoutError:
                session.poll()
                publish()

    watcher = asyncio.create_task(watch_city(session.watch_paths, changed))
    timer = asyncio.create_task(runtime_timer())
    try:
        await stop.wait()
    finally:
        for t in (watcher, timer):
            t.cancel()
        await asyncio.gather(watcher, timer, return_exceptions=True)
