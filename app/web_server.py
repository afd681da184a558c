"""``treffpunkt web``: the ASGI app on granian with N worker processes.

granian was chosen by measurement: on a hello-world Litestar endpoint here it serves
about three times what uvicorn with h11 does (see bench/README.md).
"""

from __future__ import annotations

from granian import Granian
from granian.constants import Interfaces, Loops
from granian.log import LogLevels


def run_web(host: str, port: int, workers: int) -> None:
    Granian(
        target="app.asgi:create_app",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        loop=Loops.auto,
        log_level=LogLevels.warning,
        respawn_failed_workers=True,
        workers_kill_timeout=10,
    ).serve()
