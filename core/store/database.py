"""The review store: one database plus a folder of content-addressed image files.

SQLAlchemy Core keeps every query dialect-neutral: the default is an SQLite file (WAL mode,
foreign keys on, a busy timeout), and ``$IMAGEDESK_DATABASE_URL`` (or ``database_url=``) points
the same code at PostgreSQL. The schema is brought forward on open by Alembic revisions
(``migrations/versions/``, numbered 0001, 0002, ...), under a lock so that several servers may start
at once.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.schema import CreateIndex
from sqlalchemy.sql import Select

from core.store.settings import DATABASE_URL_ENV, data_dir
from core.store.textfold import FOLD_FUNCTION, sql_fold

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "ANALYSIS_LIMIT",
    "COPIES_LOOKED_UP",
    "ISSUE_COUNT_KEY",
    "HAS_ISSUES_KEY",
    "IMAGES_FTS",
    "MEASURED_METRICS",
    "METRICS_TRIGGER",
    "MIGRATIONS_DIR",
    "NAME_ORDER_INDEX",
    "SAME_FILE_INDEX",
    "SCHEMA_VERSION",
    "STATISTICS_MIN_IMAGES",
    "Store",
    "TEXT_INDEX_MIN_CHARS",
    "TEXT_SEARCH_COLUMNS",
    "add_column",
    "copied_files",
    "copied_shas",
    "create_agreement_index",
    "create_metric_columns",
    "create_name_order_index",
    "create_same_file_index",
    "create_text_fold",
    "create_text_index",
    "folded",
    "has_text_index",
    "inserted_id",
    "metadata",
    "name_order_key",
    "new_revision",
    "now",
    "open_store",
    "private_folder",
    "shown_name",
    "write_private",
]

metadata = MetaData()

#: One row per applied schema version (revision 0008 is version 8). Alembic keeps the current
#: revision in its own ``alembic_version``; this table stays as the history, the version of
#: databases from before Alembic, and what older readers look at.
schema_info = Table(
    "schema_info",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("migrated_at", String(40), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("merchant_id", String(64)),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", String(40), nullable=False),
)

images = Table(
    "images",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("merchant_id", String(64), nullable=False),
    Column("sku", String(128), nullable=False, default=""),
    Column("file_name", String(160), nullable=False),
    Column("sha256", String(64), nullable=False),
    # migration 4: the name exactly as the merchant gave it (quotes, newlines, backslashes), for display;
    # file_name is the safe name used for downloads and exports.
    Column("display_name", Text, nullable=False, default=""),
    Column("uploaded_by", String(64), nullable=False, default=""),
    Column("created_at", String(40), nullable=False),
    UniqueConstraint("merchant_id", "sha256", name="uq_image_merchant_sha"),
)

#: An image's name as the merchant gave it, in SQL (the safe file name for rows stored before
#: names were kept): what every page and export shows.
shown_name = func.coalesce(func.nullif(images.c.display_name, ""), images.c.file_name)

versions = Table(
    "versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("image_id", Integer, ForeignKey("images.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # original | optimized
    Column("sha256", String(64), nullable=False),
    Column("blob_path", String(200), nullable=False),
    Column("format", String(16), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("file_size", Integer, nullable=False),
    Column("recipe_json", Text, nullable=False, default=""),
    Column("parent_id", Integer, ForeignKey("versions.id")),
    Column("submitted", Boolean, nullable=False, default=True),  # in the review queue
    Column("created_by", String(64), nullable=False, default=""),
    Column("created_at", String(40), nullable=False),
    Column("info_json", Text, nullable=False, default="{}"),
)

#: Migration 17: the other names a merchant uploaded an image's very file under. A file is stored
#: once per merchant (``uq_image_merchant_sha``), so a copy under another name, or for another
#: SKU, left no trace but the upload's report: one photo reused for two products (the "blue" page
#: showing the black shirt) never reached a reviewer, and the copy's name found nothing later.
image_names = Table(
    "image_names",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("image_id", Integer, ForeignKey("images.id"), nullable=False, index=True),
    Column("file_name", String(160), nullable=False),
    Column("display_name", Text, nullable=False, default=""),
    Column("sku", String(128), nullable=False, default=""),
    Column("uploaded_by", String(64), nullable=False, default=""),
    Column("created_at", String(40), nullable=False),
)

analyses = Table(
    "analyses",
    metadata,
    Column("version_id", Integer, ForeignKey("versions.id"), primary_key=True),
    Column("engine_version", String(16), nullable=False),
    Column("metrics_json", Text, nullable=False),
    Column("phash", String(16), nullable=False),
    Column("bbox_json", Text, nullable=False),
    # migration 6: the colour layout that tells the same photo from a colour variant (issue 11)
    Column("colors", Text, nullable=False, default=""),
    Column("created_at", String(40), nullable=False),
)

scores = Table(
    "scores",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version_id", Integer, ForeignKey("versions.id"), nullable=False),
    Column("profile", String(64), nullable=False),
    Column("engine_version", String(16), nullable=False),
    Column("score", Float, nullable=False),
    Column("issues", Text, nullable=False),  # names joined by ';'
    Column("issues_json", Text, nullable=False),
    Column("contributions_json", Text, nullable=False),
    Column("duplicate_of", Integer),
    Column("created_at", String(40), nullable=False),
    UniqueConstraint("version_id", "profile", name="uq_score_version_profile"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version_id", Integer, ForeignKey("versions.id"), nullable=False),
    Column("reviewer", String(64), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("reasons", Text, nullable=False, default=""),  # joined by ';'
    Column("comment", Text, nullable=False, default=""),
    Column("profile", String(64), nullable=False, default=""),
    Column("opened_at", String(40)),
    Column("decided_at", String(40), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("replaces_id", Integer, ForeignKey("reviews.id")),
    Column("undone_at", String(40)),
    Column("batch_id", String(32)),  # migration 4: decisions made together ("approve all shown") share it
)

review_opens = Table(
    "review_opens",
    metadata,
    Column("version_id", Integer, ForeignKey("versions.id"), primary_key=True),
    Column("reviewer", String(64), primary_key=True),
    Column("opened_at", String(40), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", String(40), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("entity_id", Integer),
    Column("before_json", Text, nullable=False, default=""),
    Column("after_json", Text, nullable=False, default=""),
)

#: Server-side sign-in sessions (migration 3). The browser cookie holds only a random id; the
#: table keeps its sha256, so a copy of the database does not hand out live sessions.
sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, nullable=False),  # not a foreign key: a deleted user's sessions stay as a record
    Column("username", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("last_seen_at", String(40), nullable=False),
    Column("revoked_at", String(40)),
    Column("revoked_reason", String(32), nullable=False, default=""),
)

#: Every sign-in attempt (migration 3), for throttling per account and per client.
sign_in_attempts = Table(
    "sign_in_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", String(40), nullable=False),
    Column("username", String(64), nullable=False),  # lower-cased, as typed (may name no account)
    Column("client", String(64), nullable=False, default=""),
    Column("ok", Boolean, nullable=False),
)

_V3_TABLES = (sessions, sign_in_attempts)
_V3_INDEXES = (
    Index("ix_sessions_user", sessions.c.user_id),
    Index("ix_attempts_user_at", sign_in_attempts.c.username, sign_in_attempts.c.at),
    Index("ix_attempts_client_at", sign_in_attempts.c.client, sign_in_attempts.c.at),
)

#: The shared review queue (migration 4): a short lease on the item a reviewer is shown, so a team
#: working the same queue is handed different images. Released on decide, skip, sign-out; expires.
review_leases = Table(
    "review_leases",
    metadata,
    Column("version_id", Integer, ForeignKey("versions.id"), primary_key=True),
    Column("reviewer", String(64), primary_key=True),
    Column("expires_at", String(40), nullable=False),
)

#: Queue settings an admin chooses (migration 4), e.g. the share of items reviewed twice.
queue_settings = Table(
    "queue_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("updated_by", String(64), nullable=False, default=""),
    Column("updated_at", String(40), nullable=False),
)

_V4_TABLES = (review_leases, queue_settings)
_V4_INDEXES = (
    Index("ix_review_leases_reviewer", review_leases.c.reviewer),
    Index("ix_reviews_batch", reviews.c.batch_id),
)

#: Indexes added by migration 2 (queue and export queries).
_V2_INDEXES = (
    Index("ix_reviews_version_active", reviews.c.version_id, reviews.c.active),
    Index("ix_reviews_reviewer_active", reviews.c.reviewer, reviews.c.active),
    Index("ix_reviews_decided_at", reviews.c.decided_at),
    Index("ix_versions_image", versions.c.image_id),
    Index("ix_images_merchant", images.c.merchant_id),
)

#: Issue names per score, one row each (migration 5): the catalogue filters and counts issues in
#: SQL (``scores.issues`` keeps the ';'-joined names for display and old readers).
score_issues = Table(
    "score_issues",
    metadata,
    Column("version_id", Integer, ForeignKey("versions.id"), primary_key=True),
    Column("profile", String(64), primary_key=True),
    Column("issue", String(32), primary_key=True),
)

#: Reviewer-tuned profiles (migration 5): shared by every app server through the database (they
#: used to be JSON files under data/profiles, which migration 5's caller imports once).
stored_profiles = Table(
    "profiles",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("profile_json", Text, nullable=False),
    Column("created_by", String(64), nullable=False, default=""),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
)

#: Indexes for the large-catalogue queries (migration 5): overview sort/filter by score, issue
#: counts, latest decision per version, kind filter.
_V5_INDEXES = (
    Index("ix_scores_profile_score", scores.c.profile, scores.c.score, scores.c.version_id),
    Index("ix_scores_version_profile_score", scores.c.version_id, scores.c.profile, scores.c.score),
    Index("ix_score_issues_profile_issue", score_issues.c.profile, score_issues.c.issue, score_issues.c.version_id),
    Index("ix_reviews_active_version_id", reviews.c.active, reviews.c.version_id, reviews.c.id),
    Index("ix_reviews_version_active_decision", reviews.c.version_id, reviews.c.active, reviews.c.decision),
    Index("ix_versions_kind_image", versions.c.kind, versions.c.image_id),
    Index("ix_reviews_profile_decided", reviews.c.profile, reviews.c.decided_at),
)

#: The review queue's "most issues first" order over ``scores``: whether a score has issues, and how
#: many name separators its ``issues`` holds (one fewer than its issues). Constants are inline SQL,
#: not bound parameters, so the queries' ORDER BY is the very expression the index below holds.
HAS_ISSUES_KEY: Final = (func.length(scores.c.issues) > literal_column("0")).self_group()
ISSUE_COUNT_KEY: Final = (
    func.length(scores.c.issues)
    - func.length(func.replace(scores.c.issues, literal_column("';'"), literal_column("''")))
).self_group()

#: Indexes for the review queue at scale (migration 7). The queue walks its order in an index and
#: stops at the first open item, instead of testing every version and sorting them all: by score
#: and by most issues (each holding what the walk reads, ``issues`` included, so it reads the index
#: only, and SQLite prefers the one whose order matches), oldest first (submitted versions only; it
#: also counts them); whether others decided an item, and who, is read from one index.
_V7_INDEXES = (
    Index(
        "ix_scores_queue_issues",
        scores.c.profile,
        HAS_ISSUES_KEY.desc(),
        ISSUE_COUNT_KEY.desc(),
        scores.c.score,
        scores.c.version_id,
        scores.c.issues,
    ),
    Index("ix_scores_queue_score", scores.c.profile, scores.c.score, scores.c.version_id, scores.c.issues),
    Index(
        "ix_versions_queue_oldest",
        versions.c.created_at,
        versions.c.id,
        sqlite_where=versions.c.submitted.is_(True),
        postgresql_where=versions.c.submitted.is_(True),
    ),
    Index("ix_reviews_version_active_reviewer", reviews.c.version_id, reviews.c.active, reviews.c.reviewer),
)
scores.indexes.discard(_V7_INDEXES[0])

#: Migration 8: which analyses an older engine made (the catalogue's "stale" note counts them on
#: every Overview run; without it, a scan of every stored measurement).
_V8_INDEXES = (Index("ix_analyses_engine_version", analyses.c.engine_version),)

#: Migration 10: the versions kept out of the review queue (optimized versions saved without being
#: submitted), usually few. The queue's progress counts the items decided as every decided version
#: less the decided ones among these, instead of testing each of a million versions (issue 9).
_V10_INDEXES = (
    Index(
        "ix_versions_not_submitted",
        versions.c.id,
        sqlite_where=versions.c.submitted.is_(False),
        postgresql_where=versions.c.submitted.is_(False),
    ),
)

#: Migration 13 (SQLite): the Feedback page's reviewer agreement
#: (:func:`~core.store.feedback.double_reviewed_decisions`) groups the active decisions in its date
#: range by version from this index alone, in its order, with what the filter and the answer read.
#: Without it SQLite looked up every decision in the table: 3.0 s with a million decisions in the
#: range, 0.9 s with it; 2.1 s and 0.12 s for the last two days (issue 9). PostgreSQL's plan, a
#: hash semi-join of the decisions with themselves, reads the table once whatever the indexes, so
#: there it is not made (it would only slow every decision down). Kept out of ``metadata`` (as
#: ``ix_scores_queue_issues``), made by the revision: :func:`create_agreement_index`.
AGREEMENT_INDEX: Final = Index(
    "ix_reviews_active_version_reviewer_decided",
    reviews.c.active,
    reviews.c.version_id,
    reviews.c.reviewer,
    reviews.c.decided_at,
    reviews.c.decision,
)
reviews.indexes.discard(AGREEMENT_INDEX)


def create_agreement_index(conn: Connection) -> None:
    """Revision 0013: make :data:`AGREEMENT_INDEX` on SQLite, with its planner statistics when the
    database has some (sampled as :meth:`Store.refresh_statistics` samples them): without them the
    planner would not weigh it against the indexes it has statistics for. PostgreSQL: nothing."""
    if conn.dialect.name != "sqlite":
        return
    AGREEMENT_INDEX.create(conn, checkfirst=True)
    _sample_statistics(conn, str(AGREEMENT_INDEX.name))


def _sample_statistics(conn: Connection, index: str) -> None:
    """On SQLite, the planner statistics of a new ``index`` where the database keeps some (sampled
    as :meth:`Store.refresh_statistics` samples them): without them the planner would not weigh it
    against the indexes it has statistics for. Elsewhere, nothing."""
    if conn.dialect.name != "sqlite":
        return
    if conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
        conn.exec_driver_sql(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        conn.exec_driver_sql(f"ANALYZE {index}")


#: Migration 15: the index the Overview's order by name walks (see :func:`name_order_key`), so a
#: page of a million images sorted by name is read in order, not sorted whole.
NAME_ORDER_INDEX: Final = "ix_images_name_order"


def name_order_key(dialect: str) -> Any:
    """What the Overview's order by name sorts by: the shown name in lower case, compared byte by
    byte (PostgreSQL's collation "C", SQLite's default), so both databases list names in one order
    whatever the server's locale. SQLite's ``lower()`` folds A-Z only ("É" sorts after "z" there).

    The empty string is written into the SQL, not bound: SQLite uses an index on an expression
    only for the very same expression, and a parameter is not the literal the index holds.
    """
    key = func.lower(func.coalesce(func.nullif(images.c.display_name, literal_column("''")), images.c.file_name))
    return key.collate("C") if dialect == "postgresql" else key


def create_name_order_index(conn: Connection) -> None:
    """Revision 0015: make :data:`NAME_ORDER_INDEX` (the name key, then the image id that breaks
    ties), with its planner statistics on SQLite when the database has some."""
    index = Index(NAME_ORDER_INDEX, name_order_key(conn.dialect.name), images.c.id)
    images.indexes.discard(index)  # made here, not by ``metadata`` (as AGREEMENT_INDEX)
    conn.execute(CreateIndex(index, if_not_exists=True))
    _sample_statistics(conn, NAME_ORDER_INDEX)


#: Migration 16: the images by their file's SHA-256 alone, so that the same file stored under
#: another merchant is found at once (the unique index leads with the merchant id, so at 1M images
#: a look-up by SHA-256 read every image).
SAME_FILE_INDEX: Final = Index("ix_images_sha256", images.c.sha256)
images.indexes.discard(SAME_FILE_INDEX)  # made by revision 0016, not by ``metadata``


def copied_files() -> Select[Any]:
    """The SHA-256 of every file that more than one merchant stored (a merchant stores a file once:
    ``uq_image_merchant_sha``), read from :data:`SAME_FILE_INDEX` alone. Copies are few, so a filter
    on them starts from this set rather than testing every image of the queue or the catalogue."""
    other = images.alias("copied_file")
    return select(other.c.sha256).group_by(other.c.sha256).having(func.count() > 1)


#: Up to this many copied files are looked up before a query that lists them (see
#: :func:`copied_shas`); with more, the query tests each row against :func:`copied_files` itself.
COPIES_LOOKED_UP: Final = 2000


def copied_shas(conn: Connection) -> list[str] | None:
    """:func:`copied_files`, read first so that a query can start from these few files (a lookup
    in :data:`SAME_FILE_INDEX` each), or ``None`` when there are more than :data:`COPIES_LOOKED_UP`.
    Given as a subquery, PostgreSQL expected a third of the images to be copies: it walked the
    queue testing each item (0.26 s at 100,000 images, against 3 ms without the filter) or read
    every image and version for the catalogue's counts."""
    found = list(conn.execute(copied_files().limit(COPIES_LOOKED_UP + 1)).scalars())
    return found if len(found) <= COPIES_LOOKED_UP else None


def create_same_file_index(conn: Connection) -> None:
    """Revision 0016: make :data:`SAME_FILE_INDEX`, with its planner statistics on SQLite when the
    database has some."""
    SAME_FILE_INDEX.create(conn, checkfirst=True)
    _sample_statistics(conn, str(SAME_FILE_INDEX.name))


#: Migration 14: every stored measurement of every analysis in a column of its own, so that the
#: Feedback page's preview of a tuned profile (:func:`~core.store.analytics.catalogue_metrics`)
#: reads the few metrics it needs instead of parsing every analysis's JSON in Python (issue 9: at
#: 1M images 18 s on SQLite and 27-45 s on PostgreSQL; asking the database for the values from
#: the JSON is no cure, its JSON functions parse it as slowly). The columns are the metrics as of
#: revision 0014 (a metric added since has none: its readers parse the JSON, as before). Triggers
#: on ``analyses`` keep the table in step, so no writer of analyses knows of it. A row whose JSON
#: the database does not read (``Infinity`` or ``NaN``, which Python writes and neither SQLite's
#: nor PostgreSQL's JSON accepts) has ``unparsed`` set and no values: its readers parse that
#: row's ``metrics_json`` themselves.
MEASURED_METRICS: Final = (
    "sharpness",
    "laplacian_var",
    "noise_sigma",
    "detail_long_side",
    "brightness",
    "subject_brightness",
    "shadow_clip",
    "highlight_clip",
    "channel_clip",
    "highlight_level",
    "contrast",
    "black_level",
    "color_cast",
    "colorfulness",
    "gray_chroma",
    "blockiness",
    "jpeg_quality",
    "entropy",
    "detail",
    "width",
    "height",
    "long_side",
    "megapixels",
    "aspect_ratio",
    "file_mb",
    "background_white",
    "background_luma",
    "product_fill",
    "product_extent",
    "palette_share",
    "padding",
    "frame",
    "neutral_tint_share",
    "exact_duplicate",
    "hash_distance",
    "color_distance",
)

#: Kept out of ``metadata`` (as revision 0011's FTS5 table): revision 0014 makes it with the
#: triggers that fill it, on a new database as on an old one.
analysis_metrics = Table(
    "analysis_metrics",
    MetaData(),
    Column("version_id", Integer, primary_key=True),  # analyses.version_id (kept by triggers, no key)
    Column("unparsed", Boolean, nullable=False),
    *(Column(m, Float) for m in MEASURED_METRICS),
)

#: The trigger (and, on PostgreSQL, its function) that keep :data:`analysis_metrics` in step.
METRICS_TRIGGER: Final = "analysis_metrics_sync"


def _metrics_sync_statements(dialect: str) -> list[str]:
    """Revision 0014's triggers, then the statements that fill :data:`analysis_metrics` (emptied
    first, so running them again changes nothing) from the analyses already there: at 1M analyses
    25-35 s on either backend (the JSON of each parsed once, in the database)."""
    quoted = [f'"{m}"' for m in MEASURED_METRICS]
    cols = ", ".join(quoted)
    table = analysis_metrics.name
    # every analysis the fill left out, marked unparsed (at 1M analyses 0.8 s on SQLite, where
    # testing each JSON again took 4.5 s)
    unfilled = (
        f"INSERT INTO {table} (version_id, unparsed) SELECT a.version_id, {'true' if dialect == 'postgresql' else 1} "
        f"FROM analyses AS a WHERE NOT EXISTS (SELECT 1 FROM {table} AS m WHERE m.version_id = a.version_id)"
    )
    if dialect == "postgresql":
        # PostgreSQL 15 has no test of JSON short of catching its error (a subtransaction per row),
        # so a row is read when it is an object without the tokens json.dumps writes outside
        # standard JSON (Infinity, -Infinity, NaN): PostgreSQL reads the rest of what
        # dumps_metrics writes as Python does (numbers within a double's range, null).
        def readable(text: str) -> str:
            return f"coalesce(left({text}, 1) = '{{' AND strpos({text}, 'Infinity') = 0 AND strpos({text}, 'NaN') = 0, false)"

        def record(text: str) -> str:  # the metrics as a row of doubles (json: each number as written)
            return f"json_to_record({text}::json) AS r({', '.join(f'{q} float8' for q in quoted)})"

        values = ", ".join(f"r.{q}" for q in quoted)
        return [
            f"CREATE OR REPLACE FUNCTION {METRICS_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP <> 'INSERT' THEN DELETE FROM {table} WHERE version_id = OLD.version_id; END IF; "
            "IF TG_OP <> 'DELETE' THEN "
            f"IF {readable('NEW.metrics_json')} THEN "
            f"INSERT INTO {table} (version_id, unparsed, {cols}) SELECT NEW.version_id, false, {values} "
            f"FROM {record('NEW.metrics_json')}; "
            f"ELSE INSERT INTO {table} (version_id, unparsed) VALUES (NEW.version_id, true); END IF; "
            "END IF; RETURN NULL; END $$",
            f"DROP TRIGGER IF EXISTS {METRICS_TRIGGER} ON analyses",
            f"CREATE TRIGGER {METRICS_TRIGGER} AFTER INSERT OR DELETE OR UPDATE OF version_id, metrics_json "
            f"ON analyses FOR EACH ROW EXECUTE FUNCTION {METRICS_TRIGGER}()",
            f"DELETE FROM {table}",
            # OFFSET 0 keeps the subquery whole: only the rows it lets through are parsed
            f"INSERT INTO {table} (version_id, unparsed, {cols}) SELECT a.version_id, false, {values} FROM "
            f"(SELECT version_id, metrics_json FROM analyses WHERE {readable('metrics_json')} OFFSET 0) a, "
            f"{record('a.metrics_json')}",
            unfilled,
        ]

    def fill(row: str) -> str:  # the row's values, or a row marked unparsed (json_valid: strict JSON)
        extract = ", ".join(f"json_extract({row}.metrics_json, '$.\"{m}\"')" for m in MEASURED_METRICS)
        return (
            f"INSERT INTO {table} (version_id, unparsed, {cols}) SELECT {row}.version_id, 0, {extract} "
            f"WHERE json_valid({row}.metrics_json) IS 1; "
            f"INSERT INTO {table} (version_id, unparsed) SELECT {row}.version_id, 1 "
            f"WHERE json_valid({row}.metrics_json) IS NOT 1;"
        )

    drop = f"DELETE FROM {table} WHERE version_id = old.version_id;"
    extract = ", ".join(f"json_extract(metrics_json, '$.\"{m}\"')" for m in MEASURED_METRICS)
    return [
        f"CREATE TRIGGER IF NOT EXISTS {METRICS_TRIGGER}_insert AFTER INSERT ON analyses BEGIN {fill('new')} END",
        f"CREATE TRIGGER IF NOT EXISTS {METRICS_TRIGGER}_delete AFTER DELETE ON analyses BEGIN {drop} END",
        f"CREATE TRIGGER IF NOT EXISTS {METRICS_TRIGGER}_update AFTER UPDATE OF version_id, metrics_json "
        f"ON analyses BEGIN {drop} {fill('new')} END",
        f"DELETE FROM {table}",
        f"INSERT INTO {table} (version_id, unparsed, {cols}) SELECT version_id, 0, {extract} FROM analyses "
        "WHERE json_valid(metrics_json) IS 1",
        unfilled,
    ]


def create_metric_columns(conn: Connection) -> None:
    """Revision 0014: make :data:`analysis_metrics` and its triggers, and fill it from the
    analyses already there."""
    analysis_metrics.create(conn, checkfirst=True)
    for sql in _metrics_sync_statements(conn.dialect.name):
        conn.exec_driver_sql(sql)


#: Migration 11: the Overview's text search (a substring of the name or the SKU, any case) from a
#: trigram index instead of reading every image (issue 9: 3.7 s on SQLite, 1.5 s on PostgreSQL at
#: 1M images). PostgreSQL: a pg_trgm GIN index on ``lower()`` of each searched column (since
#: migration 12: on :func:`folded` of it, see :func:`create_text_fold`), which answers the very
#: ``LIKE '%text%'`` the catalogue asks. SQLite: an FTS5 table with the trigram tokenizer over the
#: same columns (external content: it holds the index only), kept in step with ``images`` by
#: triggers; the catalogue asks it for candidates of 3 characters or more and keeps its ``LIKE``
#: for the exact answer. Neither is declared in ``metadata`` (SQLAlchemy knows no FTS5 table, and
#: a GIN index made there would be a plain index on SQLite); where the extension or the tokenizer
#: is missing the revision makes nothing and search stays a scan.
TEXT_SEARCH_COLUMNS: Final = ("file_name", "display_name", "sku")
#: The FTS5 table of image names and SKUs (SQLite).
IMAGES_FTS: Final = "images_fts"
#: A trigram index cannot answer a search shorter than this (characters).
TEXT_INDEX_MIN_CHARS: Final = 3
#: The extension and the tokenizer that provide the trigrams (names kept here so a test can ask for
#: a missing one and see the revision fall back).
PG_TRIGRAM_EXTENSION = "pg_trgm"
SQLITE_TRIGRAM_TOKENIZER = "trigram"


def _text_index_statements(dialect: str) -> list[str]:
    cols = ", ".join(TEXT_SEARCH_COLUMNS)
    if dialect == "postgresql":
        return [f"CREATE EXTENSION IF NOT EXISTS {PG_TRIGRAM_EXTENSION}"] + [
            f"CREATE INDEX IF NOT EXISTS ix_images_{c}_trgm ON images USING gin (lower({c}) gin_trgm_ops)"
            for c in TEXT_SEARCH_COLUMNS
        ]
    new = ", ".join(f"new.{c}" for c in TEXT_SEARCH_COLUMNS)
    old = ", ".join(f"old.{c}" for c in TEXT_SEARCH_COLUMNS)
    add = f"INSERT INTO {IMAGES_FTS}(rowid, {cols}) VALUES (new.id, {new});"
    remove = f"INSERT INTO {IMAGES_FTS}({IMAGES_FTS}, rowid, {cols}) VALUES ('delete', old.id, {old});"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {IMAGES_FTS} USING fts5({cols}, content='images', "
        f"content_rowid='id', tokenize='{SQLITE_TRIGRAM_TOKENIZER}')",
        f"CREATE TRIGGER IF NOT EXISTS {IMAGES_FTS}_insert AFTER INSERT ON images BEGIN {add} END",
        f"CREATE TRIGGER IF NOT EXISTS {IMAGES_FTS}_delete AFTER DELETE ON images BEGIN {remove} END",
        f"CREATE TRIGGER IF NOT EXISTS {IMAGES_FTS}_update AFTER UPDATE OF id, {cols} ON images "
        f"BEGIN {remove} {add} END",
        f"INSERT INTO {IMAGES_FTS}({IMAGES_FTS}) VALUES ('rebuild')",  # the images already there
    ]


def create_text_index(conn: Connection) -> bool:
    """Make the text search index (revision 0011) in ``conn``'s transaction; ``False``, with
    nothing made, where the database cannot (no pg_trgm, no FTS5 trigram tokenizer)."""
    from sqlalchemy.exc import DBAPIError

    if has_text_index(conn):
        return True
    try:
        with conn.begin_nested():  # a failure rolls back to here, not the whole migration
            for sql in _text_index_statements(conn.dialect.name):
                conn.exec_driver_sql(sql)
    except DBAPIError as exc:
        warnings.warn(f"no text search index, searches read every image: {exc.orig}", stacklevel=2)
        return False
    return True


def has_text_index(conn: Connection) -> bool:
    """Whether the database has the text search index of revision 0011 (on SQLite: the FTS5
    table the catalogue's search then asks; PostgreSQL's planner finds its indexes itself)."""
    if conn.dialect.name == "sqlite":
        sql = f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{IMAGES_FTS}'"
    else:
        sql = "SELECT 1 FROM pg_indexes WHERE indexname = 'ix_images_sku_trgm'"
    return conn.exec_driver_sql(sql).first() is not None


def folded(column: Any) -> Any:
    """``column`` (or any text expression) with the case of every letter folded, in SQL: the
    function :data:`~core.store.textfold.FOLD_FUNCTION`, registered on each SQLite connection
    (:func:`~core.store.textfold.fold_text`, in Python) and made by migration 12 on PostgreSQL."""
    return getattr(func, FOLD_FUNCTION)(column, type_=Text)


#: Collations that may give PostgreSQL's ``lower()`` every letter, best first: ICU's root locale
#: folds as Python does ('İ' to "i̇"); then the database's own (unless it is C or POSIX, which fold
#: A-Z only, as the tests' server is); then glibc's C.UTF-8.
_PG_FOLD_COLLATIONS: Final = ("und-x-icu", "", "C.utf8", "C.UTF-8")


def _pg_fold_collation(conn: Connection) -> str | None:
    """The ``COLLATE`` clause under which this server's ``lower()`` folds every letter ('' for
    the database's own); ``None`` if none of :data:`_PG_FOLD_COLLATIONS` does."""
    from sqlalchemy.exc import DBAPIError

    for name in _PG_FOLD_COLLATIONS:
        clause = f' COLLATE "{name}"' if name else ""
        try:
            with conn.begin_nested():  # a collation the server lacks fails here, not the migration
                if conn.exec_driver_sql(f"SELECT lower('ÀÜΣЖ'{clause}) = 'àüσж'").scalar():
                    return clause
        except DBAPIError:
            continue
    return None


def create_text_fold(conn: Connection) -> None:
    """Migration 12: the text search folds every letter's case, not A-Z only (a search for
    "Überjacke" found nothing of "Überjacke 1.jpg" on SQLite, nor on a PostgreSQL in the C locale).

    SQLite: nothing to make (the function is registered on each connection). PostgreSQL: the
    function :func:`folded` calls, as SQL over ``lower()`` under a collation that folds every
    letter; and the trigram indexes of migration 11 (if it made them) built again on it, since the
    catalogue's ``LIKE`` now asks for the folded columns (under the same names: drop, create)."""
    if conn.dialect.name != "postgresql":
        return
    collate = _pg_fold_collation(conn)
    if collate is None:
        warnings.warn(
            "no collation folds every letter's case on this PostgreSQL server (no ICU, a C locale): "
            "the text search folds A-Z only",
            stacklevel=2,
        )
    indexed = has_text_index(conn)
    for c in TEXT_SEARCH_COLUMNS:  # they depend on the function's body, replaced below
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS ix_images_{c}_trgm")
    conn.exec_driver_sql(
        f"CREATE OR REPLACE FUNCTION {FOLD_FUNCTION}(value text) RETURNS text "
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
        f"AS $$ SELECT replace(lower(value{collate or ''}), 'ς', 'σ') $$"
    )
    if indexed:
        for c in TEXT_SEARCH_COLUMNS:
            conn.exec_driver_sql(
                f"CREATE INDEX ix_images_{c}_trgm ON images USING gin ({FOLD_FUNCTION}({c}) gin_trgm_ops)"
            )


#: Images from which SQLite's planner statistics are kept (see :meth:`Store.refresh_statistics`).
STATISTICS_MIN_IMAGES: Final = 1000
#: Rows ``ANALYZE`` samples per index on SQLite (``PRAGMA analysis_limit``).
ANALYSIS_LIMIT: Final = 10000

#: Key of the PostgreSQL advisory lock held while migrating (any constant; "imgdesk" in ASCII).
MIGRATION_LOCK_KEY: Final = 0x696D676465736B

#: Alembic's script directory (``env.py``, the revision template, ``versions/``). A folder of
#: scripts, not a package: Alembic loads them by path, so it works from any working directory and
#: from an installed copy (package data), with no ``alembic.ini``.
MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"

#: The number of the head revision (revision "0008" is version 8). Revisions are numbered in
#: order, one after the other: append, never edit. A test checks this equals the head.
SCHEMA_VERSION: Final = 17


def now() -> str:
    """UTC timestamp, ISO 8601 with microseconds (sorts as text in every database)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def inserted_id(result: CursorResult[Any]) -> int:
    """The id the database gave the row a single-row ``INSERT`` just added (``result`` is what
    executing it returned)."""
    key = result.inserted_primary_key
    if key is None:  # only for statements that are not a single-row INSERT
        raise RuntimeError("the statement inserted no row with a primary key")
    return int(key[0])


def add_column(conn: Connection, table: Table, name: str) -> None:
    """``ALTER TABLE ... ADD COLUMN`` for the column ``name`` that ``table`` declares, unless the
    database has it already (one created by revision 0001 from today's metadata does)."""
    from sqlalchemy import inspect
    from sqlalchemy.schema import CreateColumn
    from sqlalchemy.sql.schema import ScalarElementColumnDefault

    if name in {c["name"] for c in inspect(conn).get_columns(table.name)}:
        return
    column = table.c[name]
    ddl = str(CreateColumn(column).compile(dialect=conn.dialect))
    if isinstance(column.default, ScalarElementColumnDefault) and not column.nullable:  # a constant default
        ddl += f" DEFAULT '{column.default.arg}'"
    conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {ddl}")


@dataclass
class Store:
    """A database engine plus the folder where image files live."""

    engine: Engine
    root: Path

    @property
    def blob_dir(self) -> Path:
        return self.root / "blobs"

    @property
    def profiles_dir(self) -> Path:
        return self.root / "profiles"

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL of the database (with its password: for opening it again, not for logs)."""
        return self.engine.url.render_as_string(hide_password=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def write(self, *, exclusive: bool = False) -> Iterator[Connection]:
        """A write transaction. On SQLite it takes the write lock up front (BEGIN IMMEDIATE, or
        BEGIN EXCLUSIVE with ``exclusive``), so concurrent writers queue on the busy timeout
        instead of failing mid-transaction."""
        with self.engine.connect().execution_options(imagedesk_immediate="EXCLUSIVE" if exclusive else True) as conn:
            with conn.begin():
                yield conn

    def schema_version(self) -> int:
        """The schema version of the database: its Alembic revision as a number, or for a database
        the hand-rolled migrations left (before Alembic) the last version ``schema_info`` holds;
        0 for an empty database."""
        with self.read() as conn:
            return _current_version(conn)

    def refresh_statistics(self, *, min_images: int = STATISTICS_MIN_IMAGES) -> bool:
        """Gather SQLite's query-planner statistics (``ANALYZE``) when they are missing or the
        catalogue has more than doubled since they were gathered; returns whether it did.

        SQLite, unlike PostgreSQL (whose autovacuum analyses tables as they grow), never gathers
        them by itself, and without them it guesses its plans. Measured on 300,000 images: one
        merchant's Overview 33 ms with statistics, 1.7 s without; a text search 0.19 s against
        1.6 s; Feedback's filter choices 2.5 ms against 0.8 s. Each index is sampled
        (:data:`ANALYSIS_LIMIT` rows), so it takes about 0.1 s at any size, and catalogues smaller
        than ``min_images`` images are left alone (their plans do not matter). PostgreSQL: nothing.
        """
        if not self.is_sqlite:
            return False
        with self.read() as conn:
            images = int(conn.exec_driver_sql("SELECT max(id) FROM images").scalar() or 0)
            stat = None
            if conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
                stat = conn.exec_driver_sql("SELECT stat FROM sqlite_stat1 WHERE tbl = 'images' LIMIT 1").scalar()
        analysed = int(str(stat).split()[0]) if stat else 0  # the table's rows when last analysed
        if images < min_images or (analysed and images <= 2 * analysed):
            return False
        with self.write() as conn:
            conn.exec_driver_sql(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
            conn.exec_driver_sql("ANALYZE")
        return True

    def migrate(self, *, target: int = SCHEMA_VERSION) -> int:
        """Bring the schema up to revision ``target`` (default: the head); returns the resulting
        version.

        Several app servers may start at once against one database: the whole check, stamp and
        upgrade runs in one transaction under a lock (a PostgreSQL transaction-level advisory lock;
        on SQLite an exclusive transaction), and Alembic runs inside that transaction, so exactly
        one server applies each revision and the others then find it done. A database from before
        Alembic (``schema_info`` at version N, no ``alembic_version``) is first stamped at revision
        N, then upgraded like any other. Each applied revision also appends its number to
        ``schema_info``, as the hand-rolled migrations did.
        """
        from alembic import command
        from alembic.runtime.migration import MigrationContext

        with self.write(exclusive=True) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            config = _alembic_config(conn)
            revision = MigrationContext.configure(conn).get_current_revision()
            legacy = _legacy_version(conn) if revision is None else 0
            if legacy:  # made before Alembic: its revision is where the hand-rolled migrations left it
                revision = _revision_id(legacy)
            if revision is not None and revision not in _revision_ids():
                raise RuntimeError(
                    f"the database is at schema revision {revision}, newer than this program "
                    f"({_revision_id(SCHEMA_VERSION)}); upgrade the program"
                )
            if legacy:
                command.stamp(config, _revision_id(legacy))
            current = int(revision or 0)
            if current < target:
                with warnings.catch_warnings():
                    # A revision that checks a table's indexes first reads them all, and SQLAlchemy
                    # cannot read revision 0007's expression index back: it says so, harmlessly.
                    warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
                    command.upgrade(config, _revision_id(target))
                current = target
        return current

    def audit(
        self,
        conn: Connection,
        *,
        actor: str,
        action: str,
        entity: str,
        entity_id: int | None = None,
        before: str = "",
        after: str = "",
    ) -> None:
        """Append one row to the audit log, in the caller's transaction: who (``actor``) did what
        (``action``) to which ``entity`` (``entity_id``), with the JSON before and after."""
        self.audit_many(conn, actor=actor, entity=entity, rows=[(action, entity_id, before, after)])

    def audit_many(
        self, conn: Connection, *, actor: str, entity: str, rows: Sequence[tuple[str, int | None, str, str]]
    ) -> None:
        """:meth:`audit` for many rows in one statement, in order: ``(action, entity_id, before,
        after)`` each (a bulk approval of 5000 images wrote 5000 statements)."""
        if not rows:
            return
        stamp = now()
        conn.execute(
            insert(audit_log),
            [
                {
                    "at": stamp,
                    "actor": actor,
                    "action": action,
                    "entity": entity,
                    "entity_id": entity_id,
                    "before_json": before,
                    "after_json": after,
                }
                for action, entity_id, before, after in rows
            ],
        )

    def dispose(self) -> None:
        self.engine.dispose()


def _revision_id(version: int) -> str:
    return f"{version:04d}"


def _alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code (no ``alembic.ini``); ``env.py`` migrates on
    ``connection``, the caller's locked transaction."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


@functools.cache
def _revision_ids() -> frozenset[str]:
    """The ids of every revision this program has (read from the script directory once)."""
    from alembic.script import ScriptDirectory

    return frozenset(s.revision for s in ScriptDirectory.from_config(_alembic_config()).walk_revisions())


def _legacy_version(conn: Connection) -> int:
    """The last version the hand-rolled migrations recorded in ``schema_info`` (0 if none)."""
    if not conn.dialect.has_table(conn, "schema_info"):
        return 0
    return int(conn.execute(select(func.max(schema_info.c.version))).scalar() or 0)


def _current_version(conn: Connection) -> int:
    from alembic.runtime.migration import MigrationContext

    revision = MigrationContext.configure(conn).get_current_revision()
    return _legacy_version(conn) if revision is None else int(revision)


def new_revision(message: str, *, script_location: Path | None = None) -> Path:
    """Write the next revision's file (numbered after the head, ``down_revision`` the head) from
    the template into ``script_location`` (default :data:`MIGRATIONS_DIR`) and return its path: a
    developer fills in its ``upgrade()``."""
    from alembic import command
    from alembic.script import ScriptDirectory

    config = _alembic_config()
    config.set_main_option("script_location", str(script_location or MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    script = command.revision(config, message=message, rev_id=_revision_id(int(head or 0) + 1))
    assert script is not None and not isinstance(script, list)  # one revision, not an autogenerate batch
    return Path(script.path)


#: Tries, 0.1 s apart, at switching a database to write-ahead logging.
_WAL_TRIES: Final = 100


def _set_wal(cur: Any) -> None:
    """``PRAGMA journal_mode=WAL``, tried again while another connection holds the lock it needs.

    Switching a new database's journal takes an exclusive lock, and where waiting for it could
    deadlock SQLite answers "database is locked" at once instead of calling the busy handler (see
    ``sqlite3_busy_handler``): several processes opening a new store together met exactly that.
    """
    import sqlite3
    import time

    for attempt in range(_WAL_TRIES):
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == _WAL_TRIES - 1:
                raise
            time.sleep(0.1)


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, pool_pre_ping=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event issue BEGIN itself
        cur = dbapi_conn.cursor()
        _set_wal(cur)
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        # Up to 64 MB of page cache per connection (grown only as used; the default is 2 MB), so
        # the catalogue's indexes stay in memory across the overview's queries on large libraries.
        cur.execute("PRAGMA cache_size=-65536")
        cur.close()
        # The text search's case fold (every letter: SQLite's lower() folds A-Z only). Under its
        # own name, so SQLite's lower() and any index or tool that uses it stay as they were.
        dbapi_conn.create_function(FOLD_FUNCTION, 1, sql_fold, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("imagedesk_immediate", False)
        conn.exec_driver_sql(
            "BEGIN EXCLUSIVE" if immediate == "EXCLUSIVE" else "BEGIN IMMEDIATE" if immediate else "BEGIN"
        )

    return engine


def _server_engine(url: str) -> Engine:
    """A PostgreSQL (or other server) engine. PostgreSQL's JIT compilation is turned off for the
    store's sessions: the catalogue's filtered counts are a lookup per matching version, which the
    planner costs past ``jit_above_cost`` at a million images, and compiling them took 0.1-0.2 s
    of each (a third of a second of the Overview with an issue filter) to save nothing.

    It is set on each new connection with ``SET``, not as a startup option: connection poolers
    (PgBouncer) refuse startup options they do not know, and the store must work behind one."""
    engine = create_engine(url, pool_pre_ping=True)
    if url.startswith("postgresql"):

        @event.listens_for(engine, "connect")
        def _no_jit(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute("SET jit = off")
                dbapi_conn.commit()  # a session setting, kept past the pool's rollback on return
            except Exception:  # noqa: BLE001 - a server without JIT (before 11) has nothing to turn off
                dbapi_conn.rollback()
            finally:
                cursor.close()

    return engine


def _chmod_quietly(path: Path, mode: int) -> None:
    try:
        if path.exists() and (path.stat().st_mode & 0o777) != mode:
            os.chmod(path, mode)
    except OSError:  # not our file (a shared volume): leave it as the administrator set it
        pass


def private_folder(path: Path) -> Path:
    """Create ``path`` (and parents) readable by this user only (0700); tighten it if it exists.

    Parents it creates are 0700 too (``mkdir(parents=True)`` gives them the umask's 0755:
    ``previews/`` was made that way under a private data folder)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        _chmod_quietly(folder, 0o700)
    _chmod_quietly(path, 0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically as an owner-only (0600) file.

    The temporary file has a unique name: app sessions are threads of one process, and two of
    them may write the same content-addressed file at once.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def open_store(root: str | os.PathLike[str] | None = None, *, database_url: str | None = None) -> Store:
    """Open (creating and migrating if needed) the store under ``root``.

    Parameters
    ----------
    root : path, optional
        Data folder; default ``$IMAGEDESK_DATA_DIR`` or ``./data``.
    database_url : str, optional
        SQLAlchemy URL; default ``$IMAGEDESK_DATABASE_URL`` or ``sqlite:///<root>/imagedesk.sqlite3``.
    """
    folder = data_dir(root)
    private_folder(folder)
    private_folder(folder / "blobs")
    url = database_url or os.environ.get(DATABASE_URL_ENV)
    if not url:
        db_file = folder / "imagedesk.sqlite3"
        # Created owner-only before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
        os.close(os.open(db_file, os.O_WRONLY | os.O_CREAT, 0o600))
        for path in (db_file, folder / "imagedesk.sqlite3-wal", folder / "imagedesk.sqlite3-shm"):
            _chmod_quietly(path, 0o600)
        url = f"sqlite:///{db_file}"
    engine = _sqlite_engine(url) if url.startswith("sqlite") else _server_engine(url)
    store = Store(engine=engine, root=folder)
    store.migrate()
    store.refresh_statistics()
    from core.store.profiles import import_profile_files  # profiles saved as files by older versions

    import_profile_files(store)
    return store
