"""Rows (a list of dicts) -> text: an aligned table for people, CSV for spreadsheets, JSON for programs."""

from __future__ import annotations

import csv
import datetime
import io
import json
from typing import Any, Dict, List, Sequence

FORMATS = ('table', 'csv', 'json')


def render(rows: Sequence[Dict[str, Any]], fmt: str) -> str:
    """The rows in ``fmt`` (one of FORMATS), ending with a newline; columns in the order they first appear."""
    if fmt == 'json':
        return json.dumps(list(rows), default=_json_default, indent=2) + '\n'
    columns = _columns(rows)
    if fmt == 'csv':
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator='\n')
        writer.writeheader()
        writer.writerows({key: _text(row.get(key)) for key in columns} for row in rows)
        return buffer.getvalue()
    if fmt == 'table':
        return _table(rows, columns)
    raise ValueError(f"'fmt' must be one of {', '.join(FORMATS)}, got {fmt!r}")


def _columns(rows: Sequence[Dict[str, Any]]) -> List[str]:
    return list(dict.fromkeys(key for row in rows for key in row))


def _table(rows: Sequence[Dict[str, Any]], columns: List[str]) -> str:
    if not rows:
        return '(none)\n'
    cells = [[_text(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    numeric = [all(_is_number(row.get(column)) for row in rows if row.get(column) is not None) for column in columns]

    def line(values: List[str]) -> str:
        return '  '.join(
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        ).rstrip()

    return '\n'.join([line(columns), line(['-' * width for width in widths])] + [line(c) for c in cells]) + '\n'


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(value: Any) -> str:
    if value is None:
        return ''
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)
