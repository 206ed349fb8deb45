"""Every table heads its columns in sentence case (pages/common/tables.py)."""

import json

import streamlit as st

from core.services import feedback
from core.store.queries import list_images
from pages.common.tables import headed, sentence_case
from tests.pages.conftest import ADMIN, make_app
from tests.pages.test_feedback import _reject_the_least_sharp


def test_sentence_case_keeps_what_is_already_capitalised():
    assert [sentence_case(s) for s in ("file type", "SKU", "Cohen's kappa", "")] == [
        "File type",
        "SKU",
        "Cohen's kappa",
        "",
    ]


def test_headed_labels_every_column_and_keeps_each_config():
    config = headed(
        ["score", "why it stays", "kappa", "secret", "user"],
        {
            "score": st.column_config.NumberColumn("score", format="%.1f"),
            "why it stays": st.column_config.TextColumn(width=640),
            "kappa": st.column_config.NumberColumn("Cohen's kappa"),
            "secret": None,
        },
    )
    assert config["score"]["label"] == "Score" and config["score"]["type_config"]["format"] == "%.1f"
    assert config["why it stays"]["label"] == "Why it stays" and config["why it stays"]["width"] == 640
    assert config["kappa"]["label"] == "Cohen's kappa"
    assert config["secret"] is None  # hidden stays hidden
    assert config["user"] == {"label": "User"}


def _headers(at):
    """Each table's shown headers: its configured label, else the column's own name (only the
    columns it shows: ``column_order`` where given, and none configured as hidden)."""
    out = []
    for table in at.dataframe:
        config = json.loads(table.proto.columns or "{}")
        shown = list(table.proto.column_order) or [str(c) for c in table.value.columns]
        out.append(
            [
                (config.get(c) or {}).get("label") or c
                for c in shown
                if config.get(c, {}) is not None and not (config.get(c) or {}).get("hidden")
            ]
        )
    return out


def _lower(at):
    return [h for table in _headers(at) for h in table if h[:1].islower()]


def test_the_users_inspect_and_feedback_tables_head_their_columns_in_sentence_case(db, monkeypatch):
    """Found by a browser probe: the marketplace checklist, upload report, bulk approval and the
    feedback analytics were headed "file type", "why it stays", while the rest read "Score"."""
    at = make_app(ADMIN, "pages/users.py")
    assert _headers(at)[0] == ["User", "Role", "Merchant", "Active"]
    rec = list_images(db)[0]
    at = make_app(ADMIN, "pages/inspect.py", {"v": str(rec.version_id)})
    assert len(at.dataframe) >= 3 and _lower(at) == []
    _reject_the_least_sharp(db)
    monkeypatch.setattr(feedback, "TUNE_MIN_EACH", 5)  # the sample store holds 20 images, not 40
    at = make_app(ADMIN, "pages/feedback.py")
    headers = _headers(at)
    assert ["Check", "Newly flagged", "Cleared"] in headers
    assert _lower(at) == []
