"""The difference between two futures of a city, as changes an operator reads like a plan.

Each `Change` says what the new config does that the current one would not: a session created,
woken or kept (+); drained, stopped, closed or no longer created (-); renamed or restarted (~);
an alias deferral that appears or clears (!). Each carries the rule behind it in the words
`explain` uses (the desired entry's rules for what is wanted, the close or drain reason for
what goes).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.change_plan.future import Future, SessionEnd
from core.world.beads import close_reason_text

# kind -> (symbol, the summary's words)
KINDS: dict[str, tuple[str, str]] = {
    "create": ("+", "to create"),
    "wake": ("+", "to wake"),
    "keep": ("+", "to keep"),
    "drain": ("-", "to drain"),
    "close": ("-", "to close"),
    "not_created": ("-", "no longer created"),
    "rename": ("~", "to rename"),
    "replace": ("~", "to replace"),
    "restart": ("~", "to restart"),
    "deferred": ("!", "deferred"),
    "undeferred": ("!", "no longer deferred"),
}
SUMMARY_ALWAYS = ("create", "drain", "rename", "deferred")  # shown even at 0, as the plan line's frame
_IDENTITY_FIELDS = ("template", "identity", "alias", "pool_slot", "session_name")


@dataclass(frozen=True)
class Change:
    """One difference the new config makes to a session."""

    kind: str
    agent: str  # the template it belongs to (changes are grouped by it)
    session: str  # the session as an operator names it
    bead_id: str  # "" for a session that exists in neither world yet
    detail: str  # what changes, e.g. "alias refinery-1 → refinery"
    rule: str  # why, in explain's words
    scale_check_note: str = ""  # set when the change rests on a scale_check value that was not run

    @property
    def symbol(self) -> str:
        """`+`, `-`, `~` or `!` (KINDS)."""
        return KINDS[self.kind][0]

    def to_json(self) -> dict[str, str]:
        """The change as a JSON-ready dict (the `--json` form)."""
        return {"kind": self.kind, "symbol": self.symbol, "agent": self.agent, "session": self.session,
                "bead_id": self.bead_id, "detail": self.detail, "rule": self.rule,
                "scale_check_note": self.scale_check_note}


def _rule(s: SessionEnd) -> str:
    """The rule that wants this session: its demand (why it exists), else its last rule."""
    if not s.why:
        return f"desired ({s.source})" if s.source else ""
    rule, detail = next((w for w in s.why if w[0].startswith("demand.")), s.why[-1])
    return f"{rule}: {detail}"


_DRAIN_WORDS = {"config-drift": "its config changed (config drift)",
                "orphaned": "its agent is no longer in the config (orphaned)",
                "suspended": "its agent or rig is suspended"}


def _going_rule(s: SessionEnd, fut: Future) -> str:
    """Why a session goes in `fut`: what first took it down (a drain, stop or sleep and its
    reason), then how it closed."""
    first = next((a for _t, a in fut.actions if a.bead_id == s.bead_id and a.kind in ("drain", "stop", "sleep")),
                 None)
    parts = []
    if first is not None and first.reason not in ("drain-ack", "drained"):
        words = _DRAIN_WORDS.get(first.reason, first.detail or first.reason)
        parts.append(f"{first.kind} {first.reason}" + (f": {words}" if words != first.reason else ""))
    if not s.open and s.close_reason:
        text = close_reason_text(s.close_reason)
        parts.append(f"close: {text}" if text == s.close_reason else f"close {s.close_reason}: {text}")
    return "; then ".join(parts) or f"state {s.state}"


def _restarted(s: SessionEnd, fut: Future) -> str:
    for _tick, a in fut.actions:
        if a.bead_id == s.bead_id and (a.kind == "restart" or a.reason == "config-drift"):
            return f"{a.kind} {a.reason}" + (f": {a.detail}" if a.detail else "")
    return ""


def session_changes(cur: Future, new: Future) -> list[Change]:
    """Every difference between the two futures' sessions, one or more per session."""
    out: list[Change] = []
    for key in sorted(set(cur.sessions) | set(new.sessions)):
        a, b = cur.sessions.get(key), new.sessions.get(key)
        if b is not None and (a is None or not a.open) and b.open:
            kind = "create" if a is None else "keep"
            out.append(Change(kind, b.template, b.shown, b.bead_id if a else "",
                              "a new session" if a is None else f"stays open ({a.close_reason or a.state} otherwise)",
                              _rule(b)))
            continue
        if a is not None and a.open and (b is None or not b.open):
            if b is None:
                out.append(Change("not_created", a.template, a.shown, "", "would be created by the current config",
                                  _rule(a)))
            else:
                out.append(Change("close", a.template, a.shown, a.bead_id, f"bead {a.bead_id} closes",
                                  _going_rule(b, new)))
            continue
        if a is None or b is None or not (a.open and b.open):
            continue
        out += _open_in_both(a, b, cur, new)
    return pair_replacements(out)


def _open_in_both(a: SessionEnd, b: SessionEnd, cur: Future, new: Future) -> list[Change]:
    out = []
    renamed = [f"{f.replace('_', ' ')} {getattr(a, f) or '-'} → {getattr(b, f) or '-'}"
               for f in _IDENTITY_FIELDS if getattr(a, f) != getattr(b, f)]
    if renamed:
        out.append(Change("rename", b.template, b.shown, b.bead_id, "; ".join(renamed), _rule(b)))
    if a.running and not b.running:
        out.append(Change("drain", b.template, b.shown, b.bead_id, f"{b.state}, not running",
                          _going_rule(b, new)))
    elif b.running and not a.running:
        out.append(Change("wake", b.template, b.shown, b.bead_id, f"running ({a.state} otherwise)", _rule(b)))
    restart = _restarted(b, new)
    if restart and not _restarted(a, cur):
        out.append(Change("restart", b.template, b.shown, b.bead_id, "restarted with the new config", restart))
    if b.deferred_alias and b.deferred_alias != a.deferred_alias:
        out.append(Change("deferred", b.template, b.shown, b.bead_id,
                          f"waits for alias {b.deferred_alias} (held by {b.deferred_holder or 'nobody now'})",
                          "alias.deferred: another session holds the alias it wants"))
    elif a.deferred_alias and not b.deferred_alias:
        out.append(Change("undeferred", b.template, b.shown, b.bead_id,
                          f"no longer waits for alias {a.deferred_alias}", _rule(b)))
    return out


def pair_replacements(changes: list[Change]) -> list[Change]:
    """A session that closes while a new one of the same template and name is created (a config
    drift, a retired slot refilled) is one replacement, not a close and a create."""
    created = {(c.agent, c.session): c for c in changes if c.kind == "create"}
    out, used = [], set()
    for c in changes:
        twin = created.get((c.agent, c.session)) if c.kind == "close" else None
        if twin is not None and id(twin) not in used:
            used.add(id(twin))
            out.append(Change("replace", c.agent, c.session, c.bead_id,
                              f"bead {c.bead_id} closes and a new session takes the name", c.rule))
        elif c.kind != "create" or id(c) not in used:
            out.append(c)
    return [c for c in out if not (c.kind == "create" and id(c) in used)]


def summary(changes: list[Change]) -> dict[str, int]:
    """How many changes of each kind (the always-shown kinds at 0 too), in KINDS order."""
    counts = {k: 0 for k in KINDS}
    for c in changes:
        counts[c.kind] += 1
    return {k: n for k, n in counts.items() if n or k in SUMMARY_ALWAYS}


def summary_line(changes: list[Change]) -> str:
    """`Plan: 1 to create, 2 to drain, 1 to rename, 0 deferred` (other kinds when they occur)."""
    return "Plan: " + ", ".join(f"{n} {KINDS[k][1]}" for k, n in summary(changes).items())
