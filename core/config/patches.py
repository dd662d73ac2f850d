"""Patches and overrides: `[[patches.agent]]` (city and pack), `[[patches.named_session]]`,
`[[patches.rigs]]` and per-rig `[[rigs.overrides]]`/`[[rigs.patches]]`.

Every agent patch goes through `patched_agent` (Gas City's applyAgentMutation), so a patch and
a rig override can never disagree about what a field means. A patch changes the first agent it
matches, as in Gas City.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from core.config import schema as S
from core.config.city_config import Agent, City, NamedSession, qualify
from core.config.reader import Reader
from core.config.tables import AGENT_DIRECT

_LEGACY_POOL = {"min": "min_active_sessions", "max": "max_active_sessions", "check": "scale_check",
                "drain_timeout": "drain_timeout"}
_APPENDS = {"session_live_append": "session_live"}
_TARGETING = ("dir", "name", "agent", "pool")


def patched_agent(a: Agent, p: dict[str, Any]) -> Agent:
    """`a` with the fields `p` sets: scalars replace, `*_append` lists extend, env merges,
    `pool.{min,max,check,drain_timeout}` map onto the agent fields."""
    changes: dict[str, Any] = {}
    extra = dict(a.extra)
    # Replacements first, then the `*_append` lists extend the result (applyAgentMutation).
    for k, v in sorted(p.items(), key=lambda kv: kv[0].endswith("_append")):
        if k in _TARGETING:
            continue
        if k in _APPENDS:
            base = _APPENDS[k]
            changes[base] = tuple(changes.get(base, getattr(a, base))) + tuple(v)
        elif k in ("depends_on", "session_live"):
            if v:  # an empty list leaves the agent's own value (Gas City: len > 0)
                changes[k] = tuple(v)
        elif k in AGENT_DIRECT:
            changes[k] = v
        elif k == "env":
            extra["env"] = {**(extra.get("env") or {}), **v}
        elif k == "env_remove":
            extra["env"] = {ek: ev for ek, ev in (extra.get("env") or {}).items() if ek not in v}
        elif k.endswith("_append"):
            base = k[: -len("_append")]
            extra[base] = list(extra.get(base) or []) + list(v)
        elif k in S.AGENT_FIELDS:
            extra[k] = v
    pool = p.get("pool")
    pool = pool if isinstance(pool, dict) else {}
    for k, v in pool.items():
        if k in _LEGACY_POOL:
            changes[_LEGACY_POOL[k]] = v
    if "dir" in p and "agent" in p:  # a rig override may move the agent to another dir
        changes["dir"] = p["dir"]
    return replace(a, extra=extra, **changes)


def check_patch(rd: Reader, p: dict, spec: dict[str, str], file: str, fp: str, context: str = "") -> None:
    """Check the value types of a patch table (and its pool table) against `spec`: a wrong type
    raises."""
    rd.check_table(p, spec, file, fp, context=context)
    if "pool" in p:
        rd.check_table(p["pool"], S.POOL_OVERRIDE_FIELDS, file, f"{fp}.pool", context=context)


def apply_pack_agent_patches(rd: Reader, agents: list[Agent], patches: list[dict], file: str,
                             context: str = "") -> list[Agent]:
    """A pack's own `[[patches.agent]]`: matched by local name (and dir when given)."""
    agents = list(agents)
    for i, p in enumerate(patches):
        fp = f"patches.agent[{i}]"
        check_patch(rd, p, S.AGENT_PATCH_FIELDS, file, fp, context)
        pdir, pname = str(p.get("dir", "")), str(p.get("name", ""))
        target = qualify(pdir, "", pname)
        for j, a in enumerate(agents):
            if a.name == pname and (not pdir or a.dir == pdir):
                agents[j] = patched_agent(a, p)
                break
        else:
            hint = ""
            if not pdir:
                for a in agents:
                    if (f"{a.binding}.{a.name}" if a.binding else a.name) == pname:
                        hint = f' (patches match local names — did you mean "{a.name}"?)'
                        break
            raise rd.error(file, fp, f'{context}{fp}: agent "{target}" not found in pack{hint}')
    return agents


def agent_matches(a: Agent, identity: str) -> bool:
    """AgentMatchesIdentity: the qualified name, or dir + bare name for a binding-less agent."""
    if a.qualified_name == identity:
        return True
    if not a.binding:
        dir_, _, name = identity.rpartition("/")
        return a.dir == dir_ and a.name == name
    return False


def agent_patch_target(p: dict) -> tuple[str, str, str]:
    """The patch's (dir, name, qualified name) of the agent it targets."""
    pdir, pname = str(p.get("dir", "")), str(p.get("name", ""))
    return pdir, pname, qualify(pdir, "", pname)


def apply_agent_patch(rd: Reader, agents: list[Agent], p: dict, file: str, fp: str) -> None:
    """One city `[[patches.agent]]`, in place; an unmatched target is fatal."""
    pdir, pname, target = agent_patch_target(p)
    if not pname:
        raise rd.error(file, fp, f"{fp}: agent patch: name is required")
    for j, a in enumerate(agents):
        if agent_matches(a, target) or (a.dir == pdir and a.name == pname):
            agents[j] = patched_agent(a, p)
            return
    raise rd.error(file, fp, f'{fp}: agent "{target}" not found in merged config')


def apply_named_session_patches(rd: Reader, named: list[NamedSession], patches: list[tuple[dict, str, str]]) -> None:
    """`[[patches.named_session]]`: target by name (exact identity) or by an unambiguous
    template; only `mode` is patchable."""
    for p, file, fp in patches:
        rd.check_table(p, S.NAMED_PATCH_FIELDS, file, fp)
        pdir, pname, ptpl = str(p.get("dir", "")), str(p.get("name", "")), str(p.get("template", ""))
        if not pname and not ptpl:
            raise rd.error(file, fp, f"{fp}: named_session patch: name or template is required")
        if pname:
            target = qualify(pdir, "", pname)
            matches = [i for i, n in enumerate(named) if n.identity == target]
        else:
            target = qualify(pdir, "", ptpl)
            matches = [i for i, n in enumerate(named) if target in (n.identity, n.template_qualified)]
        if not matches:
            raise rd.error(file, fp, f'{fp}: named_session "{target}" not found in merged config')
        if len(matches) > 1:
            raise rd.error(file, fp, f'{fp}: named_session patch target "{target}" is ambiguous; '
                                     "set name to the named_session identity")
        if "mode" in p:
            named[matches[0]] = replace(named[matches[0]], mode=str(p["mode"]))


def apply_rig_patches(rd: Reader, city: City, patches: list[tuple[dict, str, str]]) -> None:
    """`[[patches.rigs]]`: path, prefix, suspension, default branch and formula_vars (merged, the
    patch's keys winning) of an existing rig."""
    for p, file, fp in patches:
        rd.check_table(p, S.RIG_PATCH_FIELDS, file, fp)
        name = str(p.get("name", ""))
        if not name:
            raise rd.error(file, fp, f"{fp}: rig patch: name is required")
        rig = city.rig(name)
        if rig is None:
            raise rd.error(file, fp, f'{fp}: rig "{name}" not found in merged config')
        if "path" in p:
            rig.path = str(p["path"])
        if "prefix" in p:
            rig.prefix = str(p["prefix"])
        if "suspended" in p or "suspended_on_start" in p:
            rig.suspended = bool(p.get("suspended_on_start", p.get("suspended", rig.suspended)))
        if "default_branch" in p:
            rig.settings["default_branch"] = str(p["default_branch"])
        if p.get("formula_vars"):
            rig.settings["formula_vars"] = {**(rig.settings.get("formula_vars") or {}), **p["formula_vars"]}


def apply_rig_overrides(rd: Reader, rig_name: str, agents: list[Agent], overrides: list[tuple[dict, str, str]], *,
                        partial: bool = False) -> None:
    """A rig's `overrides` then `patches`, in place, over the agents its own packs stamped
    (matched by bare agent name, first match). Indexes count across both lists, as in Gas City.
    With `partial` (one of the rig's packs is a remote import citywatch could not read) a
    target not found may be in that pack: a warning, not Gas City's error."""
    for i, (o, file, fp) in enumerate(overrides):
        name = str(o.get("agent", ""))
        if not name:
            raise rd.error(file, fp, f'rig "{rig_name}": overrides[{i}]: agent name is required')
        for j, a in enumerate(agents):
            if a.name == name:
                agents[j] = patched_agent(a, o)
                break
        else:
            msg = f'rig "{rig_name}": overrides[{i}]: agent "{name}" not found in pack'
            if partial:
                rd.warn(file, msg + "; an unresolved import may provide it", f"{fp}.agent", source="citywatch")
                continue
            raise rd.error(file, f"{fp}.agent", msg)
