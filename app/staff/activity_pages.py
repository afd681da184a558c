"""Staff pages for activities: the list, one activity with its sessions, and the form with the
recurrence builder (``/staff/activities``, ``/staff/activities/new``, ``/staff/activities/{id}/edit``).

Everything works without JavaScript. The form has two submit buttons: "Show the dates"
renders the same form with the rule in words and the next dates, "Save" saves through
``scheduling.services`` (the functions the JSON API calls) and leads to the activity.
Editing the dates of a series applies them from a chosen date on; the services keep the
sessions before it as they were (the series is split, ``continues_id``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from piccolo.query.functions.aggregate import Count

from app.auth.guards import current_user, require_coordinator, require_staff
from app.auth.roles import Role
from app.auth.tables import StaffUser
from app.formatting import KIND_ICONS, babel_locale, local_day, local_time
from app.i18n import LANGUAGES, translations
from app.pages import N_, gettext_functions, render, request_language
from app.settings import get_settings
from app.staff.activity_form import (
    FIELD_ERRORS,
    NEW_KINDS,
    TEXT_LANGUAGES,
    ActivityForm,
    CheckedActivity,
    FormErrors,
    check,
    error_for,
    is_empty,
    update_for,
)
from scheduling import services
from scheduling.errors import InvalidActivity
from scheduling.kinds import ActivityKind, SessionStatus
from scheduling.languages import pick_text
from scheduling.recurrence import WEEKDAYS, Schedule, build_schedule, to_local, to_utc
from scheduling.recurrence_builder import ERRORS, Words, describe, form_from_schedule, next_dates, parse_when
from scheduling.schemas import ActivityOut
from scheduling.tables import Activity, Session

AnyRequest = Request[Any, Any, Any]
PREVIEW_DATES = 10
STATUS_LABELS = {
    "published": N_("Published"),
    "proposed": N_("Waiting for approval"),
    "declined": N_("Declined"),
    "withdrawn": N_("Withdrawn"),
}
COMMON_ZONES = (
    "Europe/Berlin",
    "Europe/Vienna",
    "Europe/Zurich",
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/Paris",
    "Europe/London",
    "Europe/Istanbul",
    "Europe/Kyiv",
    "UTC",
)


def words_for(lang: str) -> Words:
    gettext, ngettext = gettext_functions(translations(lang))
    return Words(gettext, ngettext, babel_locale(lang))


def schedule_of(activity: ActivityOut) -> Schedule:
    return build_schedule(
        timezone=activity.timezone,
        start=activity.start,
        duration_minutes=activity.duration_minutes,
        rrule_text=activity.rrule,
        exdates=activity.exdates,
        rdates=activity.rdates,
    )


def rule_in_words(activity: ActivityOut, lang: str) -> str:
    """The series in a sentence; the raw rule when the builder cannot say it."""
    schedule = schedule_of(activity)
    form = form_from_schedule(schedule)
    if form is None:
        return activity.rrule or activity.start
    return describe(parse_when(form), words_for(lang))


def status_labeller(lang: str) -> Any:
    gettext = gettext_functions(translations(lang))[0]
    return lambda status: gettext(STATUS_LABELS.get(status, status))


def is_coordinator(request: AnyRequest) -> bool:
    user = current_user(request)
    return user is not None and user.has_role(Role.coordinator)


async def facilitator_choices() -> list[dict[str, Any]]:
    """Active facilitators and coordinators who can be assigned to run an activity."""
    return (
        await StaffUser.select(StaffUser.id, StaffUser.name, StaffUser.email)
        .where(StaffUser.active.eq(True), StaffUser.role.is_in([Role.facilitator.value, Role.coordinator.value]))
        .order_by(StaffUser.name)
    )


async def upcoming_counts(activity_ids: list[int], now: datetime) -> dict[int, int]:
    """How many scheduled sessions each activity has from now on."""
    if not activity_ids:
        return {}
    rows = (
        await Session.select(Session.activity, Count(Session.id, alias="upcoming"))
        .where(
            Session.activity.is_in(activity_ids),
            Session.starts_at >= now,
            Session.status == SessionStatus.scheduled.value,
        )
        .group_by(Session.activity)
    )
    return {int(row["activity"]): int(row["upcoming"]) for row in rows}


async def successor_of(activity_id: int) -> int | None:
    """The activity that carries this series on after its dates were changed, if any."""
    row = await Activity.select(Activity.id).where(Activity.continues == activity_id).first()
    return int(row["id"]) if row else None


@dataclass(frozen=True, slots=True)
class PreviewDate:
    day: str
    starts: str
    ends: str
    closed: bool


@dataclass(frozen=True, slots=True)
class Preview:
    sentence: str
    dates: list[PreviewDate]
    total: int | None


async def preview_of(checked: CheckedActivity, lang: str, now: datetime) -> Preview:
    schedule = checked.schedule
    upcoming, total = next_dates(schedule, after=now, limit=PREVIEW_DATES)
    closed = {closure.day for closure in await services.list_closures()}
    zone = schedule.zone.key
    dates = []
    for local in upcoming:
        starts = to_utc(local, schedule.zone)
        dates.append(
            PreviewDate(
                day=local_day(starts, zone, lang),
                starts=local_time(starts, zone, lang),
                ends=local_time(starts + schedule.duration, zone, lang),
                closed=local.date() in closed,
            )
        )
    return Preview(sentence=describe(checked.when, words_for(lang)), dates=dates, total=total)


class StaffActivityPages(Controller):
    path = "/staff/activities"
    include_in_schema = False

    # --- reading ---------------------------------------------------------------------------

    @get("/", guards=[require_staff])
    async def list_page(self, request: AnyRequest, kind: FromQuery[str] = "") -> Template:
        """Every activity by kind, with its rule in words and how many sessions are still ahead."""
        lang = request_language(request)
        fallback = get_settings().default_language
        chosen = kind if kind in {k.value for k in ActivityKind} else ""
        activities = await services.list_activities(
            services.ActivityFilter(kind=chosen or None, include_unpublished=True, limit=1000), staff=True
        )
        counts = await upcoming_counts([a.id for a in activities], datetime.now(UTC))
        groups: dict[str, list[dict[str, Any]]] = {k.value: [] for k in ActivityKind}
        for activity in activities:
            groups[activity.kind.value].append(
                {
                    "id": activity.id,
                    "title": pick_text(activity.title, lang, [fallback, *activity.languages]),
                    "status": activity.status.value,
                    "when": rule_in_words(activity, lang),
                    "next": (
                        f"{local_day(activity.next_session_at, activity.timezone, lang)}, "
                        f"{local_time(activity.next_session_at, activity.timezone, lang)}"
                        if activity.next_session_at
                        else ""
                    ),
                    "upcoming": counts.get(activity.id, 0),
                    "languages": activity.languages,
                }
            )
        return render(
            request,
            "staff/activities.html",
            groups={name: items for name, items in groups.items() if items},
            kinds=[k.value for k in ActivityKind],
            chosen=chosen,
            icons=KIND_ICONS,
            status_label=status_labeller(lang),
            may_edit=is_coordinator(request),
        )

    @get("/{activity_id:int}", guards=[require_staff])
    async def show(
        self, request: AnyRequest, activity_id: FromPath[int], past: FromQuery[str] = "", saved: FromQuery[str] = ""
    ) -> Template:
        """One activity, its rule in words and its sessions (upcoming; ``?past=1`` for all)."""
        lang = request_language(request)
        activity = await services.get_activity(activity_id, include_unpublished=True, staff=True)
        now = datetime.now(UTC)
        show_past = past == "1"
        sessions = await services.list_activity_sessions(activity_id, start=None if show_past else now, limit=1000)
        zone = activity.timezone
        rows = [
            {
                "id": s.id,
                "day": local_day(s.starts_at, zone, lang),
                "starts": local_time(s.starts_at, zone, lang),
                "ends": local_time(s.ends_at, zone, lang),
                "status": s.status.value,
                "cancel_reason": s.cancel_reason,
                "confirmed": s.confirmed,
                "capacity": s.capacity,
                "waitlisted": s.waitlisted,
                "over": s.ends_at < now,
            }
            for s in sessions
        ]
        successor = await successor_of(activity_id)
        fallback = get_settings().default_language
        return render(
            request,
            "staff/activities_show.html",
            activity=activity,
            title=pick_text(activity.title, lang, [fallback, *activity.languages]),
            description=pick_text(activity.description, lang, [fallback, *activity.languages]),
            when=rule_in_words(activity, lang),
            icon=KIND_ICONS.get(activity.kind.value, ""),
            sessions=rows,
            show_past=show_past,
            successor=successor,
            saved=saved == "1",
            status_label=status_labeller(lang),
            may_edit=is_coordinator(request),
        )

    # --- the form --------------------------------------------------------------------------

    async def _form_page(
        self,
        request: AnyRequest,
        form: ActivityForm,
        *,
        activity: ActivityOut | None,
        errors: dict[str, str] | None = None,
        preview: Preview | None = None,
        status_code: int = 200,
        raw_rule: str = "",
    ) -> Template:
        lang = request_language(request)
        gettext = gettext_functions(translations(lang))[0]
        errors = errors or {}
        field_errors = {name: gettext(FIELD_ERRORS.get(key, ERRORS.get(key, key))) for name, key in errors.items()}
        settings = get_settings()
        weekday_names = words_for(lang)
        return render(
            request,
            "staff/activities_form.html",
            status_code=status_code,
            form=form,
            activity=activity,
            errors=field_errors,
            preview=preview,
            raw_rule=raw_rule,
            kinds=[k.value for k in (NEW_KINDS if activity is None else ActivityKind)],
            text_languages=[LANGUAGES[code] for code in TEXT_LANGUAGES],
            default_language=settings.default_language,
            weekdays=[(code, weekday_names.weekday(code)) for code in WEEKDAYS],
            zones=COMMON_ZONES,
            staff_choices=await facilitator_choices(),
            action=f"/staff/activities/{activity.id}/edit" if activity else "/staff/activities/new",
            others_open=any(
                code != settings.default_language
                for code in [*form.titles, *form.descriptions, *(name.split("_", 1)[-1] for name in errors)]
                if code in LANGUAGES
            ),
        )

    @get("/new", guards=[require_coordinator])
    async def new_form(self, request: AnyRequest) -> Template:
        settings = get_settings()
        form = ActivityForm.blank(timezone=settings.timezone, language=settings.default_language)
        return await self._form_page(request, form, activity=None)

    @post("/new", guards=[require_coordinator], status_code=200)
    async def create(self, request: AnyRequest) -> Template | Redirect:
        """ "Show the dates" previews; "Save" creates the activity with its sessions."""
        settings = get_settings()
        posted = await request.form()
        form = ActivityForm.from_post(posted)
        lang = request_language(request)
        try:
            checked = check(form, default_language=settings.default_language, new=True)
        except FormErrors as caught:
            return await self._form_page(request, form, activity=None, errors=caught.errors, status_code=400)
        preview = await preview_of(checked, lang, datetime.now(UTC))
        if posted.get("action") != "save":
            return await self._form_page(request, form, activity=None, preview=preview)
        try:
            created = await services.create_activity(checked.create(), default_timezone=settings.timezone)
        except InvalidActivity as error:
            errors = error_for(error)
            return await self._form_page(request, form, activity=None, errors=errors, preview=preview, status_code=400)
        return Redirect(f"/staff/activities/{created.id}?saved=1", status_code=303)

    @get("/{activity_id:int}/edit", guards=[require_coordinator])
    async def edit_form(self, request: AnyRequest, activity_id: FromPath[int]) -> Template:
        activity = await services.get_activity(activity_id, include_unpublished=True, staff=True)
        schedule = schedule_of(activity)
        today = to_local(datetime.now(UTC), schedule.zone).date()
        form = ActivityForm.of_activity(activity, schedule, from_date=today)
        raw_rule = "" if form_from_schedule(schedule) else (activity.rrule or "")
        return await self._form_page(request, form, activity=activity, raw_rule=raw_rule)

    @post("/{activity_id:int}/edit", guards=[require_coordinator], status_code=200)
    async def update(self, request: AnyRequest, activity_id: FromPath[int]) -> Template | Redirect:
        """Save the changes; dates change from the chosen day on, earlier sessions stay as they were."""
        settings = get_settings()
        activity = await services.get_activity(activity_id, include_unpublished=True, staff=True)
        posted = await request.form()
        form = ActivityForm.from_post(posted)
        form.kind = activity.kind.value  # the kind of an activity stays; create another one instead
        lang = request_language(request)
        old = schedule_of(activity)
        errors: dict[str, str] = {}
        from_date = _date(form.from_date)
        if from_date is None:
            errors["from_date"] = "from_date"
        try:
            checked = check(form, default_language=settings.default_language, new=False)
        except FormErrors as caught:
            errors.update(caught.errors)
        if errors:
            return await self._form_page(request, form, activity=activity, errors=errors, status_code=400)
        assert from_date is not None
        preview = await preview_of(checked, lang, datetime.now(UTC))
        if posted.get("action") != "save":
            return await self._form_page(request, form, activity=activity, preview=preview)
        cut = to_utc(datetime.combine(from_date, time(0)), old.zone)
        earlier = len(await services.list_activity_sessions(activity_id, end=cut, limit=1000))
        change = update_for(checked, activity, old, from_date=from_date, earlier_sessions=earlier)
        if is_empty(change):
            return Redirect(f"/staff/activities/{activity_id}", status_code=303)
        try:
            result = await services.update_activity(activity_id, change)
        except InvalidActivity as error:
            return await self._form_page(
                request, form, activity=activity, errors=error_for(error), preview=preview, status_code=400
            )
        return Redirect(f"/staff/activities/{result.id}?saved=1", status_code=303)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None
