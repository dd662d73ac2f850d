"""Every control of the app in one table: its id (for keymaps), keys, action, and where it
applies. Bindings, the footer, the help screen and the command palette are all built from it.

Each control also says in which modes it is offered: `model` (a model session: the demo, a
city.toml or a scenario, which the operator steps and pokes) and `attach` (a live city, read
only). A control that changes the world or steps the model is `model` only, so attach mode
never binds, lists or offers it. `api` (a city attached through a supervisor's API) offers every
attach control and its own (picking another of the supervisor's cities)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType

MODEL, ATTACH, API = "model", "attach", "api"
BOTH = (MODEL, ATTACH)  # controls that only read: filters, focus, help, zoom, quit


@dataclass(frozen=True)
class Control:
    """One operator control: its keys, App action, texts, and where it is offered."""
    id: str
    keys: str
    action: str  # an App action name
    title: str  # short, for the footer and the palette
    help: str  # one sentence, for the help screen and the palette
    scope: str = "app"  # app | sessions | agents | events
    show: bool = True  # in the footer (narrow terminals cut it); help and the palette list every control
    modes: tuple[str, ...] = (MODEL,)  # where it is offered (see the module docstring)


CONTROLS: tuple[Control, ...] = (
    # ---- the clock of the model
    Control("step", "s", "step", "Step", "Run one controller tick (or the scenario's next step)."),
    Control("run", "space", "toggle_run", "Run/Pause", "Start or pause ticking on a timer."),
    Control("help", "question_mark,f1", "help", "Help", "Show the keys of the focused panel.", modes=BOTH),
    Control("faster", "plus,equals_sign", "faster", "Faster", "More ticks per second while running.", show=False),
    Control("slower", "minus", "slower", "Slower", "Fewer ticks per second while running.", show=False),
    Control("back", "left_square_bracket", "step_back", "Back", "Travel one recorded step back in history (hold it: "
            "the screen keeps up)."),
    Control("forward", "right_square_bracket", "forward", "Fwd", "Travel one recorded step forward in history."),
    Control("first", "home", "first", "First", "Travel to the oldest recorded step.", show=False),
    Control("last", "end", "last", "Last", "Travel to the newest step (live).", show=False),
    Control("goto", "g", "goto", "Go to tick", "Travel to the step of a tick you type.", show=False),
    Control("live", "L", "live", "Live", "Leave time travel and show the live model; in a what-if fork already live, "
            "leave the fork and return to the recorded timeline."),
    Control("advance", "A", "advance", "Advance", "Advance the virtual clock by a duration you type."),
    Control("semantics", "M", "semantics", "Semantics", "Switch the identity rules: current Gas City, before Gas City "
            "#2053 (the pool-flavour carve-out of #1989), before Gas City #1989 (max = 1 expands to name-1).",
            show=False),
    # ---- finding things
    Control("filter", "slash", "filter", "Filter", "Filter the focused panel (a leading ! inverts).", modes=BOTH),
    Control("clear_filter", "escape", "clear_filter", "Clear filter", "Clear the focused panel's filter.", show=False,
            modes=BOTH),
    Control("zoom", "z", "zoom", "Zoom", "Fill the screen with the focused panel, or restore the layout.", modes=BOTH),
    Control("sort", "o", "sort_next", "Sort", "Sort the focused table by its next column (a header click sorts by "
            "that column; the same column again reverses).", show=False, modes=BOTH),
    Control("sort_reverse", "O", "sort_reverse", "Reverse", "Reverse the focused table's sort.", show=False,
            modes=BOTH),
    Control("jump", "colon", "jump", "Jump", "Jump to a session or template by name (fuzzy matching).", modes=BOTH),
    Control("copy", "y", "copy", "Copy", "Copy the selected name (session, template, alarm) to the clipboard.",
            show=False, modes=BOTH),
    Control("plan", "P", "show_plan", "What if", "Show what the last config edit saved on disk does to the model "
            "(the plan of `citywatch plan`: sessions created, drained, renamed, with their rules).", show=False),
    Control("export", "E", "export", "Export", "Save this session as a scenario file that replays (and checks) it.",
            show=False),
    Control("palette", "ctrl+p", "command_palette", "Palette", "Every command, searchable (and the themes).",
            modes=BOTH),
    Control("quit", "q", "quit", "Quit", "Leave citywatch.", modes=BOTH),
    Control("focus_agents", "1", "focus_panel('agents')", "Agents", "Focus the Agents panel.", show=False, modes=BOTH),
    Control("focus_sessions", "2", "focus_panel('sessions')", "Sessions", "Focus the Sessions panel.", show=False,
            modes=BOTH),
    Control("focus_deferrals", "3", "focus_panel('deferrals')", "Deferrals", "Focus the Deferrals panel.", show=False,
            modes=BOTH),
    Control("focus_trackers", "4", "focus_panel('trackers')", "Trackers", "Focus the Trackers panel.", show=False,
            modes=BOTH),
    Control("focus_events", "5", "focus_panel('events')", "Events", "Focus the Events panel.", show=False, modes=BOTH),
    Control("focus_drift", "6", "focus_panel('drift')", "Drift", "Focus the Drift panel.", show=False, modes=(ATTACH,)),
    Control("focus_alarms", "7", "focus_panel('alarms')", "Alarms", "Focus the Alarms panel.", show=False, modes=BOTH),
    Control("focus_why", "8", "focus_panel('why')", "Why", "Focus the Why panel (arrows scroll it).", show=False,
            modes=BOTH),
    Control("focus_checks", "9", "focus_panel('checks')", "Checks", "Focus the Checks panel (a scenario's expectations).",
            show=False),
    Control("refresh", "r", "refresh", "Refresh", "Re-read every source of the live city now (files, tmux, bd).",
            modes=(ATTACH,)),
    Control("cities", "C", "pick_city", "Cities", "Pick another city of the supervisor (the app keeps running).",
            modes=(API,)),
    # ---- the selected session
    Control("changed_toggle", "c", "toggle_changed", "Changed/All", "Show only changed sessions, or all of them.",
            scope="sessions", modes=BOTH),
    Control("kill", "K", "kill", "Kill", "Kill the selected session's runtime (a clean exit).", scope="sessions"),
    Control("crash", "X", "crash", "Crash", "Crash the selected session's runtime.", scope="sessions"),
    Control("activity", "a", "activity", "Activity", "Mark activity on the selected session now.", scope="sessions",
            show=False),
    Control("attach", "t", "attach", "Attach/Detach", "Attach or detach an operator terminal.", scope="sessions",
            show=False),
    Control("drain_ack", "D", "drain_ack", "Drain ack", "The selected session acknowledges its drain (only when one is "
            "pending).", scope="sessions", show=False),
    Control("assign_work", "W", "assign_work", "Assign work", "Assign a work bead to the selected session.",
            scope="sessions", show=False),
    # ---- the selected template
    Control("scale_check", "n", "scale_check", "scale_check", "Set the selected template's scale_check result.",
            scope="template", show=False),
    Control("add_work", "w", "add_work", "Add work", "Add a work bead routed to the selected template.",
            scope="template"),
    # ---- the event log
    Control("follow", "f", "follow", "Follow", "Follow new events (scrolling up stops following).", scope="events",
            modes=BOTH),
)

PANEL_KEYS = {"agents": "1", "sessions": "2", "deferrals": "3", "trackers": "4", "events": "5", "drift": "6",
              "alarms": "7", "why": "8", "checks": "9"}  # each panel's focus key (and tab number)

SCOPES_OF_PANEL = {
    "sessions": ("sessions", "template"),
    "agents": ("template",),
    "events": ("events",),
}


def by_id(control_id: str) -> Control:
    """The control with this id; raises KeyError if there is none."""
    for c in CONTROLS:
        if c.id == control_id:
            return c
    raise KeyError(control_id)


def controls(mode: str = MODEL) -> list[Control]:
    """The controls offered in `mode`, in table order (`api` offers the attach controls too)."""
    return [c for c in CONTROLS if mode in c.modes or (mode == API and ATTACH in c.modes)]


def bindings(*scopes: str, mode: str = MODEL) -> list[BindingType]:
    """Bindings for the given scopes in `mode`; panel-scoped ones run on the App (`app.` prefix).
    A control not offered in `mode` is still bound, to `refuse`, which says why it is not."""
    out: list[BindingType] = []
    offered_here = set(c.id for c in controls(mode))
    for c in CONTROLS:
        if c.scope not in scopes:
            continue
        offered = c.id in offered_here
        action = c.action if offered else f"refuse('{c.id}')"
        action = action if c.scope == "app" else f"app.{action}"
        out.append(Binding(c.keys, action, c.title, show=c.show and offered, id=c.id if offered else None,
                           tooltip=c.help))
    return out


def key_display(c: Control) -> str:
    """The control's keys as the footer and help show them ("+", "esc", ...)."""
    names = {"space": "space", "plus": "+", "equals_sign": "=", "minus": "-", "left_square_bracket": "[",
             "right_square_bracket": "]", "slash": "/", "question_mark": "?", "escape": "esc", "colon": ":"}
    return " ".join(names.get(k, k) for k in c.keys.split(","))


def panel_controls(panel: str, mode: str = MODEL) -> list[Control]:
    """The controls an operator can use with `panel` focused in `mode`: its own first, then the global."""
    offered = controls(mode)
    own = [c for c in offered if c.scope in SCOPES_OF_PANEL.get(panel, ())]
    return own + [c for c in offered if c.scope == "app"]
