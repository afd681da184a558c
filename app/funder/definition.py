"""The field list of the funder profile, read from a TOML file and checked once at start-up.

The default (``default_profile.toml`` beside this module) follows the ESF Plus common
indicators; a programme points ``TREFFPUNKT_FUNDER_PROFILE_FILE`` at its own copy. Every
problem raises :class:`ProfileDefinitionError` with one line naming the file and the place.

Entry and exit dates are not in the file: every profile has them, the report needs them.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_FILE = Path(__file__).resolve().parent / "default_profile.toml"
STAGES = ("entry", "exit")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")
RESERVED_KEYS = {"entry_date", "exit_date"}


class ProfileDefinitionError(ValueError):
    """The profile definition file cannot be used; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Option:
    code: str
    label: dict[str, str]


@dataclass(frozen=True, slots=True)
class ProfileField:
    key: str
    stage: str  # "entry" or "exit"
    label: dict[str, str]
    options: tuple[Option, ...]
    special_category: bool = False
    consent_version: str = ""
    consent_text: dict[str, str] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        return [option.code for option in self.options]

    def option_label(self, code: str, lang: str) -> str:
        for option in self.options:
            if option.code == code:
                return localized(option.label, lang)
        return code  # a code from an older field list keeps its meaning as a code


@dataclass(frozen=True, slots=True)
class ProfileDefinition:
    version: str
    fields: tuple[ProfileField, ...]
    source: str  # the file it was read from, for messages

    def field(self, key: str) -> ProfileField | None:
        return next((f for f in self.fields if f.key == key), None)

    def at_stage(self, stage: str) -> list[ProfileField]:
        return [f for f in self.fields if f.stage == stage]

    @property
    def special_fields(self) -> list[ProfileField]:
        return [f for f in self.fields if f.special_category]


def localized(texts: dict[str, str], lang: str) -> str:
    """The text in ``lang``, else in English (always present)."""
    return texts.get(lang) or texts.get(lang.split("-")[0]) or texts["en"]


def load_definition(path: Path | None = None) -> ProfileDefinition:
    """Read and check a definition file (the shipped default when ``path`` is None)."""
    path = path or DEFAULT_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ProfileDefinitionError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileDefinitionError(f"{path}: cannot be read ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProfileDefinitionError(f"{path}: not valid TOML ({exc})") from exc
    return parse_definition(raw, str(path))


def parse_definition(raw: dict[str, Any], source: str) -> ProfileDefinition:
    def fail(where: str, problem: str) -> ProfileDefinitionError:
        return ProfileDefinitionError(f"{source}: {where}: {problem}")

    version = raw.get("version")
    if not isinstance(version, str) or not version.strip():
        raise fail("version", 'give the version of the field list as text, e.g. version = "esf-plus-2021-2027"')
    items = raw.get("fields")
    if not isinstance(items, list) or not items:
        raise fail("fields", "list at least one field as [[fields]]")
    fields: list[ProfileField] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"fields[{index}]"
        if not isinstance(item, dict):
            raise fail(where, "must be a table with key, stage, label and options")
        key = item.get("key")
        if not isinstance(key, str) or not _KEY.match(key):
            raise fail(where + ".key", f"{key!r} must be lower-case letters, digits and _ (starting with a letter)")
        where = f"fields[{index}] ({key})"
        if key in RESERVED_KEYS:
            raise fail(where, f"{key} is built in; choose another key")
        if key in seen:
            raise fail(where, "the key is used twice")
        seen.add(key)
        stage = item.get("stage")
        if stage not in STAGES:
            raise fail(where + ".stage", f"{stage!r} must be one of {', '.join(STAGES)}")
        label = _texts(item.get("label"), fail, where + ".label")
        options_raw = item.get("options")
        if not isinstance(options_raw, list) or len(options_raw) < 2:
            raise fail(where + ".options", "list at least two options, each { code = ..., label = { en = ... } }")
        options: list[Option] = []
        for number, option in enumerate(options_raw):
            place = f"{where}.options[{number}]"
            if not isinstance(option, dict):
                raise fail(place, "must be { code = ..., label = { en = ... } }")
            code = option.get("code")
            if not isinstance(code, str) or not _CODE.match(code):
                raise fail(place + ".code", f"{code!r} must be lower-case letters, digits and _")
            if code in {o.code for o in options}:
                raise fail(place + ".code", f"{code!r} is used twice")
            options.append(Option(code=code, label=_texts(option.get("label"), fail, place + ".label")))
        special = item.get("special_category", False)
        if not isinstance(special, bool):
            raise fail(where + ".special_category", "must be true or false")
        consent_version = item.get("consent_version", "")
        consent_text: dict[str, str] = {}
        if special:
            if not isinstance(consent_version, str) or not consent_version.strip():
                raise fail(where + ".consent_version", "a special-category field needs the version of its consent text")
            if len(consent_version) > 40:
                raise fail(where + ".consent_version", "at most 40 characters")
            consent_text = _texts(item.get("consent_text"), fail, where + ".consent_text")
        unknown = set(item) - {
            "key",
            "stage",
            "label",
            "options",
            "special_category",
            "consent_version",
            "consent_text",
        }
        if unknown:
            raise fail(where, f"unknown setting {sorted(unknown)[0]!r}")
        fields.append(
            ProfileField(
                key=key,
                stage=stage,
                label=label,
                options=tuple(options),
                special_category=special,
                consent_version=consent_version.strip() if special else "",
                consent_text=consent_text,
            )
        )
    return ProfileDefinition(version=version.strip(), fields=tuple(fields), source=source)


def _texts(value: Any, fail: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not isinstance(value.get("en"), str) or not value["en"].strip():
        raise fail(where, 'give at least an English text: { en = "..." }')
    for lang, text in value.items():
        if not isinstance(text, str) or not text.strip():
            raise fail(f"{where}.{lang}", "must be a non-empty text")
    return {lang: text.strip() for lang, text in value.items()}
