"""The ASGI entry point: ``create_app()`` builds the Litestar application.

Run it with ``treffpunkt web`` (granian) or any ASGI server as a factory:
``granian --interface asgi --factory app.asgi:create_app``.
"""

from typing import Any

from litestar import Litestar
from litestar.plugins.core import MsgspecDIPlugin

from app.core import TreffpunktPlugin


class TreffpunktLitestar(Litestar):
    """Litestar without the plugins for libraries Treffpunkt does not serve through it.

    Litestar adds its pydantic and attrs plugins whenever those libraries are installed.
    pydantic comes with Piccolo, but every shape at our boundary is a msgspec ``Struct``:
    loading the pydantic plugin cost each web process about 8 MB and 0.15 s of start-up
    (bench/README.md).
    """

    @staticmethod
    def _get_default_plugins(plugins: list[Any]) -> list[Any]:
        if not any(isinstance(plugin, MsgspecDIPlugin) for plugin in plugins):
            plugins.append(MsgspecDIPlugin())
        return plugins


def create_app() -> Litestar:
    return TreffpunktLitestar(plugins=[TreffpunktPlugin()])
