"""Save an operator's session as a scenario file that replays it.

The file holds the session's first config, the world it started from, and every step taken up
to the frame being viewed (scenario-format.md plus docs/scenario-extensions.md). Configs are
written as `city_file` (relative to the exported file) while the file on disk still has the
recorded content, and inlined as `[city]` otherwise, with relative paths made absolute so the
scenario resolves them wherever it is saved.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import tomlkit

from core.timefmt import format_time

if TYPE_CHECKING:
    from core.driver import Driver
    from core.reload import ConfigSource
    from core.world.world import World


class ExportError(Exception):
    """The session cannot be written (an unwritable path); the message names the file."""


class ExportExists(ExportError):
    """Something already exists at the export path; it is only replaced when the operator says so."""


def world_tables(world: "World") -> dict[str, Any]:
    """The scenario tables (`start`, `[scale_check]`, `[[session]]`, `[[runtime]]`, `[[work]]`)
    that rebuild `world`. Controller memory is not part of the format: a session starts with
    none, which is what the scenario runner assumes too."""
    out: dict[str, Any] = {"start": format_time(world.now)}
    if world.scale_checks:
        out["scale_check"] = dict(sorted(world.scale_checks.items()))
    sessions = []
    for b in world.store.all_sessions():
        t: dict[str, Any] = {"id": b.id}
        if not b.open:
            t["open"] = False
        t["created_at"] = format_time(b.created_at)
        if b.title:
            t["title"] = b.title
        if b.labels and set(b.labels) != {"gc:session"}:
            t["labels"] = sorted(b.labels)
        t["metadata"] = dict(sorted(b.metadata.items()))
        sessions.append(t)
    if sessions:
        out["session"] = sessions
    runtime = []
    for s in sorted(world.runtime.sessions.values(), key=lambda s: s.name):
        r: dict[str, Any] = {"name": s.name}
        for key, value, default in (("session_id", s.session_id, ""), ("instance_token", s.instance_token, ""),
                                    ("template", s.template, ""), ("attached", s.attached, False),
                                    ("pending_interaction", s.pending_interaction, False),
                                    ("alive", s.process_alive, True), ("peek", s.peek, "")):
            if value != default:
                r[key] = value
        r["started_at"] = format_time(s.started_at or world.now)
        r["last_activity"] = format_time(s.last_activity or world.now)
        if s.meta:
            r["meta"] = dict(sorted(s.meta.items()))
        runtime.append(r)
    if runtime:
        out["runtime"] = runtime
    work = []
    for w in sorted(world.store.work.values(), key=lambda w: w.id):
        t = {"id": w.id, "status": w.status}
        for key, value, default in (("assignee", w.assignee, ""), ("routed_to", w.routed_to, ""),
                                    ("priority", w.priority, 0), ("ready", w.ready, True), ("title", w.title, ""),
                                    ("store", w.store, ""), ("type", w.type, ""), ("metadata", dict(w.metadata), {})):
            if value != default:
                t[key] = value
        if w.created_at is not None:
            t["created_at"] = format_time(w.created_at)
        work.append(t)
    if work:
        out["work"] = work
    return out


# Keys of a city table that hold paths relative to the config's directory.
def _absolutize(table: dict[str, Any], base: str) -> dict[str, Any]:
    from core.config.load import is_remote_source

    def fix(p: Any) -> Any:
        if not isinstance(p, str) or not p or os.path.isabs(p) or is_remote_source(p):
            return p
        return os.path.normpath(os.path.join(base, os.path.expanduser(p)))

    def fix_imports(imps: Any) -> None:
        if isinstance(imps, dict):
            for v in imps.values():
                if isinstance(v, dict) and "source" in v:
                    v["source"] = fix(v["source"])

    t = _copy(table)
    if isinstance(t.get("include"), list):
        t["include"] = [fix(x) for x in t["include"]]
    fix_imports(t.get("imports"))
    defaults = t.get("defaults")
    if isinstance(defaults, dict) and isinstance(defaults.get("rig"), dict):
        fix_imports(defaults["rig"].get("imports"))
    for rig in t.get("rigs") or []:
        if isinstance(rig, dict):
            if "path" in rig:
                rig["path"] = fix(rig["path"])
            if isinstance(rig.get("includes"), list):
                rig["includes"] = [fix(x) for x in rig["includes"]]
            fix_imports(rig.get("imports"))
    for a in t.get("agent") or []:
        if isinstance(a, dict) and isinstance(a.get("namepool"), str):
            a["namepool"] = fix(a["namepool"])
    return t


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


def _unchanged_on_disk(src: "ConfigSource") -> bool:
    from core.reload import load

    if src.kind != "file" or not os.path.isfile(src.path):
        return False
    loaded = load(src.path)
    return loaded.ok and loaded.city is not None and loaded.city.revision == src.revision


def _path_from(export_dir: str, path: str) -> str:
    """Relative to the export when the two are close (a file saved beside the city), else absolute."""
    rel = os.path.relpath(path, export_dir)
    return path if rel.startswith(os.path.join(os.pardir, os.pardir)) else rel


def config_entry(src: "ConfigSource", export_dir: str) -> dict[str, Any]:
    """`{"city_file": ...}` or `{"city": {...}}` for one recorded config revision."""
    if _unchanged_on_disk(src):
        return {"city_file": _path_from(export_dir, src.path)}
    return {"city": _absolutize(src.table, src.base_dir)}


def _scenario_step(step: dict[str, Any], steps_base: str, export_dir: str) -> dict[str, Any]:
    out = {k: v for k, v in step.items() if not k.startswith("_")}
    if "city_file" in out:
        out["city_file"] = _path_from(export_dir, os.path.normpath(os.path.join(steps_base, out["city_file"])))
    if isinstance(out.get("city"), dict):
        out["city"] = _absolutize(out["city"], steps_base)
    return out


def scenario_table(driver: "Driver", path: str, *, name: str = "", upto: int | None = None) -> dict[str, Any]:
    """The scenario (as a table) for the session up to the viewed frame (or `upto` steps)."""
    export_dir = os.path.dirname(os.path.abspath(path))
    start = driver.start
    n = driver.frame().steps_taken if upto is None else upto
    d: dict[str, Any] = {"name": name or f"{start.name}: recorded session",
                         "source": f"citywatch session export ({n} steps)"}
    d["start"] = start.world["start"]
    if start.semantics != "current":
        d["semantics"] = start.semantics
    if not start.adopt_on_start:
        d["adopt_on_start"] = False
    d.update(config_entry(start.config, export_dir))
    for key in ("scale_check", "session", "runtime", "work"):
        if key in start.world:
            d[key] = start.world[key]
    steps = []
    for rec in driver.steps[:n]:
        st = _scenario_step(rec.step, start.steps_base, export_dir)
        if rec.config is not None:
            st.pop("city", None)
            st.pop("city_file", None)
            st.update(config_entry(rec.config, export_dir))
        steps.append(st)
    if steps:
        d["step"] = steps
    return d


def export_text(driver: "Driver", path: str, *, name: str = "", upto: int | None = None) -> str:
    """The scenario file's text (deterministic: the same session gives the same bytes)."""
    header = ("# Recorded with citywatch. Replay: citywatch scenario run THIS_FILE --json\n"
              "# or open it: citywatch --scenario THIS_FILE\n")
    if driver.config.packs_dir or driver.start.config.packs_dir:
        header += ("# The session resolved remote imports from --packs; scenario files cannot, so a replay\n"
                   "# models only the agents the config defines locally.\n")
    return header + tomlkit.dumps(scenario_table(driver, path, name=name, upto=upto))


def save(driver: "Driver", path: str, *, name: str = "", overwrite: bool = False) -> str:
    """Write the scenario to `path` (parent directories must exist) and return the path. An
    existing file (or anything else at `path`, a symlink included) is left alone and ExportExists
    raised, unless `overwrite` says the operator agreed to replace it."""
    path = os.path.abspath(os.path.expanduser(path))
    text = export_text(driver, path, name=name)
    try:
        with open(path, "w" if overwrite else "x", encoding="utf-8") as f:
            f.write(text)
    except FileExistsError:
        raise ExportExists(f"{path}: a file already exists there; not overwritten") from None
    except OSError as e:
        raise ExportError(f"{path}: cannot write the scenario: {e.strerror or e}") from e
    return path
