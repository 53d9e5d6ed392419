"""A docent server for the serve, browser and API tests: the real app on uvicorn in a
thread, over `data/` ingested with the fake embedding and answered by a fake chat model
that picks its answer by the question (so tests in any order get the same answers)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from core.settings import Settings
from tests.fakes import HashingEmbeddings, fake_model
from tests.helpers import SAMPLE_DATA, free_port

API_KEY = "test-key-0123456789"
UPLOAD_CAP_MB = 1.0
ANSWERS = {
    "annual leave": "Full-time employees get 18 days of paid annual leave per year [1].",
    "green beans": "The drum roaster holds 12 kilograms of green beans [1].",
    "주말": "매장은 주말에 오전 9시부터 오후 6시까지 영업합니다 [1].",
    "zorblat": "The zorblat fountain is painted teal [1].",
    "quokka": "The quokka mascot of the roastery is named Pebble [1].",
}
NOT_SAID = "The documents do not say."


class QuestionKeyedChat(BaseChatModel):
    """Answers by a keyword of the question (the prompt's last "Question"/"질문" part) from
    `answers`, streaming word by word; anything else is "The documents do not say."."""

    answers: dict[str, str] = Field(default_factory=lambda: dict(ANSWERS))

    @property
    def _llm_type(self) -> str:
        return "question-keyed-fake"

    def _answer(self, messages: list[BaseMessage]) -> str:
        prompt = str(messages[-1].content)
        question = prompt.rsplit("Question", 1)[-1].rsplit("질문", 1)[-1]
        return next((a for key, a in self.answers.items() if key in question), NOT_SAID)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any
                  ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(
            self._answer(messages)))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any
                ) -> Iterator[ChatGenerationChunk]:
        words = self._answer(messages).split(" ")
        for n, word in enumerate(words):
            chunk = ChatGenerationChunk(message=AIMessageChunk(
                content=word if n == len(words) - 1 else word + " "))
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk


def keyed_app(settings: Settings, chat: QuestionKeyedChat | None = None,
              allowed_hosts: tuple[str, ...] = ()) -> Any:
    """The real app over `settings`' store, answered by `chat` (default: ANSWERS), as
    `serve` on 127.0.0.1 with `--allowed-host` each of `allowed_hosts`; it ingests in
    process, with the fake embedding that no child process could load."""
    from app.server.factory import create_app
    from app.server.ingesting import in_this_process
    from app.server.security import allowed_hosts as hosts_served
    from core.resources import Resources

    return create_app(Resources(settings, model=fake_model(chat or QuestionKeyedChat(),
                                                           style="chat", family="gemma3"),
                                embeddings=HashingEmbeddings()),
                      allowed_hosts=hosts_served("127.0.0.1", allowed_hosts),
                      ingest=in_this_process)


def in_process(app: Any) -> Any:
    """FastAPI's TestClient over `app` as 127.0.0.1 (the Host the app serves), no server.
    Not entered as a context: its exit would run the app's shutdown, which a session's
    shared app must not see."""
    from fastapi.testclient import TestClient

    return TestClient(app, base_url="http://127.0.0.1")


@dataclass
class Served:
    url: str
    settings: Settings
    app: Any  # the FastAPI app


def fake_store_settings(root: Path, *more: Path) -> Settings:
    """`data/` (and `more` files) ingested into `root` with the fake embedding."""
    from ingest.pipeline import ingest_paths

    settings = Settings(_env_file=None, data_dir=root / "docent-data",
                        embedding_model="test:hashing", answer_cache=False, api_key=API_KEY,
                        max_file_mb=UPLOAD_CAP_MB)
    report = ingest_paths([SAMPLE_DATA, *more], settings, model=HashingEmbeddings())
    assert report.exit_code == 0, report.table()
    return settings


def run_uvicorn(app: Any) -> Iterator[str]:
    """Serve `app` on a free 127.0.0.1 port from a thread; yield its URL; stop it."""
    import httpx
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "server not up in 30 s"
            time.sleep(0.1)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def docent_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server for the session (its store gains the files tests upload)."""
    settings = fake_store_settings(tmp_path_factory.mktemp("served"))
    app = keyed_app(settings)
    for url in run_uvicorn(app):
        yield Served(url, settings, app)
