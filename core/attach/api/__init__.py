"""Attach through a Gas City supervisor's HTTP API, read-only, from any machine.

- `guard`: the one place that decides what may be sent (GETs of an allow-list of read endpoints
  on the operator's supervisor) and the one client that sends it, with capped replies.
- `client`: `SupervisorClient` (typed replies with their cache age and event index, pages,
  the event stream) and the token's sources (`read_token`: an environment variable or a file).
- `wire`, `records`: JSON decoded defensively into typed records.
- `stream`: the city event stream kept open across drops (resume, no loss, no repeat, backoff).
- `config_map`, `runtime`: the model's config and the runtime listing from the API's replies.
- `session`: `ApiAttachSession`, the same API as the file attach (`core.attach.session`).
"""
