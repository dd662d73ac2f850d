"""The notes and warnings of a loaded config: what an operator should know that the agent list
does not say. `citywatch config show` prints exactly these, and the app logs them in Events and
counts them in the Agents panel, so both always agree.

One line each: imports that could not be resolved, rig-scope templates no rig receives, rig
defaults not yet stamped, the loader's located warnings, `gc config show`'s singleton warnings,
what the validators refuse (a city opened with --no-strict still runs with it), and what
`gc start` warns about (reserved id prefixes).
"""

from __future__ import annotations

import os

from core.config import builtin
from core.config.city_config import City, ConfigWarning
from core.config.errors import ConfigError


def relative(path: str, root: str) -> str:
    """`path` relative to `root` when it lies below it (a builtin pack's file as the same text on
    every install), else as it is."""
    if not path or not os.path.isabs(path):
        return path
    if builtin.is_builtin_path(path):
        return builtin.display_path(path)
    if not root:
        return path
    rel = os.path.relpath(path, root)
    return path if rel.startswith("..") else rel


def warning_text(w: ConfigWarning, root: str) -> str:
    """A loader warning as one line, its file relative to the city directory."""
    loc = relative(w.file, root) + (f":{w.line}" if w.line else "")
    return f"{loc}: {w.field}: {w.message}" if w.field else f"{loc}: {w.message}"


def unstamped_note(city: City) -> str:
    """Why the rig-scope templates no rig receives produce no session ("" when there are none)."""
    if not city.unstamped:
        return ""
    names = ", ".join(a.qualified_name for a in city.unstamped)
    return (f"{len(city.unstamped)} rig-scope template(s) no rig receives: {names}; "
            "add a [[rigs]] entry to stamp them")


def rig_default_note(city: City) -> str:
    """Why the rig-default templates produce no session yet ("" when there are none)."""
    if not city.rig_defaults:
        return ""
    names = ", ".join(a.qualified_name for a in city.rig_defaults)
    return (f"{len(city.rig_defaults)} rig default template(s) not yet stamped into any rig: {names}; "
            "`gc rig add` stamps them into each new rig")


def config_notes(city: City, errors: list[ConfigError] | None = None) -> list[str]:
    """Every note and warning of `city`, in a stable order (see the module docstring); `errors`
    are the validators' errors (default: computed here, as `config show` does, once per loaded
    city: every recorded frame of a session asks again)."""
    if errors is None:
        kept = city.__dict__.get("_config_notes")
        if kept is not None and kept[0] == len(city.warnings):
            return list(kept[1])
        notes = _notes(city, None)
        city.__dict__["_config_notes"] = (len(city.warnings), tuple(notes))
        return notes
    return _notes(city, errors)


def _notes(city: City, errors: list[ConfigError] | None) -> list[str]:
    from core.config.validate import reserved_prefix_warnings, validation_errors

    root = city.root
    notes = []
    for imp in city.imports:
        if imp.unresolved_reason:
            notes.append(f"import {imp.binding} ({imp.scope}) not resolved: {imp.source}: {imp.unresolved_reason}")
    notes += [n for n in (unstamped_note(city), rig_default_note(city)) if n]
    notes += [warning_text(w, root) for w in city.warnings]
    notes += singleton_session_warnings(city)
    for e in validation_errors(city) if errors is None else errors:
        notes.append("validation error: " + e.with_file(relative(e.file, root)).render())
    # a city that went through `gc start`'s gate carries these among its warnings already
    notes += [f"gc start: {warning_text(w, root)}" for w in reserved_prefix_warnings(city) if w not in city.warnings]
    return notes


def singleton_session_warnings(city: City) -> list[str]:
    """What `gc config show` adds: every canonical singleton (max 1, no namepool) that backs
    no named session drains whenever its demand reads 0. Sorted, as gc prints them."""
    from core.identity import canonical_singleton

    backed = {n.template_qualified for n in city.named_sessions}
    return sorted(
        f'agent "{a.qualified_name}": max_active_sessions=1 creates a canonical singleton that drains when '
        "scale_check returns 0; declare [[named_session]] only if you need a session that survives "
        "empty-demand windows"
        for a in city.agents if canonical_singleton(a) and a.qualified_name not in backed)
