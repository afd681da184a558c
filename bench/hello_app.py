"""Hello-world Litestar app used by the ASGI server benchmark (``bench.hello_app:app``)."""

from litestar import Litestar, get


@get("/")
async def hello() -> dict[str, str]:
    return {"hello": "world"}


app = Litestar(route_handlers=[hello])
