"""Piccolo's configuration: the engine from the settings and one app per domain."""

from piccolo.conf.apps import AppRegistry

from app.database import build_engine
from app.settings import get_settings

DB = build_engine(get_settings().database)

APP_REGISTRY = AppRegistry(
    apps=[
        "app.auth.piccolo_app",
        "scheduling.piccolo_app",
        "notifications.piccolo_app",
        "checkin.piccolo_app",
        "app.privacy.piccolo_app",
        "app.funder.piccolo_app",
    ]
)
