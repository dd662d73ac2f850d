"""Runtime session names for fresh pool beads (Gas City's derivePoolSessionName and the
tmux_alias rules): `<sanitized template basename>-<bead id>`, or the agent's resolved
tmux_alias when it is a valid, unclaimed explicit name (`<alias>-<bead id>` when claimed)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.config.city_config import Agent
from core.desired.reach import configured_rig_name
from core.formats.goduration import go_quote
from core.identity import pool_session_name, sanitize
from core.world import beads as B

if TYPE_CHECKING:
    from core.desired.context import BuildContext

EXPLICIT_NAME_MAX = 64
AUTO_PREFIX = "s-"
_NAME_SYNTAX = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
_FIELD = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")


class SessionNameError(ValueError):
    """A tmux_alias that cannot become a session name; the create fails before any write."""


def validate_explicit_name(name: str) -> str:
    """ValidateExplicitName: "" is fine (derive one); else at most 64 characters, not the reserved
    `s-` prefix, letters/digits/`_`/`-` starting with a letter or digit."""
    name = name.strip()
    if not name:
        return ""
    if len(name) > EXPLICIT_NAME_MAX:
        raise SessionNameError(f"invalid session name: {go_quote(name)} exceeds max length {EXPLICIT_NAME_MAX}")
    if name.startswith(AUTO_PREFIX):
        raise SessionNameError(f"invalid session name: {go_quote(name)} uses reserved prefix {go_quote(AUTO_PREFIX)}")
    if not _NAME_SYNTAX.match(name):
        raise SessionNameError(f"invalid session name: {go_quote(name)}")
    return name


def derive_pool_session_name(template: str, bead_id: str, tmux_alias: str, taken: Callable[[str], bool]) -> str:
    """derivePoolSessionName: the resolved tmux alias when free, `<alias>-<bead id>` when it is
    claimed, else PoolSessionName. Raises SessionNameError for an invalid alias or fallback."""
    alias = validate_explicit_name(tmux_alias)
    if not alias:
        return pool_session_name(template, bead_id)
    name = alias
    if taken(name):
        name = f"{alias}-{bead_id}"
    validate_explicit_name(name)
    if taken(name):
        raise SessionNameError(f"session name {name!r} already exists")
    return name


def resolve_tmux_alias(ctx: BuildContext, a: Agent) -> str:
    """ResolveTmuxAlias: expand `{{.Agent}}`, `{{.AgentBase}}`, `{{.Rig}}`, `{{.CityName}}`,
    `{{.CityRoot}}`, `{{.RigRoot}}`, `{{.WorktreesRoot}}` against the template's identity (the
    rig is the one the agent's dir names or points at), then sanitize. An unknown field fails the
    create."""
    spec = a.tmux_alias.strip()
    if not spec:
        return ""
    qn = a.qualified_name
    # ConfiguredRigName: the rig the agent's dir names, else the rig at that path; a city agent
    # (no dir) names none, and no rig is named "" (ValidateRigs refuses it).
    rig = ctx.city.rig(configured_rig_name(ctx, a))
    fields = {
        "Agent": qn, "AgentBase": qn.rpartition("/")[2], "Rig": rig.name if rig else "",
        "RigRoot": rig.path if rig else "", "CityRoot": ctx.city.root, "CityName": ctx.city.name,
        "WorktreesRoot": f"{ctx.city.root}/.gc/worktrees",
    }

    def field(m: re.Match) -> str:
        if m.group(1) not in fields:
            raise SessionNameError(f"expanding tmux_alias {spec!r}: no field {m.group(1)!r}")
        return fields[m.group(1)]

    return sanitize(_FIELD.sub(field, spec).strip())


def session_name_taken(ctx: BuildContext, name: str, self_id: str = "") -> bool:
    """Is `name` unavailable as a fresh session_name? Any live bead's session_name, alias or
    identifier claims it; a closed bead's session_name still does (explicit names are permanent)
    unless it was a configured named session or an ephemeral pool slot; a configured named
    session's runtime name is reserved."""
    store = ctx.store
    for key in (B.SESSION_NAME, B.ALIAS, B.AGENT_NAME, B.TEMPLATE):
        for b in store.open_by(key, name):
            if b.id != self_id and not b.failed_create:
                return True
    for b in store.all_sessions():
        if b.open or b.id == self_id or b.failed_create or b.session_name.strip() != name:
            continue
        if b.get(B.CONFIGURED_NAMED_SESSION).strip() == "true" or b.get(B.CONFIGURED_NAMED_IDENTITY).strip():
            continue
        if b.get(B.POOL_MANAGED) == "true" and b.get(B.SESSION_ORIGIN) == "ephemeral":
            continue
        return True
    return any(ctx.named_runtime_name(n.identity) == name for n in ctx.city.named_sessions)
