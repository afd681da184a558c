"""``treffpunkt serve --demo``: a believable demo network seeded into an empty database.

Everything is created through the same services the API uses, so the demo is never a
special case. Nothing is seeded when the database already has accounts or activities.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.auth.services import create_user
from app.auth.tables import StaffUser
from app.database import write_transaction
from app.settings import get_settings
from scheduling.kinds import ActivityKind
from scheduling.schemas import ActivityCreate, EmployerIn, VenueIn
from scheduling.services import create_activity, create_employer
from scheduling.tables import Activity

DEMO_PASSWORD = "treffpunkt-demo"
DEMO_DOMAIN = "demo.treffpunkt.example"


def _next_weekday(today: date, weekday: int) -> date:
    """The next date on ``weekday`` (0 = Monday) after today."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


async def database_is_empty() -> bool:
    return not await StaffUser.exists() and not await Activity.exists()


async def seed_demo() -> list[str]:
    """Seed the demo in one transaction and return the lines to print (the logins)."""
    async with write_transaction():
        if not await database_is_empty():
            return ["demo: the database already has data; nothing was seeded"]
        return await _seed()


async def _seed() -> list[str]:
    settings = get_settings()
    zone = settings.timezone
    today = datetime.now(ZoneInfo(zone)).date()

    centre = VenueIn(
        name="Nachbarschaftszentrum Mitte",
        address="Lindenstraße 12, 10969 Berlin",
        accessibility="Step-free entrance, lift to the first floor, accessible toilet.",
    )
    thursday = _next_weekday(today, 3)
    await create_activity(
        ActivityCreate(
            kind=ActivityKind.small_group,
            title={
                "de": "Arbeitsleben in Deutschland",
                "en": "Working life in Germany",
                "ar": "الحياة العملية في ألمانيا",
                "fa": "زندگی کاری در آلمان",
                "uk": "Робоче життя в Німеччині",
                "tr": "Almanya'da çalışma hayatı",
            },
            description={
                "de": "Jede Woche ein halber Tag: Bewerbung, Arbeitsvertrag, Rechte und Pflichten.",
                "en": "Half a day each week: applications, employment contracts, rights and duties.",
                "ar": "نصف يوم كل أسبوع: طلبات العمل، عقود العمل، الحقوق والواجبات.",
            },
            start=f"{thursday.isoformat()}T10:00",
            duration_minutes=240,
            rrule="FREQ=WEEKLY;BYDAY=TH;COUNT=12",
            capacity=12,
            languages=["de", "ar", "fa", "uk"],
            venue=centre,
        ),
        default_timezone=zone,
    )
    tuesday = _next_weekday(today, 1)
    await create_activity(
        ActivityCreate(
            kind=ActivityKind.cafe,
            title={
                "de": "Begegnungscafé",
                "en": "Meeting café",
                "ar": "مقهى اللقاء",
                "fa": "کافه دیدار",
                "uk": "Кафе зустрічей",
                "tr": "Buluşma kafesi",
                "ti": "ቤት ቡና ርክብ",
            },
            description={
                "de": "Kaffee, Tee und Gespräche mit Nachbarinnen und Nachbarn. Einfach vorbeikommen.",
                "en": "Coffee, tea and conversation with neighbours. Just drop in.",
            },
            start=f"{tuesday.isoformat()}T16:00",
            duration_minutes=120,
            rrule="FREQ=WEEKLY;BYDAY=TU",
            capacity=None,
            languages=["de", "ar", "uk", "tr", "ti"],
            venue=centre,
        ),
        default_timezone=zone,
    )
    await create_activity(
        ActivityCreate(
            kind=ActivityKind.coaching,
            title={"de": "Einzelcoaching Bewerbung", "en": "1:1 coaching: job applications"},
            start=f"{_next_weekday(today, 2).isoformat()}T09:00",
            rrule="FREQ=WEEKLY;BYDAY=WE;COUNT=8",
            languages=["de", "en"],
            venue=centre,
        ),
        default_timezone=zone,
    )

    bakery = await create_employer(
        EmployerIn(
            name="Bäckerei Sonnenkorn",
            sector="Food / bakery",
            address="Oranienstraße 40, 10999 Berlin",
            contact_email="personal@sonnenkorn.example",
            site_languages=["de", "tr", "ar"],
            accessibility="Production floor on ground level.",
            visitor_requirements="Closed shoes; no jewellery in the bakery.",
            description={"de": "Familienbäckerei mit 40 Beschäftigten, bildet jedes Jahr aus."},
        )
    )
    care = await create_employer(
        EmployerIn(
            name="Pflegezentrum am Park",
            sector="Care",
            address="Parkweg 3, 10115 Berlin",
            contact_email="karriere@pflegezentrum.example",
            site_languages=["de", "en", "uk"],
            accessibility="Step-free throughout.",
            visitor_requirements="Photo ID at the gate.",
            description={"de": "Pflegeeinrichtung mit 120 Plätzen, sucht Pflegehelferinnen und -helfer."},
        )
    )
    for employer, weeks, hour in ((bakery, 2, 9), (care, 4, 13), (bakery, 9, 9)):
        visit_day = _next_weekday(today + timedelta(weeks=weeks), 0)
        await create_activity(
            ActivityCreate(
                kind=ActivityKind.company_visit,
                title={"de": f"Betriebsbesuch: {employer.name}", "en": f"Company visit: {employer.name}"},
                start=f"{visit_day.isoformat()}T{hour:02d}:00",
                duration_minutes=120,
                capacity=8,
                languages=["de", "ar", "uk"],
                employer_id=employer.id,
                venue=VenueIn(name=employer.name, address=employer.address),
            ),
            default_timezone=zone,
        )

    logins = []
    for role, name in (
        ("admin", "Ada Admin"),
        ("coordinator", "Corinna Koordination"),
        ("facilitator", "Farid Moderation"),
    ):
        email = f"{role}@{DEMO_DOMAIN}"
        await create_user(email, role, DEMO_PASSWORD, name=name)
        logins.append(f"  {role:<12} {email:<40} {DEMO_PASSWORD}")
    host_email = f"host@{DEMO_DOMAIN}"
    await create_user(host_email, "host", DEMO_PASSWORD, name="Hanna Sonnenkorn", employer_id=bakery.id)
    logins.append(f"  {'host':<12} {host_email:<40} {DEMO_PASSWORD}")
    return [
        "demo: seeded a weekly small group, a meeting café, coaching, two employers with company visits",
        f"demo: open {settings.base_url}/ and sign in at {settings.base_url}/staff/login with:",
        *logins,
    ]
