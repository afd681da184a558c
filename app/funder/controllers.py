"""HTTP API of the funder profile and the funder report.

Profiles: staff (coordinators and admins for anyone; facilitators for people in their
own activities). The report: coordinators and admins. Answers carry ``no-store``.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from app.auth.guards import require_coordinator, require_staff, require_user
from app.errors import json_error
from app.funder import profiles, report
from app.funder.config import current_definition
from app.funder.errors import FunderError, ProfileInvalid
from app.funder.schemas import (
    ConsentIn,
    DefinitionOut,
    ProfileIn,
    ProfileOut,
    ReportOut,
    ReportRowOut,
    ReportTableOut,
    definition_out,
    profile_out,
)
from app.i18n import is_supported
from app.settings import get_settings

AnyRequest = Request[Any, Any, Any]
PRIVATE = {"Cache-Control": "no-store"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

From = Annotated[str | None, QueryParameter(name="from", description="First day, YYYY-MM-DD (included).")]
To = Annotated[str | None, QueryParameter(name="to", description="Last day, YYYY-MM-DD (included).")]
Internal = Annotated[
    bool,
    QueryParameter(
        name="internal",
        description="true: every count shown, for the project only (audited). "
        "Default: counts from 1 to 4 shown as <5, for sharing with the funder.",
    ),
]
Lang = Annotated[str | None, QueryParameter(name="lang", description="Language of the labels, e.g. de or en.")]


def funder_error_handler(request: AnyRequest, exc: FunderError) -> Response[Any]:
    """JSON for the API; the pages catch their own errors."""
    extra: dict[str, Any] | None = {"field": exc.field} if exc.field else None
    if isinstance(exc, ProfileInvalid):
        extra = {"field": exc.field, "problems": {key: p.text() for key, p in exc.problems.items()}}
    return json_error(exc.status_code, str(exc), extra)


def _language(lang: str | None) -> str:
    return lang if is_supported(lang) and lang else get_settings().default_language


class FunderProfileController(Controller):
    path = "/api/v1"
    tags = ["funder"]
    guards = [require_staff]
    exception_handlers = {FunderError: funder_error_handler}

    @get("/funder/profile-fields", operation_id="funderProfileFields")
    async def fields(self, lang: Lang = None) -> DefinitionOut:
        """The profile's field list in use (the shipped ESF Plus list or the programme's own)."""
        return definition_out(current_definition(), _language(lang))

    @get("/participants/{participant_id:int}/profile", operation_id="getFunderProfile")
    async def read(self, request: AnyRequest, participant_id: FromPath[int]) -> Response[ProfileOut]:
        """A person's funder profile (audited). ``exists`` is false when nothing is recorded yet."""
        profile = await profiles.read_profile(require_user(request), participant_id)
        return Response(profile_out(profile), headers=PRIVATE)

    @put("/participants/{participant_id:int}/profile", operation_id="putFunderProfile")
    async def save(self, request: AnyRequest, participant_id: FromPath[int], data: JSONBody[ProfileIn]) -> ProfileOut:
        """Replace the profile. Every value is checked against the field list; a special-category
        value (e.g. disability) needs the person's explicit consent on record first."""
        change = profiles.ProfileChange(entry_date=data.entry_date, exit_date=data.exit_date, values=dict(data.values))
        return profile_out(await profiles.save_profile(require_user(request), participant_id, change))

    @delete("/participants/{participant_id:int}/profile", operation_id="deleteFunderProfile", status_code=204)
    async def remove(self, request: AnyRequest, participant_id: FromPath[int]) -> None:
        """Delete the profile and its consent records (audited)."""
        await profiles.delete_profile(require_user(request), participant_id)

    @post("/participants/{participant_id:int}/profile/consents", operation_id="recordSpecialConsent", status_code=201)
    async def consent(
        self, request: AnyRequest, participant_id: FromPath[int], data: JSONBody[ConsentIn]
    ) -> ProfileOut:
        """Record the person's explicit consent for a special-category field (the current text version,
        now, by you)."""
        return profile_out(await profiles.record_consent(require_user(request), participant_id, data.field))

    @delete(
        "/participants/{participant_id:int}/profile/consents/{field_key:str}",
        operation_id="withdrawSpecialConsent",
        status_code=200,
    )
    async def withdraw(
        self, request: AnyRequest, participant_id: FromPath[int], field_key: FromPath[str]
    ) -> ProfileOut:
        """The person withdraws that consent: it is marked withdrawn and the value is deleted."""
        return profile_out(await profiles.withdraw_consent(require_user(request), participant_id, field_key))


class FunderReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]
    guards = [require_coordinator]
    exception_handlers = {FunderError: funder_error_handler}

    @get("/funder", operation_id="funderReport")
    async def as_json(
        self, request: AnyRequest, start: From = None, end: To = None, internal: Internal = False, lang: Lang = None
    ) -> Response[ReportOut]:
        """The funder report for a period as JSON tables (see ``docs/privacy.md`` for suppression)."""
        built = await _build(request, start, end, internal, lang)
        out = ReportOut(
            start=built.period.start,
            end=built.period.end,
            shared=built.shared,
            language=built.language,
            tables=[
                ReportTableOut(
                    key=t.key,
                    title=t.title,
                    columns=t.columns,
                    rows=[ReportRowOut(r.label, r.values, r.code) for r in t.rows],
                    total=ReportRowOut(t.total.label, t.total.values, t.total.code) if t.total else None,
                )
                for t in built.tables
            ],
        )
        return Response(out, headers=PRIVATE)

    @get("/funder.csv", operation_id="funderReportCsv", media_type="text/csv; charset=utf-8")
    async def as_csv(
        self, request: AnyRequest, start: From = None, end: To = None, internal: Internal = False, lang: Lang = None
    ) -> Response[str]:
        """The funder report as CSV: a heading block, then each table after a blank line."""
        built = await _build(request, start, end, internal, lang)
        return csv_response(built)

    @get("/funder.xlsx", operation_id="funderReportXlsx", media_type=XLSX)
    async def as_xlsx(
        self, request: AnyRequest, start: From = None, end: To = None, internal: Internal = False, lang: Lang = None
    ) -> Response[bytes]:
        """The funder report as an Excel workbook, one sheet per table."""
        built = await _build(request, start, end, internal, lang)
        return xlsx_response(built)


async def _build(request: AnyRequest, start: str | None, end: str | None, internal: bool, lang: str | None) -> Any:
    period = report.parse_period(start, end)
    return await report.report_for(require_user(request).id, period, shared=not internal, language=_language(lang))


def csv_response(built: report.FunderReport) -> Response[str]:
    return Response(
        report.report_csv(built),
        media_type="text/csv; charset=utf-8",
        headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{report.report_filename(built)}.csv"'},
    )


def xlsx_response(built: report.FunderReport) -> Response[bytes]:
    return Response(
        report.report_xlsx(built),
        media_type=XLSX,
        headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{report.report_filename(built)}.xlsx"'},
    )


__all__ = ["FunderProfileController", "FunderReportController"]
