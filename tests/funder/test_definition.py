"""The profile's field list: the shipped default, a programme's own file, and bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.funder.definition import DEFAULT_FILE, ProfileDefinitionError, load_definition
from app.settings import SettingsError, load_settings

GOOD = """
version = "programme-2027"

[[fields]]
key = "age_band"
stage = "entry"
label = { en = "Age", de = "Alter" }
options = [
  { code = "young", label = { en = "under 30" } },
  { code = "older", label = { en = "30 or older" } },
]
"""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "TREFFPUNKT_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "TREFFPUNKT_SECRET_KEY": "s" * 32,
        **{f"TREFFPUNKT_{k}": v for k, v in extra.items()},
    }


def test_the_shipped_field_list_has_the_esf_indicators() -> None:
    definition = load_definition(DEFAULT_FILE)
    keys = [f.key for f in definition.fields]
    assert keys == [
        "age_band",
        "gender",
        "employment_at_entry",
        "education",
        "foreign_background",
        "disability",
        "situation_at_exit",
    ]
    assert [f.key for f in definition.special_fields] == ["disability"]
    assert definition.field("situation_at_exit").stage == "exit"  # type: ignore[union-attr]
    assert definition.field("situation_at_exit").codes == [  # type: ignore[union-attr]
        "employment",
        "education_training",
        "job_seeking",
        "other",
    ]


def test_a_programme_file_in_the_settings_is_used(tmp_path: Path) -> None:
    own = tmp_path / "profile.toml"
    own.write_text(GOOD)
    settings = load_settings(_env(tmp_path, FUNDER_PROFILE_FILE=str(own)))
    assert settings.funder_profile_file == own.resolve()
    assert load_definition(settings.funder_profile_file).version == "programme-2027"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("version = 1", "version"),
        ('version = "x"\n[[fields]]\nkey = "Bad Key"', "fields[0].key"),
        (GOOD.replace('stage = "entry"', 'stage = "middle"'), "fields[0] (age_band).stage"),
        (GOOD.replace('code = "older"', 'code = "young"'), "is used twice"),
        (GOOD.replace('label = { en = "Age", de = "Alter" }', 'label = { de = "Alter" }'), "English text"),
        (GOOD.replace('stage = "entry"', 'stage = "entry"\nspecial_category = true'), "consent_version"),
        (GOOD.replace('key = "age_band"', 'key = "entry_date"'), "built in"),
        (GOOD.replace('stage = "entry"', 'stage = "entry"\ncolour = "red"'), "unknown setting 'colour'"),
        ("version = [", "not valid TOML"),
    ],
)
def test_a_bad_file_stops_the_start_with_one_line_naming_the_problem(tmp_path: Path, text: str, problem: str) -> None:
    own = tmp_path / "profile.toml"
    own.write_text(text)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env(tmp_path, FUNDER_PROFILE_FILE=str(own)))
    message = str(caught.value)
    assert message.startswith("TREFFPUNKT_FUNDER_PROFILE_FILE: ") and problem in message
    assert "\n" not in message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="no such file"):
        load_settings(_env(tmp_path, FUNDER_PROFILE_FILE=str(tmp_path / "nope.toml")))


def test_data_keys_must_be_fernet_keys(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    assert load_settings(_env(tmp_path, DATA_KEYS=f"{key}, {key}")).data_keys == (key, key)
    with pytest.raises(SettingsError, match="TREFFPUNKT_DATA_KEYS: key 2 is not a Fernet key"):
        load_settings(_env(tmp_path, DATA_KEYS=f"{key},not-a-key"))


def test_a_file_without_the_bad_parts_is_rejected_before_it_is_used() -> None:
    with pytest.raises(ProfileDefinitionError):
        load_definition(Path("/nonexistent/profile.toml"))


def test_the_command_line_stops_with_one_line_for_a_bad_file(tmp_path: Path) -> None:
    from tests.app.test_cli import assert_one_line_error, treffpunkt

    own = tmp_path / "profile.toml"
    own.write_text(GOOD.replace('stage = "entry"', 'stage = "later"'))
    result = treffpunkt("migrate", env={"TREFFPUNKT_FUNDER_PROFILE_FILE": str(own)})
    assert_one_line_error(result, 2, "TREFFPUNKT_FUNDER_PROFILE_FILE", "stage", "'later'")
