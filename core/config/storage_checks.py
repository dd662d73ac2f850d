"""Gas City's `[storage]` checks (storage.go, storage_endpoint.go): its authoring surface (no
unknown keys at all under [storage]), the merge of fragments' storage (classes set per key,
a binding defined twice refused), and ValidateStorageConfig (every class bound, to the reserved
"work" binding or to a defined binding; binding names, providers, paths, config references, URLs
and auth references well formed). citywatch does not open stores; it refuses what Gas City
refuses before a city starts.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from core.config.city_config import Section
from core.config.errors import ConfigError
from core.config.reader import Reader
from core.config.undecoded import undecoded
from core.formats.goduration import go_quote

STORAGE_CLASSES = ("work", "graph", "sessions", "messaging", "orders", "nudges")
WORK_BINDING = "work"
SQLITE = "sqlite-beads"
WORKSPACE = "beads-workspace"
_IDENT = re.compile(r"^[A-Za-z0-9._-]*$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def storage_surface_error(data: dict[str, Any]) -> tuple[str, str] | None:
    """validateStorageAuthoringSurface: (field path, message) of the first key under [storage]
    Gas City's decoder does not take, or None."""
    for f in undecoded(data, "City"):
        parts = f.key.split(".")
        if parts[0] != "storage":
            continue
        leaf = parts[-1]
        if leaf in ("migration", "mode"):
            return f.field, "storage migration and mode keys are not supported"
        if len(parts) >= 3 and parts[1] == "classes" and parts[2] not in STORAGE_CLASSES:
            return f.field, f"unknown storage class {go_quote(parts[2])}"
        return f.field, f"unknown storage field {go_quote(f.key)}"
    return None


def merge_storage(rd: Reader, base: Section | None, frag: dict[str, Any], path: str) -> Section | None:
    """mergeStorageConfig: a fragment's classes replace the base's class by class; a binding both
    define is refused."""
    table = frag.get("storage")
    if not isinstance(table, dict):
        return base
    merged = {"classes": dict((base.table.get("classes") or {}) if base else {}),
              "bindings": dict((base.table.get("bindings") or {}) if base else {})}
    merged["classes"].update({k: v for k, v in (table.get("classes") or {}).items() if k in STORAGE_CLASSES})
    for name in sorted(table.get("bindings") or {}):
        if name in merged["bindings"]:
            raise rd.error(path, f"storage.bindings.{name}",
                           f"storage binding {go_quote(name)} is defined more than once (again in {go_quote(path)})")
        merged["bindings"][name] = table["bindings"][name]
    return Section(merged, base.file if base else path, "storage")


def _identifier(what: str, value: str) -> str:
    if value == "":
        return f"{what} is empty"
    if not _IDENT.match(value):
        return f"{what} has invalid characters"
    return ""


def _url_error(value: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError as e:
        return f"url is not a valid URL: {e}"
    if parts.scheme not in ("http", "https"):
        return f"url scheme must be http or https, got {go_quote(parts.scheme)}"
    if not parts.netloc or not parts.hostname:
        return "url has no host"
    if parts.username is not None or "@" in parts.netloc:
        return "url must not embed credentials"
    if parts.query or value.endswith("?"):
        return "url must not carry a query"
    if parts.fragment:
        return "url must not carry a fragment"
    return ""


def _auth_error(value: str) -> str:
    if len(value.encode()) > 64:
        return ("auth is longer than 64 bytes; a credential reference is a short token, not credential material")
    if "://" in value or any(c.isspace() for c in value):
        return "auth is a credential reference, not credential material"
    if value == "gasworks":
        return ""
    if value.startswith("env:"):
        if not _ENV.match(value[4:]):
            return ('auth "env:" must be followed by an environment variable name: a letter or underscore, then '
                    "letters, digits, and underscores")
        return ""
    return 'auth must be "gasworks" or "env:<VARNAME>"'


def _binding_error(name: str, b: dict[str, Any]) -> str:
    """validateStorageBindingConfig with validateStorageBindingEndpoint."""
    prefix = f"storage.bindings.{name}"
    provider, path, ref = str(b.get("provider", "")), str(b.get("path", "")), str(b.get("config_ref", ""))
    url, auth = str(b.get("url", "")), str(b.get("auth", ""))
    err = _identifier("provider ID", provider)
    if err:
        return f"{prefix}: {err}"
    if path and ref:
        return f"{prefix}: path and config reference are mutually exclusive"
    if not url:
        if auth:
            return f"{prefix}: auth requires url"
    else:
        if provider != WORKSPACE:
            return f"{prefix}: url is only supported by provider {go_quote(WORKSPACE)}"
        err = _url_error(url)
        if err:
            return f"{prefix}: {err}"
        if not ref:
            return f"{prefix}: url requires config_ref"
        if auth:
            err = _auth_error(auth)
            if err:
                return f"{prefix}: {err}"
    if provider == SQLITE:
        return f"{prefix}: provider {go_quote(SQLITE)} does not accept config_ref" if ref else ""
    if path:
        return f"{prefix}: path is only supported by provider {go_quote(SQLITE)}"
    if not ref:
        return f"{prefix}: config_ref is required for provider {go_quote(provider)}"
    err = _identifier("config_ref", ref)
    return f"{prefix}: {err}" if err else ""


def check_storage(rd: Reader, storage: Section | None) -> None:
    """ValidateStorageConfig over the merged [storage] (when the city has one)."""
    if storage is None:
        return
    classes = storage.table.get("classes") or {}
    bindings = storage.table.get("bindings") or {}

    def fail(field: str, message: str) -> ConfigError:
        return rd.error(storage.file, field, message)

    for cls in STORAGE_CLASSES:
        binding = str(classes.get(cls, ""))
        err = _identifier("binding name", binding) if binding else ""
        if err:
            raise fail(f"storage.classes.{cls}", f"storage.classes.{cls}: {err}")
    for name in sorted(bindings):
        if name == WORK_BINDING:
            raise fail(f"storage.bindings.{name}", "storage.bindings.work is reserved and cannot be defined")
        err = _identifier("binding name", name)
        if err:
            raise fail(f"storage.bindings.{name}", f"storage.bindings.{name}: {err}")
        err = _binding_error(name, bindings[name] if isinstance(bindings[name], dict) else {})
        if err:
            raise fail(f"storage.bindings.{name}", err)
    for cls in STORAGE_CLASSES:
        binding = str(classes.get(cls, ""))
        if not binding:
            raise fail("storage.classes", f"storage.classes.{cls} is required when [storage] is present")
        if binding != WORK_BINDING and binding not in bindings:
            raise fail(f"storage.classes.{cls}", f"storage.classes.{cls} references undefined binding "
                                                 f"{go_quote(binding)}")


def storage_identity(storage: Section | None) -> Any:
    """EffectiveStorage, comparable: the default (every class on "work") when there is no
    [storage]; a sqlite-beads binding without a path gets .gc/store."""
    if storage is None:
        return ({cls: WORK_BINDING for cls in STORAGE_CLASSES}, {})
    bindings = {}
    for name, b in (storage.table.get("bindings") or {}).items():
        b = dict(b) if isinstance(b, dict) else {}
        if b.get("provider") == SQLITE and not b.get("path"):
            b["path"] = ".gc/store"
        bindings[name] = sorted(b.items())
    return (dict(storage.table.get("classes") or {}), bindings)
