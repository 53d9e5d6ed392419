"""The RAG and chat graphs, `ask`, `chat` and the answer cache on fake models: real Chroma
and BM25 over the sample `data/`, a bag-of-words fake embedding, FakeListLLM and
GenericFakeChatModel. Nothing here depends on how well a real model answers."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from core.llm import LoadedModel
from core.resources import Resources
from core.settings import Settings
from graphs.context import Context
from graphs.prompts import REFUSAL
from tests.fakes import HashingEmbeddings, chat_model, completion_model
from tests.helpers import SAMPLE_DATA

LEAVE = "How many days of paid annual leave do full-time employees get?"
LEAVE_ANSWER = "Full-time employees get 18 days of paid annual leave per year [1]."


@pytest.fixture(scope="module")
def fake_store(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """`data/` ingested with the fake embedding, once for the module."""
    from ingest.pipeline import ingest_paths

    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("fake") / "data",
                        embedding_model="test:hashing")
    report = ingest_paths([SAMPLE_DATA], settings, model=HashingEmbeddings())
    assert report.exit_code == 0, report.table()
    return settings


@pytest.fixture
def resources_with(fake_store: Settings) -> Callable[..., Resources]:
    """Resources over the fake store with the given model (answer cache off by default)."""
    def make(model: LoadedModel, *, cache: bool = False, data_dir: Path | None = None
             ) -> Resources:
        settings = fake_store.model_copy(update={"answer_cache": cache})
        if data_dir is not None:
            settings = settings.model_copy(update={"data_dir": data_dir})
        return Resources(settings, model=model, embeddings=HashingEmbeddings())

    return make


def _ask(question: str, resources: Resources, **context: object) -> tuple[dict, str]:
    from app.ask import ask

    streamed = io.StringIO()
    result = ask(question, Context(resources=resources, **context),  # type: ignore[arg-type]
                 stream=streamed)
    return result, streamed.getvalue()


def test_answer_from_the_passage_that_holds_it(resources_with: Callable[..., Resources]) -> None:
    result, streamed = _ask(LEAVE, resources_with(completion_model([LEAVE_ANSWER])))
    assert result["answer"] == LEAVE_ANSWER and result["refused"] is False
    assert streamed == LEAVE_ANSWER  # no token stream from the fake: the answer once
    first = result["sources"][0]
    assert Path(first["source"]).name == "handbook.pdf" and first["page"] == 2
    assert len(first["chunk_id"]) == 64 and 0 < first["score"] <= 1
    assert result["unsupported"] == [] and result["invalid_citations"] == []


def test_the_graph_runs_retrieve_select_generate(resources_with: Callable[..., Resources]
                                                ) -> None:
    from graphs.graph import graph

    resources = resources_with(completion_model([LEAVE_ANSWER]))
    updates = list(graph.stream({"question": LEAVE}, context=Context(resources=resources),
                                stream_mode="updates"))
    assert [next(iter(u)) for u in updates] == ["retrieve", "select", "generate"]
    assert updates[1]["select"]["selection_mode"].startswith("relevance filter")


@pytest.mark.parametrize("question", ["What is the capital of Mongolia?",
                                      "몽골의 수도는 어디인가요?"])
def test_off_topic_question_is_refused_without_a_model_call(
        resources_with: Callable[..., Resources], question: str) -> None:
    result, streamed = _ask(question, resources_with(completion_model([])))  # fails if called
    assert result["refused"] is True and result["answer"] == REFUSAL == streamed
    assert result["sources"] == []


def test_model_refusal_is_a_refusal(resources_with: Callable[..., Resources]) -> None:
    result, _ = _ask(LEAVE, resources_with(completion_model([f"{REFUSAL} Sorry."])))
    assert result["refused"] is True and result["answer"] == REFUSAL and result["sources"] == []


def test_unsupported_sentence_and_invented_citation_are_flagged(
        resources_with: Callable[..., Resources]) -> None:
    from app.ask import print_report

    invented = "The roastery was founded by pirates in 1820 [1]. Leave is 18 days [9]."
    result, _ = _ask(LEAVE, resources_with(completion_model([invented])))
    assert result["invalid_citations"] == [9]
    assert "The roastery was founded by pirates in 1820 [1]." in result["unsupported"]
    shown = io.StringIO()
    print_report(result, shown)
    assert "warning: the answer cites [9], which does not exist" in shown.getvalue()
    assert "warning: not supported by the passages: The roastery" in shown.getvalue()


def test_uncited_supported_sentence_gets_its_citation(
        resources_with: Callable[..., Resources]) -> None:
    result, _ = _ask(LEAVE, resources_with(completion_model(
        ["Full-time employees get 18 days of paid annual leave per year."])))
    assert result["answer"].endswith("[1]") and result["unsupported"] == []


def test_chat_model_tokens_stream_and_gemma_gets_no_system_role(
        resources_with: Callable[..., Resources]) -> None:
    loaded = chat_model([LEAVE_ANSWER], family="gemma3")
    result, streamed = _ask(LEAVE, resources_with(loaded))
    assert streamed == LEAVE_ANSWER == result["answer"]
    assert result["refused"] is False


def test_context_filter_and_k_reach_retrieval(resources_with: Callable[..., Resources]
                                             ) -> None:
    resources = resources_with(completion_model(["Cafe latte: 4,800 won [1]."]))
    menu = str((SAMPLE_DATA / "menu.csv").resolve())
    result, _ = _ask("How much is a cafe latte?", resources, k=1, filter={"source": menu})
    assert [Path(s["source"]).name for s in result["sources"]] == ["menu.csv"]


def test_second_identical_question_is_answered_from_the_cache(
        resources_with: Callable[..., Resources], tmp_path: Path) -> None:
    loaded = completion_model(["first answer about 18 days of leave [1].", "second [1]."])
    resources = resources_with(loaded, cache=True)
    first, _ = _ask(LEAVE, resources)
    second, _ = _ask(LEAVE, resources)
    assert first == second and first["answer"].startswith("first answer")
    assert loaded.model.i == 1  # type: ignore[attr-defined]  # one call reached the model
    assert resources.settings.answer_cache_db.stat().st_size > 0


def test_chat_keeps_the_thread_and_condenses_a_follow_up(
        resources_with: Callable[..., Resources]) -> None:
    from app.chat import chat

    loaded = completion_model(["The drum roaster holds 12 kilograms [1].",
                               "A batch yields about 10.2 kg of roasted coffee [1]."])
    context = Context(resources=resources_with(loaded))
    first = "How many kilograms of green beans does the drum roaster hold?"
    out = io.StringIO()
    chat([first, "Tell me more about that."], context, "thread-1", out, as_json=True)
    one, two = (json.loads(line) for line in out.getvalue().splitlines())
    assert one["thread"] == two["thread"] == "thread-1"
    assert one["answer"].startswith("The drum roaster holds 12")
    assert two["asked"] == "Tell me more about that."
    assert two["question"] == f"{first} Tell me more about that."
    assert two["refused"] is False
    assert Path(two["sources"][0]["source"]).name == "roasting-schedule.md"

    # the thread lives in SQLite: a new chat on it still condenses against the first turn
    again = io.StringIO()
    chat(["And what about that?"], Context(resources=resources_with(completion_model(
        ["12 kilograms [1]."]))), "thread-1", again, as_json=True)
    assert json.loads(again.getvalue())["question"].startswith(first)
