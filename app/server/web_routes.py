"""The web app: its page and static files, the setup status (with the command that fixes
what is missing), the key form, and conversations whose answers stream as server-sent
events."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from app.server.answering import Answerer
from app.server.deps import AnswererDep, ConversationsDep, SettingsDep
from app.server.errors import Refused
from app.server.security import KEY_COOKIE, has_key
from app.server.sse import answer_stream
from core.errors import DocentError
from graphs.answer import Answer
from graphs.ask_options import Question

STATIC = Path(__file__).parent / "static"
INGEST_FIX = "python -m app ingest PATH (or add files in the Documents panel)"
LOGIN_ERROR = ('<p class="error" role="alert">That key is not right. Check DOCENT_API_KEY '
               'on the server.</p>')

# open without the key: the page (it sends a person to the key form) and the key form
open_router = APIRouter()
# the rest needs the key (create_app adds `require_key` to both routers of this module)
router = APIRouter()


class AskRequest(Question):
    """A question from the web app or `docent ask`: the options a run may carry."""


def setup_status(answerer: Answerer) -> dict[str, Any]:
    """Whether docent can answer, and if not, the command that fixes it."""
    from core.index.store import store_exists
    from core.model_files import resolve_gguf

    settings = answerer.resources.settings
    problems = []
    if not store_exists(settings):
        problems.append(f"Nothing is ingested yet. Run: {INGEST_FIX}")
    if settings.llm_backend == "llamacpp":
        try:
            resolve_gguf(settings.llm_model)
        except DocentError as exc:
            problems.append(f"{exc}. Run: python -m app models (or set DOCENT_LLM_MODEL), "
                            "then python -m app doctor")
    return {"ready": not problems, "problems": problems,
            "defaults": {"k": settings.k, "search_type": "similarity"}}


def _login_page(error: str = "") -> str:
    return (STATIC / "login.html").read_text(encoding="utf-8").replace("<!--error-->", error)


@open_router.get("/", response_model=None)
def page(request: Request) -> Response:
    if not has_key(request):  # a person opening the page: the key form
        return RedirectResponse("/login", status_code=303)
    return FileResponse(STATIC / "index.html", headers={"cache-control": "no-cache"})


@open_router.get("/login", response_class=HTMLResponse)
def login_form() -> str:
    return _login_page()


@open_router.post("/login", response_model=None)
def login(settings: SettingsDep, key: str = Form(...)) -> Response:
    if not settings.api_key or not hmac.compare_digest(key.encode(), settings.api_key.encode()):
        return HTMLResponse(_login_page(LOGIN_ERROR), status_code=401)
    done = RedirectResponse("/", status_code=303)
    done.set_cookie(KEY_COOKIE, key, httponly=True, samesite="strict")
    return done


def _static(name: str) -> FileResponse:
    """One of the page's own files, by name (no folders below static/)."""
    if name not in {path.name for path in STATIC.iterdir() if path.is_file()}:
        raise Refused(404, f"no static file {name}", "not_found")
    return FileResponse(STATIC / name)


@open_router.get("/static/login.css", response_model=None)
def login_css() -> FileResponse:
    """The key form's style: it shows before the key is given."""
    return _static("login.css")


@router.get("/static/{name}", response_model=None)
def static_file(name: str) -> FileResponse:
    return _static(name)


@router.get("/api/status")
def status(answerer: AnswererDep) -> dict[str, Any]:
    return setup_status(answerer)


@router.get("/api/conversations")
def threads(conversations: ConversationsDep) -> dict[str, Any]:
    return {"conversations": conversations.threads()}


@router.get("/api/conversations/{thread_id}")
def thread(thread_id: str, conversations: ConversationsDep) -> dict[str, Any]:
    return {"id": thread_id, "messages": conversations.messages(thread_id)}


@router.delete("/api/conversations/{thread_id}")
def delete(thread_id: str, conversations: ConversationsDep) -> dict[str, Any]:
    conversations.delete(thread_id)
    return {"deleted": thread_id}


@router.post("/api/conversations/{thread_id}/ask", response_model=None)
async def ask(thread_id: str, body: AskRequest, answerer: AnswererDep,
              conversations: ConversationsDep) -> Response:
    return answer_stream(answerer, body.question, body, Answer.shown, thread_id=thread_id,
                         graph=conversations.graph)

