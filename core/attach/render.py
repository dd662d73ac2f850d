"""A plain-text reading of an attach snapshot, for `citywatch attach CITY` without `--json`."""

from __future__ import annotations

from typing import Any


def render_cities(doc: dict[str, Any]) -> str:
    """A supervisor and its cities (`citywatch attach URL` without --city), one city a line."""
    sup = doc.get("supervisor") or {}
    lines = [f"supervisor {doc['url']}" + (f" (version {sup['version']}, {sup.get('cities_running')} of "
                                           f"{sup.get('cities_total')} cities running)" if sup else "")]
    if not doc["cities"]:
        lines.append("  no city")
    width = max([len(c["name"]) for c in doc["cities"]] + [4])
    for c in doc["cities"]:
        state = "running" if c["running"] else "stopped"
        extra = " · ".join(x for x in (c.get("status") or "", ("error: " + c["error"]) if c.get("error") else "") if x)
        lines.append(f"  {c['name']:<{width}}  {state:<8} {extra}".rstrip())
    lines.append("attach to one with --city NAME")
    lines += [f"warning: fields of the wrong type read as empty: {', '.join(doc['warnings'][:5])}"] \
        if doc.get("warnings") else []
    return "\n".join(lines)


def _source_lines(s: dict[str, Any]) -> list[str]:
    c, src = s["city"], s["sources"]
    rt = src["runtime"]
    config = f"config {'loaded, revision ' + c['config_revision'] if c['config_loaded'] else 'NOT loaded'}"
    api = src.get("api")
    if api is not None:
        stream = api.get("stream") or {}
        lines = [f"  supervisor {api['url']}" + (f" (version {api['supervisor_version']})"
                                                 if api.get("supervisor_version") else "")
                 + f"; {config} from {'the local copy ' + c['config_dir'] if c.get('config_source') == 'local' else 'the API'}"
                 + f"; beads and runtime from the API ({rt['running']} running, "
                 f"{'observable' if rt['observable'] else 'unobservable: ' + (rt.get('note') or '?')})",
                 f"  events: stream {stream.get('phase', 'off')}" + (f", last #{stream['last_seq']}"
                                                                   if stream.get("last_seq") is not None else "")
                 + "; no reconciler trace through the API"]
        if api.get("notice"):
            lines.append(f"  STALE: {api['notice']}")
        return lines
    return [f"  {config}; beads from {c['bead_source']}; tmux socket {c['tmux_socket']} "
            f"({'observable' if rt['observable'] else 'unobservable'}"
            f"{', no server' if rt['observable'] and not rt['server_running'] else ''})",
            f"  trace: {'absent' if not src['trace']['present'] else str(src['trace']['batches_read']) + ' batch(es) read'}"
            f"{', last tick ' + src['trace']['last_tick_id'] if src['trace']['last_tick_id'] else ''}"]


def render_snapshot(s: dict[str, Any]) -> str:
    """A plain-text rendering of an attach snapshot dict."""
    c = s["city"]
    lines = [f"city {c['name']} at {c['path']} (as of {s['as_of']})", *_source_lines(s)]
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
