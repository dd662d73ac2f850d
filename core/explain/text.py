"""The plain-text form of an explanation (`citywatch explain` without --json): the summary, the
numbered rules, then one block per section with its explanation first and the facts after."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.explain.records import Lifecycle

if TYPE_CHECKING:
    from core.explain.records import Explanation, Target

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


def _target_line(tgt: Target) -> str:
    scale_checks = _SCALE_CHECKS.get(tgt.scale_checks, tgt.scale_checks)
    return (f"({tgt.kind} {tgt.path}, after {tgt.steps_run} of {tgt.steps_total} step(s), tick {tgt.tick}, "
            f"{tgt.now}, semantics {tgt.semantics}" + (f", scale_checks {scale_checks}" if tgt.scale_checks else "")
            + ")")


def _section_lines(x: Explanation) -> list[str]:
    """One block per section: its explanation sentences, then its non-empty facts (the section's
    fields as its JSON form names them), then the lifecycle's last step."""
    lines: list[str] = []
    sections = (("identity", x.identity), ("alias", x.alias), ("slot", x.slot), ("demand", x.demand),
                ("lifecycle", x.lifecycle))
    for name, body in sections:
        if body is None:
            continue
        lines += ["", name]
        expl = body.explanation
        lines += [f"  {sentence}" for sentence in (list(expl) if isinstance(expl, tuple) else [expl] if expl else [])]
        for k, v in body.to_json().items():
            if k not in _SKIP and v not in ("", None, [], {}):
                lines.append(f"    {k}: {_fact(v)}")
        step = body.last_step if isinstance(body, Lifecycle) else None
        for what, said in (("actions", step.actions), ("decisions", step.decisions)) if step else ():
            if said:
                lines.append(f"    last step {what}: {'; '.join(said)}")
    return lines


def render_explanation(x: Explanation) -> str:
    """Lines an operator reads top to bottom. Empty facts are left out; order is fixed."""
    lines = [x.summary]
    if x.target is not None:
        lines.append(_target_line(x.target))
    if x.matched_by:
        line = f"matched by {x.matched_by}"
        if x.also_matches:
            line += f"; the name also matches {', '.join(x.also_matches)}"
        lines.append(line)
    if x.rules:
        lines += ["", "rules"]
        for i, r in enumerate(x.rules, 1):
            lines.append(f"  {i:>2}. {r.rule}")
            if r.detail:
                lines.append(f"      {r.detail}")
    lines += _section_lines(x)
    if x.history:
        lines += ["", "history"]
        for h in x.history:
            lines.append(f"  step {h.step} ({h.do}): {h.kind}" + (f" ({h.reason})" if h.reason else ""))
    return "\n".join(lines)
