"""What runs, as a supervisor's `/sessions` says it: for every provider (tmux, k8s, subprocess,
acp, exec), not only tmux.

The API answers per session bead whether its runtime is `running`, whether an operator is
`attached`, and (where the provider knows) its `activity` (`idle`, `in-turn`). That is the same
record attach reads from tmux (`core.attach.tmux.TmuxListing`): one entry per running session,
keyed by its session name, linked to its bead by id (as tmux's `GC_SESSION_ID` links it) and
carrying the activity as runtime metadata (`core.world.runtime.META_ACTIVITY`). A provider's
agent that is running is taken as alive: the API has no separate zombie check.
"""

from __future__ import annotations

from core.attach.api.records import ApiSession
from core.attach.tmux import TmuxListing, TmuxSession
from core.world.runtime import META_ACTIVITY, META_SESSION_ID


def runtime_listing(sessions: list[ApiSession], *, partial: bool = False) -> TmuxListing:
    """The running sessions as a runtime listing. `partial`: the supervisor said its reply is
    incomplete, so what is missing from it is not known to be stopped (the runtime is then
    marked unobservable, as for a tmux server that does not answer)."""
    out = TmuxListing(observable=not partial, server_running=True,
                      note="the supervisor's sessions reply is partial" if partial else "")
    for s in sessions:
        if not s.running or not s.session_name:
            continue
        env = {META_SESSION_ID: s.id, "GC_TEMPLATE": s.template}
        if s.activity:
            env[META_ACTIVITY] = s.activity
        out.sessions.append(TmuxSession(name=s.session_name, created=s.created_at, activity=s.last_active,
                                        attached=s.attached, alive=True, commands=(), env=env))
    out.sessions.sort(key=lambda t: t.name)
    return out
