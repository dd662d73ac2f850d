"""Where the tests find Gas City's own files, copied into the repository (see
tests/fixtures/gascity/PROVENANCE.md): the example cities, live-city state files, and the
builtin packs that ship with citywatch as package data."""

from __future__ import annotations

from pathlib import Path

from core.config import builtin

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "gascity"
CITIES = FIXTURES / "cities"  # one folder per example city, each with its city.toml
STATE = FIXTURES / "state"  # events.jsonl, beads.json, bd --json outputs, JSON schemas
OPENAPI = FIXTURES / "api" / "openapi.json"  # the supervisor HTTP API's OpenAPI schema
BUILTIN = Path(builtin.ROOT)  # the shipped builtin packs (core, bd) by name
