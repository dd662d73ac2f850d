"""stampRunSessionIdentity: the build durably records, on each in-progress assigned work bead it
collected, which session runs it (`gc.session_name`) and where (`gc.work_dir`), and copies both
onto the run's workflow root (`gc.root_bead_id`). Idempotent: a key is written only when its
value differs."""

from __future__ import annotations

from core.desired.context import BuildContext
from core.world.beads import SessionBead, WorkBead

SESSION_NAME = "gc.session_name"
WORK_DIR = "gc.work_dir"
LEGACY_WORK_DIR = "work_dir"
ROOT_BEAD_ID = "gc.root_bead_id"


def assignee_index(ctx: BuildContext) -> dict[str, SessionBead | None]:
    """buildSessionAssigneeIndex: every identity of every open session bead -> that bead; an
    identity two different beads answer to maps to None (ambiguous)."""
    index: dict[str, SessionBead | None] = {}
    for b in ctx.store.open_sessions():
        for ident in b.assignee_identities():
            if ident in index:
                held = index[ident]
                if held is not None and held.id != b.id:
                    index[ident] = None
                continue
            index[ident] = b
    return index


def _identifier(b: SessionBead) -> str:
    """sessionBeadIdentifierInfo: the raw session_name, else the alias, else the named identity."""
    for key in ("session_name", "alias", "configured_named_identity"):
        v = b.get(key).strip()
        if v:
            return v
    return ""


def _owns_work_dir(meta: dict[str, str], work_dir: str) -> bool:
    """workDirStampHasOwnershipEvidence: the worktree creator already wrote this path."""
    legacy = meta.get(LEGACY_WORK_DIR, "").strip()
    return bool(legacy) and legacy == work_dir


def _patch(meta: dict[str, str], name: str, work_dir: str, allow_unowned: bool) -> dict[str, str]:
    patch: dict[str, str] = {}
    if name and meta.get(SESSION_NAME, "").strip() != name:
        patch[SESSION_NAME] = name
    if work_dir and meta.get(WORK_DIR, "").strip() != work_dir and (allow_unowned or _owns_work_dir(meta, work_dir)):
        patch[WORK_DIR] = work_dir
    return patch


def _write(ctx: BuildContext, w: WorkBead, patch: dict[str, str]) -> None:
    ctx.store.update_work_metadata(w.id, patch)


def stamp_run_session_identity(ctx: BuildContext, collected: list[WorkBead]) -> None:
    """Stamp each collected in-progress work bead (and its run root) with the executing
    session's identifier and work_dir. A pool session's work_dir is written only where the
    bead already names that path as its worktree (a slot cwd is no ownership evidence)."""
    index = assignee_index(ctx)
    stamped_roots: set[str] = set()
    for w in collected:
        if w.status != "in_progress" or not w.assignee.strip():
            continue
        b = index.get(w.assignee.strip())
        if b is None:
            continue
        name, work_dir = _identifier(b), b.get("work_dir").strip()
        if not name and not work_dir:
            continue
        allow_unowned = not b.pool_managed
        patch = _patch(w.meta, name, work_dir, allow_unowned)
        if patch:
            _write(ctx, w, patch)
        root_id = w.meta.get(ROOT_BEAD_ID, "").strip()
        if not root_id or root_id == w.id or root_id in stamped_roots:
            continue
        root = ctx.store.work_bead(root_id)
        if root is None or (root.store or "city") != (w.store or "city"):
            continue  # a root in another store is stamped from that store's own pass
        stamped_roots.add(root_id)
        root_patch = _patch(root.meta, name, work_dir, allow_unowned)
        if root_patch:
            _write(ctx, root, root_patch)
