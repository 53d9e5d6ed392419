"""Chroma-style metadata filters (what `--filter` and the ingest pass) as SQL over a jsonb
`metadata` column."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.errors import DocentError

if TYPE_CHECKING:
    from psycopg import sql

OPERATORS = {"$eq": "=", "$ne": "<>", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


def where_sql(where: dict[str, Any] | None) -> tuple[sql.Composable, list[Any]]:
    """`TRUE` or the filter's condition, and its parameters."""
    from psycopg import sql

    if not where:
        return sql.SQL("TRUE"), []
    params: list[Any] = []
    return _condition(where, params), params


def _condition(where: dict[str, Any], params: list[Any]) -> sql.Composable:
    from psycopg import sql

    parts: list[sql.Composable] = []
    for key, value in where.items():
        if key in ("$and", "$or"):
            joined = sql.SQL(" AND " if key == "$and" else " OR ").join(
                _condition(part, params) for part in value)
            parts.append(sql.SQL("({})").format(joined))
        elif key.startswith("$"):
            raise DocentError(f"filter operator {key} is not supported on PostgreSQL")
        else:
            parts.append(_field(key, value, params))
    return sql.SQL(" AND ").join(parts)


def _field(key: str, test: Any, params: list[Any]) -> sql.Composable:
    from psycopg import sql
    from psycopg.types.json import Jsonb

    field = sql.SQL("(metadata -> {})").format(sql.Literal(key))
    operator, value = next(iter(test.items())) if isinstance(test, dict) else ("$eq", test)
    if operator in ("$in", "$nin"):
        params.append([Jsonb(v) for v in value])
        negation = "NOT " if operator == "$nin" else ""
        return sql.SQL(negation + "({} = ANY(%s::jsonb[]))").format(field)
    if operator not in OPERATORS:
        raise DocentError(f"filter operator {operator} is not supported on PostgreSQL")
    params.append(Jsonb(value))
    return sql.SQL("({} " + OPERATORS[operator] + " %s::jsonb)").format(field)
