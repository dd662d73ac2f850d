"""`citywatch attach CITY_DIR|URL`: a read-only look at a live city, as a snapshot (text or JSON),
a monitoring probe (`--check`), or a stream of snapshots (`--watch`, JSON Lines with `--json`).

A city directory is read from its files; an http(s) URL is a Gas City supervisor (or a
standalone controller's API), read through its HTTP API (core.attach.api): without `--city` its
cities are listed, with `--city NAME` that city is attached to."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui.cli_commands import err, packs_dir, print_json, scale_check_timeout
from tui.cli_options import BAD_INPUT, CHECK_FAILED, OK, UNREACHABLE

if TYPE_CHECKING:
    from core.attach.snapshot import AttachSnapshot

Emit = Callable[["AttachSnapshot", dict[str, Any]], None]  # a snapshot and its JSON form


def is_url(target: str) -> bool:
    """Is the attach target a supervisor URL (rather than a city directory)?"""
    return target.startswith(("http://", "https://"))


def api_only_options(args: argparse.Namespace) -> list[str]:
    """The supervisor-API options given (each is an error with a city directory)."""
    return [f for f, v in (("--city", args.api_city), ("--token-file", args.token_file), ("--ca-file", args.ca_file),
                           ("--insecure-skip-verify", args.insecure_skip_verify), ("--config", args.config_dir)) if v]


def attach_options(args: argparse.Namespace, *, one_shot: bool = False):
    """The AttachOptions the shared options ask for, or an int exit code after printing why not.
    `one_shot`: the city is read once and never polled again (see AttachOptions.one_shot)."""
    from core import gc_tuning as heap
    from core.attach.session import AttachOptions

    heap.tune_collector()  # a live city can hold hundreds of thousands of beads
    from core.attach.settings import load_thresholds
    from core.config.errors import ConfigError
    from core.formats.timefmt import parse_time

    try:
        thresholds = load_thresholds(args.settings, args.alarm or [])
        timeout, packs = scale_check_timeout(args), packs_dir(args)
    except ConfigError as e:
        return err(e.render())
    except ValueError as e:
        return err(str(e))
    opts = AttachOptions(use_bd=args.bd, tmux_socket=args.tmux_socket or "", thresholds=thresholds,
                         semantics=args.semantics or "current", packs_dir=packs, scale_check_timeout=timeout,
                         one_shot=one_shot)
    if getattr(args, "now", None):
        fixed = parse_time(args.now)
        if fixed is None:
            return err(f"--now: expected an RFC 3339 time such as 2026-08-21T12:00:00Z, got {args.now!r}")
        opts.clock = lambda: fixed
    return opts


def api_target(args: argparse.Namespace):
    """The ApiTarget of a supervisor URL and the API options, or an int exit code after printing
    why not: a bad URL, a token that cannot be read, a file-only option."""
    from core.attach.api.client import ApiTarget, TokenError, read_token
    from core.attach.api.guard import Origin
    from core.formats.durations import DurationError, parse_duration

    target = args.attach if getattr(args, "attach", None) else args.city_dir
    stray = [f for f, v in (("--bd", args.bd), ("--tmux-socket", args.tmux_socket),
                            ("--run-scale-checks", args.run_scale_checks)) if v]
    if stray:
        return err(f"{', '.join(stray)}: only for a city directory, not a supervisor URL (a supervisor's city "
                   "runs elsewhere)")
    try:
        Origin.parse(target)
        token = read_token(args.token_file)
        timeout = parse_duration(args.timeout)
    except TokenError as e:
        return err(str(e))
    except DurationError as e:
        return err(f"--timeout: {e}")
    except ValueError as e:
        return err(str(e))
    if timeout <= 0:
        return err("--timeout: must be above 0")
    if args.ca_file and not os.path.isfile(args.ca_file):
        return err(f"--ca-file {args.ca_file}: not a file")
    if args.config_dir and not os.path.isdir(args.config_dir):
        return err(f"--config {args.config_dir}: not a directory")
    return ApiTarget(target, token=token, verify=not args.insecure_skip_verify, ca_file=args.ca_file,
                     timeout=timeout)


def open_api_session(args: argparse.Namespace, target, city: str, *, stream: bool = True):
    """The ApiAttachSession of `city` on the supervisor `target` (with its live event stream
    unless `stream` is False), or an int exit code after printing why not (3 when the supervisor
    does not answer or refuses, 2 for bad input)."""
    from core.attach.api.client import ApiError
    from core.attach.api.session import ApiAttachSession
    from core.attach.session import AttachError

    opts = attach_options(args)
    if isinstance(opts, int):
        return opts
    try:
        return ApiAttachSession.open(target, city, opts, config_dir=args.config_dir, stream=stream)
    except ApiError as e:
        return err(str(e), UNREACHABLE)
    except AttachError as e:
        return err(str(e), BAD_INPUT)


def list_supervisor_cities(target, as_json: bool) -> int:
    """`citywatch attach URL` without --city: the supervisor and its cities (the headless city
    picker); 3 when it does not answer."""
    from core.attach.api.client import ApiError, SupervisorClient
    from core.attach.api.session import list_cities

    client = SupervisorClient(target)
    try:
        health, cities, problems = list_cities(client)
    except ApiError as e:
        return err(str(e), UNREACHABLE)
    finally:
        client.close()
    doc = {"url": client.origin.base_url, "supervisor": health.to_json() if health else None,
           "cities": [c.to_json() for c in cities], "warnings": problems}
    if as_json:
        print_json(doc)
        return OK
    from core.attach.render import render_cities
    from core.guards.safetext import printable_lines

    print(printable_lines(render_cities(doc)))
    return OK


def open_session(args: argparse.Namespace, city_dir: str, *, one_shot: bool = False):
    """The AttachSession of `city_dir` the options ask for, or an int exit code after printing
    why not (used by `attach` and by the app's `--attach`)."""
    from core.attach.session import AttachError, AttachSession, AttachUnreachable

    opts = attach_options(args, one_shot=one_shot)
    if isinstance(opts, int):
        return opts
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
    docstring. Exit codes as every command's (3 when the city, `bd` or the supervisor cannot be
    read)."""
    if is_url(args.city_dir):
        target = api_target(args)
        if isinstance(target, int):
            return target
        if not args.api_city:
            if args.check or args.watch:
                return err("--check and --watch need --city NAME with a supervisor URL")
            return list_supervisor_cities(target, args.json)
        session = open_api_session(args, target, args.api_city, stream=args.watch)
    else:
        if api_only_options(args):
            return err(f"{', '.join(api_only_options(args))}: only with a supervisor URL (http:// or https://)")
        session = open_session(args, args.city_dir, one_shot=not args.watch)
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


def _print_snapshot(snap: AttachSnapshot, args: argparse.Namespace, *, lines: bool = False,
                    doc: dict[str, Any] | None = None) -> None:
    """The snapshot as JSON (`doc`, its JSON form when already made) or as text."""
    if args.json:
        print_json(doc if doc is not None else snap.to_json(), indent=None if lines else 2)
    else:
        from core.attach.render import render_snapshot
        from core.guards.safetext import printable_lines

        print(printable_lines(render_snapshot(snap)))
    sys.stdout.flush()


def check_alarms(snap: AttachSnapshot, as_json: bool) -> int:
    """A monitoring probe: one line per active alarm (or one OK line), exit 1 when any is active."""
    from core.formats.timefmt import format_time

    alarms, name, as_of = snap.alarms, snap.city.name, format_time(snap.as_of)
    if as_json:
        print_json({"city": name, "as_of": as_of, "ok": not alarms, "alarms": [a.to_json() for a in alarms]})
    else:
        from core.guards.safetext import printable

        if not alarms:
            print(f"OK city {printable(name)}: no alarm active (as of {as_of})")
        for a in alarms:
            print(f"ALARM {a.kind} {printable(str(a.subject))}: {printable(a.message)}")
    return CHECK_FAILED if alarms else OK


def change_digest(snap: dict[str, Any]) -> str:
    """What counts as a change between two snapshots (their JSON forms, as printed): everything
    but the clock (`as_of`) and the
    ages that grow with it (an alarm's value and message); the set of alarms still counts."""
    stable = {k: v for k, v in snap.items() if k not in ("as_of", "alarms", "sources")}
    stable["alarms"] = [(a["kind"], a["subject"], a["threshold"]) for a in snap["alarms"]]
    # what a source says of itself, less the times that move on every read
    stable["sources"] = {name: {k: v for k, v in src.items() if k not in ("fetched_at", "last_ok_at", "stale_for_s", "stream")}
                         if isinstance(src, dict) else src for name, src in snap["sources"].items()}
    stream = (snap["sources"].get("api") or {}).get("stream") or {}
    stable["stream"] = (stream.get("phase"), stream.get("attempt"))
    return hashlib.sha256(json.dumps(stable, sort_keys=True, default=str).encode()).hexdigest()


def watch(session, args: argparse.Namespace) -> int:
    """Print the snapshot, then a new one each time it changes, until interrupted (Ctrl-C ends
    with 130, as every command does): files under the city (or a supervisor's event stream) are
    watched, and the runtime listings (or every API endpoint) are read every `--interval`."""
    from core.formats.durations import DurationError, parse_duration

    try:
        interval = parse_duration(args.interval)
    except DurationError as e:
        return err(f"--interval: {e}")
    if interval <= 0:
        return err("--interval: must be above 0")

    def emit(snap: AttachSnapshot, doc: dict[str, Any]) -> None:
        _print_snapshot(snap, args, lines=True, doc=doc)
        if not args.json:
            print("---", flush=True)

    if asyncio.run(_stream_until_interrupted(session, emit, interval)):
        raise KeyboardInterrupt  # ends with 130, as every command does on Ctrl-C
    return OK


async def _stream_until_interrupted(session, emit: Emit, interval: float) -> bool:
    """Stream until Ctrl-C; True when it was Ctrl-C. The interrupt sets the stream's stop event
    (through the loop's own signal handler, which wakes the loop whichever thread the signal
    lands on) instead of cancelling tasks, so the watch winds down the way it does on its own."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    interrupted = False

    def on_interrupt() -> None:
        nonlocal interrupted
        interrupted = True
        stop.set()

    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # none here: Ctrl-C cancels instead
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
    try:
        await stream_changes(session, emit, interval, stop)
    finally:
        loop.remove_signal_handler(signal.SIGINT)
    return interrupted


async def stream_changes(session, emit: Emit, interval: float,
                         stop: asyncio.Event | None = None) -> None:
    """Emit the current snapshot, then every snapshot whose `change_digest` differs from the last
    one emitted, until `stop` is set (or the task is cancelled)."""
    from tui.attach_watch import watch_city

    stop = stop or asyncio.Event()
    last = ""

    def publish() -> None:
        nonlocal last
        snap = session.snapshot()
        doc = snap.to_json()
        digest = change_digest(doc)
        if digest != last:
            last = digest
            emit(snap, doc)

    publish()

    def changed(paths: set[str]) -> None:
        if session.poll(paths):
            publish()

    async def runtime_timer() -> None:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except TimeoutError:
                session.poll()
                publish()

    async def stream_watch() -> None:  # a supervisor's event stream says when something changed
        while not stop.is_set():
            if await asyncio.to_thread(session.wait_change, 0.5) and session.poll([]):
                publish()

    api = hasattr(session, "wait_change")
    watcher = asyncio.create_task(stream_watch() if api else watch_city(session.watch_paths, changed, halt=stop))
    timer = asyncio.create_task(runtime_timer())
    try:
        await stop.wait()
    finally:
        stop.set()  # the watch thread sees it even if a cancellation never reaches awatch
        for t in (watcher, timer):
            t.cancel()
        await asyncio.gather(watcher, timer, return_exceptions=True)
