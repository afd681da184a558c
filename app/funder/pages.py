"""Staff pages: a person's funder profile form and the funder report with a period picker.

Both work without JavaScript: plain forms (CSRF-protected posts, a GET period picker).
Errors are shown next to their field in the page's language; a failed form keeps what
was typed. The rules live in :mod:`app.funder.profiles` and :mod:`app.funder.report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.auth.guards import require_coordinator, require_staff, require_user
from app.funder import profiles, report
from app.funder.config import current_definition
from app.funder.controllers import csv_response, xlsx_response
from app.funder.definition import ProfileField, localized
from app.funder.errors import FunderError, Problem, ProfileInvalid
from app.i18n import LANGUAGES, translations
from app.pages import render, request_language

AnyRequest = Request[Any, Any, Any]
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True, slots=True)
class FieldView:
    """One question of the form, in the page's language."""

    key: str
    label: str
    options: list[tuple[str, str]]  # (code, label)
    value: str
    special: bool = False
    consent_version: str = ""
    consent_text: str = ""
    consent_text_theirs: str = ""  # the same text in the person's language, when it differs
    consent: profiles.ConsentRecord | None = None  # the active consent, if any
    stored_unknown: bool = False  # the stored code is not in the field list any more


@dataclass
class ProfileForm:
    entry_date: str = ""
    exit_date: str = ""
    values: dict[str, str] = field(default_factory=dict)
    consent_for: list[str] = field(default_factory=list)


def _field_view(spec: ProfileField, lang: str, value: str, profile: profiles.Profile) -> FieldView:
    active = next((c for c in profile.consents if c.field_key == spec.key and c.active), None)
    return FieldView(
        key=spec.key,
        label=localized(spec.label, lang),
        options=[(o.code, localized(o.label, lang)) for o in spec.options],
        value=value,
        special=spec.special_category,
        consent_version=spec.consent_version,
        consent_text=localized(spec.consent_text, lang) if spec.consent_text else "",
        consent_text_theirs=_theirs(spec.consent_text, lang, profile.language),
        consent=active,
        stored_unknown=bool(value) and value not in spec.codes,
    )


def _theirs(texts: dict[str, str], lang: str, theirs: str) -> str:
    """The consent text in the person's language, if the field list has it and it is not the page's."""
    if not texts or not theirs or theirs == lang or theirs not in texts:
        return ""
    return texts[theirs]


def _render_profile(
    request: AnyRequest,
    profile: profiles.Profile,
    form: ProfileForm,
    problems: dict[str, Problem] | None = None,
    status_code: int = 200,
    notice: str = "",
) -> Template:
    lang = request_language(request)
    catalog = translations(lang)
    definition = current_definition()
    errors = {
        key: catalog.gettext(p.message) % p.values if p.values else catalog.gettext(p.message)
        for key, p in (problems or {}).items()
    }
    stages = {
        stage: [_field_view(spec, lang, form.values.get(spec.key, ""), profile) for spec in definition.at_stage(stage)]
        for stage in ("entry", "exit")
    }
    labels = {spec.key: localized(spec.label, lang) for spec in definition.fields}
    response = render(
        request,
        "staff/profile.html",
        status_code=status_code,
        profile=profile,
        form=form,
        errors=errors,
        stages=stages,
        field_labels=labels,
        older_values={k: v for k, v in profile.values.items() if definition.field(k) is None},
        notice=notice,
        definition=definition,
        their_dir=LANGUAGES[profile.language].direction if profile.language in LANGUAGES else "ltr",
    )
    response.headers.update(NO_STORE)
    return response


def _form_from_profile(profile: profiles.Profile) -> ProfileForm:
    return ProfileForm(
        entry_date=profile.entry_date.isoformat() if profile.entry_date else "",
        exit_date=profile.exit_date.isoformat() if profile.exit_date else "",
        values=dict(profile.values),
    )


def _parse_form(data: dict[str, Any]) -> tuple[ProfileForm, profiles.ProfileChange | None, dict[str, Problem]]:
    definition = current_definition()
    form = ProfileForm(
        entry_date=str(data.get("entry_date", "")).strip(),
        exit_date=str(data.get("exit_date", "")).strip(),
        values={spec.key: str(data.get(spec.key, "")).strip() for spec in definition.fields},
        consent_for=[spec.key for spec in definition.special_fields if data.get(f"consent_{spec.key}") == "yes"],
    )
    problems: dict[str, Problem] = {}
    days: dict[str, date | None] = {}
    for name in ("entry_date", "exit_date"):
        text = getattr(form, name)
        try:
            days[name] = date.fromisoformat(text) if text else None
        except ValueError:
            problems[name] = Problem(profiles.MESSAGES["date"])
    if problems:
        return form, None, problems
    change = profiles.ProfileChange(
        entry_date=days["entry_date"],
        exit_date=days["exit_date"],
        values={key: value or None for key, value in form.values.items()},
        consent_for=tuple(form.consent_for),
    )
    return form, change, {}


def _error_page(request: AnyRequest, exc: FunderError) -> Template:
    catalog = translations(request_language(request))
    detail = catalog.gettext(exc.problem.message)
    if exc.problem.values:
        detail = detail % exc.problem.values
    return render(
        request, "staff/profile_error.html", status_code=exc.status_code, error_status=exc.status_code, detail=detail
    )


class FunderPages(Controller):
    path = "/staff"
    include_in_schema = False

    @get("/participants/{participant_id:int}/profile", guards=[require_staff])
    async def profile(self, request: AnyRequest, participant_id: FromPath[int], done: FromQuery[str] = "") -> Template:
        try:
            found = await profiles.read_profile(require_user(request), participant_id)
        except FunderError as exc:
            return _error_page(request, exc)
        return _render_profile(
            request, found, _form_from_profile(found), notice=done if done in ("saved", "withdrawn") else ""
        )

    @post("/participants/{participant_id:int}/profile", guards=[require_staff])
    async def save(self, request: AnyRequest, participant_id: FromPath[int]) -> Template | Redirect:
        user = require_user(request)
        data = dict(await request.form())
        form, change, problems = _parse_form(data)
        try:
            if change is None:
                current = await profiles.read_profile(user, participant_id)
                return _render_profile(request, current, form, problems, status_code=400)
            await profiles.save_profile(user, participant_id, change)
        except ProfileInvalid as exc:
            name, language = await profiles.person_details(participant_id)
            current = await profiles.load_profile(participant_id, name=name, language=language)
            return _render_profile(request, current, form, exc.problems, status_code=400)
        except FunderError as exc:
            return _error_page(request, exc)
        return Redirect(f"/staff/participants/{participant_id}/profile?done=saved", status_code=303)

    @post("/participants/{participant_id:int}/profile/consents/{field_key:str}/withdraw", guards=[require_staff])
    async def withdraw(
        self, request: AnyRequest, participant_id: FromPath[int], field_key: FromPath[str]
    ) -> Template | Redirect:
        try:
            await profiles.withdraw_consent(require_user(request), participant_id, field_key)
        except FunderError as exc:
            return _error_page(request, exc)
        return Redirect(f"/staff/participants/{participant_id}/profile?done=withdrawn", status_code=303)

    @get("/reports/funder", guards=[require_coordinator])
    async def report_page(self, request: AnyRequest, internal: FromQuery[str] = "") -> Template:
        params = request.query_params
        return await self._report_page(request, params.get("from", ""), params.get("to", ""), internal == "1")

    async def _report_page(self, request: AnyRequest, start: str, end: str, internal: bool) -> Template:
        lang = request_language(request)
        built = None
        problem = ""
        problem_field = ""
        if start or end:
            try:
                period = report.parse_period(start, end)
                built = await report.report_for(require_user(request).id, period, shared=not internal, language=lang)
            except FunderError as exc:
                catalog = translations(lang)
                problem = catalog.gettext(exc.problem.message)
                if exc.problem.values:
                    problem = problem % exc.problem.values
                problem_field = exc.field or "from"
        query = urlencode({"from": start, "to": end, **({"internal": "1"} if internal else {}), "lang": lang})
        response = render(
            request,
            "staff/funder_report.html",
            status_code=400 if problem else 200,
            report=built,
            start=start,
            end=end,
            internal=internal,
            problem=problem,
            problem_field=problem_field,
            query=query,
        )
        response.headers.update(NO_STORE)
        return response

    @get("/reports/funder.csv", guards=[require_coordinator])
    async def report_csv(self, request: AnyRequest, internal: FromQuery[str] = "") -> Response[Any]:
        built = await self._download(request, internal == "1")
        return csv_response(built) if isinstance(built, report.FunderReport) else built

    @get("/reports/funder.xlsx", guards=[require_coordinator])
    async def report_xlsx(self, request: AnyRequest, internal: FromQuery[str] = "") -> Response[Any]:
        built = await self._download(request, internal == "1")
        return xlsx_response(built) if isinstance(built, report.FunderReport) else built

    async def _download(self, request: AnyRequest, internal: bool) -> report.FunderReport | Response[Any]:
        from app.errors import json_error

        try:
            period = report.parse_period(request.query_params.get("from"), request.query_params.get("to"))
            return await report.report_for(
                require_user(request).id, period, shared=not internal, language=request_language(request)
            )
        except FunderError as exc:
            return json_error(exc.status_code, str(exc), {"field": exc.field})
