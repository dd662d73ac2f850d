"""Save an operator's session as a scenario file that replays (and checks) it.

The file holds the session's first config, the world it started from, and every step taken up
to the frame being viewed (scenario-format.md plus docs/scenario-extensions.md). It is
self-contained: a config whose files on disk still have the recorded content is copied beside
the export (`<name>.city/`, every file the loader read, in the same layout) and named by a
`city_file` relative to the exported file, so the pair can be moved or mailed together; a
config that changed on disk since is inlined as `[city]`, with relative paths made absolute.
With `pin`, an [[expect]] block pins the state at the viewed step (desired entries, open
sessions, deferrals), so a bug report replays and checks itself.

A scenario is never written inside citywatch's own installed package, and an existing file is
replaced only when the caller says so (the app asks the operator first).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import tomlkit

if TYPE_CHECKING:
    from core.model.facade import Model
    from core.session.driver import Driver
    from core.session.reload import ConfigSource


class ExportError(Exception):
    """The session cannot be written (an unwritable path, a file that exists, a place inside
    citywatch itself); the message names the file."""


@dataclass(frozen=True)
class Saved:
    """What an export wrote: the scenario, how many steps, how many expectations it pins, and
    the folder its config was copied to ("" when it was inlined)."""
    path: str
    steps: int
    pinned: int
    config_dir: str


def package_dirs() -> list[str]:
    """citywatch's own installed package folders, where no export may go."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return [os.path.join(root, "core"), os.path.join(root, "tui")]


def slug(name: str) -> str:
    """A file-name-safe form of a city or scenario name."""
    out = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name.lower()).strip("-")
    while "--" in out:
        out = out.replace("--", "-")
    return out[:60].strip("-") or "city"


def default_export_path(folder: str, name: str, tick: int) -> str:
    """Where an export goes unless the operator says otherwise: `folder`/<name>-tick<N>.toml."""
    return os.path.join(os.path.abspath(os.path.expanduser(folder)), f"{slug(name)}-tick{tick}.toml")


def check_target(path: str) -> tuple[str, bool]:
    """The absolute path an export to `path` would write, and whether a file is there already.
    Raises ExportError for a folder, or a place inside citywatch's installed package."""
    full = os.path.abspath(os.path.expanduser(path))
    for pkg in package_dirs():
        if full == pkg or full.startswith(pkg + os.sep):
            raise ExportError(f"{full}: inside citywatch's installed package ({pkg}); choose another folder")
    if os.path.isdir(full):
        raise ExportError(f"{full}: a folder; give a file name such as {os.path.join(full, 'session.toml')}")
    return full, os.path.exists(full)


class ConfigCopies:
    """The config files an export copies beside itself: one folder per config revision that is
    still on disk as recorded, `<stem>.city` for the first and `<stem>.city-N` for the next."""

    def __init__(self, export_path: str) -> None:
        self.export_dir = os.path.dirname(os.path.abspath(export_path))
        self.stem = os.path.splitext(os.path.basename(export_path))[0]
        self.planned: dict[str, tuple[str, list[tuple[str, str]]]] = {}  # revision -> (city_file, copies)

    def place(self, city_path: str, revision: str, files: list[str]) -> str:
        """The `city_file` (relative to the export) of the copy of the city at `city_path`."""
        if revision in self.planned:
            return self.planned[revision][0]
        folder = f"{self.stem}.city" + (f"-{len(self.planned) + 1}" if self.planned else "")
        everything = sorted({os.path.abspath(f) for f in files} | {os.path.abspath(city_path)})
        root = os.path.commonpath([os.path.dirname(f) for f in everything])
        copies = [(f, os.path.join(self.export_dir, folder, os.path.relpath(f, root))) for f in everything]
        city_file = os.path.join(folder, os.path.relpath(os.path.abspath(city_path), root))
        self.planned[revision] = (city_file, copies)
        return city_file

    @property
    def folders(self) -> list[str]:
        return [os.path.join(self.export_dir, c[0].split(os.sep)[0]) for c in self.planned.values()]

    def write(self) -> None:
        """Copy every planned file (a folder that is there already is replaced file by file)."""
        import shutil

        for _, copies in self.planned.values():
            for src, dst in copies:
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(src, dst)


class ExportExists(ExportError):
    """Something already exists at the export path; it is only replaced when the operator says so."""


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


def _on_disk(src: ConfigSource):
    """The city as loaded now from `src`'s file, when it is still the recorded revision."""
    from core.session.reload import load

    if src.kind != "file" or not os.path.isfile(src.path):
        return None
    loaded = load(src.path, src.packs_dir)
    if loaded.ok and loaded.city is not None and loaded.city.revision == src.revision:
        return loaded.city
    return None


def _path_from(export_dir: str, path: str) -> str:
    """Relative to the export when the two are close (a file saved beside the city), else absolute."""
    rel = os.path.relpath(path, export_dir)
    return path if rel.startswith(os.path.join(os.pardir, os.pardir)) else rel


def config_entry(src: ConfigSource, export_dir: str, copies: ConfigCopies | None = None) -> dict[str, Any]:
    """`{"city_file": ...}` or `{"city": {...}}` for one recorded config revision: a copy beside
    the export (with `copies`), the file where it is, or the recorded table inlined."""
    city = _on_disk(src)
    if city is not None:
        if copies is not None:
            return {"city_file": copies.place(src.path, src.revision, list(city.files))}
        return {"city_file": _path_from(export_dir, src.path)}
    return {"city": _absolutize(src.table, src.base_dir)}


@dataclass(frozen=True)
class _Relocate:
    """Where a recorded step's config files are written in the export (core/steps' Relocate):
    a city_file relative to the export (or copied beside it), an inline city's paths absolute."""

    steps_base: str
    export_dir: str
    copies: ConfigCopies | None

    def city_file(self, city_file: str) -> str:
        full = os.path.normpath(os.path.join(self.steps_base, city_file))
        out = _path_from(self.export_dir, full)
        if self.copies is not None:
            from core.session.reload import load

            loaded = load(full)
            if loaded.ok and loaded.city is not None:
                out = self.copies.place(full, loaded.city.revision, list(loaded.city.files))
        return out

    def city_table(self, table: dict[str, Any]) -> dict[str, Any]:
        return _absolutize(table, self.steps_base)


def pinned_expectation(model: Model, after: int) -> dict[str, Any]:
    """An [[expect]] block that holds exactly when the model's state after step `after` is what it
    is now: the desired identities and their count per template, the open sessions per template
    and each one's identity, alias and state, and every alias deferral."""
    from core.views.state_json import state

    st = state(model, after, "", None)
    out: dict[str, Any] = {"after": after, "desired": sorted(d["identity"] for d in st["desired"])}
    per: dict[str, int] = {}
    for d in st["desired"]:
        per[d["template"]] = per.get(d["template"], 0) + 1
    if per:
        out["desired_count"] = dict(sorted(per.items()))
    opened: dict[str, int] = {}
    sessions = []
    for b in st["sessions"]:
        if not b["open"]:
            continue
        md = b["metadata"]
        opened[md.get("template", "")] = opened.get(md.get("template", ""), 0) + 1
        keep = {k: md[k] for k in ("template", "agent_name", "alias", "session_name", "state") if md.get(k)}
        sessions.append({"id": b["id"], "open": True, "metadata": keep})
    if opened:
        out["open_sessions"] = dict(sorted(opened.items()))
    out["deferral_count"] = len(st["deferrals"])
    if st["deferrals"]:
        out["deferral"] = [{"bead": x["bead_id"], "alias": x["alias"], "holder": x["holder"], "count": x["count"]}
                           for x in st["deferrals"]]
    if sessions:
        out["session"] = sessions
    return out


def scenario_table(driver: Driver, path: str, *, name: str = "", upto: int | None = None,
                   pin: bool = False, copies: ConfigCopies | None = None) -> dict[str, Any]:
    """The scenario (as a table) for the session up to the viewed frame (or `upto` steps); with
    `pin`, an [[expect]] block pinning the viewed frame's state (only when cutting there)."""
    export_dir = os.path.dirname(os.path.abspath(path))
    start = driver.start
    frame = driver.frame()
    n = frame.steps_taken if upto is None else upto
    d: dict[str, Any] = {"name": name or f"{start.name}: recorded session",
                         "source": f"citywatch session export ({n} steps)"}
    d["start"] = start.world["start"]
    if start.semantics != "current":
        d["semantics"] = start.semantics
    if not start.adopt_on_start:
        d["adopt_on_start"] = False
    d.update(config_entry(start.config, export_dir, copies))
    for key in ("scale_check", "session", "runtime", "work"):
        if key in start.world:
            d[key] = start.world[key]
    steps = []
    relocate = _Relocate(start.steps_base, export_dir, copies)
    from core.session.replay import ReplayError

    try:
        recorded = driver.recorded(n)
    except ReplayError as e:
        raise ExportError(f"{os.path.abspath(path)}: cannot make the session's steps again: {e}") from e
    for rec in recorded:
        st = rec.step.export(relocate)
        if rec.config is not None:
            st.pop("city", None)
            st.pop("city_file", None)
            st.update(config_entry(rec.config, export_dir, copies))
        steps.append(st)
    if steps:
        d["step"] = steps
    if pin and upto is None:
        d["expect"] = [pinned_expectation(frame.model(), n)]
    return d


def export_text(driver: Driver, path: str, *, name: str = "", upto: int | None = None, pin: bool = False,
                copies: ConfigCopies | None = None) -> str:
    """The scenario file's text (deterministic: the same session gives the same bytes)."""
    header = ("# Recorded with citywatch. Replay: citywatch scenario run THIS_FILE --json\n"
              "# or open it: citywatch --scenario THIS_FILE\n")
    if pin:
        header += ("# The [[expect]] block pins the state citywatch showed at the last step: check it with\n"
                   "# citywatch scenario check THIS_FILE\n")
    if driver.config.packs_dir or driver.start.config.packs_dir:
        header += ("# The session resolved remote imports from --packs; scenario files cannot, so a replay\n"
                   "# models only the agents the config defines locally.\n")
    return header + tomlkit.dumps(scenario_table(driver, path, name=name, upto=upto, pin=pin, copies=copies))


def save(driver: Driver, path: str, *, name: str = "", pin: bool = False, overwrite: bool = False,
         self_contained: bool = True) -> Saved:
    """Write the scenario to `path` (its folder is created) with its config copied beside it, and
    say what was written. Raises ExportError for a place inside citywatch's package, a folder, or
    a write that fails, and ExportExists for anything already at `path` (a symlink included),
    which is only replaced when `overwrite` says the operator agreed."""
    full, exists = check_target(path)
    if (exists or os.path.islink(full)) and not overwrite:
        raise ExportExists(f"{full}: a file already exists there; not overwritten")
    copies = ConfigCopies(full) if self_contained else None
    text = export_text(driver, full, name=name, pin=pin, copies=copies)
    try:
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if copies is not None:
            copies.write()
    except OSError as e:  # a file where a folder should be, no permission
        raise ExportError(f"{e.filename or full}: cannot write the scenario: {e.strerror or e}") from e
    try:
        with open(full, "w" if overwrite else "x", encoding="utf-8") as f:
            f.write(text)
    except FileExistsError:  # it came between the check and the write
        raise ExportExists(f"{full}: a file already exists there; not overwritten") from None
    except OSError as e:
        raise ExportError(f"{e.filename or full}: cannot write the scenario: {e.strerror or e}") from e
    return Saved(full, driver.frame().steps_taken, 1 if pin else 0,
                 copies.folders[0] if copies is not None and copies.folders else "")
