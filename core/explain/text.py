"""The plain-text form of an explanation (`citywatch explain` without --json): the summary, the
numbered rules, then one block per section with its explanation first and the facts after."""

from __future__ import annotations

from typing import Any

_SECTIONS = ("identity", "alias", "slot", "demand", "lifecycle")
# Facts already said in a section's explanation sentence, or too bulky for the text form.
_SCALE_CHECKS = {"run": "run for real", "simulated": "simulated (--run-scale-checks runs them)"}
_SKIP = {"explanation", "deferred", "trackers", "last_step", "spellings"}


def _fact(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}={_fact(x)}" for k, x in sorted(v.items()) if x not in ("", None, [], {}))
    return str(v)


def render_explanation(x: dict[str, Any]) -> str:
    """Lines an operator reads top to bottom. Empty facts are left out; order is fixed."""
    lines = [x.get("summary", "")]
    tgt = x.get("target") or {}
    if tgt:
        lines.append(f"({tgt['kind']} {tgt['path']}, after {tgt['steps_run']} of {tgt['steps_total']} step(s), "
                     f"tick {tgt['tick']}, {tgt['now']}, semantics {tgt['semantics']}"
                     + (f", scale_checks {_SCALE_CHECKS.get(tgt['scale_checks'], tgt['scale_checks'])}"
                        if tgt.get("scale_checks") else "") + ")")
    if x.get("matched_by"):
        line = f"matched by {x['matched_by']}"
        if x.get("also_matches"):
            line += f"; the name also matches {', '.join(x['also_matches'])}"
        lines.append(line)
    rules = x.get("rules") or []
    if rules:
        lines += ["", "rules"]
        for i, r in enumerate(rules, 1):
            lines.append(f"  {i:>2}. {r['rule']}")
            if r.get("detail"):
                lines.append(f"      {r['detail']}")
    for section in _SECTIONS:
        body = x.get(section) or {}
        if not body:
            continue
        lines += ["", section]
        expl = body.get("explanation")
        for sentence in (expl if isinstance(expl, list) else [expl] if expl else []):
            lines.append(f"  {sentence}")
        facts = [(k, v) for k, v in body.items() if k not in _SKIP and v not in ("", None, [], {})]
        for k, v in facts:
            lines.append(f"    {k}: {_fact(v)}")
        step = body.get("last_step") or {}
        for what in ("actions", "decisions"):
            if step.get(what):
                lines.append(f"    last step {what}: {'; '.join(step[what])}")
    history = x.get("history") or []
    if history:
        lines += ["", "history"]
        for h in history:
            lines.append(f"  step {h['step']} ({h['do']}): {h['kind']}" + (f" ({h['reason']})" if h["reason"] else ""))
    return "\n".join(lines)
