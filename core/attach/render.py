"""A plain-text reading of an attach snapshot, for `citywatch attach CITY` without `--json`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.formats.timefmt import format_time

if TYPE_CHECKING:
    from core.attach.controller_drift import DriftReport
    from core.attach.snapshot import AttachSnapshot


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


def _source_lines(s: AttachSnapshot) -> list[str]:
    c, src = s.city, s.sources
    rt = src.runtime
    config = f"config {'loaded, revision ' + c.config_revision if c.config_loaded else 'NOT loaded'}"
    api = src.api
    if api is not None:
        stream = api.stream
        lines = [f"  supervisor {api.url}" + (f" (version {api.supervisor_version})" if api.supervisor_version else "")
                 + f"; {config} from {'the local copy ' + str(c.config_dir) if c.config_source == 'local' else 'the API'}"
                 + f"; beads and runtime from the API ({rt.running} running, "
                 f"{'observable' if rt.observable else 'unobservable: ' + (rt.note or '?')})",
                 f"  events: stream {stream.phase if stream else 'off'}"
                 + (f", last #{stream.last_seq}" if stream and stream.last_seq is not None else "")
                 + "; no reconciler trace through the API"]
        if api.notice:
            lines.append(f"  STALE: {api.notice}")
        return lines
    trace = src.trace
    return [f"  {config}; beads from {c.bead_source}; tmux socket {c.tmux_socket} "
            f"({'observable' if rt.observable else 'unobservable'}"
            f"{', no server' if rt.observable and not rt.server_running else ''})",
            f"  trace: {'absent' if not trace.present else str(trace.batches_read) + ' batch(es) read'}"
            f"{', last tick ' + trace.last_tick_id if trace.last_tick_id else ''}"]


def render_snapshot(s: AttachSnapshot) -> str:
    """A plain-text rendering of an attach snapshot."""
    c = s.city
    lines = [f"city {c.name} at {c.path} (as of {format_time(s.as_of)})", *_source_lines(s)]
    lines.append(f"sessions ({sum(1 for x in s.sessions if x.open)} open):")
    for x in s.sessions:
        if not x.open:
            continue
        run = {True: "running", False: "not running", None: "runtime ?"}[x.running]
        lines.append(f"  {x.bead_id:<12} {x.session_name:<28} {x.template:<24} "
                     f"{x.state or 'active':<14} {run}" + (f" (sleep: {x.sleep_reason})" if x.sleep_reason else ""))
    if s.deferrals:
        lines.append("alias deferrals:")
        for d in s.deferrals:
            lines.append(f"  {d.bead_id} wants {d.alias!r} held by {d.holder or 'nobody now'} "
                         f"(tries {d.count}, next {d.next_retry_at or '?'})")
    lines += _drift_lines(s.drift)
    if s.alarms:
        lines.append("alarms:")
        lines += [f"  [{a.kind}] {a.message}" for a in s.alarms]
    last = s.trace.last_cycle
    if s.trace.decisions:
        lines.append("recent trace decisions:")
        for dr in s.trace.decisions[-10:]:
            lines.append(f"  {dr.tick_id} {dr.site_code} {dr.reason_code}/{dr.outcome_code} "
                         f"{dr.template} {dr.session_name}".rstrip())
    elif last:
        lines.append(f"last traced cycle: {last.tick_id} ({last.completion})")
    if s.warnings:
        lines.append("warnings:")
        lines += [f"  {w.render()}" for w in s.warnings]
    return "\n".join(lines)


def _drift_lines(drift: DriftReport) -> list[str]:
    if drift.error:
        return [f"drift: unavailable ({drift.error})"]
    lines = [f"drift ({len(drift.items)}):"]
    for i in drift.items:
        lines.append(f"  {i.text}")
        for w in i.why[:4]:
            lines.append(f"      why: {w.rule}: {w.detail}")
    return lines
