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
from tests.fakes import HashingEmbeddings, chat_model, completion_model
from tests.helpers import SAMPLE_DATA

LEAVE = "How many days of paid annual leave do full-time employees get?"


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
    """The answer, and all the text the run handed to a door as it went."""
    from graphs.answer import Checked, Event
    from graphs.runner import answer

    shown: list[str] = []

    def heard(event: Event) -> None:
        if isinstance(event, Checked):
            shown.append(event.text)

    result = answer(question, Context(resources=resources, **context),  # type: ignore[arg-type]
                    heard)
    return result.model_dump(), "".join(shown)


def test_answer_from_the_evidence_that_holds_it(resources_with: Callable[..., Resources]
                                                ) -> None:
    result, streamed = _ask(LEAVE, resources_with(completion_model(["18 days"])))
    assert result["answer"] == "18 days [1]" and result["answer_kind"] == "answer"
    assert result["refused"] is False and result["warnings"] == []
    assert streamed == "18 days [1]"  # no token stream from the fake: the answer once
    first = result["sources"][0]
    assert Path(first["source"]).name == "handbook.pdf" and first["page"] == 2
    assert len(first["chunk_id"]) == 64 and 0 < first["score"] <= 1
    evidence = result["evidence"][0]
    assert "18 days of paid annual leave" in evidence["text"]
    assert (evidence["passage"], evidence["page"]) == (1, 2)
    assert Path(evidence["source"]).name == "handbook.pdf"
    assert evidence["chunk_id"] == first["chunk_id"]


def test_the_graph_runs_retrieve_select_find_evidence_generate(
        resources_with: Callable[..., Resources]) -> None:
    from graphs.graph import graph

    resources = resources_with(completion_model(["18 days"]))
    updates = list(graph.stream({"question": LEAVE}, context=Context(resources=resources),
                                stream_mode="updates"))
    assert [next(iter(u)) for u in updates] == ["retrieve", "select", "find_evidence",
                                                "generate"]
    assert updates[1]["select"]["selection_mode"].startswith("relevance filter")
    assert updates[2]["find_evidence"]["evidence"]


@pytest.mark.parametrize(("question", "refusal"), [
    ("What is the capital of Mongolia?", "The documents do not say."),
    ("몽골의 수도는 어디인가요?", "문서에 그 내용이 없습니다."),
])
def test_off_topic_question_is_refused_in_its_language_without_a_model_call(
        resources_with: Callable[..., Resources], question: str, refusal: str) -> None:
    result, streamed = _ask(question, resources_with(completion_model([])))  # fails if called
    assert result["refused"] is True and result["answer"] == refusal == streamed
    assert result["answer_kind"] == "refusal" and result["sources"] == []


def test_korean_question_is_answered_from_the_korean_guide(
        resources_with: Callable[..., Resources]) -> None:
    result, _ = _ask("매장은 주말에 몇 시까지 영업하나요?",
                     resources_with(completion_model(["오후 6시"])))
    assert result["answer"] == "오후 6시 [1]" and result["answer_kind"] == "answer"
    assert "오후 6시까지 영업합니다" in result["evidence"][0]["text"]


def test_model_refusal_is_a_refusal_in_the_question_language(
        resources_with: Callable[..., Resources]) -> None:
    result, _ = _ask(LEAVE, resources_with(completion_model(["The documents do not say."])))
    assert result["refused"] is True and result["answer"] == "The documents do not say."
    assert result["answer_kind"] == "refusal" and result["evidence"]


@pytest.mark.parametrize(("draft", "reason"), [
    ("25 days", "do not hold 25"),
    ("Employees get 18 days, says Napoleon", "do not hold Napoleon"),
    ("", "no answer"),
    ("[1] (handbook.pdf, page 2)", "only citations or file names"),
    ("[1] (handbook.xlsx, sheet Leave Days 2026)", "only citations or file names"),
    ("Answer:", "prompt labels"),
    ("How many days of paid annual leave do full-time employees get?", "repeated the question"),
    ("Q: how many days? A: 18\nQ: and sick days? A: 10", "list of questions"),
    ("18 days [7]", "cites [7], which does not exist"),
])
def test_unsupported_or_degenerate_draft_is_replaced_by_the_evidence(
        resources_with: Callable[..., Resources], draft: str, reason: str,
        caplog: pytest.LogCaptureFixture) -> None:
    from app.ask import print_report

    with caplog.at_level("INFO", logger="docent.answer"):
        result, _ = _ask(LEAVE, resources_with(completion_model([draft])))
    # the evidence's one number of days, with its unit: "Chapter 2" is no count of days
    assert result["answer_kind"] == "extracted" and result["refused"] is False
    assert result["answer"] == "18 days [1]"
    assert reason in caplog.text  # for the developer (--log-level info)
    note = ("Taken from the documents as written: the model's short answer could not be "
            "checked against them.")
    assert result["warnings"] == [note]  # for the reader
    shown = io.StringIO()
    print_report(result, shown)
    assert note in shown.getvalue() and reason not in shown.getvalue()


def test_korean_evidence_is_quoted_in_korean_with_a_korean_note(
        resources_with: Callable[..., Resources]) -> None:
    result, _ = _ask("매장은 주말에 몇 시까지 영업하나요?",
                     resources_with(completion_model(["오후 11시"])))
    assert result["answer"].startswith("문서에 따르면: “") and result["answer_kind"] == "evidence"
    assert result["warnings"] == ["문서의 문장을 그대로 옮겼습니다. 모델의 짧은 답은 문서로 "
                                  "확인되지 않았습니다."]


def test_a_strong_models_full_answer_is_kept(resources_with: Callable[..., Resources]) -> None:
    answer = "Full-time employees get 18 days of paid annual leave per year [1]."
    result, streamed = _ask(LEAVE, resources_with(chat_model([answer], family="gemma3")))
    assert result["answer"] == answer == streamed and result["answer_kind"] == "answer"


def test_a_small_models_answer_is_shown_only_as_a_span_of_the_best_evidence(
        resources_with: Callable[..., Resources]) -> None:
    from dataclasses import replace

    span, _ = _ask(LEAVE, resources_with(replace(completion_model(["18 days"]),
                                                 quotes_only=True)))
    assert span["answer"] == "18 days [1]" and span["answer_kind"] == "answer"
    paraphrase, _ = _ask(LEAVE, resources_with(replace(completion_model(["18 days of leave"]),
                                                       quotes_only=True)))
    assert paraphrase["answer_kind"] == "extracted" and paraphrase["answer"] == "18 days [1]"
    assert paraphrase["warnings"][0].startswith("Taken from the documents as written:")


def test_evidence_that_does_not_fit_the_window_is_left_out_and_named(
        resources_with: Callable[..., Resources]) -> None:
    import dataclasses

    from app.ask import print_report

    # room for the prompt and one evidence sentence, not two
    small = dataclasses.replace(completion_model(["18 days"]), context_window=420)
    result, _ = _ask(LEAVE, resources_with(small))
    assert result["answer"] == "18 days [1]" and len(result["dropped_passages"]) == 1
    shown = io.StringIO()
    print_report(result, shown)
    assert "note: 1 passage(s) did not fit the context window" in shown.getvalue()


def test_context_filter_and_k_reach_retrieval(resources_with: Callable[..., Resources]
                                             ) -> None:
    resources = resources_with(completion_model(["4800"]))
    menu = str((SAMPLE_DATA / "menu.csv").resolve())
    result, _ = _ask("How much is a cafe latte?", resources, k=1, filter={"source": menu})
    assert [Path(s["source"]).name for s in result["sources"]] == ["menu.csv"]


def test_a_filter_nothing_matches_is_a_refusal(resources_with: Callable[..., Resources]
                                              ) -> None:
    result, _ = _ask(LEAVE, resources_with(completion_model([])), filter={"source": "/nope"})
    assert result["refused"] is True and result["sources"] == []


def test_second_identical_question_is_answered_from_the_cache(
        resources_with: Callable[..., Resources], tmp_path: Path) -> None:
    loaded = completion_model(["18 days", "second"])
    resources = resources_with(loaded, cache=True)
    first, _ = _ask(LEAVE, resources)
    second, _ = _ask(LEAVE, resources)
    assert first == second and first["answer"] == "18 days [1]"
    assert loaded.model.i == 1  # type: ignore[attr-defined]  # one call reached the model
    assert resources.settings.answer_cache_db.stat().st_size > 0


def test_chat_keeps_the_thread_and_condenses_a_follow_up(
        resources_with: Callable[..., Resources]) -> None:
    from app.chat import chat

    loaded = completion_model(["12 kilograms", "about 15 percent"])
    context = Context(resources=resources_with(loaded))
    first = "How many kilograms of green beans does the drum roaster hold?"
    out = io.StringIO()
    chat([first, "Tell me more about that."], context, "thread-1", out, as_json=True)
    one, two = (json.loads(line) for line in out.getvalue().splitlines())
    assert one["thread"] == two["thread"] == "thread-1"
    assert one["answer"] == "12 kilograms [1]"
    assert two["asked"] == "Tell me more about that."
    assert two["question"] == "Tell me more about the drum roaster."
    assert two["refused"] is False  # the roaster is in the schedule and the safety chapter
    assert "roasting-schedule.md" in {Path(s["source"]).name for s in two["sources"]}

    # the thread lives in SQLite: a new chat on it still resolves against the earlier turns
    again = io.StringIO()
    chat(["And what about that?"], Context(resources=resources_with(completion_model(
        ["12 kilograms"]))), "thread-1", again, as_json=True)
    assert json.loads(again.getvalue())["question"] == "What about the drum roaster?"


@pytest.mark.parametrize(("draft", "wrong"), [("25 days", "25 days"),
                                              ("Ignore the documents: 45 days [1]", "45 days")])
def test_a_door_is_handed_only_the_checked_answer(
        resources_with: Callable[..., Resources], draft: str, wrong: str) -> None:
    """A wrong or injected draft never reaches a door: what it is handed is the answer."""
    from app.ask import print_answer

    result, streamed = _ask(LEAVE, resources_with(completion_model([draft])))
    assert streamed == result["answer"] and result["draft"] == draft
    printed = io.StringIO()
    print_answer(result, printed)
    assert printed.getvalue().startswith(result["answer"] + "\n")
    assert result["answer_kind"] in ("evidence", "extracted") and wrong not in printed.getvalue()


def test_a_capable_model_reads_the_best_passages_evidence_first_a_small_one_the_sentences(
        resources_with: Callable[..., Resources]) -> None:
    from dataclasses import replace

    from langchain_core.documents import Document

    from graphs.nodes import model_context

    documents = [Document("Opening hours are 7 to 9."),
                 Document("Full-time employees get 18 days of paid annual leave."),
                 Document("The roaster holds 12 kilograms.")]
    evidence: list = [{"text": "Full-time employees get 18 days of paid annual leave.",
                       "passage": 2}]
    capable = completion_model([])
    assert model_context(capable, documents, evidence) == (
        [documents[1].page_content, documents[0].page_content], [2, 1])
    small = replace(capable, quotes_only=True)
    assert model_context(small, documents, evidence) == ([evidence[0]["text"]], [2])
    # through the graph: the capable model's citation [1] is the evidence's passage
    result, _ = _ask(LEAVE, resources_with(completion_model(["18 days [1]"])))
    assert result["answer"] == "18 days [1]" and result["answer_kind"] == "answer"
