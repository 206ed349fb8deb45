"""Table headers: every table on every page heads its columns the same way, in sentence case
("File type", "Why it stays"). The data keep their short lower-case keys, which the services and
the CSV exports use; only what the table shows is relabelled."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def sentence_case(label: str) -> str:
    """``label`` with its first letter capitalised, the rest as written ("SKU", "Cohen's kappa")."""
    return label[:1].upper() + label[1:]


def headed(columns: Iterable[Any], config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``config`` for ``st.dataframe(column_config=...)`` with every one of ``columns`` headed in
    sentence case: a column without a config gets a label, a config without a label gets one,
    and a label given in lower case is capitalised. A column configured as None stays hidden."""
    out: dict[str, Any] = dict(config or {})
    for column in map(str, columns):
        given = out.get(column, ...)
        if given is None:
            continue
        if given is ...:
            out[column] = {"label": sentence_case(column)}
        elif isinstance(given, str):
            out[column] = sentence_case(given)
        elif isinstance(given, Mapping):
            out[column] = {**given, "label": sentence_case(str(given.get("label") or column))}
    return out
