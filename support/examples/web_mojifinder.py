"""The character finder as a web service: FastAPI with a pydantic model, served by uvicorn.

``GET /search?q=cat+face`` answers with JSON, ``[{"char": "🐱", "name": "CAT FACE"}, ...]`` sorted by
character: :meth:`support.examples.charindex.InvertedIndex.search`'s answer. ``GET /`` is a one-page form
(``mojifinder_form.html``, beside this module) whose script asks ``/search``; ``GET /docs`` is the interactive
documentation FastAPI generates. ``FastAPIOffline`` serves that page's scripts from the installed
``fastapi-offline`` package instead of a CDN, so it works with no network.

Lesson 06 defines :class:`CharName` and :func:`create_app` in its cells and launches uvicorn there as
:func:`main` does here; the command line and its socket come from
:func:`support.lab.services.listen`, which every server shares. Run it: ``python -m support.examples.web_mojifinder [--port 8080]`` and open the URL
it prints. Ctrl-C (or SIGTERM) stops it with status 0; status 1 when it cannot listen, 2 on a usage error.
"""

import asyncio
import contextlib
import unicodedata
from pathlib import Path

import fastapi
import uvicorn
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel

from support.examples.charindex import InvertedIndex, shared_index
from support.lab import services

__all__ = ["FORM", "CharName", "create_app", "main", "start"]

FORM = Path(__file__).with_name("mojifinder_form.html")


class CharName(BaseModel):  # <1>
    char: str
    name: str


def create_app(index: InvertedIndex) -> fastapi.FastAPI:
    app = FastAPIOffline(title="Character finder", swagger_ui_parameters={"validatorUrl": None})  # <2>

    @app.get("/search", response_model=list[CharName], summary="Characters whose names hold every word")
    async def search(q: str) -> list[dict[str, str]]:  # <3>
        return [{"char": char, "name": unicodedata.name(char)} for char in sorted(index.search(q))]  # <4>

    @app.get("/", response_class=fastapi.responses.HTMLResponse, include_in_schema=False)  # <5>
    async def form() -> str:
        return FORM.read_text(encoding="utf-8")

    return app


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM (status 0); 1 when the address cannot be listened on, 2 on a usage error."""
    about = "Find Unicode characters by name: a form at /, JSON at /search?q=, docs at /docs."
    url, sock = services.listen(argv, "python -m support.examples.web_mojifinder", 8080, about)
    app = create_app(shared_index())  # about a second: before the line that says the server is ready
    print(f"Serving the character finder on {url}", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))  # <6>
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C or SIGTERM, raised again after uvicorn's shutdown
        asyncio.run(server.serve(sockets=[sock]))  # <7>
    return 0


def start(*, private: bool = False) -> services.Service:
    """The service in a process of its own, on a free port (one per process unless ``private``)."""
    return services.start("support.examples.web_mojifinder", private=private)


if __name__ == "__main__":
    raise SystemExit(main())
