"""Command-line options shared by several citywatch commands, each declared once, and the exit
codes every command uses."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

# Exit codes, the same for every command.
OK = 0  # done; for a check: nothing failed
CHECK_FAILED = 1  # a check failed: an expectation, an invariant, an active alarm, a planned change
BAD_INPUT = 2  # bad input or usage: a broken config or scenario, a wrong option, not a Gas City city
UNREACHABLE = 3  # a source could not be reached: an unreadable city directory, bd that cannot run, a supervisor

EXIT_CODES_HELP = """exit codes (the same for every command):
  0  done (for a check: nothing failed)
  1  a check failed: an expectation or invariant (scenario check), an active alarm (attach --check)
  2  bad input or usage: a broken config or scenario file (located: file:line:col or file: field),
     a wrong option, a directory that is not a Gas City city
  3  a source could not be reached: an unreadable city directory, `bd` that cannot run (--bd), a
     supervisor that does not answer or refuses the read
  130 interrupted (Ctrl-C)"""

SEMANTICS = ("current", "pre-2053", "pre-1989")
SEMANTICS_HELP = ("whose rules the model follows: current; pre-2053 (before Gas City #2053: the #1989 pool "
                  "flavour carve-out); pre-1989 (before Gas City #1989: max_active_sessions = 1 expands to name-1)")
PACKS_HELP = ("a directory of local pack folders by name: a remote import whose source ends in /<name> uses "
              "DIR/<name>, before the builtin core and bd packs that ship with citywatch")


@dataclass(frozen=True)
class CityOptions:
    """How a command loads and runs a city, as the shared options gave it."""

    packs: str | None
    semantics: str | None  # None: the command's own default (a scenario's, else current)
    run_scale_checks: bool
    scale_check_timeout: str


def add_city_options(p: argparse.ArgumentParser, *, semantics_default: str | None = None) -> None:
    """The options of every command that loads a city: --packs, --semantics, --run-scale-checks,
    --scale-check-timeout (`semantics_default` None means the scenario's or current)."""
    g = p.add_argument_group("city options (every command that loads a city)")
    g.add_argument("--packs", metavar="DIR", help=PACKS_HELP)
    g.add_argument("--semantics", default=semantics_default, choices=SEMANTICS, help=SEMANTICS_HELP)
    g.add_argument("--run-scale-checks", action="store_true",
                   help="run the config's scale_check commands (sh -c, in the city directory); off by default: "
                        "the simulated values are used and no command from a config ever runs")
    g.add_argument("--scale-check-timeout", default="5s", metavar="DURATION",
                   help="how long one scale_check may run, as a Go duration (default 5s)")


def city_options(args: argparse.Namespace) -> CityOptions:
    """The shared city options of parsed `args`."""
    return CityOptions(packs=args.packs, semantics=args.semantics, run_scale_checks=args.run_scale_checks,
                       scale_check_timeout=args.scale_check_timeout)


def add_attach_source_options(group, note: str = "") -> None:
    """The options that say where and how a live city is read (shared by `attach` and `--attach`);
    `note` prefixes each help text."""
    group.add_argument("--bd", action="store_true", help=f"{note}read session beads with `bd --readonly list` "
                       "(the only program attach runs besides tmux listings); default: .gc/beads.json")
    group.add_argument("--tmux-socket", metavar="NAME_OR_PATH", help=f"{note}the city's tmux server (default: "
                       "[session] socket, else the city name); a path is passed as -S")
    group.add_argument("--settings", metavar="FILE", help="citywatch settings: [citywatch] theme, bell, export_dir, "
                       "keymap (the app) and [citywatch.alarms] thresholds (default: ~/.config/citywatch/citywatch.toml "
                       "when present)")
    group.add_argument("--alarm", action="append", metavar="KEY=VALUE", help="override one loop-alarm threshold")


class _NoTokenValue(argparse.Action):
    """`--token VALUE` is refused without echoing VALUE: a command line is visible to every user
    of the machine and lands in shell histories and logs."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        parser.error(f"{option_string} is not accepted: a token on the command line is visible to every user of "
                     "the machine; put it in CITYWATCH_API_TOKEN or a file named by --token-file")


def add_api_options(group, note: str = "") -> None:
    """The options of an attach through a supervisor's HTTP API (shared by `attach URL` and
    `--attach URL`); `note` prefixes each help text. There is deliberately no option that takes
    the token itself: a command line is visible to every user of the machine."""
    group.add_argument("--city", dest="api_city", metavar="NAME", help=f"{note}the supervisor's city to attach to (default: list its "
                       "cities; the app opens a city picker)")
    group.add_argument("--token-file", metavar="FILE", help=f"{note}read the bearer token from FILE (default: the "
                       "CITYWATCH_API_TOKEN variable, else GC_CITY_URL_TOKEN; none when neither is set)")
    group.add_argument("--token", "--api-token", "--bearer", nargs="?", action=_NoTokenValue, help=argparse.SUPPRESS)
    group.add_argument("--ca-file", metavar="FILE", help=f"{note}verify the supervisor's TLS certificate against this "
                       "CA bundle (default: the system's roots)")
    group.add_argument("--insecure-skip-verify", action="store_true", help=f"{note}do not verify the supervisor's TLS "
                       "certificate (only for a self-signed development server)")
    group.add_argument("--config", dest="config_dir", metavar="DIR", help=f"{note}a local copy of the city's config for the model (the "
                       "API's config lacks pool sizes, namepools and scale_check); default: the API's config")
    group.add_argument("--timeout", default="10s", metavar="DURATION", help=f"{note}how long one API reply may take")


def add_json_option(p: argparse.ArgumentParser, what: str) -> None:
    """`--json`: print `what` as JSON for programs (every document carries a schema_version)."""
    p.add_argument("--json", action="store_true", help=f"print {what} as JSON (with a schema_version)")
