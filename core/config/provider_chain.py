"""The provider inheritance checks Gas City's loader makes when it builds its resolved provider
cache (BuildResolvedProviderCache / ResolveProviderChain): every `[providers.<name>]` whose
`base` chain has an invalid or unknown base, a cycle, or that wraps a subcommand-style resume
provider without its own `resume_command` refuses the config.

citywatch does not merge provider specs for launching; it only walks the chains to refuse what
Gas City refuses, with Gas City's messages.
"""

from __future__ import annotations

from core.config.checks import BUILTIN_PROVIDERS
from core.config.city_config import City, Section
from core.config.errors import ConfigError
from core.config.reader import Reader
from core.formats.goduration import go_quote

# Built-in providers whose resume is a subcommand (resume_style = "subcommand"), with the
# command a wrapper is compared against (Gas City's builtin provider profiles).
SUBCOMMAND_RESUME = {"codex": "codex", "amp": "amp"}


def _classify(base: str) -> tuple[str, str, str]:
    """classifyBase: (kind, name, error)."""
    for prefix, kind in (("builtin:", "builtin"), ("provider:", "provider")):
        if base.startswith(prefix):
            name = base[len(prefix):]
            return (kind, name, "") if name else ("", "", f"empty suffix after {go_quote(prefix)} prefix")
    if ":" in base:
        return "", "", 'unknown namespace prefix (only "builtin:" and "provider:" are reserved)'
    return "bare", base, ""


def resolve_error(leaf: str, specs: dict[str, Section]) -> str:
    """ResolveProviderChain's refusal for provider `leaf`, or ""."""
    path = [leaf]
    visited = {("custom", leaf)}
    name, spec = leaf, specs[leaf]
    resume_style = str(spec.get("resume_style", "") or "")
    builtin = ""
    while "base" in spec.table and str(spec.get("base") or "").strip():
        base = str(spec.get("base")).strip()
        kind, parent, err = _classify(base)
        if err:
            return f"provider {go_quote(name)} has invalid base {go_quote(base)}: {err}"
        if kind == "builtin" and parent not in BUILTIN_PROVIDERS:
            return f"provider {go_quote(name)} has unknown base {go_quote(base)}: no built-in with that name exists"
        if kind == "provider":
            if parent == name:
                return f"provider {go_quote(name)} has inheritance cycle: self-reference via {go_quote(base)}"
            if parent not in specs:
                return (f"provider {go_quote(name)} has unknown base {go_quote(base)}: no custom provider with that "
                        "name")
        if kind == "bare":
            if parent != name and parent in specs:
                kind = "provider"
            elif parent in BUILTIN_PROVIDERS:
                kind = "builtin"
            elif parent == name:
                return (f"provider {go_quote(name)} has inheritance cycle: self-reference via bare name "
                        f"{go_quote(base)} (no built-in of that name exists)")
            else:
                return (f"provider {go_quote(name)} has unknown base {go_quote(base)} (no custom provider or built-in "
                        "with that name)")
        hop = ("builtin" if kind == "builtin" else "custom", parent)
        shown = f"builtin:{parent}" if kind == "builtin" else parent
        if hop in visited:
            return f"provider {go_quote(leaf)} has inheritance cycle: {' → '.join(path + [shown])}"
        visited.add(hop)
        path.append(shown)
        if kind == "builtin":
            builtin = parent
            break
        name, spec = parent, specs[parent]
        resume_style = resume_style or str(spec.get("resume_style", "") or "")
    return _wrapper_error(leaf, specs[leaf], resume_style or ("subcommand" if builtin in SUBCOMMAND_RESUME else ""),
                          builtin)


def _wrapper_error(leaf: str, spec: Section, resume_style: str, builtin: str) -> str:
    """validateWrapperResume: a provider that changes the command of a subcommand-style resume
    built-in must say how to resume."""
    command = str(spec.get("command", "") or "")
    if str(spec.get("resume_command", "") or "").strip() or resume_style != "subcommand" or not command:
        return ""
    if not builtin:  # a custom provider's subcommand style: Gas City skips the check
        return ""
    inherited = SUBCOMMAND_RESUME.get(builtin, builtin)  # a built-in's command is its name
    if command == inherited:
        return ""
    example = go_quote(f"aimux run {inherited} -- resume {{{{.SessionKey}}}}")
    return (f"provider {go_quote(leaf)} wraps a subcommand-style resume provider ({inherited}) but does not declare "
            "`resume_command`. Wrapper providers must specify their own resume invocation (e.g. resume_command = "
            f"{example}).")


def check_provider_chains(rd: Reader, city: City) -> None:
    """BuildResolvedProviderCache: refuse the config when any provider's chain does not resolve
    (every failing provider named, in name order)."""
    failures = []
    for name in sorted(city.provider_specs):
        err = resolve_error(name, city.provider_specs)
        if err:
            failures.append((city.provider_specs[name], f"resolving provider {go_quote(name)}: {err}"))
    if failures:
        sec = failures[0][0]
        raise ConfigError(sec.file, "provider cache build failed: " + "; ".join(m for _, m in failures),
                          field=sec.at("base") if "base" in sec.table else sec.field,
                          line=rd.line_of(sec.file, sec.at("base") if "base" in sec.table else sec.field))
