"""All wiring of the web application, one small ``_configure_*`` helper per concern."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from app import database
from app.auth.controllers import AuthApiController, StaffAccountPages, UserApiController
from app.auth.errors import AuthError
from app.auth.invitation_controllers import HostInvitationController, HostInvitationPages
from app.auth.middleware import AuthenticationMiddleware
from app.door_pages import DoorPages
from app.doorbell import DoorbellMiddleware, close_doorbell
from app.errors import (
    auth_error_handler,
    checkin_error_handler,
    database_error_handler,
    http_exception_handler,
    internal_error_handler,
    out_of_range_handler,
    scheduling_error_handler,
)
from app.funder.controllers import FunderProfileController, FunderReportController
from app.funder.pages import FunderPages
from app.health import HealthController
from app.host_pages import HostPages
from app.logging import configure_logging
from app.participant_pages import ParticipantPages
from app.personal_pages import PersonalPages
from app.privacy.controllers import MyDataController, StaffPrivacyController
from app.public_cache import PublicCacheMiddleware
from app.redis_client import close_redis
from app.report_pages import AttendancePages, ReportPages
from app.request_log import RequestLogMiddleware
from app.settings import get_settings
from app.staff import StaffActivityPages, StaffSessionPages
from checkin.controllers import (
    ActivityAttendanceController,
    CheckinController,
    ReportController,
    SessionDoorController,
)
from checkin.errors import CheckinError
from notifications.controllers import OutboxController
from notifications.outbox import subscribe_to_scheduling
from scheduling.controllers import (
    ActivityController,
    CalendarController,
    ClosureController,
    EmployerController,
    SessionController,
)
from scheduling.errors import SchedulingError
from scheduling.registration_controllers import (
    MyRegistrationController,
    ParticipantController,
    SignUpController,
    StaffRegistrationController,
)
from scheduling.visit_controllers import (
    EmployerSlotController,
    FollowUpController,
    SlotController,
    VisitInterestController,
)

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


class TreffpunktPlugin(InitPluginProtocol):
    """Configures the Litestar app from the settings."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        settings = get_settings()
        configure_logging(settings.log_level)
        subscribe_to_scheduling()
        _configure_routes(app_config)
        _configure_templates(app_config)
        _configure_security(app_config, settings.secret_key, settings.base_url)
        _configure_errors(app_config)
        _configure_openapi(app_config)
        _configure_lifespan(app_config)
        return app_config


def _configure_routes(app_config: AppConfig) -> None:
    app_config.route_handlers.extend(
        [
            HealthController,
            AuthApiController,
            UserApiController,
            StaffAccountPages,
            DoorPages,
            ParticipantPages,
            PersonalPages,
            ActivityController,
            SessionController,
            ClosureController,
            EmployerController,
            CalendarController,
            SignUpController,
            MyRegistrationController,
            StaffRegistrationController,
            ParticipantController,
            OutboxController,
            MyDataController,
            StaffPrivacyController,
            FunderProfileController,
            FunderReportController,
            FunderPages,
            CheckinController,
            SessionDoorController,
            ReportController,
            ActivityAttendanceController,
            ReportPages,
            AttendancePages,
            EmployerSlotController,
            SlotController,
            VisitInterestController,
            FollowUpController,
            HostInvitationController,
            HostInvitationPages,
            HostPages,
            StaffActivityPages,
            StaffSessionPages,
            create_static_files_router(path="/static", directories=[TEMPLATES_DIR / "static"], include_in_schema=False),
        ]
    )


def _configure_templates(app_config: AppConfig) -> None:
    def setup(engine: JinjaTemplateEngine) -> None:
        engine.engine.add_extension("jinja2.ext.i18n")
        engine.engine.policies["ext.i18n.trimmed"] = True
        # Templates ship with the code: no stat() of every template file on every render, unless
        # someone editing templates asks for it (TREFFPUNKT_TEMPLATE_RELOAD=1).
        engine.engine.auto_reload = os.environ.get("TREFFPUNKT_TEMPLATE_RELOAD", "") == "1"

    app_config.template_config = TemplateConfig(
        directory=TEMPLATES_DIR, engine=JinjaTemplateEngine, engine_callback=setup
    )


def _configure_security(app_config: AppConfig, secret_key: str, base_url: str) -> None:
    # The JSON API authenticates with bearer tokens only (no cookies), so it is not
    # exposed to cross-site request forgery; every form post is checked. Calendar feeds and
    # static files are read-only and render no form: no token to mint (an HMAC per request)
    # and no Set-Cookie on answers that calendar apps and caches keep.
    app_config.csrf_config = CSRFConfig(
        secret=secret_key,
        cookie_name="tp_csrf",
        cookie_secure=base_url.startswith("https://"),
        cookie_httponly=True,
        exclude=["^/api/", "^/ics/", "^/static/"],
    )
    app_config.middleware.insert(0, DefineMiddleware(RequestLogMiddleware))
    app_config.middleware.insert(1, DefineMiddleware(PublicCacheMiddleware))
    app_config.middleware.insert(2, DefineMiddleware(DoorbellMiddleware))
    app_config.middleware.append(AuthenticationMiddleware())


def _configure_errors(app_config: AppConfig) -> None:
    handlers: dict[Any, Any] = {
        AuthError: auth_error_handler,
        SchedulingError: scheduling_error_handler,
        CheckinError: checkin_error_handler,
        HTTPException: http_exception_handler,
        sqlite3.OperationalError: database_error_handler,
        asyncpg.PostgresError: database_error_handler,
        asyncpg.InterfaceError: database_error_handler,
        OverflowError: out_of_range_handler,
        ConnectionError: database_error_handler,
        Exception: internal_error_handler,
    }
    app_config.exception_handlers.update(handlers)


def _configure_openapi(app_config: AppConfig) -> None:
    app_config.openapi_config = OpenAPIConfig(
        title="Treffpunkt",
        version="1",
        description="Events and scheduling for integration projects. Staff send 'Authorization: Bearer <token>'.",
        path="/schema",
        render_plugins=[ScalarRenderPlugin()],
    )


def _configure_lifespan(app_config: AppConfig) -> None:
    app_config.on_startup.append(database.open_pool)
    app_config.on_shutdown.extend([database.close_pool, close_redis, close_doorbell])
