"""Load a city as `gc` does: city.toml, include fragments, the root pack, local pack imports,
rig stamping, implicit provider agents, named sessions and namepools.

Loading and validating are two steps, as in Gas City: `load_city` raises ConfigError only for
what Gas City's loader refuses; `validate.validate_city` applies ValidateAgents/ValidateRigs.
Unknown city.toml keys are warnings; unknown pack.toml keys are errors; a remote (git) import
is recorded as unresolved and everything else still loads.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any

import tomli

from core.config import schema as S
from core.config.errors import ConfigError
from core.config.locate import locate, syntax_position
from core.config.model import (
    SLEEP_CLASSES,
    Agent,
    ChatSessions,
    City,
    ConfigWarning,
    Daemon,
    Import,
    NamedSession,
    Origin,
    Rig,
    SessionSettings,
    Workspace,
)
from core.durations import DurationError, parse_duration

PACK_FILE = "pack.toml"
_REMOTE = re.compile(r"^(https?://|git@|ssh://|git://|github\.com/|gitlab\.com/)|\.git(//|$)")


def is_remote_source(source: str) -> bool:
    return bool(_REMOTE.search(source.strip()))


@dataclass
class _Pack:
    name: str
    dir: str
    agents: list[Agent] = field(default_factory=list)
    named: list[NamedSession] = field(default_factory=list)


class _Loader:
    def __init__(self, root_dir: str, locate_prefix: tuple[str, ...] = ()) -> None:
        self.root_dir = root_dir
        self.warnings: list[ConfigWarning] = []
        self.files: list[str] = []
        self.texts: dict[str, str] = {}
        self.imports: list[Import] = []
        self.locate_prefix: dict[str, tuple[str, ...]] = {}
        self._root_prefix = locate_prefix
        self._pack_cache: dict[str, _Pack] = {}

    # ---------------------------------------------------------------- files
    def read_toml(self, path: str, *, what: str = "config") -> dict[str, Any]:
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except FileNotFoundError:
            raise ConfigError(path, f"loading {what}: file not found") from None
        except IsADirectoryError:
            raise ConfigError(path, f"loading {what}: is a directory, not a file") from None
        except OSError as e:
            raise ConfigError(path, f"loading {what}: {e.strerror or e}") from None
        return self.parse_text(path, raw, what=what)

    def parse_text(self, path: str, raw: bytes | str, *, what: str = "config") -> dict[str, Any]:
        if isinstance(raw, bytes):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                line = raw[: e.start].count(b"\n") + 1
                raise ConfigError(path, f"parsing {what}: file is not valid UTF-8 text", line=line, col=1) from None
        else:
            text = raw
        if path not in self.files:
            self.files.append(path)
        self.texts[path] = text
        try:
            return tomli.loads(text)
        except tomli.TOMLDecodeError as e:
            msg = str(e)
            line, col = syntax_position(msg)
            if line is None:
                line = max(text.count("\n"), 0) + 1
                col = 1
            short = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
            short = re.sub(r"\s*\(at end of document\)", " at end of document", short)
            raise ConfigError(path, f"parsing {what}: {short}", line=line, col=col) from None

    def line_of(self, file: str, field_path: str) -> int | None:
        text = self.texts.get(file)
        if text is None:
            return None
        return locate(text, field_path, self.locate_prefix.get(file, ()))

    def error(self, file: str, field_path: str, message: str) -> ConfigError:
        return ConfigError(file, message, field=field_path, line=self.line_of(file, field_path))

    def warn(self, file: str, message: str, field_path: str = "") -> None:
        line = self.line_of(file, field_path) if field_path else None
        self.warnings.append(ConfigWarning(file, message, field_path, line))

    # ---------------------------------------------------------------- keys and types
    def check_table(
        self,
        table: Any,
        spec: dict[str, str],
        file: str,
        field_path: str,
        *,
        unknown: str,
        unknown_prefix: str = "",
    ) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise self.error(file, field_path, f"expected a table, got {S.type_name(table)}")
        for key, value in table.items():
            fp = f"{field_path}.{key}" if field_path else key
            kind = spec.get(key)
            if kind is None:
                hint = S.suggest(key, spec)
                if unknown == "warn":
                    self.warn(file, f'unknown field "{key}"{hint}', fp)
                elif unknown == "error":
                    raise self.error(file, fp, f'{unknown_prefix}unknown field "{key}"{hint}')
                continue
            if not S.type_ok(kind, value):
                want = "a duration string" if kind == S.DUR else f"a{'n' if kind[0] in 'aeiou' else ''} {kind}"
                raise self.error(file, fp, f"expected {want}, got {S.type_name(value)} {_short(value)}")
            if kind == S.LIST and key in _STRING_LISTS:
                for i, item in enumerate(value):
                    if not isinstance(item, str):
                        raise self.error(file, f"{fp}[{i}]", f"expected a string, got {S.type_name(item)} {_short(item)}")
        return table

    def check_array(self, value: Any, file: str, field_path: str) -> list[dict[str, Any]]:
        if isinstance(value, dict):
            return [value]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(file, field_path, f"expected an array of tables, got {S.type_name(value)}")
        return value

    # ---------------------------------------------------------------- agents
    def make_agent(self, t: dict[str, Any], origin: Origin, *, strict_keys: str) -> Agent:
        self.check_table(t, S.AGENT_FIELDS, origin.file, origin.table, unknown=strict_keys,
                         unknown_prefix="parsing pack.toml: " if strict_keys == "error" else "")
        extra = {k: v for k, v in t.items() if k in S.AGENT_FIELDS and k not in _AGENT_DIRECT}
        a = Agent(
            name=str(t.get("name", "")),
            dir=str(t.get("dir", "")),
            scope=str(t.get("scope", "")),
            suspended=bool(t.get("suspended", False)),
            max_active_sessions=t.get("max_active_sessions"),
            min_active_sessions=t.get("min_active_sessions"),
            scale_check=str(t.get("scale_check", "")),
            namepool=str(t.get("namepool", "")),
            depends_on=tuple(t.get("depends_on", ()) or ()),
            wake_mode=str(t.get("wake_mode", "")),
            attach=t.get("attach"),
            idle_timeout=str(t.get("idle_timeout", "")),
            sleep_after_idle=str(t.get("sleep_after_idle", "")),
            max_session_age=str(t.get("max_session_age", "")),
            max_session_age_jitter=str(t.get("max_session_age_jitter", "")),
            drain_timeout=str(t.get("drain_timeout", "")),
            assigned_work_defer_limit=t.get("assigned_work_defer_limit"),
            lifecycle=str(t.get("lifecycle", "")),
            tmux_alias=str(t.get("tmux_alias", "")),
            work_dir=str(t.get("work_dir", "")),
            provider=str(t.get("provider", "")),
            start_command=str(t.get("start_command", "")),
            work_query=str(t.get("work_query", "")),
            process_names=tuple(t.get("process_names", ()) or ()),
            session_live=tuple(t.get("session_live", ()) or ()),
            origin=origin,
            extra=extra,
        )
        return a

    def agents_from_array(self, value: Any, file: str, key: str, kind: str, strict_keys: str) -> list[Agent]:
        out = []
        for i, t in enumerate(self.check_array(value, file, key)):
            out.append(self.make_agent(t, Origin(file, f"{key}[{i}]", kind), strict_keys=strict_keys))
        return out

    def named_from_array(self, value: Any, file: str, key: str, kind: str, strict_keys: str) -> list[NamedSession]:
        out = []
        for i, t in enumerate(self.check_array(value, file, key)):
            fp = f"{key}[{i}]"
            self.check_table(t, S.NAMED_SESSION_FIELDS, file, fp, unknown=strict_keys)
            out.append(
                NamedSession(
                    template=str(t.get("template", "")),
                    name=str(t.get("name", "")),
                    mode=str(t.get("mode", "")),
                    scope=str(t.get("scope", "")),
                    dir=str(t.get("dir", "")),
                    origin=Origin(file, fp, kind),
                )
            )
        return out

    # ---------------------------------------------------------------- packs
    def load_pack(self, pack_dir: str, declared_in: str, field_path: str, stack: tuple[str, ...] = ()) -> _Pack:
        pack_dir = os.path.normpath(pack_dir)
        if pack_dir in stack:
            chain = " -> ".join(list(stack) + [pack_dir])
            raise self.error(declared_in, field_path, f"import cycle: {chain}")
        if pack_dir in self._pack_cache:
            return self._pack_cache[pack_dir]
        if not os.path.isdir(pack_dir):
            raise self.error(declared_in, field_path, f'pack directory "{pack_dir}" not found')
        pack_path = os.path.join(pack_dir, PACK_FILE)
        if not os.path.isfile(pack_path):
            raise self.error(declared_in, field_path, f'"{pack_dir}" is not a pack: {PACK_FILE} not found')
        data = self.read_toml(pack_path, what="pack.toml")
        self.check_table(data, S.PACK_TOP, pack_path, "", unknown="error", unknown_prefix="parsing pack.toml: ")
        meta = self.check_table(data.get("pack", {}), S.PACK_META_FIELDS, pack_path, "pack", unknown="error",
                                unknown_prefix="parsing pack.toml: ")
        for city_only in ("agents",):
            if city_only in data:
                raise self.error(pack_path, city_only, f"[{city_only}] is a city-only table and is not allowed in a pack")
        if isinstance(data.get("defaults"), dict) and "rig" in data["defaults"]:
            raise self.error(pack_path, "defaults.rig", "[defaults.rig.imports] is a city-only table and is not allowed in a pack")
        pack = _Pack(name=str(meta.get("name", os.path.basename(pack_dir))), dir=pack_dir)
        inline = self.agents_from_array(data.get("agent", []), pack_path, "agent", "pack-v1", "error")
        convention = self.convention_agents(pack_dir)
        inline_names = {a.name for a in inline}
        for a in convention:
            if a.name in inline_names:
                raise self.error(
                    pack_path, "agent",
                    f'agent "{a.name}": pack v1/v2 layout collision ({pack_path} [[agent]] and {a.origin.file})',
                )
        pack.agents = inline + convention
        pack.named = self.named_from_array(data.get("named_session", []), pack_path, "named_session", "pack", "error")
        # Nested imports: their agents join this pack (the root binding overwrites theirs).
        imports = data.get("imports", {})
        if not isinstance(imports, dict):
            raise self.error(pack_path, "imports", f"expected a table, got {S.type_name(imports)}")
        for binding in sorted(imports):
            imp = self.make_import(binding, imports[binding], pack_path, f"imports.{binding}", "pack")
            if not imp.resolved_path:
                continue
            sub = self.load_pack(imp.resolved_path, pack_path, f"imports.{binding}.source", stack + (pack_dir,))
            pack.agents.extend(sub.agents)
            pack.named.extend(sub.named)
        self._pack_cache[pack_dir] = pack
        return pack

    def convention_agents(self, pack_dir: str) -> list[Agent]:
        agents_dir = os.path.join(pack_dir, "agents")
        if not os.path.isdir(agents_dir):
            return []
        out = []
        for entry in sorted(os.listdir(agents_dir)):
            if entry.startswith((".", "_")):
                continue
            adir = os.path.join(agents_dir, entry)
            if not os.path.isdir(adir):
                continue
            path = os.path.join(adir, "agent.toml")
            if not os.path.isfile(path):
                raise ConfigError(adir, f'agent directory "{entry}" has no agent.toml')
            data = self.read_toml(path, what="agent.toml")
            # agent.toml keys are not checked for typos by Gas City; types still are.
            a = self.make_agent(data, Origin(path, "", "pack"), strict_keys="ignore")
            a = replace(a, name=entry)  # the directory name is the agent name
            np = os.path.join(adir, "namepool.txt")
            if not a.namepool and os.path.isfile(np):
                a = replace(a, namepool=np)
            out.append(a)
        return out

    def make_import(self, binding: str, t: Any, file: str, field_path: str, scope: str) -> Import:
        self.check_table(t, S.IMPORT_FIELDS, file, field_path, unknown="warn")
        source = str(t.get("source", ""))
        if not source.strip():
            raise self.error(file, f"{field_path}.source", f"{field_path}.source is required")
        imp = Import(binding=binding, source=source, version=str(t.get("version", "")), declared_in=file, scope=scope)
        if is_remote_source(source):
            imp.unresolved_reason = "remote import (git) cannot be fetched; its agents are not modelled"
        else:
            base = os.path.dirname(file)
            imp.resolved_path = os.path.normpath(os.path.join(base, os.path.expanduser(source)))
        self.imports.append(imp)
        return imp

    # ---------------------------------------------------------------- the pipeline
    def load(self, data: dict[str, Any], city_file: str, *, allow_root_pack: bool = True) -> City:
        root = self.root_dir
        self.check_table(data, S.CITY_TOP, city_file, "", unknown="warn")
        city = City(root=root, path=city_file)

        # Includes: one level of fragments merged into the root table.
        includes = data.get("include", [])
        merged = _deep_copy(data)
        frag_agents: list[Agent] = []
        frag_named: list[NamedSession] = []
        for i, inc in enumerate(includes):
            if not isinstance(inc, str):
                raise self.error(city_file, f"include[{i}]", f"expected a string, got {S.type_name(inc)}")
            if is_remote_source(inc):
                self.imports.append(Import(binding=f"include[{i}]", source=inc, declared_in=city_file, scope="include",
                                           unresolved_reason="remote include cannot be fetched"))
                continue
            frag_path = os.path.normpath(os.path.join(root, inc))
            if not os.path.isfile(frag_path):
                raise self.error(city_file, f"include[{i}]", f'loading fragment "{inc}": file not found ({frag_path})')
            frag = self.read_toml(frag_path, what="fragment")
            self.check_table(frag, S.CITY_TOP, frag_path, "", unknown="warn")
            if frag.get("include"):
                raise self.error(frag_path, "include",
                                 f'fragment "{inc}": includes are not allowed in fragments (no recursive includes)')
            frag_agents += self.agents_from_array(frag.get("agent", []), frag_path, "agent", "fragment", "warn")
            frag_named += self.named_from_array(frag.get("named_session", []), frag_path, "named_session", "fragment", "warn")
            _merge_fragment(merged, frag)

        ws = self.check_table(merged.get("workspace", {}), S.WORKSPACE_FIELDS, city_file, "workspace", unknown="warn")
        city.workspace = Workspace(
            name=str(ws.get("name", "")),
            prefix=str(ws.get("prefix", "")),
            provider=str(ws.get("provider", "")),
            max_active_sessions=ws.get("max_active_sessions"),
            session_template=str(ws.get("session_template", "")),
            suspended=bool(ws.get("suspended_on_start", ws.get("suspended", False))),
        )
        dm = self.check_table(merged.get("daemon", {}), S.DAEMON_FIELDS, city_file, "daemon", unknown="warn")
        city.daemon = Daemon(
            patrol_interval=str(dm.get("patrol_interval", "30s")),
            max_wakes_per_tick=int(dm.get("max_wakes_per_tick", 5) or 5),
            drift_drain_timeout=str(dm.get("drift_drain_timeout", "2m")),
            max_restarts=int(dm.get("max_restarts", 5)),
            restart_window=str(dm.get("restart_window", "1h")),
            session_circuit_breaker=bool(dm.get("session_circuit_breaker", False)),
            session_circuit_breaker_max_restarts=dm.get("session_circuit_breaker_max_restarts"),
            session_circuit_breaker_window=str(dm.get("session_circuit_breaker_window", "")),
            session_circuit_breaker_reset_after=str(dm.get("session_circuit_breaker_reset_after", "")),
        )
        for key in S.DAEMON_FIELDS:
            if S.DAEMON_FIELDS[key] == S.DUR and key in dm:
                self.check_duration(city_file, f"daemon.{key}", dm[key], f"daemon {key}")
        ss = self.check_table(merged.get("session", {}), S.SESSION_FIELDS, city_file, "session", unknown="warn")
        city.session = SessionSettings(
            startup_timeout=str(ss.get("startup_timeout", "60s")),
            progress_stall_timeout=str(ss.get("progress_stall_timeout", "")),
            claim_holder_stall_timeout=str(ss.get("claim_holder_stall_timeout", "")),
        )
        cs = self.check_table(merged.get("chat_sessions", {}), S.CHAT_FIELDS, city_file, "chat_sessions", unknown="warn")
        city.chat_sessions = ChatSessions(idle_timeout=str(cs.get("idle_timeout", "")),
                                          grace_period=str(cs.get("grace_period", "10m")))
        sl = self.check_table(merged.get("session_sleep", {}), S.SLEEP_FIELDS, city_file, "session_sleep", unknown="warn")
        city.session_sleep = {k: str(v) for k, v in sl.items()}
        for k, v in city.session_sleep.items():
            self.check_sleep_value(city_file, f"session_sleep.{k}", v, f"[session_sleep] {k}")
        providers = merged.get("providers", {})
        if not isinstance(providers, dict):
            raise self.error(city_file, "providers", f"expected a table, got {S.type_name(providers)}")

        # Rigs.
        rigs_raw = self.check_array(merged.get("rigs", []), city_file, "rigs")
        for i, rt in enumerate(rigs_raw):
            fp = f"rigs[{i}]"
            self.check_table(rt, S.RIG_FIELDS, city_file, fp, unknown="warn")
            rig = Rig(
                name=str(rt.get("name", "")),
                path=str(rt.get("path", "")),
                prefix=str(rt.get("prefix", "")),
                suspended=bool(rt.get("suspended_on_start", rt.get("suspended", False))),
                max_active_sessions=rt.get("max_active_sessions"),
                session_sleep={},
                includes=tuple(rt.get("includes", ()) or ()),
                origin=Origin(city_file, fp),
            )
            rs = self.check_table(rt.get("session_sleep", {}), S.SLEEP_FIELDS, city_file, f"{fp}.session_sleep", unknown="warn")
            rig.session_sleep = {k: str(v) for k, v in rs.items()}
            for k, v in rig.session_sleep.items():
                self.check_sleep_value(city_file, f"{fp}.session_sleep.{k}", v, f'rig "{rig.name}" [session_sleep] {k}')
            rimps = rt.get("imports", {})
            for binding in sorted(rimps):
                rig.imports[binding] = self.make_import(binding, rimps[binding], city_file, f"{fp}.imports.{binding}",
                                                        f"rig:{rig.name}")
            city.rigs.append(rig)

        # The root pack (pack.toml beside city.toml).
        root_pack_agents: list[Agent] = []
        root_named: list[NamedSession] = []
        city_imports_raw: dict[str, tuple[Any, str, str]] = {}
        schema2 = False
        pack_path = os.path.join(root, PACK_FILE)
        if allow_root_pack and os.path.isfile(pack_path):
            pdata = self.read_toml(pack_path, what="city pack.toml")
            self.check_table(pdata, S.PACK_TOP, pack_path, "", unknown="error", unknown_prefix="parsing city pack.toml: ")
            pmeta = self.check_table(pdata.get("pack", {}), S.PACK_META_FIELDS, pack_path, "pack", unknown="error",
                                     unknown_prefix="parsing city pack.toml: ")
            schema2 = int(pmeta.get("schema", 0) or 0) >= 2
            if schema2 and merged.get("agent"):
                raise self.error(
                    city_file, "agent[0]",
                    "PackV1 config surfaces are no longer supported: unsupported PackV1 [[agent]] tables; "
                    "move each agent to agents/<name>/agent.toml",
                )
            root_pack_agents = self.agents_from_array(pdata.get("agent", []), pack_path, "agent", "pack-v1", "error")
            root_pack_agents += self.convention_agents(root)
            root_named = self.named_from_array(pdata.get("named_session", []), pack_path, "named_session", "pack", "error")
            for binding, t in (pdata.get("imports", {}) or {}).items():
                city_imports_raw[binding] = (t, pack_path, f"imports.{binding}")
            for name in (pdata.get("providers", {}) or {}):
                if name not in providers:
                    providers = {**providers, name: {}}
        city.providers = sorted(providers)

        for binding, t in (merged.get("imports", {}) or {}).items():
            city_imports_raw[binding] = (t, city_file, f"imports.{binding}")

        inline_agents = self.agents_from_array(data.get("agent", []), city_file, "agent", "inline", "warn") + frag_agents
        if inline_agents and not schema2 and os.path.isfile(pack_path):
            self.warn(city_file, "[[agent]] tables are deprecated in v2; move each agent to agents/<name>/agent.toml")
        inline_names = {a.name for a in inline_agents}
        root_pack_agents = [a for a in root_pack_agents if a.name not in inline_names]
        user_agents = root_pack_agents + inline_agents
        user_named = root_named + self.named_from_array(data.get("named_session", []), city_file, "named_session",
                                                         "inline", "warn") + frag_named

        # City imports: city-scope agents, plus unscoped/rig agents stamped into every rig
        # that does not import the same binding itself.
        import_agents: list[Agent] = []
        import_named: list[NamedSession] = []
        rig_from_city_agents: list[Agent] = []
        rig_from_city_named: list[NamedSession] = []
        for binding in sorted(city_imports_raw):
            t, file, fp = city_imports_raw[binding]
            imp = self.make_import(binding, t, file, fp, "city")
            if not imp.resolved_path:
                continue
            pack = self.load_pack(imp.resolved_path, file, f"{fp}.source")
            for a in pack.agents:
                stamped = replace(a, binding=binding, origin=replace(a.origin, binding=binding))
                if a.scope in ("city", ""):
                    import_agents.append(stamped)
                if a.scope in ("rig", ""):
                    for rig in city.rigs:
                        if binding not in rig.imports:
                            rig_from_city_agents.append(replace(stamped, dir=rig.name))
            for n in pack.named:
                stamped_n = replace(n, binding=binding)
                if n.scope in ("city", ""):
                    import_named.append(stamped_n)
                if n.scope in ("rig", ""):
                    for rig in city.rigs:
                        if binding not in rig.imports:
                            rig_from_city_named.append(replace(stamped_n, dir=rig.name))
        self.check_collisions(import_agents + rig_from_city_agents, "city")

        # Rig imports: rig/unscoped agents stamped with the rig; city-scoped ones hoisted.
        rig_agents: list[Agent] = []
        rig_named: list[NamedSession] = []
        hoisted: list[Agent] = []
        for rig in city.rigs:
            this_rig: list[Agent] = []
            for binding in sorted(rig.imports):
                imp = rig.imports[binding]
                if not imp.resolved_path:
                    continue
                pack = self.load_pack(imp.resolved_path, city_file, f"{rig.origin.table}.imports.{binding}.source")
                for a in pack.agents:
                    stamped = replace(a, binding=binding, origin=replace(a.origin, binding=binding))
                    if a.scope == "city":
                        hoisted.append(stamped)
                    else:
                        this_rig.append(replace(stamped, dir=a.dir or rig.name))
                for n in pack.named:
                    stamped_n = replace(n, binding=binding)
                    if n.scope == "city":
                        continue
                    rig_named.append(replace(stamped_n, dir=n.dir or rig.name))
            self.check_collisions(this_rig, f'rig "{rig.name}"')
            rig_agents += this_rig
        seen_qn = {a.qualified_name for a in import_agents + user_agents}
        for a in hoisted:
            if a.qualified_name not in seen_qn:
                seen_qn.add(a.qualified_name)
                import_agents.append(a)

        # [defaults.rig.imports]: what `gc rig add` would stamp; shown, never stamped here.
        defaults = merged.get("defaults", {}) or {}
        rig_defaults = ((defaults.get("rig") or {}).get("imports") or {}) if isinstance(defaults, dict) else {}
        for binding in sorted(rig_defaults):
            imp = self.make_import(binding, rig_defaults[binding], city_file, f"defaults.rig.imports.{binding}",
                                   "defaults.rig")
            if imp.resolved_path:
                pack = self.load_pack(imp.resolved_path, city_file, f"defaults.rig.imports.{binding}.source")
                city.rig_defaults += [replace(a, binding=binding, origin=replace(a.origin, binding=binding))
                                      for a in pack.agents if a.scope in ("rig", "")]

        agents = import_agents + rig_from_city_agents + user_agents + rig_agents
        named = import_named + rig_from_city_named + user_named + rig_named

        # Shadow warnings (a city agent masking an imported agent of the same bare name).
        imported_bare = {a.name: a.binding for a in agents if a.binding and not a.dir}
        for a in user_agents:
            if not a.binding and not a.dir and a.name in imported_bare:
                b = imported_bare[a.name]
                self.warn(a.origin.file,
                          f'city agent "{a.name}" shadows agent of the same name from import "{b}" '
                          f'(set shadow = "silent" on [imports.{b}] to suppress)', a.origin.table)

        agents = self.apply_patches(merged, agents, city_file)
        agents = self.apply_rig_overrides(rigs_raw, city.rigs, agents, city_file)

        # Implicit provider agents, at city scope and in every rig.
        existing = {(a.dir, a.name) for a in agents}
        for pname in city.providers:
            if ("", pname) not in existing:
                agents.append(Agent(name=pname, provider=pname, implicit=True,
                                    origin=Origin(city_file, f"providers.{pname}", "implicit")))
        for rig in city.rigs:
            for pname in city.providers:
                if (rig.name, pname) not in existing:
                    agents.append(Agent(name=pname, dir=rig.name, provider=pname, implicit=True,
                                        origin=Origin(city_file, f"providers.{pname}", "implicit")))

        # Inline scope="rig" named sessions without dir expand once per rig (#2161).
        expanded: list[NamedSession] = []
        for n in named:
            if n.origin.kind in ("inline", "fragment") and n.scope == "rig" and not n.dir:
                expanded += [replace(n, dir=r.name) for r in city.rigs]
            else:
                expanded.append(n)
        city.agents = [self.load_namepool(a) for a in agents]
        for a in city.agents:
            self.check_agent_durations(a)
        city.named_sessions = expanded
        city.imports = self.imports
        from core.config.validate import validate_named_sessions

        validate_named_sessions(city, self)
        city.warnings = self.warnings
        city.files = list(self.files)
        h = hashlib.sha256()
        for f in city.files:
            h.update(f.encode())
            h.update(self.texts.get(f, "").encode())
        city.revision = h.hexdigest()[:12]
        return city

    def check_collisions(self, agents: list[Agent], scope: str) -> None:
        seen: dict[str, Agent] = {}
        for a in agents:
            qn = a.qualified_name
            if qn in seen:
                other = seen[qn]
                raise self.error(
                    a.origin.file, a.origin.table or "name",
                    f'{scope}: packs define duplicate agent "{qn}": {other.origin.describe()}, {a.origin.describe()}',
                )
            seen[qn] = a

    def apply_patches(self, merged: dict, agents: list[Agent], city_file: str) -> list[Agent]:
        patches = merged.get("patches", {}) or {}
        if not patches:
            return agents
        self.check_table(patches, S.PATCHES_FIELDS, city_file, "patches", unknown="warn")
        for i, p in enumerate(self.check_array(patches.get("agent", []), city_file, "patches.agent")):
            fp = f"patches.agent[{i}]"
            self.check_table(p, S.AGENT_PATCH_FIELDS, city_file, fp, unknown="warn")
            target = (str(p.get("dir", "")), str(p.get("name", "")))
            idx = [j for j, a in enumerate(agents) if (a.dir, a.name) == target or
                   (a.dir == target[0] and a.binding and f"{a.binding}.{a.name}" == target[1])]
            if not idx:
                qn = f"{target[0]}/{target[1]}" if target[0] else target[1]
                raise self.error(city_file, fp, f'{fp}: agent "{qn}" not found in merged config')
            for j in idx:
                agents[j] = _patched(agents[j], p)
        return agents

    def apply_rig_overrides(self, rigs_raw: list[dict], rigs: list[Rig], agents: list[Agent], city_file: str) -> list[Agent]:
        for i, rt in enumerate(rigs_raw):
            rig = rigs[i]
            for key in ("overrides", "patches"):
                for k, o in enumerate(self.check_array(rt.get(key, []), city_file, f"rigs[{i}].{key}")):
                    fp = f"rigs[{i}].{key}[{k}]"
                    self.check_table(o, S.AGENT_OVERRIDE_FIELDS, city_file, fp, unknown="warn")
                    name = str(o.get("agent", o.get("name", "")))
                    idx = [j for j, a in enumerate(agents) if a.dir == rig.name and
                           (a.name == name or f"{a.binding}.{a.name}" == name)]
                    if not idx:
                        raise self.error(city_file, fp, f'rig "{rig.name}": {key}[{k}]: agent "{name}" not found in pack')
                    for j in idx:
                        agents[j] = _patched(agents[j], o)
        return agents

    def load_namepool(self, a: Agent) -> Agent:
        if not a.namepool.strip():
            return a
        path = a.namepool if os.path.isabs(a.namepool) else os.path.join(self.root_dir, a.namepool)
        # Gas City fails silently here (names fall back to name-N, yet the non-empty path
        # still makes the agent a namepool shape); citywatch says so as a warning.
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except OSError as e:
            msg = f'agent "{a.qualified_name}": namepool "{a.namepool}" unreadable ({e.strerror or e}); names fall back to {a.name}-N'
            self.warn(a.origin.file, msg, _fp(a, "namepool"))
            return replace(a, namepool_error=msg)
        if b"\x00" in raw:
            msg = f'agent "{a.qualified_name}": namepool "{a.namepool}" is a binary file; names fall back to {a.name}-N'
            self.warn(a.origin.file, msg, _fp(a, "namepool"))
            return replace(a, namepool_error=msg)
        if path not in self.files:
            self.files.append(path)
        names = []
        for line in raw.decode("utf-8", "replace").splitlines():
            s = line.strip()
            if s and not s.startswith("#"):
                names.append(s)
        if not names:
            msg = f'agent "{a.qualified_name}": namepool "{a.namepool}" has no names; names fall back to {a.name}-N'
            self.warn(a.origin.file, msg, _fp(a, "namepool"))
            return replace(a, namepool_error=msg)
        return replace(a, namepool_names=tuple(names))

    def check_duration(self, file: str, field_path: str, value: Any, label: str) -> None:
        try:
            parse_duration(str(value))
        except DurationError as e:
            self.warn(file, f'{label} = "{value}" is not a valid duration: {e}', field_path)

    def check_sleep_value(self, file: str, field_path: str, value: str, label: str) -> None:
        if value.strip().lower() == "off" or not value.strip():
            return
        try:
            parse_duration(value)
        except DurationError as e:
            self.warn(file, f'{label} = "{value}" is not a valid duration or "off": {e}', field_path)

    def check_agent_durations(self, a: Agent) -> None:
        qn = a.qualified_name
        for key in ("idle_timeout", "drain_timeout"):
            v = getattr(a, key)
            if v.strip():
                self.check_duration(a.origin.file, _fp(a, key), v, f'agent "{qn}" {key}')
        if a.sleep_after_idle.strip():
            self.check_sleep_value(a.origin.file, _fp(a, "sleep_after_idle"), a.sleep_after_idle,
                                   f'agent "{qn}" sleep_after_idle')
        if a.idle_timeout.strip() and a.sleep_after_idle.strip():
            self.warn(a.origin.file, f'agent "{qn}": idle_timeout and sleep_after_idle are both set; idle_timeout takes precedence',
                      _fp(a, "idle_timeout"))
        if a.has_namepool and a.max_active_sessions is not None and a.max_active_sessions < 0:
            self.warn(a.origin.file, f'agent "{qn}": namepool with unlimited max_active_sessions renders {a.name}-N past the list',
                      _fp(a, "namepool"))


_AGENT_DIRECT = {
    "name", "dir", "scope", "suspended", "max_active_sessions", "min_active_sessions", "scale_check",
    "namepool", "depends_on", "wake_mode", "attach", "idle_timeout", "sleep_after_idle", "max_session_age",
    "max_session_age_jitter", "drain_timeout", "assigned_work_defer_limit", "lifecycle", "tmux_alias",
    "work_dir", "provider", "start_command", "work_query", "process_names", "session_live", "description",
}
_STRING_LISTS = {"depends_on", "process_names", "session_live", "includes", "include", "args", "pre_start"}


def _fp(a: Agent, key: str) -> str:
    return f"{a.origin.table}.{key}" if a.origin.table else key


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


def _patched(a: Agent, p: dict[str, Any]) -> Agent:
    changes: dict[str, Any] = {}
    pool = p.get("pool") if isinstance(p.get("pool"), dict) else {}
    legacy = {"min": "min_active_sessions", "max": "max_active_sessions", "check": "scale_check"}
    for k, v in pool.items():
        if k in legacy:
            changes[legacy[k]] = v
    for k, v in p.items():
        if k in ("dir", "name", "agent", "pool"):
            continue
        if k in _AGENT_DIRECT:
            if k in ("depends_on", "process_names", "session_live"):
                v = tuple(v)
            changes[k] = v
        elif k.endswith("_append"):
            continue
    extra = dict(a.extra)
    for k, v in p.items():
        if k in S.AGENT_FIELDS and k not in _AGENT_DIRECT:
            extra[k] = v
    return replace(a, extra=extra, **changes)


def _deep_copy(d: Any) -> Any:
    if isinstance(d, dict):
        return {k: _deep_copy(v) for k, v in d.items()}
    if isinstance(d, list):
        return [_deep_copy(v) for v in d]
    return d


def _merge_fragment(base: dict, frag: dict) -> None:
    """Fragments: arrays concatenate, tables merge key by key (the fragment wins)."""
    for k, v in frag.items():
        if k in ("agent", "named_session"):
            continue  # handled with their origins
        if isinstance(v, list) and isinstance(base.get(k), list):
            base[k] = base[k] + _deep_copy(v)
        elif isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge_fragment(base[k], v)
        else:
            base[k] = _deep_copy(v)


def load_city(path: str) -> City:
    """Load `path` (a city.toml, or a directory holding one). Raises ConfigError."""
    if os.path.isdir(path):
        path = os.path.join(path, "city.toml")
    path = os.path.abspath(path)
    loader = _Loader(os.path.dirname(path))
    data = loader.read_toml(path, what="config")
    return loader.load(data, path)


def load_city_from_table(data: dict[str, Any], root_dir: str, label: str, text: str | None = None,
                         locate_prefix: tuple[str, ...] = ("city",)) -> City:
    """Load a city given as an already-parsed table (a scenario's inline `[city]`): paths resolve
    against `root_dir` as if city.toml lived there. `label` names the file in messages."""
    loader = _Loader(os.path.abspath(root_dir))
    if text is not None:
        loader.texts[label] = text
        loader.locate_prefix[label] = locate_prefix
    return loader.load(data, label, allow_root_pack=False)


def load_city_text(text: str, root_dir: str, label: str) -> City:
    """Load city.toml content held in memory (hot reload of an unsaved buffer, tests)."""
    loader = _Loader(os.path.abspath(root_dir))
    data = loader.parse_text(label, text)
    return loader.load(data, label)
