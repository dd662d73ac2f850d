"""Gas City's validators of `[[service]]` and `[[webhook]]` (ValidateServices with
workspacesvc.ValidateRuntimeSupport, ValidateWebhooks): `gc start`, a controller reload and
`gc config show` refuse a config they reject. citywatch does not run services or webhooks; it
checks them so that it never shows as valid a city Gas City would refuse.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re

from core.config.city_config import City, Section
from core.config.errors import ConfigError
from core.formats.goduration import go_quote

_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_ARG_KEY = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SERVICES_ROOT = ".gc/services"
# Workflow contracts the gc binary registers (workspacesvc): only the health probe.
WORKFLOW_CONTRACTS = ("gc.healthz.v1",)
WEBHOOK_SCHEMES = ("github-hmac-sha256", "hmac-sha256", "slack-v0", "discord-ed25519", "jwt-jwks")
_SECRET_SCHEMES = ("github-hmac-sha256", "hmac-sha256", "slack-v0", "discord-ed25519")
OPERATOR_ENV_PREFIX = "GC_WEBHOOK_"
# Execution env keys the controller owns (orders.IsReservedExecEnvKey): no webhook arg may set one.
RESERVED_EXEC_ENV = frozenset(["BD_BACKUP_ENABLED", "BD_EXPORT_AUTO", "BEADS_ACTOR", "BEADS_BACKUP_ENABLED", "BEADS_CREDENTIALS_FILE", "BEADS_DIR", "BEADS_DOLT_AUTO_START", "BEADS_DOLT_PASSWORD", "BEADS_DOLT_SERVER_HOST", "BEADS_DOLT_SERVER_PORT", "BEADS_DOLT_SERVER_TLS", "BEADS_DOLT_SERVER_USER", "BEADS_DOLT_SYNC_CLI_REMOTES", "BEADS_ROUTING_MODE", "BD_DOLT_SYNC_CLI_REMOTES", "BD_ROUTING_MODE", "GC_BEADS", "GC_BEADS_PREFIX", "GC_BEADS_SCOPE_ROOT", "GC_CITY", "GC_CITY_PATH", "GC_CITY_ROOT", "GC_CITY_RUNTIME_DIR", "GC_CONTROL_DISPATCHER_TRACE_DEFAULT", "GC_DOLT", "GC_DOLT_CONFIG_FILE", "GC_DOLT_DATA_DIR", "GC_DOLT_HOST", "GC_DOLT_LOCK_FILE", "GC_DOLT_LOG_FILE", "GC_DOLT_MANAGED_LOCAL", "GC_DOLT_PASSWORD", "GC_DOLT_PID_FILE", "GC_DOLT_PORT", "GC_DOLT_STATE_FILE", "GC_DOLT_USER", "GC_PACK_DIR", "GC_PACK_NAME", "GC_PACK_STATE_DIR", "GC_RIG", "GC_RIG_ROOT", "GC_STORE_ROOT", "GC_STORE_SCOPE", "ORDER_DIR", "PACK_DIR"])


def _s(sec: Section, key: str) -> str:
    v = sec.get(key, "")
    return v if isinstance(v, str) else ""


def _sub(sec: Section, key: str) -> Section:
    v = sec.get(key)
    return Section(v if isinstance(v, dict) else {}, sec.file, sec.at(key))


def _fail(city: City, sec: Section, key: str, message: str) -> ConfigError:
    field = sec.at(key) if key else sec.field
    line = city.line_finder(sec.file, field) if city.line_finder is not None else None
    return ConfigError(sec.file, message, field=field, line=line)


def _check_publication(city: City, svc: Section, q: str, mode: str) -> None:
    """publication.visibility (public by default when published directly) and hostname."""
    pub = _sub(svc, "publication")
    raw_vis = _s(pub, "visibility")
    vis = raw_vis.strip().lower() or ("public" if mode == "direct" else "private")
    if vis not in ("private", "public", "tenant"):
        raise _fail(city, pub, "visibility", f'service {q}: publication.visibility must be "private", "public", '
                                             f'or "tenant", got {go_quote(raw_vis)}')
    if _s(svc, "publish_mode") == "direct" and raw_vis and vis != "public":
        raise _fail(city, svc, "publish_mode", f"service {q}: publish_mode=direct requires "
                                               'publication.visibility to be omitted or "public"')
    host = _s(pub, "hostname")
    if host.strip().lower() and not _LABEL.match(host.strip().lower()):
        raise _fail(city, pub, "hostname", f"service {q}: publication.hostname must be a single DNS label, "
                                           f"got {go_quote(host)}")


def _check_state_root(city: City, svc: Section, q: str, name: str, source: str,
                      roots: dict[str, tuple[str, str]]) -> None:
    """state_root stays under the services root without traversing upward, and is shared only
    within one pack source (`roots` records the roots seen so far)."""
    state = posixpath.normpath(_s(svc, "state_root")) if _s(svc, "state_root") else f"{SERVICES_ROOT}/{name}"
    if not state.startswith(SERVICES_ROOT + "/"):
        raise _fail(city, svc, "state_root", f"service {q}: state_root must stay under {SERVICES_ROOT}/, got "
                                             f"{go_quote(state)}")
    if "../" in state or state.endswith("/.."):
        raise _fail(city, svc, "state_root", f"service {q}: state_root may not traverse upward, got "
                                             f"{go_quote(state)}")
    if state in roots:
        other, other_source = roots[state]
        if not other_source or not source or other_source != source:
            raise _fail(city, svc, "state_root", f"service {q}: state_root {go_quote(state)} already used by "
                                                 f"service {go_quote(other)}; shared state_root is only allowed "
                                                 "within the same pack source")
    else:
        roots[state] = (name, source)


def validate_services(city: City) -> None:
    """ValidateServices, then ValidateRuntimeSupport (the first problem raises)."""
    seen: set[str] = set()
    roots: dict[str, tuple[str, str]] = {}  # state root -> (service, source dir)
    for i, svc in enumerate(city.services):
        name = _s(svc, "name")
        if not name:
            raise _fail(city, svc, "", f"service[{i}]: name is required")
        q = go_quote(name)
        if not _NAME.match(name):
            raise _fail(city, svc, "name", f"service {q}: name must match [a-zA-Z0-9][a-zA-Z0-9_-]*")
        source = svc.source_dir
        if name in seen:
            raise _fail(city, svc, "name", f"service {q}: duplicate name (from {go_quote(source)})" if source
                        else f"service {q}: duplicate name")
        seen.add(name)
        kind = _s(svc, "kind") or "workflow"
        if kind not in ("workflow", "proxy_process"):
            raise _fail(city, svc, "kind", f'service {q}: kind must be "workflow" or "proxy_process", got '
                                           f"{go_quote(_s(svc, 'kind'))}")
        mode = _s(svc, "publish_mode") or "private"
        if mode not in ("private", "direct"):
            raise _fail(city, svc, "publish_mode", f'service {q}: publish_mode must be "private" or "direct", got '
                                                   f"{go_quote(_s(svc, 'publish_mode'))}")
        _check_publication(city, svc, q, mode)
        _check_state_root(city, svc, q, name, source, roots)
        if kind == "workflow" and not _s(_sub(svc, "workflow"), "contract"):
            raise _fail(city, svc, "workflow", f"service {q}: workflow.contract is required for workflow services")
        command = _sub(svc, "process").get("command") or []
        if kind == "proxy_process" and (not command or not str(command[0]).strip()):
            raise _fail(city, svc, "process", f"service {q}: process.command is required for proxy_process services")
    for svc in city.services:
        contract = _s(_sub(svc, "workflow"), "contract")
        if (_s(svc, "kind") or "workflow") == "workflow" and contract not in WORKFLOW_CONTRACTS:
            raise _fail(city, svc, "workflow", f"service {go_quote(_s(svc, 'name'))}: unsupported workflow contract "
                                               f"{go_quote(contract)}")


def validate_webhooks(city: City) -> None:
    """ValidateWebhooks (the first problem raises)."""
    seen: set[str] = set()
    for i, w in enumerate(city.webhooks):
        _validate_webhook(city, i, w, seen)


def _validate_webhook(city: City, i: int, w: Section, seen: set[str]) -> None:
    name = _s(w, "name")
    if not name:
        raise _fail(city, w, "", f"webhook[{i}]: name is required")
    q = go_quote(name)
    if not _NAME.match(name):
        raise _fail(city, w, "name", f"webhook {q}: name must match [a-zA-Z0-9][a-zA-Z0-9_-]*")
    source = w.source_dir
    if name in seen:
        raise _fail(city, w, "name", f"webhook {q}: duplicate name (from {go_quote(source)})" if source
                    else f"webhook {q}: duplicate name")
    seen.add(name)
    rig = _s(w, "rig").strip()
    scope = _s(w, "scope").strip().lower() or "city"
    if scope == "city" and rig:
        raise _fail(city, w, "rig", f'webhook {q}: rig is only valid for scope="rig"')
    if scope == "rig" and not rig:
        raise _fail(city, w, "scope", f'webhook {q}: scope="rig" requires a rig binding')
    if scope not in ("city", "rig"):
        raise _fail(city, w, "scope", f'webhook {q}: scope must be "city" or "rig", got {go_quote(_s(w, "scope"))}')
    pub = _sub(w, "publication")
    vis = _s(pub, "visibility")
    if vis.strip().lower() not in ("", "private", "public", "tenant"):
        raise _fail(city, pub, "visibility", f'webhook {q}: publication.visibility must be "private", "public", or '
                                             f'"tenant", got {go_quote(vis)}')
    host = _s(pub, "hostname")
    if host.strip().lower() and not _LABEL.match(host.strip().lower()):
        raise _fail(city, pub, "hostname", f"webhook {q}: publication.hostname must be a single DNS label, got "
                                           f"{go_quote(host)}")
    per_minute = w.get("max_per_minute", 0)
    if isinstance(per_minute, int) and per_minute < 0:
        raise _fail(city, w, "max_per_minute", f"webhook {q}: max_per_minute must be >= 0, got {per_minute}")
    _validate_verify(city, q, _sub(w, "verify"))
    rules = [r for r in w.get("rule") or [] if isinstance(r, dict)]
    if not rules:
        raise _fail(city, w, "", f"webhook {q}: at least one [[webhook.rule]] is required")
    for j, rule in enumerate(rules):
        _validate_rule(city, q, j, Section(rule, w.file, w.at(f"rule[{j}]")))


def _validate_verify(city: City, q: str, v: Section) -> None:
    scheme = _s(v, "scheme").strip()
    if not scheme:
        raise _fail(city, v, "scheme", f"webhook {q}: verify.scheme is required")
    if scheme not in WEBHOOK_SCHEMES:
        raise _fail(city, v, "scheme", f"webhook {q}: verify.scheme {go_quote(scheme)} is not a known scheme "
                                       f"({', '.join(WEBHOOK_SCHEMES)})")
    secret = _s(v, "secret_env")
    if not secret.strip() and scheme in _SECRET_SCHEMES:
        raise _fail(city, v, "secret_env", f"webhook {q}: verify.secret_env is required for scheme {go_quote(scheme)}")
    for key in ("secret_env", "bearer_env"):
        raw = _s(v, key)
        env = raw.strip()
        if not env:
            continue
        if not _ENV_NAME.match(env):
            raise _fail(city, v, key, f"webhook {q}: verify.{key} must be an environment variable name, got "
                                      f"{go_quote(raw)}")
        if not env.startswith(OPERATOR_ENV_PREFIX):
            raise _fail(city, v, key, f"webhook {q}: verify.{key} {go_quote(env)} must be in the operator namespace "
                                      f"{go_quote(OPERATOR_ENV_PREFIX)}")
    for c in v.get("allowed_cidrs") or []:
        why = _cidr_error(str(c))
        if why:
            raise _fail(city, v, "allowed_cidrs", f"webhook {q}: {why}")


def _cidr_error(c: str) -> str:
    """ParseWebhookCIDRs' refusal of one allowed_cidrs entry, or ""."""
    text = c.strip()
    if not text:
        return "verify.allowed_cidrs entry is empty"
    if "/" in text:
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            return f"verify.allowed_cidrs {go_quote(c)} is not a valid CIDR or IP"
        if isinstance(net, ipaddress.IPv6Network) and net.network_address.ipv4_mapped and net.prefixlen < 96:
            return (f"verify.allowed_cidrs {go_quote(c)}: IPv4-mapped prefix shorter than /96 is not a valid IPv4 "
                    "range; use IPv4 CIDR notation")
        return ""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return f"verify.allowed_cidrs {go_quote(c)} is not a valid CIDR or IP"
    return ""


def _validate_rule(city: City, q: str, j: int, rule: Section) -> None:
    ctx = f"webhook {q}: rule[{j}]"
    if not _s(rule, "event").strip():
        raise _fail(city, rule, "event", f"{ctx}: event is required")
    target = _s(rule, "target").strip().lower() or "order"
    if target == "order" and not _s(rule, "order").strip():
        raise _fail(city, rule, "order", f'{ctx}: order is required for target="order"')
    if target not in ("order", "conversation"):
        raise _fail(city, rule, "target", f'{ctx}: target must be "order" or "conversation", got '
                                          f"{go_quote(_s(rule, 'target'))}")
    for key in (rule.get("args") or {}):
        if not key.strip():
            raise _fail(city, rule, "args", f"{ctx}: args key is required")
        if not _ARG_KEY.match(key):
            raise _fail(city, rule, f"args.{key}", f"{ctx}: args key {go_quote(key)} must match "
                                                   "[a-zA-Z_][a-zA-Z0-9_]*")
        if key in RESERVED_EXEC_ENV:
            raise _fail(city, rule, f"args.{key}", f"{ctx}: args key {go_quote(key)} is a reserved controller-owned env "
                                                   "key and cannot be set from a webhook payload")
