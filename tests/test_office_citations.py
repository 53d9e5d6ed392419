"""A generated deck and workbook ingested into real Chroma with the fake embedding: the
answer's sources and evidence (`ask --json`), its printed report and MCP search name the
slide, and the sheet and row, each passage comes from. No real model."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from core.resources import Resources
from core.settings import Settings
from graphs.context import Context
from tests.fakes import HashingEmbeddings, completion_model
from tests.office_factory import make_pptx, make_xlsx

BUSAN = "Which year does the second store open in Busan?"
MILK = "How many litres of Seoul Milk per week?"


@pytest.fixture(scope="module")
def office_store(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from ingest.pipeline import ingest_paths

    root = tmp_path_factory.mktemp("office-citations")
    (root / "plan.pptx").write_bytes(make_pptx(
        ["Plan for the year", "Expansion\nThe second store opens in Busan in 2027."]))
    (root / "stock.xlsx").write_bytes(make_xlsx(
        {"Beans": [["origin", "kilograms"], ["Huila", 40]],
         "Milk": [["brand", "litres per week"], ["Seoul Milk", 180]]}))
    settings = Settings(_env_file=None, data_dir=root / "data", embedding_model="test:hashing",
                        answer_cache=False)
    report = ingest_paths([root / "plan.pptx", root / "stock.xlsx"], settings,
                          model=HashingEmbeddings())
    assert report.exit_code == 0 and report.files_loaded == 2, report.table()
    return settings


def _resources(settings: Settings, answer: str) -> Resources:
    return Resources(settings, model=completion_model([answer]), embeddings=HashingEmbeddings())


@pytest.mark.parametrize(("question", "reply", "name", "key", "value", "where"), [
    (BUSAN, "2027", "plan.pptx", "slide", 2, "slide 2"),
    (MILK, "180", "stock.xlsx", "sheet", "Milk", "sheet Milk, row 2"),
])
def test_ask_json_and_report_name_slide_and_sheet(office_store: Settings, question: str,
                                                  reply: str, name: str, key: str,
                                                  value: object, where: str) -> None:
    from app.ask import print_report
    from graphs.runner import answer

    result = answer(question, Context(resources=_resources(office_store, reply))).model_dump()
    printed = json.loads(json.dumps(result, ensure_ascii=False))  # what `ask --json` prints
    first, evidence = printed["sources"][0], printed["evidence"][0]
    assert Path(first["source"]).name == name and first[key] == value
    assert first["page"] is None and first["locator"] == where
    assert (evidence["passage"], evidence[key]) == (1, value)
    report = io.StringIO()
    print_report(result, report)
    assert f"[1] {first['source']}, {where}  (score" in report.getvalue()


def test_mcp_search_names_the_slide(office_store: Settings) -> None:
    from app.mcp_server import search

    found = search(_resources(office_store, ""), BUSAN, 1)
    assert (Path(found[0]["source"]).name, found[0]["slide"], found[0]["locator"]) == (
        "plan.pptx", 2, "slide 2")
