"""The field list in use: the programme's file from the settings, or the shipped default."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from app.funder.definition import ProfileDefinition, load_definition
from app.settings import get_settings


@lru_cache(maxsize=4)
def _load(path: Path | None) -> ProfileDefinition:
    return load_definition(path)


def current_definition() -> ProfileDefinition:
    return _load(get_settings().funder_profile_file)
