"""Attach: read a live Gas City directory without touching it, and show it through the model.

- `session.AttachSession`: the entry point (open, poll, snapshot); see its docstring.
- Readers, each incremental and each reporting problems as warnings: `city` (names, socket,
  providers), `beads_source` (`.gc/beads.json`), `bd` (`bd --readonly list`, opt-in),
  `tmux` (listings only), `events` (`.gc/events.jsonl` across rotation), `trace_view`
  (the reconciler trace, via `core.tracefile`).
- `world_map`: the live state as a model `World`; `lifecycle`: persisted tracker keys;
  `drift`: one model tick on a copy, compared with the controller; `alarms` and `settings`:
  loop alarms and their thresholds; `snapshot`, `render`: the JSON rows and the text view.
- `commands`: the allow-list of the only programs attach may run.
- `live.LiveCitySession`: what both ways of attaching share once the sources are read (the
  model's world, drift, alarms, the snapshot); `api/`: attaching through a supervisor's HTTP API.
"""
