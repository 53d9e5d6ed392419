"""POST /api/ask: one question, no conversation, for `docent ask` in another process
(app/remote_ask.py): the checked text, then the whole `Answer` as its model_dump."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from app.server.deps import AnswererDep
from app.server.sse import answer_stream
from app.server.web_routes import AskRequest
from graphs.answer import Answer

router = APIRouter()


@router.post("/api/ask", response_model=None)
async def ask(body: AskRequest, answerer: AnswererDep) -> Response:
    return answer_stream(answerer, body.question, body, Answer.model_dump)
