"""A plain-text reading of an attach snapshot, for `citywatch attach CITY` without `--json`."""

from __future__ import annotations

from typing import Any


def render_snapshot(s: dict[str, Any]) -> str:
    """A plain-text rendering of an attach snapshot dict."""
    c, src = s["city"], s["sources"]
    rt = src["runtime"]
    lines = [f"city {c['name']} at {c['path']} (as of {s['as_of']})",
             f"  config {'loaded, revision ' + c['config_revision'] if c['config_loaded'] else 'NOT loaded'}; "
             f"beads from {c['bead_source']}; tmux socket {c['tmux_socket']} "
             f"({'observable' if rt['observable'] else 'unobservable'}"
             f"{', no server' if rt['observable'] and not rt['server_running'] else ''})"]
    tr = src["trace"]
    lines.append(f"  trace: {'absent' if not tr['present'] else str(tr['batches_read']) + ' batch(es) read'}"
                 f"{', last tick ' + tr['last_tick_id'] if tr['last_tick_id'] else ''}")
    lines.append(f"sessions ({sum(1 for x in s['sessions'] if x['open'])} open):")
    for x in s["sessions"]:
        if not x["open"]:
            continue
        run = {True: "running", False: "not running", None: "runtime ?"}[x["running"]]
        lines.append(f"  {x['bead_id']:<12} {x['session_name']:<28} {x['template']:<24} "
                     f"{x['state'] or 'active':<14} {run}" + (f" (sleep: {x['sleep_reason']})" if x["sleep_reason"] else ""))
    if s["deferrals"]:
        lines.append("alias deferrals:")
        for d in s["deferrals"]:
            lines.append(f"  {d['bead_id']} wants {d['alias']!r} held by {d['holder'] or 'nobody now'} "
                         f"(tries {d['count']}, next {d['next_retry_at'] or '?'})")
    drift = s["drift"]
    if drift["error"]:
        lines.append(f"drift: unavailable ({drift['error']})")
    else:
        lines.append(f"drift ({len(drift['items'])}):")
        for i in drift["items"]:
            lines.append(f"  {i['text']}")
            for w in i["why"][:4]:
                lines.append(f"      why: {w['rule']}: {w['detail']}")
    if s["alarms"]:
        lines.append("alarms:")
        lines += [f"  [{a['kind']}] {a['message']}" for a in s["alarms"]]
    last = (s["trace"] or {}).get("last_cycle")
    if s["trace"]["decisions"]:
        lines.append("recent trace decisions:")
        for d in s["trace"]["decisions"][-10:]:
            lines.append(f"  {d['tick_id']} {d['site_code']} {d['reason_code']}/{d['outcome_code']} "
                         f"{d['template']} {d['session_name']}".rstrip())
    elif last:
        lines.append(f"last traced cycle: {last['tick_id']} ({last['completion']})")
    if s["warnings"]:
        lines.append("warnings:")
        lines += [f"  {w['text']}" for w in s["warnings"]]
    return "\n".join(lines)
