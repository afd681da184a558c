"""The ASGI entry point: ``create_app()`` builds the Litestar application.

Run it with ``treffpunkt web`` (granian) or any ASGI server as a factory:
``granian --interface asgi --factory app.asgi:create_app``.
"""

from litestar import Litestar

from app.core import TreffpunktPlugin


def create_app() -> Litestar:
    return Litestar(plugins=[TreffpunktPlugin()])
