"""Gas City's builtin packs, shipped with citywatch as `gc` embeds them.

`gc` serves the packs `core`, `bd` and `dolt` from content compiled into its binary: an import
whose source addresses one of them in Gas City's own repository (`gascity.git//<subpath>` or the
GitHub tree URL of the same folder) resolves offline, as long as its version is empty or the
canonical pin that binary serves (`resolveBundledSourceWithoutLock`,
`IsBundledSourceAtCanonicalPin` in internal/config/pack_include.go; the layouts are
`builtinpacks.All` and `legacySubpathsForPack` in internal/builtinpacks/registry.go). Any other
pin is an ordinary remote import that `gc` fetches for real, and citywatch never fetches.

The copies live in `builtin_packs/` beside this module (see its PROVENANCE.md).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cache

from core.guards.safeio import read_regular

REPOSITORY = "https://github.com/gastownhall/gascity.git"
CANONICAL_PIN = "sha:f895c0ff47d6ee9334ed282a416387eb5b084d24"
# Older gc releases wrote the bundled content hash as the pin; gc refuses to serve it offline
# and asks for `gc doctor --fix` (SupersededBundledPackImportVersions).
SUPERSEDED_PINS = ("sha:282d2bf26b1a9396016e90b0128c1cd16b719f4d3af7cd0ea06cf25fbc426d18",)
COPIED_FROM_COMMIT = "9e89da7c"

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "builtin_packs")

# Where each bundled pack lives in Gas City's repository, and where its copy lives here.
_LAYOUTS: tuple[tuple[str, str, str], ...] = (
    ("internal/bootstrap/packs/core", "core", "core"),
    ("examples/bd", "bd", "bd"),
    ("examples/bd/dolt", "dolt", "bd/dolt"),
    ("examples/dolt", "dolt", "bd/dolt"),  # the legacy subpath of dolt
)


@dataclass(frozen=True)
class BuiltinPack:
    """A pack citywatch ships: its name, the `[pack].version` it declares ("" when none), and
    the directory holding the copy."""

    name: str
    version: str
    path: str

    def describe(self) -> str:
        """One line for people: which copy answered the import."""
        version = f" {self.version}" if self.version else ""
        return f"builtin {self.name}{version} (Gas City {COPIED_FROM_COMMIT}, pin {CANONICAL_PIN[:12]})"


def _split_source(source: str) -> tuple[str, str]:
    """A remote source as (clone URL, subpath), reading GitHub tree/blob URLs and the
    `repo//subpath` form the way Gas City's remotesource.Parse does; a `#ref` is dropped."""
    s = source.strip()
    if "#" in s:
        s = s[: s.rindex("#")]
    scheme = ""
    rest = s
    if "://" in rest:
        i = rest.index("://") + 3
        scheme, rest = rest[:i], rest[i:]
    parts = rest.split("/", 5)
    if len(parts) >= 5 and parts[0] == "github.com" and parts[3] in ("tree", "blob"):
        sub = parts[5].strip("/") if len(parts) > 5 else ""
        if parts[3] == "blob":
            sub = "" if sub == "pack.toml" else sub.removesuffix("/pack.toml")
        return scheme + "/".join(parts[:3]) + ".git", sub
    start = len(scheme)
    j = s.find("//", start)
    clone, sub = (s[:j], s[j + 2:]) if j >= 0 else (s, "")
    if clone.startswith("github.com/"):
        clone = "https://" + clone
    return clone.rstrip("/"), sub.strip("/")


def _normalize_repository(repo: str) -> str:
    repo = repo.strip().rstrip("/")
    if repo.startswith("github.com/"):
        repo = "https://" + repo
    return REPOSITORY if repo == "https://github.com/gastownhall/gascity" else repo


def bundled_name(source: str) -> str:
    """The bundled pack `source` addresses (`core`, `bd`, `dolt`), or "" when it addresses none."""
    repo, sub = _split_source(source)
    if _normalize_repository(repo) != REPOSITORY:
        return ""
    for subpath, name, _ in _LAYOUTS:
        if sub == subpath:
            return name
    return ""


@cache
def _pack(rel: str, name: str) -> BuiltinPack:
    path = os.path.join(ROOT, rel)
    with open(os.path.join(path, "pack.toml"), "rb") as f:
        meta = tomllib.load(f).get("pack", {})
    version = meta.get("version", "") if isinstance(meta, dict) else ""
    return BuiltinPack(name=name, version=str(version), path=path)


def builtin_pack(source: str) -> BuiltinPack | None:
    """The shipped copy that answers `source`, whatever its pin, or None."""
    repo, sub = _split_source(source)
    if _normalize_repository(repo) != REPOSITORY:
        return None
    for subpath, name, rel in _LAYOUTS:
        if sub == subpath:
            return _pack(rel, name)
    return None


def pin_problem(version: str) -> str:
    """Why `gc` would not serve a bundled source pinned at `version` from its embedded copy
    ("" when it would: no pin, or the canonical one). Gas City compares the full sha exactly."""
    v = version.strip()
    if not v or v.removeprefix("sha:") == CANONICAL_PIN.removeprefix("sha:"):
        return ""
    if v in SUPERSEDED_PINS:
        return (f"bundled pack pinned at a superseded canonical {v}; `gc doctor --fix` re-pins it to "
                f"{CANONICAL_PIN} (citywatch never fetches remote sources)")
    return (f"bundled pack pinned at {v}, not the canonical {CANONICAL_PIN} gc serves offline; gc fetches "
            f"it for real (citywatch never fetches remote sources)")


def is_builtin_path(path: str) -> bool:
    """Whether `path` lies inside the shipped copies."""
    return bool(path) and os.path.normpath(path).startswith(ROOT + os.sep)


def display_path(path: str) -> str:
    """`path` inside the shipped copies as `builtin:<rel>` (stable across installs); else as is."""
    if is_builtin_path(path):
        return "builtin:" + os.path.relpath(path, ROOT).replace(os.sep, "/")
    return path


_LOCK_LIMIT = 1 << 20  # a packs.lock is a few lines; refuse to read a huge or special file


def locked_version(city_root: str, source: str) -> tuple[str, str]:
    """The commit `<city_root>/packs.lock` pins `source` at, as ("sha:<commit>", ""); ("", "")
    when the file or the entry is absent; ("", reason) when the lock cannot be read. Gas City
    consults the lock before the declared version (resolveInstalledRemoteImport)."""
    path = os.path.join(city_root, "packs.lock")
    if not os.path.lexists(path):
        return "", ""
    try:
        raw = read_regular(path, _LOCK_LIMIT)  # never blocks on a FIFO swapped in after a check
    except OSError:
        return "", "packs.lock is not a regular file of at most 1 MiB"
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as e:
        return "", f"parsing packs.lock: {e}"
    packs = data.get("packs")
    entry = packs.get(source) if isinstance(packs, dict) else None
    commit = entry.get("commit") if isinstance(entry, dict) else None
    return (f"sha:{commit.removeprefix('sha:')}", "") if isinstance(commit, str) and commit.strip() else ("", "")
