"""Issue 13's "one clear line, never a traceback": bad questions fail before any model
loads, damaged store files name themselves and the fix, odd paths fail alone, the doctor
never crashes, a hand-deleted records.sqlite is called that, and a question in a script
docent does not read is told which languages it does."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from app import doctor as doctor_module
from app.cli import main
from core.settings import Settings
from core.tuning import MAX_QUESTION_CHARS
from graphs.question import QuestionError, check_question, foreign_script, language_note
from ingest.pipeline import ingest_paths
from tests.fakes import HashingEmbeddings
from tests.helpers import SAMPLE_DATA, reset_caches

if TYPE_CHECKING:
    from core.resources import Resources

QUESTION = "When are the green beans roasted?"


def _settings(data_dir: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, embedding_model="test:hashing")


@pytest.fixture(scope="module")
def fake_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample documents stored with fake embeddings, once: tests damage copies."""
    data = tmp_path_factory.mktemp("clear-errors") / "data"
    assert ingest_paths([SAMPLE_DATA], _settings(data), model=HashingEmbeddings()).exit_code == 0
    return data


def _copy(store: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(store, target)
    return target


def _run(argv: list[str], data_dir: Path, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setenv("DOCENT_DATA_DIR", str(data_dir))
    reset_caches()
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def test_empty_and_overlong_questions_are_refused_before_anything_loads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "never-made"
    for question, reason in (("", "empty"), ("  \n ", "empty"),
                             ("why " * 5000, f"at most {MAX_QUESTION_CHARS}")):
        code, err = _run(["ask", question], data, capsys, monkeypatch)
        assert code == 2 and reason in err and err.count("\n") == 1, err
    assert not data.exists(), "nothing was opened"
    assert check_question(f"  {QUESTION}\n") == QUESTION
    assert check_question("x" * MAX_QUESTION_CHARS)
    with pytest.raises(QuestionError):
        check_question("x" * (MAX_QUESTION_CHARS + 1))


def _resources(data: Path, answers: list[str]) -> Resources:
    from core.resources import Resources
    from tests.fakes import completion_model

    return Resources(_settings(data).model_copy(update={"answer_cache": False}),
                     model=completion_model(answers), embeddings=HashingEmbeddings())


def test_a_graph_run_checks_the_question_too(fake_store: Path) -> None:
    from graphs.context import Context
    from graphs.graph import graph

    with pytest.raises(QuestionError, match="empty"):
        graph.invoke({"question": " "}, context=Context(resources=_resources(fake_store, [])))


def test_chat_reports_an_overlong_line_and_goes_on(
        fake_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from app.chat import chat
    from graphs.context import Context

    out = io.StringIO()
    context = Context(resources=_resources(_copy(fake_store, tmp_path), []))
    code = chat(["x" * (MAX_QUESTION_CHARS + 1), "What is the capital of Mongolia?"],
                context, "t", out)
    assert code == 2 and "at most" in capsys.readouterr().err
    assert "The documents do not say." in out.getvalue(), "the next line was answered"


@pytest.mark.parametrize("damage,names,command", [
    ("chroma/chroma.sqlite3", "chroma", ["ask", QUESTION]),
    # answering never reads the records (they are opened on first use): ingest does
    ("records.sqlite", "records.sqlite", ["ingest", str(SAMPLE_DATA)]),
    ("bm25", "bm25", ["ask", QUESTION]),
])
def test_a_damaged_store_file_is_one_line_with_the_fix(
        damage: str, names: str, command: list[str], fake_store: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    data = _copy(fake_store, tmp_path)
    targets = ([p for p in (data / damage).rglob("*") if p.is_file() and p.name != "CURRENT"]
               if (data / damage).is_dir() else [data / damage])
    for target in targets:
        target.write_bytes(b"\x8a not a store file \x00" * 50)
    monkeypatch.setenv("DOCENT_EMBEDDING_MODEL", "test:hashing")
    monkeypatch.setattr("core.embeddings.embeddings_from", lambda settings: HashingEmbeddings())
    code, err = _run(command, data, capsys, monkeypatch)
    assert code == 2 and err.count("\n") == 1, err
    assert names in err and "damaged or unreadable" in err and ("delete" in err or
                                                                "restore" in err), err
    check = doctor_module.check_store(_settings(data))
    assert check.status == "FAIL" and names in check.detail and check.fix, check


@pytest.mark.parametrize("name", ["files.sqlite", "embedding_cache.sqlite"])
def test_a_damaged_cache_stops_ingest_with_one_line(
        name: str, fake_store: Path, tmp_path: Path) -> None:
    from core.errors import DocentError

    data = _copy(fake_store, tmp_path)
    for wal in data.glob(f"{name}-*"):  # else SQLite reads its pages from the write-ahead log
        wal.unlink()
    (data / name).write_bytes(b"garbage " * 500)
    new = tmp_path / "new.md"
    new.write_text("The café opens a second branch in Daejeon in spring.")
    with pytest.raises(DocentError, match=f"{name}: damaged or unreadable .*delete it"):
        ingest_paths([SAMPLE_DATA, new], _settings(data), model=HashingEmbeddings())
    (data / name).unlink()  # the fix the message gives
    done = ingest_paths([SAMPLE_DATA, new], _settings(data), model=HashingEmbeddings())
    assert done.exit_code == 0 and done.added == 1


def test_the_doctor_never_crashes(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    def broken() -> doctor_module.Check:
        raise sqlite3.DatabaseError("file is not a database")

    monkeypatch.setattr(doctor_module, "check_python", broken)
    monkeypatch.setattr(doctor_module, "check_embeddings", lambda s: doctor_module._ok("e", ""))
    monkeypatch.setattr(doctor_module, "check_llm", lambda s: doctor_module._ok("l", ""))
    monkeypatch.setattr(doctor_module, "check_store", lambda s: doctor_module._ok("s", ""))
    out = io.StringIO()
    assert doctor_module.doctor(Settings(_env_file=None), out) == 1
    assert "a check crashed: DatabaseError: file is not a database" in out.getvalue()


def test_a_data_dir_that_cannot_be_made_is_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setattr("core.embeddings.embeddings_from", lambda settings: HashingEmbeddings())
    code, err = _run(["ingest", str(SAMPLE_DATA / "menu.csv")], blocker / "data", capsys,
                     monkeypatch)
    assert code != 0 and err.count("\n") == 1, err
    assert str(blocker) in err and "DOCENT_DATA_DIR" in err


def test_odd_paths_fail_alone(fake_store: Path, tmp_path: Path) -> None:
    data = _copy(fake_store, tmp_path)
    report = ingest_paths(["", "http://[::1", str(data), str(SAMPLE_DATA / "menu.csv")],
                          _settings(data), model=HashingEmbeddings())
    reasons = {problem.path: problem.error for problem in report.failed}
    assert "empty path" in reasons["''"]
    assert "not a valid URL" in reasons["http://[::1"]
    assert "own data dir" in reasons[str(data)]
    assert report.files == 1 and report.exit_code != 0


def test_a_folder_with_nothing_to_read_says_so(fake_store: Path, tmp_path: Path) -> None:
    data = _copy(fake_store, tmp_path)
    report = ingest_paths([SAMPLE_DATA], _settings(data), include=["*.nothing"],
                          model=HashingEmbeddings())
    assert [(w.path, w.error) for w in report.warnings] == [
        (str(SAMPLE_DATA), "no file to read here matches --include/--exclude")]


def test_a_hand_deleted_records_file_is_named_not_called_interrupted(
        fake_store: Path, tmp_path: Path) -> None:
    data = _copy(fake_store, tmp_path)
    (data / "records.sqlite").unlink()
    report = ingest_paths([SAMPLE_DATA], _settings(data), model=HashingEmbeddings())
    (warning,) = [w.error for w in report.warnings if w.path == str(data)]
    assert "records.sqlite was missing (deleted by hand?)" in warning
    assert "interrupted" not in warning
    again = ingest_paths([SAMPLE_DATA], _settings(data), model=HashingEmbeddings())
    assert again.added == 0 and not again.warnings


@pytest.mark.parametrize("question,script", [
    ("豆はいつ焙煎されますか？", "Japanese"), ("咖啡豆什么时候烘焙？", "Chinese"),
    ("متى يتم تحميص القهوة؟", "Arabic"), ("Когда обжаривают зёрна?", "Cyrillic"),
])
def test_a_question_in_another_script_is_told_the_languages(question: str,
                                                             script: str) -> None:
    assert foreign_script(question) is not None
    note = language_note(question)
    assert "English and Korean" in note and script in note


def test_english_korean_and_mixed_questions_get_no_language_note() -> None:
    for question in (QUESTION, "원두는 언제 볶나요?", "What does 焙煎 mean in the handbook?"):
        assert language_note(question) == ""


def test_the_refusal_of_a_japanese_question_names_the_languages(fake_store: Path) -> None:
    from graphs.context import Context
    from graphs.runner import answer

    result = answer("豆はいつ焙煎されますか？",
                    Context(resources=_resources(fake_store, []))).model_dump()
    assert result["refused"] and "English and Korean" in result["answer"]


def test_help_does_not_promise_any_language(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["ask", "--help"])
    help_text = capsys.readouterr().out
    assert "any language" not in help_text and "English or Korean" in help_text
