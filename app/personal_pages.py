"""Pages behind a personal link: sign-up posts, "my registration", QR code, cancel, my details.

Every page here works without JavaScript. Pages carrying a personal token in their URL
are never cached and send no referrer, so the token does not leak to other sites.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from app.formatting import KIND_ICONS, local_day, local_time
from app.pages import render, request_language
from app.rate_limit import hit
from app.settings import get_settings
from app.signup_form import FIELD_MESSAGES, TOP_MESSAGES, DetailsForm, SignUpForm, field_key, form_errors
from checkin.codes import CheckinKeys, short_code, sign
from checkin.qr import qr_png, qr_svg
from scheduling import services
from scheduling.errors import InvalidActivity, SessionFull, SignupClosed
from scheduling.languages import pick_text
from scheduling.locking import Busy
from scheduling.services import registrations, visits

AnyRequest = Request[Any, Any, Any]
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def checkin_keys() -> CheckinKeys:
    return CheckinKeys.from_secret(get_settings().secret_key)


async def session_page(
    request: AnyRequest,
    session_id: int,
    *,
    form: SignUpForm | None = None,
    errors: dict[str, str] | None = None,
    top: str | None = None,
    status_code: int = 200,
) -> Template:
    """The session with its sign-up form (also re-shown with errors next to the fields)."""
    from urllib.parse import quote

    settings = get_settings()
    lang = request_language(request)
    session = await services.get_session(session_id)
    activity = await services.get_activity(session.activity_id, base_url=settings.base_url)
    fallbacks = [settings.default_language, *activity.languages]
    venue = activity.venue
    return render(
        request,
        "participant/session.html",
        status_code=status_code,
        session=session,
        activity=activity,
        icon=KIND_ICONS[activity.kind.value],
        title=pick_text(activity.title, lang, fallbacks),
        description=pick_text(activity.description, lang, fallbacks),
        day=local_day(session.starts_at, activity.timezone, lang),
        starts=local_time(session.starts_at, activity.timezone, lang),
        ends=local_time(session.ends_at, activity.timezone, lang),
        zone_is_local=activity.timezone == settings.timezone,
        zone=activity.timezone,
        activity_languages=activity.languages,
        venue=venue,
        map_url="https://www.openstreetmap.org/search?query=" + quote(venue.address)
        if venue and venue.address
        else None,
        form=form or SignUpForm(language=lang),
        errors=errors or {},
        field_messages=FIELD_MESSAGES,
        top=TOP_MESSAGES.get(top or "", None),
        consent_version=registrations.CONSENT_VERSION,
        series_possible=activity.rrule is not None,
    )


async def personal_page(request: AnyRequest, token: str, status_code: int = 200, **extra: Any) -> Template:
    """My registration: QR code, calendar, cancel, my details, and my other registrations."""
    settings = get_settings()
    lang = request_language(request)
    own = await registrations.registration_by_token(token)
    rows = await registrations.registrations_of_participant(own["participant"])
    entries = []
    for row in rows:
        fallbacks = [settings.default_language, *(row["languages"] or [])]
        entries.append(
            {
                **row,
                "title_text": pick_text(row["title"] or {}, lang, fallbacks),
                "icon": KIND_ICONS.get(row["kind"], ""),
                "day": local_day(row["starts_at"], row["timezone"], lang),
                "starts": local_time(row["starts_at"], row["timezone"], lang),
                "ends": local_time(row["ends_at"], row["timezone"], lang),
                "is_this": row["id"] == own["id"],
            }
        )
    this = next(entry for entry in entries if entry["is_this"])
    others = [entry for entry in entries if not entry["is_this"] and entry["status"] != "cancelled"]
    interested = None
    if this["kind"] == "company_visit" and this["status"] != "cancelled":
        interested = await visits.interest_of(token)
    response = render(
        request,
        "participant/mine.html",
        interested=interested,
        this=this,
        others=others,
        person=own,
        token=token,
        code=sign(own["id"], checkin_keys()),
        short_code=short_code(own["id"], checkin_keys()),
        notice=request.query_params.get("done"),
        status_code=status_code,
        **extra,
    )
    response.headers.update(PRIVATE_HEADERS)
    return response


@dataclass
class InterestForm:
    interested: str = ""


class PersonalPages(Controller):
    include_in_schema = False

    @get("/s/{session_id:int}")
    async def session(self, request: AnyRequest, session_id: FromPath[int]) -> Template:
        return await session_page(request, session_id)

    @post("/s/{session_id:int}")
    async def sign_up(
        self, request: AnyRequest, session_id: FromPath[int], data: URLEncodedBody[SignUpForm]
    ) -> Template | Redirect:
        limited = await hit("signup", request.client.host if request.client else "?", get_settings().signup_rate_limit)
        if limited is not None:
            response = await session_page(request, session_id, form=data, top="limited", status_code=429)
            response.headers["Retry-After"] = str(limited)
            return response
        errors = form_errors(data)
        if errors:
            return await session_page(request, session_id, form=data, errors=errors, status_code=400)
        try:
            result = await registrations.sign_up(
                session_id,
                registrations.SignUp(
                    name=data.name,
                    language=data.language or request_language(request),
                    phone=data.phone or None,
                    email=data.email or None,
                    consent=data.consented,
                    series=data.series == "1",
                    source="web",
                ),
            )
        except InvalidActivity as error:
            key = field_key(error.field, str(error))
            field = "phone" if key == "phone_missing" else key
            return await session_page(request, session_id, form=data, errors={field: key}, status_code=400)
        except SignupClosed:
            return await session_page(request, session_id, form=data, top="closed", status_code=409)
        except SessionFull:
            return await session_page(request, session_id, form=data, top="full", status_code=409)
        except Busy:
            return await session_page(request, session_id, form=data, top="busy", status_code=503)
        if result.token is None:
            return await session_page(request, session_id, form=SignUpForm(language=data.language), top="already")
        return Redirect(f"/r/{result.token}?lang={request_language(request)}", status_code=303)

    @get("/r/{token:str}")
    async def mine(self, request: AnyRequest, token: FromPath[str]) -> Template:
        return await personal_page(request, token)

    @post("/r/{token:str}/interest")
    async def interest(self, request: AnyRequest, token: FromPath[str], data: URLEncodedBody[InterestForm]) -> Redirect:
        """ "I would like an internship or job here" after a company visit (or taking it back)."""
        await visits.mark_interest(token, data.interested == "yes")
        return Redirect(f"/r/{token}?lang={request_language(request)}&done=saved", status_code=303)

    @post("/r/{token:str}/cancel")
    async def cancel(self, request: AnyRequest, token: FromPath[str]) -> Redirect:
        await registrations.cancel_by_token(token)
        return Redirect(f"/r/{token}?lang={request_language(request)}&done=cancelled", status_code=303)

    @post("/r/{token:str}/details")
    async def details(
        self, request: AnyRequest, token: FromPath[str], data: URLEncodedBody[DetailsForm]
    ) -> Template | Redirect:
        try:
            updated = await registrations.update_contact(
                token,
                name=data.name,
                phone=data.phone or None,
                email=data.email or None,
                language=data.language or None,
                clear_phone=not data.phone,
                clear_email=not data.email,
            )
        except InvalidActivity as error:
            return await personal_page(
                request,
                token,
                status_code=400,
                detail_error=FIELD_MESSAGES[field_key(error.field, str(error))],
                detail_error_field="phone" if error.field in (None, "phone") else error.field,
                typed=data,
            )
        return Redirect(f"/r/{token}?lang={updated['language']}&done=saved", status_code=303)

    @get("/r/{token:str}/qr.svg", media_type="image/svg+xml")
    async def qr_svg(self, token: FromPath[str]) -> Response[bytes]:
        own = await registrations.registration_by_token(token)
        return Response(qr_svg(sign(own["id"], checkin_keys())), media_type="image/svg+xml", headers=PRIVATE_HEADERS)

    @get("/r/{token:str}/qr.png", media_type="image/png")
    async def qr_png(self, token: FromPath[str]) -> Response[bytes]:
        own = await registrations.registration_by_token(token)
        return Response(qr_png(sign(own["id"], checkin_keys())), media_type="image/png", headers=PRIVATE_HEADERS)
