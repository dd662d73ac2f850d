"""Gas City's session-reconciler trace format: JSONL segments of CRC-framed batches.
(`core.scenario.run_trace` writes a whole scenario run with these.)

- `writer.TraceWriter`: append batches to a trace root exactly as the controller's store does
  (segments, rotation, `head.json`, recovery, quarantine, pruning); refuses a city's `.gc/`.
- `cycle.CycleTracer`: turn the model's per-tick records into complete cycles with provenance.
- `reader.TraceReader` / `reader.read_trace`: verify and tail segments from a real city or from
  the writer, reporting damage as `problems.ReadWarning`s and never failing on bad data.
- `gojson`, `framing`, `layout`, `vocab`: the byte-level details those share.
"""
