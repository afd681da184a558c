"""The activity form of the staff pages: typed fields in, the services' shapes out, errors by field.

A form never fails to parse: every field arrives as a string (or a list of strings for
checkboxes), is checked here, and each mistake becomes a message next to its field in
the reader's language. What passes becomes an :class:`ActivityCreate` or an
:class:`ActivityUpdate`, saved through the same service functions the JSON API calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from litestar.datastructures import FormMultiDict
from msgspec import UNSET

from app.i18n import LANGUAGES
from app.pages import N_
from scheduling.errors import InvalidActivity, NonexistentTime
from scheduling.kinds import KIND_DEFAULTS, ActivityKind
from scheduling.recurrence import Schedule, build_schedule
from scheduling.recurrence_builder import ERRORS, When, WhenErrors, WhenForm, form_from_schedule, parse_when
from scheduling.schemas import ActivityCreate, ActivityOut, ActivityUpdate, VenueIn

# Titles and descriptions may be given in every language we have pages for.
TEXT_LANGUAGES = tuple(LANGUAGES)
# Kinds staff create here; company visits come from employers' slots (and are edited here).
NEW_KINDS = (ActivityKind.small_group, ActivityKind.cafe, ActivityKind.coaching)

FIELD_ERRORS = {
    **ERRORS,
    "kind": N_("Choose what kind of activity it is."),
    "title": N_("Write a title, at most 200 characters."),
    "title_other": N_("A title has at most 200 characters."),
    "description": N_("A description has at most 5000 characters."),
    "languages": N_("Tick at least one language spoken there."),
    "capacity": N_("Write a number of places from 1 to 100000, or leave it empty for no limit."),
    "timezone": N_("This is not a known time zone; write it like Europe/Berlin."),
    "venue_name": N_("The place's name has at most 200 characters."),
    "venue_address": N_("The address has at most 500 characters."),
    "venue_accessibility": N_("At most 1000 characters."),
    "from_date": N_("Write the date from which the changes apply, for example 2026-11-01."),
    "from_date_over": N_("This single date is over; it can no longer be changed."),
    "start_gap": N_("This time does not exist on that day: the clocks jump forward. Choose another time."),
    "start_after_cut": N_("With earlier sessions kept, the changed series must start on or after this date."),
    "too_many": N_("This gives more than 1000 sessions; end the series sooner."),
    "no_dates": N_("These settings give no date at all; check the weekdays and the end."),
    "all_skipped": N_("Every date of the series is skipped."),
    "single_date": N_("A company visit takes place once; create one visit per date."),
}


@dataclass
class ActivityForm:
    """Everything the form posts, as typed."""

    kind: str = ActivityKind.small_group.value
    titles: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    languages: list[str] = field(default_factory=list)
    venue_name: str = ""
    venue_address: str = ""
    venue_accessibility: str = ""
    capacity: str = ""
    waitlist: bool = True
    timezone: str = ""
    facilitators: list[str] = field(default_factory=list)
    when: WhenForm = field(default_factory=WhenForm)
    from_date: str = ""

    @classmethod
    def from_post(cls, form: FormMultiDict) -> ActivityForm:
        def text(name: str) -> str:
            value = form.get(name)
            return value if isinstance(value, str) else ""

        def texts(name: str) -> list[str]:
            return [value for value in form.getall(name, []) if isinstance(value, str)]

        return cls(
            kind=text("kind"),
            titles={code: text(f"title_{code}") for code in TEXT_LANGUAGES if text(f"title_{code}").strip()},
            descriptions={
                code: text(f"description_{code}") for code in TEXT_LANGUAGES if text(f"description_{code}").strip()
            },
            languages=texts("languages"),
            venue_name=text("venue_name"),
            venue_address=text("venue_address"),
            venue_accessibility=text("venue_accessibility"),
            capacity=text("capacity"),
            waitlist=text("waitlist") in ("on", "1", "yes", "true"),
            timezone=text("timezone"),
            facilitators=texts("facilitators"),
            when=WhenForm(
                pattern=text("pattern"),
                weekdays=texts("weekdays"),
                interval=text("interval") or "1",
                month_week=text("month_week"),
                month_weekday=text("month_weekday"),
                start_date=text("start_date"),
                start_time=text("start_time"),
                end_time=text("end_time"),
                end=text("end"),
                until=text("until"),
                count=text("count"),
                skipped=text("skipped"),
            ),
            from_date=text("from_date"),
        )

    @classmethod
    def blank(cls, *, timezone: str, language: str) -> ActivityForm:
        defaults = KIND_DEFAULTS[ActivityKind.small_group]
        return cls(
            capacity=str(defaults.capacity or ""),
            waitlist=defaults.waitlist,
            timezone=timezone,
            languages=[language],
            when=WhenForm(pattern="weekly", end="until"),
        )

    @classmethod
    def of_activity(cls, activity: ActivityOut, schedule: Schedule, *, from_date: date) -> ActivityForm:
        venue = activity.venue
        return cls(
            kind=activity.kind.value,
            titles=dict(activity.title),
            descriptions=dict(activity.description),
            languages=list(activity.languages),
            venue_name=venue.name if venue else "",
            venue_address=venue.address if venue else "",
            venue_accessibility=venue.accessibility if venue else "",
            capacity="" if activity.capacity is None else str(activity.capacity),
            waitlist=activity.waitlist,
            timezone=activity.timezone,
            facilitators=[str(user_id) for user_id in activity.facilitator_ids or []],
            when=form_from_schedule(schedule) or _times_only(schedule),
            from_date=from_date.isoformat(),
        )


def _times_only(schedule: Schedule) -> WhenForm:
    """For a rule the builder cannot express: at least the first date and the hours, to start from."""
    start, end = schedule.start_local, schedule.start_local + schedule.duration
    return WhenForm(
        pattern="",
        start_date=start.date().isoformat(),
        start_time=start.strftime("%H:%M"),
        end_time=end.strftime("%H:%M") if end.date() == start.date() else "",
        end="",
    )


@dataclass(frozen=True, slots=True)
class CheckedActivity:
    """A form that passed every check, in the services' terms."""

    kind: ActivityKind
    title: dict[str, str]
    description: dict[str, str]
    languages: list[str]
    venue: VenueIn | None
    capacity: int | None
    waitlist: bool
    timezone: str
    facilitator_ids: list[int]
    when: When
    schedule: Schedule

    def create(self) -> ActivityCreate:
        return ActivityCreate(
            kind=self.kind,
            title=self.title,
            description=self.description,
            start=self.when.start_local,
            languages=self.languages,
            timezone=self.timezone,
            duration_minutes=self.when.duration_minutes,
            rrule=self.when.rrule(),
            exdates=self.when.exdates,
            capacity=self.capacity,
            waitlist=self.waitlist,
            venue=self.venue,
            facilitator_ids=self.facilitator_ids,
        )


class FormErrors(Exception):
    """``errors`` maps a form field to the key of its message in :data:`FIELD_ERRORS`."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def _key_of(message: str) -> str:
    return next((key for key, text in FIELD_ERRORS.items() if text == message), "pattern")


def check(form: ActivityForm, *, default_language: str, new: bool) -> CheckedActivity:
    """Every field checked at once; raises :class:`FormErrors` naming each wrong field."""
    errors: dict[str, str] = {}
    kinds = NEW_KINDS if new else tuple(ActivityKind)
    kind = next((k for k in kinds if k.value == form.kind), None)
    if kind is None:
        errors["kind"] = "kind"
    titles = {code: text.strip() for code, text in form.titles.items() if code in TEXT_LANGUAGES and text.strip()}
    if not titles.get(default_language) or len(titles[default_language]) > 200:
        errors[f"title_{default_language}"] = "title"
    for code, text in titles.items():
        if code != default_language and len(text) > 200:
            errors[f"title_{code}"] = "title_other"
    descriptions = {code: text.strip() for code, text in form.descriptions.items() if code in TEXT_LANGUAGES}
    for code, text in descriptions.items():
        if len(text) > 5000:
            errors[f"description_{code}"] = "description"
    languages = [code for code in LANGUAGES if code in form.languages]
    if not languages:
        errors["languages"] = "languages"
    capacity: int | None = None
    if form.capacity.strip():
        text = form.capacity.strip()
        if not text.isdigit() or not 1 <= int(text) <= 100_000:
            errors["capacity"] = "capacity"
        else:
            capacity = int(text)
    for name, limit in (("venue_name", 200), ("venue_address", 500), ("venue_accessibility", 1000)):
        if len(getattr(form, name).strip()) > limit:
            errors[name] = name
    facilitator_ids = [int(value) for value in form.facilitators if value.isdigit() and len(value) < 10]
    when: When | None = None
    try:
        when = parse_when(form.when)
    except WhenErrors as caught:
        errors.update({name: _key_of(message) for name, message in caught.errors.items()})
    if kind is ActivityKind.company_visit and when is not None and when.pattern != "once":
        errors["pattern"] = "single_date"
    schedule: Schedule | None = None
    if when is not None:
        try:
            schedule = schedule_for(when, form.timezone.strip())
        except FormErrors as caught:
            errors.update(caught.errors)
    if errors:
        raise FormErrors(errors)
    assert kind is not None and when is not None and schedule is not None
    venue = None
    if form.venue_name.strip():
        venue = VenueIn(
            name=form.venue_name.strip(),
            address=form.venue_address.strip(),
            accessibility=form.venue_accessibility.strip(),
        )
    return CheckedActivity(
        kind=kind,
        title=titles,
        description={code: text for code, text in descriptions.items() if text},
        languages=languages,
        venue=venue,
        capacity=capacity,
        waitlist=form.waitlist,
        timezone=schedule.zone.key,
        facilitator_ids=facilitator_ids,
        when=when,
        schedule=schedule,
    )


def schedule_for(when: When, timezone: str, *, start: str | None = None) -> Schedule:
    """The schedule the services would build, with their refusals as form errors."""
    try:
        return build_schedule(
            timezone=timezone,
            start=start or when.start_local,
            duration_minutes=when.duration_minutes,
            rrule_text=when.rrule(),
            exdates=when.exdates,
        )
    except InvalidActivity as error:
        raise FormErrors(error_for(error)) from None


def error_for(error: InvalidActivity) -> dict[str, str]:
    """A domain error of the activity services, as a form field and its message key."""
    text = str(error)
    if isinstance(error, NonexistentTime):
        return {"start_time": "start_gap"}
    if error.field == "timezone":
        return {"timezone": "timezone"}
    if error.field == "start" and "must start on or after" in text:
        return {"start_date": "start_after_cut"}
    if error.field in ("start", "duration_minutes"):
        return {"start_date": "start_date"}
    if error.field == "exdates":
        return {"skipped": "all_skipped"}
    if error.field == "from_date":
        return {"from_date": "from_date_over"}
    if error.field == "rrule":
        if "company visit" in text:
            return {"pattern": "single_date"}
        if "more than" in text:
            return {"until": "too_many"}
        return {"pattern": "no_dates"}
    if error.field == "capacity":
        return {"capacity": "capacity"}
    if error.field == "languages":
        return {"languages": "languages"}
    if error.field == "title":
        return {"title_de": "title"}
    return {"pattern": "no_dates"}


def update_for(
    checked: CheckedActivity, activity: ActivityOut, old: Schedule, *, from_date: date, earlier_sessions: int
) -> ActivityUpdate:
    """Only what changed, schedule changes applying from ``from_date`` on (the services split the series)."""
    changes: dict[str, Any] = {}
    if checked.title != activity.title:
        changes["title"] = checked.title
    if checked.description != activity.description:
        changes["description"] = checked.description
    if checked.languages != activity.languages:
        changes["languages"] = checked.languages
    if checked.capacity != activity.capacity:
        changes["capacity"] = checked.capacity
    if checked.waitlist != activity.waitlist:
        changes["waitlist"] = checked.waitlist
    old_venue = activity.venue
    old_venue_in = VenueIn(old_venue.name, old_venue.address, old_venue.accessibility) if old_venue else None
    if checked.venue != old_venue_in:
        changes["venue"] = checked.venue
    if sorted(checked.facilitator_ids) != sorted(activity.facilitator_ids or []):
        changes["facilitator_ids"] = checked.facilitator_ids
    new = checked.schedule
    if new.zone.key != old.zone.key:
        changes["timezone"] = new.zone.key
    if new.duration != old.duration:
        changes["duration_minutes"] = checked.when.duration_minutes
    if sorted(new.exdates) != sorted(old.exdates):
        changes["exdates"] = checked.when.exdates
    rule_changed = checked.when.rrule() != _builder_rule(old)
    if rule_changed:
        rrule = checked.when.rrule()
        if rrule and checked.when.count is not None and earlier_sessions:
            # The form shows the whole series' length; the part from the cut on has the rest.
            remaining = max(1, checked.when.count - earlier_sessions)
            rrule = rrule.replace(f"COUNT={checked.when.count}", f"COUNT={remaining}")
        changes["rrule"] = rrule
    if new.start_local != old.start_local or "timezone" in changes:
        start = new.start_local
        if earlier_sessions and start.date() < from_date:
            start = start.replace(year=from_date.year, month=from_date.month, day=from_date.day)
        changes["start"] = start.strftime("%Y-%m-%dT%H:%M")
    return ActivityUpdate(from_date=from_date, **changes) if changes else ActivityUpdate()


def _builder_rule(schedule: Schedule) -> str | None:
    """A stored rule as the builder writes it, so equal rules compare equal (``FREQ=WEEKLY`` on a
    Thursday is ``FREQ=WEEKLY;BYDAY=TH``); a rule the builder cannot express stays as stored."""
    form = form_from_schedule(schedule)
    if form is not None:
        try:
            return parse_when(form).rrule()
        except WhenErrors:
            pass
    return schedule.rule.text if schedule.rule else None


def is_empty(update: ActivityUpdate) -> bool:
    return all(getattr(update, name) is UNSET for name in update.__struct_fields__ if name != "from_date")
