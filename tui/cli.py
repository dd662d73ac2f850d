# PYTHON_ARGCOMPLETE_OK
"""The `citywatch` command: the app (no command, a city, `--scenario` or `--attach`) or one of the
headless commands. Headless commands never import textual; the app is imported only when it
opens. One parser per form, built from the shared option groups of tui.cli_options."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from tui.cli_options import (
    BAD_INPUT,
    EXIT_CODES_HELP,
    OK,
    SEMANTICS,
    add_api_options,
    add_attach_source_options,
    add_city_options,
    add_json_option,
)

COMMANDS = ("scenario", "config", "explain", "plan", "bench", "attach", "help", "completion")
HEADLESS = COMMANDS  # every subcommand runs without the app
SHELLS = ("bash", "zsh", "fish")


def version_text() -> str:
    """`citywatch <version>` as installed (the package metadata is the one source of the number)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"citywatch {version('citywatch')}"
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "citywatch (version unknown: not installed)"


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Help text as written (the epilogs are laid out by hand), with defaults shown."""


def build_parser() -> argparse.ArgumentParser:
    """The parser of the headless commands (`citywatch COMMAND ...`)."""
    p = argparse.ArgumentParser(prog="citywatch", formatter_class=_Formatter,
                                description="An operator's view of a Gas City reconciler: the headless commands. "
                                "Run `citywatch [CITY]` with no command to open the app.",
                                epilog=EXIT_CODES_HELP)
    p.add_argument("--version", action="version", version=version_text())
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")

    sc = sub.add_parser("scenario", help="run or check scenario files", formatter_class=_Formatter,
                        description="run: print the state after each step of one scenario file. check: evaluate "
                        "the [[expect]] blocks of each file and print one line per file, then the totals.",
                        epilog=EXIT_CODES_HELP)
    sc.add_argument("action", choices=["run", "check"], help="run one file, or check many")
    sc.add_argument("files", nargs="+", metavar="FILE", help="scenario files (docs/scenario-format.md)")
    add_json_option(sc, "run: one state per line (the scenario-format contract); check: the report")
    sc.add_argument("--junit", metavar="FILE", help="check: also write a JUnit XML report to FILE (one testcase "
                    "per scenario, for CI)")
    sc.add_argument("-q", "--quiet", action="store_true", help="check: list only the files that did not pass")
    sc.add_argument("--trace-dir", metavar="DIR", help="run: also write the run's reconciler trace under DIR, in "
                    "the layout of a city's .gc/runtime/session-reconciler-trace/ (never inside a city's .gc/)")
    add_city_options(sc)

    cf = sub.add_parser("config", help="show a city's agents and identity shapes", formatter_class=_Formatter,
                        description="show: every agent with its identity shape and origin, named sessions, rigs, "
                        "imports (builtin, local, unresolved), rig-scope templates no rig receives, warnings.",
                        epilog=EXIT_CODES_HELP)
    cf.add_argument("action", choices=["show"], help="what to do with the config (show)")
    cf.add_argument("city", metavar="CITY", help="a city.toml or the directory holding it")
    add_json_option(cf, "the summary")
    cf.add_argument("--wide", action="store_true", help="never cut long values (the default when the output is "
                    "not a terminal)")
    cf.add_argument("--validate", action="store_true", help="as gc config show --validate: validator errors "
                    "(ValidateAgents, ValidateRigs, ValidateWebhooks, ValidateServices) are fatal, each printed, exit "
                    "2; without it they are listed as warnings and as validation_errors in --json")
    add_city_options(cf, semantics_default="current")

    ex = sub.add_parser("explain", help="why a session has its identity, slot and alias, which demand keeps it "
                        "(or why it is not desired), and its lifecycle", formatter_class=_Formatter,
                        epilog=EXIT_CODES_HELP)
    ex.add_argument("target", metavar="CITY_OR_SCENARIO", help="a city.toml (or its directory) or a scenario file")
    ex.add_argument("session", metavar="SESSION", help="bead id, identity, alias, session name or any earlier alias")
    add_json_option(ex, "the explanation (the stable form documented in core/explain/explanation.py)")
    ex.add_argument("--steps", type=int, default=None, metavar="N",
                    help="scenario: run only its first N steps (default all); city: run N ticks a patrol "
                         "interval apart on a fresh world (default 1)")
    add_city_options(ex)

    pl = sub.add_parser("plan", help="what a config change will do to a city before it lands",
                        formatter_class=_Formatter,
                        description="Run the city forward twice, with the config running now and with NEW, and print "
                        "the difference: sessions created, woken, drained or closed, renames, alias deferrals, "
                        "restarts, each with the rule that causes it. A live city is only read, never written.",
                        epilog="with --exit-code: 0 no change, 1 changes (as `git diff --exit-code`), 2 bad input "
                        "(a broken NEW config is located), 3 a source that cannot be reached\n\n" + EXIT_CODES_HELP)
    pl.add_argument("source", metavar="SOURCE", help="a live city directory (holding .gc/), a scenario file (its "
                    "state after its last step) or a city.toml (a fresh world)")
    pl.add_argument("--config", required=True, metavar="NEW", dest="new_config",
                    help="the changed city.toml, or a directory holding it (its packs come along)")
    pl.add_argument("--ticks", type=int, default=None, metavar="N",
                    help="compare N ticks (default: until a tick in which nothing acts, at most 10)")
    add_json_option(pl, "the plan")
    pl.add_argument("--exit-code", action="store_true", help="exit 1 when the plan has changes, 0 when it has none")
    pl.add_argument("--now", metavar="TIME", help="the clock of a live city or a fresh world, RFC 3339 (default: now)")
    add_city_options(pl)

    bn = sub.add_parser("bench", help="measure tick, reload and table refresh times on a synthetic city",
                        formatter_class=_Formatter, epilog=EXIT_CODES_HELP)
    bn.add_argument("--size", choices=["S", "M", "L"], default="S", help="the synthetic city's size (README table)")
    bn.add_argument("--ticks", type=int, default=10, metavar="N", help="ticks measured after the warm-up")
    add_json_option(bn, "the measurements")
    bn.add_argument("--no-ui", action="store_true", help="skip the app and attach measurements (table, keys, first frame, attach)")

    at = sub.add_parser("attach", help="read a live city's state without touching it: sessions, runtime, trace, "
                        "events, drift against the model, loop alarms", formatter_class=_Formatter,
                        description="A snapshot of a live city, read-only: from its directory, or through a Gas "
                        "City supervisor's HTTP API (a URL; without --city its cities are listed). --check is a "
                        "monitoring probe (exit 1 while any alarm is active, one line per alarm); --watch prints a "
                        "new snapshot on every change until interrupted (JSON Lines with --json).",
                        epilog=EXIT_CODES_HELP)
    at.add_argument("city_dir", metavar="CITY_DIR|URL", help="the city directory (holding city.toml and .gc/), or "
                    "a supervisor's URL such as http://127.0.0.1:8372")
    add_json_option(at, "the snapshot")
    mode = at.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="print the active alarms, one per line; exit 1 if any")
    mode.add_argument("--watch", action="store_true", help="print the snapshot again on every change, until "
                      "interrupted")
    at.add_argument("--interval", default="2s", metavar="DURATION", help="--watch: how often the runtime "
                    "listings are read (file changes are seen at once)")
    add_attach_source_options(at)
    add_api_options(at.add_argument_group("a supervisor's API (attach URL)"))
    at.add_argument("--now", metavar="TIME", help="judge ages and alarms as of this RFC 3339 time (default: now)")
    add_city_options(at)

    hp = sub.add_parser("help", help="show the help of citywatch or of one command")
    hp.add_argument("topic", nargs="?", choices=[c for c in COMMANDS if c != "help"] + ["app"],
                    metavar="COMMAND", help="a command, or `app` for the app's options")

    cp = sub.add_parser("completion", help="print a shell completion script", formatter_class=_Formatter,
                        description="Print the completion script for SHELL. Install it with, for example:\n"
                        "  bash: citywatch completion bash > ~/.local/share/bash-completion/completions/citywatch\n"
                        "  zsh:  citywatch completion zsh > ~/.zfunc/_citywatch  (with fpath+=~/.zfunc)\n"
                        "  fish: citywatch completion fish > ~/.config/fish/completions/citywatch.fish")
    cp.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    return p


def app_parser() -> argparse.ArgumentParser:
    """The parser of the app (`citywatch [CITY] [options]`)."""
    p = argparse.ArgumentParser(prog="citywatch", formatter_class=_Formatter,
                                description="Open the citywatch app: with no argument the embedded demo city; a "
                                "city.toml to model it (hot-reloaded on save); --scenario to step through a scenario; "
                                "--attach CITY_DIR|URL to watch a live city, read-only (a URL: through a supervisor's "
                                "API, with a city picker).",
                                epilog=_commands_help() + "\n\n" + EXIT_CODES_HELP)
    p.add_argument("--version", action="version", version=version_text())
    city = p.add_argument("city", nargs="?", metavar="CITY",
                          help="a city.toml or city directory (default: the embedded demo city)")
    city.completer = _city_completer  # type: ignore[attr-defined]
    p.add_argument("--scenario", metavar="FILE", help="open a scenario file and step through it")
    p.add_argument("--no-strict", action="store_true", help="as gc start --no-strict: load warnings do not refuse "
                   "the city when it opens or reloads (only validator errors do)")
    add_city_options(p, semantics_default="current")
    at = p.add_argument_group("attach to a live city (read-only)")
    at.add_argument("--attach", metavar="CITY_DIR|URL", help="show a running city's real state (beads, tmux, trace, "
                    "events), its drift from the model and its loop alarms; nothing under it is ever written. A URL "
                    "attaches through a Gas City supervisor's HTTP API (only GET requests), with a city picker")
    add_attach_source_options(at, "with --attach: ")
    add_api_options(p.add_argument_group("attach through a supervisor's API (--attach URL)"), "with --attach URL: ")
    return p


def _commands_help() -> str:
    """The headless commands, one per line with what each does (from their parsers)."""
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    rows = [(c.dest, c.help or "") for c in sub._choices_actions]
    width = max(len(name) for name, _ in rows)
    return "commands (citywatch help COMMAND for each):\n" + "\n".join(
        f"  {name.ljust(width)}  {text}" for name, text in rows)


def _city_completer(prefix: str, **_kw) -> list[str]:
    """The first word completes to a command or a path."""
    from argcomplete.completers import FilesCompleter

    return [c for c in COMMANDS if c.startswith(prefix)] + list(FilesCompleter()(prefix))


def completion_script(shell: str) -> str:
    """The completion script for `shell`, generated from the parsers by argcomplete."""
    import argcomplete

    return argcomplete.shellcode(["citywatch"], shell=shell)


def _autocomplete() -> None:
    """Answer a shell's completion request (argcomplete sets _ARGCOMPLETE), else do nothing."""
    if "_ARGCOMPLETE" not in os.environ:
        return
    import argcomplete

    words = os.environ.get("COMP_LINE", "").split()
    headless = len(words) > 1 and words[1] in COMMANDS and (len(words) > 2 or os.environ["COMP_LINE"].endswith(" "))
    argcomplete.autocomplete(build_parser() if headless else app_parser())


def main(argv: list[str] | None = None) -> int:
    """The citywatch entry point: run a headless command, else open the app; returns the exit code."""
    _autocomplete()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            return run_command(build_parser().parse_args(argv))
        return open_app(argv)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `citywatch ... | head`: stop quietly
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's final flush quiet
        return OK


def run_command(args: argparse.Namespace) -> int:
    """Run the parsed headless command."""
    from tui import cli_commands as c

    if args.cmd == "help":
        return show_help(args.topic)
    if args.cmd == "completion":
        print(completion_script(args.shell), end="")
        return OK
    if args.cmd == "attach":
        from tui.cli_attach import cmd_attach

        return cmd_attach(args)
    return {"scenario": c.cmd_scenario, "config": c.cmd_config_show, "explain": c.cmd_explain,
            "plan": c.cmd_plan, "bench": c.cmd_bench}[args.cmd](args)


def show_help(topic: str | None) -> int:
    """`citywatch help [COMMAND]`: the help of one command, of the app (`app`), or of both forms."""
    if topic == "app":
        app_parser().print_help()
    elif topic:
        with contextlib.suppress(SystemExit):  # argparse prints the command's help and exits
            build_parser().parse_args([topic, "--help"])
    else:
        app_parser().print_help()
        print()
        build_parser().print_help()
    return OK


def open_app(argv: list[str]) -> int:
    """Parse the app's arguments and run it; 2 for attach-only options given without --attach."""
    args = app_parser().parse_args(argv)
    if args.attach is not None:
        from tui.attach_app import run_attach
        from tui.cli_attach import is_url

        if is_url(args.attach) and not (args.city or args.scenario):
            from tui.api_attach_app import run_api_attach

            return run_api_attach(args)
        return run_attach(args)  # a city directory, or a refusal of what --attach cannot take
    from tui.cli_attach import api_only_options

    stray = [f for f, v in (("--bd", args.bd), ("--tmux-socket", args.tmux_socket)) if v]
    if stray or api_only_options(args):
        from tui.cli_commands import err

        if stray:
            return err(f"{', '.join(stray)}: only with --attach CITY_DIR")
        return err(f"{', '.join(api_only_options(args))}: only with --attach URL (a supervisor)")
    from tui.app import run_app

    return run_app(args)


__all__ = ["BAD_INPUT", "COMMANDS", "SEMANTICS", "app_parser", "build_parser", "main", "version_text"]


if __name__ == "__main__":
    sys.exit(main())
