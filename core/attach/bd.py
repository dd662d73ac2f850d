"""Session beads through bd (only with `--bd`): one read-only listing, with a timeout.

The command is the one Gas City itself uses for session beads, made read-only:
`bd --readonly list --json --label=gc:session --include-infra --all --limit 0`, run in the city
directory with `BD_BACKUP_ENABLED=false`. bd prints one of three shapes, all accepted: a flat
array (bd <= 1.0.4), `{"issues": [...]}` (some 1.0.5 builds), or the v2 envelope
`{"schema_version": 1, "data": [...]}`. An error comes back as `{"error": "..."}`.
"""

from __future__ import annotations

import os
from typing import Any

from core.attach.beads_source import BeadSet, decode_beads
from core.attach.commands import run_listing
from core.guards.safeio import load_json
from core.tracefile.problems import ReadWarning

BD_ARGS = ["--readonly", "list", "--json", "--label=gc:session", "--include-infra", "--all", "--limit", "0"]


def bd_rows(text: str) -> tuple[list[Any] | None, str]:
    """The bead rows in bd's JSON output, or (None, why not). Leading noise before the first
    `[` or `{` is skipped, as Gas City does."""
    starts = [i for i in (text.find("["), text.find("{")) if i >= 0]
    if not starts:
        return None, "bd printed no JSON"
    try:
        data = load_json(text[min(starts):])
    except ValueError as e:
        return None, f"bd printed JSON that does not parse ({e})"
    if isinstance(data, list):
        return data, ""
    if isinstance(data, dict):
        if isinstance(data.get("error"), str):
            return None, f"bd reported an error: {data['error']}"
        for key in ("issues", "data"):
            if isinstance(data.get(key), list):
                return data[key], ""
        return None, "bd printed an object with neither `issues` nor `data`"
    return None, "bd printed neither an array nor an object"


def read_bd_sessions(city_dir: str, *, bd: str = "bd", timeout: float = 10.0) -> BeadSet:
    """Session and work beads as `bd` lists them in `city_dir`; a failed or unparsable run yields
    no beads and a warning, never an exception."""
    env = dict(os.environ, BD_BACKUP_ENABLED="false")
    res = run_listing([bd, *BD_ARGS], timeout=timeout, cwd=city_dir, env=env)
    label = "bd " + " ".join(BD_ARGS)
    if res.error:
        return BeadSet(warnings=[ReadWarning("bd", "bd_failed", f"`{label}`: {res.error}; session beads unavailable")])
    rows, why = bd_rows(res.stdout)
    if rows is None:
        detail = why if res.ok else f"exit status {res.returncode}: {(res.stderr.strip() or why)[:300]}"
        return BeadSet(warnings=[ReadWarning("bd", "bd_failed", f"`{label}`: {detail}; session beads unavailable")])
    beads, warns = decode_beads(rows, "bd", "bd list")
    if not res.ok:
        warns.append(ReadWarning("bd", "bd_failed", f"`{label}` exited with status {res.returncode} but printed "
                                 f"{len(beads)} bead(s); using them"))
    return BeadSet(beads, 0, warns)
