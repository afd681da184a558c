"""Pages for participants: upcoming sessions and one session. They work without JavaScript."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, NamedTuple

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter

from app.formatting import KIND_ICONS, language_name, local_day, local_time
from app.pages import render_public, request_language
from app.settings import get_settings
from scheduling import services
from scheduling.kinds import ActivityKind
from scheduling.languages import is_language_code, pick_text

AnyRequest = Request[Any, Any, Any]

# The same sessions are listed again and again, and formatting a date with Babel (locale data,
# patterns) was a quarter of the page's cost: remember what was formatted.
_day = lru_cache(maxsize=8192)(local_day)
_time = lru_cache(maxsize=8192)(local_time)
_language_names = lru_cache(maxsize=512)(language_name)


# Named tuples, not dataclasses: the page cache keys on repr() of what the template gets
# (app/pages.py render_public), and a dataclass repr (with its recursion guard) cost more
# than building the cards.
class SessionCard(NamedTuple):
    id: int
    kind: str
    icon: str
    title: str
    day: str
    starts: str
    ends: str
    languages: list[str]
    status: str
    seats_left: int | None
    waitlisted: int


class DayGroup(NamedTuple):
    day: str
    sessions: list[SessionCard]


class ParticipantPages(Controller):
    include_in_schema = False

    @get("/")
    async def upcoming(
        self,
        request: AnyRequest,
        kind: Annotated[str | None, QueryParameter()] = None,
        language: Annotated[str | None, QueryParameter()] = None,
        week: Annotated[str | None, QueryParameter()] = None,
    ) -> Response[Any]:
        settings = get_settings()
        lang = request_language(request)
        chosen_kind = kind if kind in {k.value for k in ActivityKind} else None
        chosen_language = language if language and is_language_code(language) else None
        now = datetime.now(UTC)
        end = now + timedelta(days=7) if week == "1" else None
        items = await services.list_sessions(
            services.SessionFilter(start=now, end=end, kind=chosen_kind, language=chosen_language, limit=60)
        )
        groups: list[DayGroup] = []
        for item in items:
            card = SessionCard(
                id=item.id,
                kind=item.kind.value,
                icon=KIND_ICONS[item.kind.value],
                title=pick_text(item.title, lang, [settings.default_language, *item.languages]),
                day=_day(item.starts_at, item.timezone, lang),
                starts=_time(item.starts_at, item.timezone, lang),
                ends=_time(item.ends_at, item.timezone, lang),
                languages=[_language_names(code) for code in item.languages],
                status=item.status.value,
                seats_left=item.seats_left,
                waitlisted=item.waitlisted,
            )
            if not groups or groups[-1].day != card.day:
                groups.append(DayGroup(day=card.day, sessions=[]))
            groups[-1].sessions.append(card)
        return render_public(
            request,
            "participant/upcoming.html",
            groups=groups,
            kinds=[(k.value, KIND_ICONS[k.value]) for k in ActivityKind],
            chosen_kind=chosen_kind,
            chosen_language=chosen_language,
            this_week=week == "1",
            erased=request.query_params.get("erased") == "1",  # after "Delete my data" on the personal page
            activity_languages=sorted(
                {code for item in items for code in item.languages} | {"de", "en", "ar", "fa", "uk", "tr", "ru"}
            ),
            language_name=language_name,
        )
