"""Gas City's load-time checks of the sections citywatch validates without modelling them
(`[dolt]`, `[beads.policies]`, `[orders]`, `[mail]`, `[events]`, `[maintenance]`, the dolt
timeouts of `[daemon]`, `[[github.pr_monitor]]`): the duration warnings of ValidateDurations
and ValidateEventsRotation, and the refusals of ValidateBeadPolicyStorageCompatibility,
ValidateNonNegativeDurations and ValidateDoltConfig. A refusal raises the located ConfigError
Gas City's loader would return; a warning goes to the reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from core.config.city_config import City, Section
from core.config.errors import ConfigError
from core.config.reader import Reader
from core.formats.goduration import go_quote, parse_days_duration, parse_go_duration

_SESSION_DURATIONS = ("setup_timeout", "setup_max_timeout", "nudge_ready_timeout", "nudge_retry_interval",
                      "nudge_poll_interval", "nudge_lock_timeout", "startup_timeout", "progress_stall_timeout",
                      "claim_holder_stall_timeout")
_DAEMON_DURATIONS = ("patrol_interval", "restart_window", "session_circuit_breaker_window",
                     "session_circuit_breaker_reset_after", "shutdown_timeout", "wisp_gc_interval", "wisp_ttl",
                     "drift_drain_timeout", "start_ready_timeout", "dolt_stop_timeout",
                     "dolt_start_address_in_use_retry_window")
BEAD_STORAGES = ("history", "no_history", "ephemeral")
# Storage classes each policy may use under each bd compatibility mode (bead_policy_validation.go).
_BD104 = {"session": ("no_history", "history"), "wait": ("no_history", "history"),
          "nudge": ("no_history", "history"), "order_tracking": ("no_history", "history"),
          "workflow": ("history",), "wisp": ("history",)}
_BD105 = {**_BD104, "workflow": ("no_history", "history"), "wisp": ("ephemeral", "no_history", "history")}
# ApplyBeadPolicyDefaults: the closed-bead TTL of order_tracking when city.toml sets none.
DEFAULT_ORDER_TRACKING_DELETE_AFTER_CLOSE = "7d"
_RETAIN_WARN_BELOW_NS = 168 * 3_600_000_000_000


def _section(city: City, *path: str) -> Section | None:
    """The table at `path` ("events", "rotation") inside a merged section, located."""
    sec = city.sections.get(path[0])
    for key in path[1:]:
        if sec is None or not isinstance(sec.get(key), dict):
            return None
        sec = Section(sec.get(key), sec.file, sec.at(key))
    return sec


def _value(sec: Section | None, key: str) -> str:
    return str(sec.get(key, "")) if sec is not None else ""


def _bad_duration(rd: Reader, sec: Section | None, context: str, key: str) -> None:
    value = _value(sec, key)
    if value == "" or sec is None:
        return
    _, err = parse_go_duration(value)
    if err:
        rd.warn(sec.file, f"{context} {key} = {go_quote(value)} is not a valid duration: {err}", sec.at(key))


def _not_positive(rd: Reader, sec: Section, context: str, key: str, *, days: bool) -> None:
    value = _value(sec, key)
    if value == "":
        return
    ns, err = parse_days_duration(value) if days else parse_go_duration(value)
    if err:
        rd.warn(sec.file, f"{context} {key} = {go_quote(value)} is not a valid duration: {err}", sec.at(key))
    elif ns <= 0:
        rd.warn(sec.file, f"{context} {key} = {go_quote(value)} must be a positive duration", sec.at(key))


def bead_policies(city: City) -> list[tuple[str, Section]]:
    """`[beads.policies.<name>]` by name, with the order_tracking default Gas City adds."""
    beads = _section(city, "beads", "policies")
    out: dict[str, Section] = {}
    if beads is not None:
        for name, table in beads.table.items():
            if isinstance(table, dict):
                out[name] = Section(table, beads.file, beads.at(name))
    ot = out.get("order_tracking")
    if ot is None or not str(ot.get("delete_after_close", "")):
        table = {**(ot.table if ot else {}), "delete_after_close": DEFAULT_ORDER_TRACKING_DELETE_AFTER_CLOSE}
        out["order_tracking"] = Section(table, ot.file if ot else city.path, ot.field if ot else "")
    return sorted(out.items())


def section_duration_warnings(rd: Reader, city: City) -> None:
    """ValidateDurations for [session], [daemon], [dolt], [orders], [mail], [events.rotation],
    [beads.policies], [chat_sessions] and [maintenance.dolt], in Gas City's order."""
    for name, keys in (("session", _SESSION_DURATIONS), ("daemon", _DAEMON_DURATIONS)):
        for key in keys:
            _bad_duration(rd, city.sections.get(name), f"[{name}]", key)
    _bad_duration(rd, city.sections.get("dolt"), "[dolt]", "dolt_lock_release_timeout")
    orders = city.sections.get("orders")
    _bad_duration(rd, orders, "[orders]", "max_timeout")
    for i, ov in enumerate(orders.get("overrides", []) if orders else []):
        if orders is not None and isinstance(ov, dict) and "check_timeout" in ov:
            sec = Section(ov, orders.file, orders.at(f"overrides[{i}]"))
            _not_positive(rd, sec, f"[[orders.overrides]] {go_quote(str(ov.get('name', '')))}", "check_timeout",
                          days=False)
    _bad_duration(rd, city.sections.get("mail"), "[mail]", "retention_ttl")
    _bad_duration(rd, _section(city, "events", "rotation"), "[events.rotation]", "archive_retain_age")
    for name, policy in bead_policies(city):
        _not_positive(rd, policy, f"[beads.policies.{name}]", "delete_after_close", days=True)
        storage = str(policy.get("storage", ""))
        if storage not in ("",) + BEAD_STORAGES:
            rd.warn(policy.file, f"[beads.policies.{name}] storage = {go_quote(storage)} is not valid: must be one of "
                                 '"history", "no_history", or "ephemeral"', policy.at("storage"))
    for key in ("idle_timeout", "grace_period"):
        _bad_duration(rd, city.sections.get("chat_sessions"), "[chat_sessions]", key)
    for key in ("interval", "gc_timeout"):
        _bad_duration(rd, _section(city, "maintenance", "dolt"), "[maintenance.dolt]", key)


def pr_monitor_duration_warnings(rd: Reader, city: City) -> None:
    """ValidateDurations for each `[[github.pr_monitor]]` poll_interval."""
    for mon in city.pr_monitors:
        _bad_duration(rd, mon, f"github.pr_monitor {go_quote(str(mon.get('name', '')))}", "poll_interval")


def events_rotation_warnings(rd: Reader, city: City) -> None:
    """ValidateEventsRotation: an archive_retain_age under a week may delete recent archives."""
    sec = _section(city, "events", "rotation")
    raw = _value(sec, "archive_retain_age")
    if sec is None or raw == "":
        return
    ns, err = parse_go_duration(raw)
    if err is None and 0 < ns < _RETAIN_WARN_BELOW_NS:
        rd.warn(sec.file, f"events.rotation: warning: archive_retain_age={raw} may delete recent archives",
                sec.at("archive_retain_age"))


def _refuse(rd: Reader, sec: Section, key: str, message: str) -> ConfigError:
    return rd.error(sec.file, sec.at(key) if key else sec.field, message)


def check_bead_policy_storage(rd: Reader, city: City) -> None:
    """ValidateBeadPolicyStorageCompatibility: a policy's storage class must suit the
    configured bd compatibility mode (bd-1.0.4 unless `bd_compatibility = "bd-1.0.5"`)."""
    policies = bead_policies(city)
    beads = city.sections.get("beads")
    mode = "bd-1.0.5" if beads is not None and beads.get("bd_compatibility") == "bd-1.0.5" else "bd-1.0.4"
    allowed_by = _BD105 if mode == "bd-1.0.5" else _BD104
    for name, policy in policies:
        storage = str(policy.get("storage", ""))
        if storage == "" or storage not in BEAD_STORAGES:
            continue
        allowed = allowed_by.get(name)
        if allowed is None or storage in allowed:
            continue
        raise _refuse(rd, policy, "storage", f"[beads.policies.{name}] storage = {go_quote(storage)} is not "
                                             f"{mode}-compatible; allowed storage: {', '.join(allowed)}")


def check_non_negative_durations(rd: Reader, city: City) -> None:
    """ValidateNonNegativeDurations: the dolt timeouts must not be negative and every
    delete_after_close must be a positive duration (the first offence refuses the config)."""
    for name, key in (("daemon", "dolt_stop_timeout"), ("daemon", "dolt_start_address_in_use_retry_window"),
                      ("dolt", "dolt_lock_release_timeout")):
        sec = city.sections.get(name)
        value = _value(sec, key)
        if sec is None or value == "":
            continue
        ns, err = parse_go_duration(value)
        if err is None and ns < 0:
            raise _refuse(rd, sec, key, f"[{name}] {key} must not be negative: got {go_quote(value)}")
    for name, policy in bead_policies(city):
        value = _value(policy, "delete_after_close")
        if value == "":
            continue
        ns, err = parse_days_duration(value)
        if err:
            raise _refuse(rd, policy, "delete_after_close", f"[beads.policies.{name}] delete_after_close = "
                                                            f"{go_quote(value)} is not a valid duration: {err}")
        if ns <= 0:
            raise _refuse(rd, policy, "delete_after_close", f"[beads.policies.{name}] delete_after_close must be a "
                                                            f"positive duration: got {go_quote(value)}")


def check_dolt(rd: Reader, city: City) -> None:
    """ValidateDoltConfig: the `[dolt]` connection limits and timeouts must not be negative."""
    sec = city.sections.get("dolt")
    if sec is None:
        return
    for key in ("max_connections", "read_timeout_millis", "write_timeout_millis", "wait_timeout_seconds"):
        value = sec.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            raise _refuse(rd, sec, key, f"[dolt] {key} must not be negative: got {value}")


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_pr_monitors(rd: Reader, city: City) -> None:
    """ValidateGitHubPRMonitors: every `[[github.pr_monitor]]` names a declared rig, a repo with
    its base branches (no repo/base watched twice), a repair route, and well-formed options."""
    rigs = {r.name for r in city.rigs}
    names: dict[str, int] = {}
    repo_base: dict[str, str] = {}
    for i, mon in enumerate(city.pr_monitors):
        ctx = f"github.pr_monitor[{i}]"
        name = str(mon.get("name", "")).strip()
        fail = partial(_refuse, rd, mon)

        if not name:
            raise fail("name", f"{ctx}: name is required")
        q = f"{ctx} {go_quote(name)}"
        if name in names:
            raise fail("name", f"{q}: duplicate name also used by github.pr_monitor[{names[name]}]")
        names[name] = i
        owner, repo, rig = (str(mon.get(k, "")).strip() for k in ("owner", "repo", "rig"))
        for key, value in (("owner", owner), ("repo", repo), ("rig", rig)):
            if not value:
                raise fail(key, f"{q}: {key} is required")
        if rig not in rigs:
            raise fail("rig", f"{q}: rig {go_quote(rig)} is not declared")
        if not str(mon.get("repair_route", "")).strip():
            raise fail("repair_route", f"{q}: repair_route is required")
        bases = mon.get("base_branches") or []
        if not bases:
            raise fail("base_branches", f"{q}: base_branches is required")
        _check_pr_monitor_bases(fail, q, bases, f"{owner.lower()}/{repo.lower()}", name, repo_base)
        _check_pr_monitor_options(fail, q, mon)


def _check_pr_monitor_bases(fail: Callable[[str, str], ConfigError], q: str, bases: list[Any], repo: str, name: str,
                            repo_base: dict[str, str]) -> None:
    """Base branches: none empty, none twice, no repo/base watched by another monitor."""
    seen: set[str] = set()
    for base in bases:
        base = str(base).strip()
        if not base:
            raise fail("base_branches", f"{q}: base_branches contains an empty branch")
        key = base.lower()
        if key in seen:
            raise fail("base_branches", f"{q}: duplicate base branch {go_quote(base)}")
        seen.add(key)
        rb = f"{repo}@{key}"
        if rb in repo_base:
            raise fail("base_branches", f"{q}: duplicate repo/base {rb} also monitored by "
                                        f"{go_quote(repo_base[rb])}")
        repo_base[rb] = name


def _check_pr_monitor_options(fail: Callable[[str, str], ConfigError], q: str, mon: Section) -> None:
    """notify, webhook secret, poll interval and merge-queue policy."""
    if any(not str(r).strip() for r in mon.get("notify") or []):
        raise fail("notify", f"{q}: notify contains an empty recipient")
    env = str(mon.get("webhook_secret_env", ""))
    if env.strip() and not _ENV_NAME.match(env.strip()):
        raise fail("webhook_secret_env", f"{q}: webhook_secret_env must be an environment variable name, got "
                                         f"{go_quote(env)}")
    secret_key = str(mon.get("webhook_secret_key", ""))
    if secret_key and not secret_key.strip():
        raise fail("webhook_secret_key", f"{q}: webhook_secret_key must not be blank")
    poll = str(mon.get("poll_interval", ""))
    if poll.strip():
        ns, err = parse_go_duration(poll)
        if err:
            raise fail("poll_interval", f"{q}: poll_interval is not a valid duration: {err}")
        if ns <= 0:
            raise fail("poll_interval", f"{q}: poll_interval must be positive: got {go_quote(poll)}")
    policy = str(mon.get("merge_queue", "")).strip().lower() or "observe"
    if policy not in ("ignore", "observe", "repair"):
        raise fail("merge_queue", f'{q}: merge_queue must be "ignore", "observe", or "repair", got '
                                  f"{go_quote(str(mon.get('merge_queue', '')))}")
