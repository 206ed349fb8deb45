"""The schema under Alembic (``core/store/migrations/``): new databases, databases the hand-rolled
migrations left at any version, Alembic-managed ones, and ones newer than the program; on SQLite
and on PostgreSQL."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, select, text

from core.store import database
from core.store.database import MIGRATIONS_DIR, SCHEMA_VERSION, Store, metadata, new_revision, open_store, schema_info
from tests.conftest import ROOT
from tests.core.store.old_schema import ADDED_BY, back_to_hand_rolled_version

HEAD = f"{SCHEMA_VERSION:04d}"


def _script(location=MIGRATIONS_DIR) -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(location))
    return ScriptDirectory.from_config(config)


def _index_names(store: Store) -> set[str]:
    """Every index of the database, expression indexes included (SQLAlchemy reflects those on no
    backend reliably)."""
    sql = (
        "SELECT name FROM sqlite_master WHERE type = 'index'" if store.is_sqlite else "SELECT indexname FROM pg_indexes"
    )
    with store.read() as conn:
        return {str(n) for n in conn.exec_driver_sql(sql).scalars()}


def _missing(store: Store) -> list[str]:
    """What ``metadata`` declares (and revision 0007's expression index) that the database lacks."""
    found = inspect(store.engine)
    tables = set(found.get_table_names())
    missing = [f"table {t}" for t in metadata.tables if t not in tables]
    for name, table in metadata.tables.items():
        if name in tables:
            have = {c["name"] for c in found.get_columns(name)}
            missing += [f"column {name}.{c.name}" for c in table.columns if c.name not in have]
    declared = {i.name for t in metadata.tables.values() for i in t.indexes} | {database._V7_INDEXES[0].name}
    missing += [f"index {i}" for i in sorted(declared - _index_names(store))]
    return missing


def _alembic_revisions(store: Store) -> list[str]:
    with store.read() as conn:
        return list(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())


def _schema_info_versions(store: Store) -> list[int]:
    with store.read() as conn:
        return list(conn.execute(select(schema_info.c.version).order_by(schema_info.c.id)).scalars())


def test_revisions_are_numbered_in_one_line_up_to_schema_version():
    script = _script()
    revisions = list(reversed(list(script.walk_revisions())))
    assert [r.revision for r in revisions] == [f"{n:04d}" for n in range(1, SCHEMA_VERSION + 1)]
    assert [r.down_revision for r in revisions] == [None, *(r.revision for r in revisions[:-1])]
    assert all(re.fullmatch(rf"{r.revision}_\w+\.py", r.path.rsplit("/", 1)[-1]) for r in revisions)
    assert script.get_current_head() == HEAD


def test_a_new_database_ends_at_the_head_with_everything_metadata_declares(tmp_path, database_url):
    store = open_store(tmp_path / "data", database_url=database_url)
    try:
        assert _missing(store) == []
        assert _alembic_revisions(store) == [HEAD] and store.schema_version() == SCHEMA_VERSION
        # The version table kept from before Alembic: one row per applied revision.
        assert _schema_info_versions(store) == list(range(1, SCHEMA_VERSION + 1))
    finally:
        store.dispose()


def test_reopening_an_alembic_managed_database_changes_nothing(tmp_path, database_url):
    open_store(tmp_path / "data", database_url=database_url).dispose()
    store = open_store(tmp_path / "data", database_url=database_url)
    try:
        assert store.migrate() == SCHEMA_VERSION  # a second server finds it done
        assert _alembic_revisions(store) == [HEAD]
        assert _schema_info_versions(store) == list(range(1, SCHEMA_VERSION + 1))
    finally:
        store.dispose()


def _write_rows_at(store: Store, version: int) -> None:
    """An account, an image with an analysis, a score with two issues and a decision, written with
    only the columns the schema had at ``version``."""
    display = (", display_name", ", :display") if version >= 4 else ("", "")
    colors = (", colors", ", 'c'") if version >= 6 else ("", "")
    with store.write() as conn:
        conn.execute(
            text(
                "INSERT INTO users (username, password_hash, role, active, created_at) "
                "VALUES ('rita', 'h', 'reviewer', :yes, 't')"
            ),
            {"yes": True},
        )
        conn.execute(
            text(
                f"INSERT INTO images (merchant_id, sku, file_name, sha256, uploaded_by, created_at{display[0]}) "
                f"VALUES ('acme', 'S1', 'mug.jpg', 'ab', 'cli', 't'{display[1]})"
            ),
            {"display": 'Mug "blue".jpg'} if version >= 4 else {},
        )
        conn.execute(
            text(
                "INSERT INTO versions (image_id, kind, sha256, blob_path, format, width, height, file_size, "
                "recipe_json, submitted, created_by, created_at, info_json) "
                "VALUES (1, 'original', 'ab', 'blobs/ab', 'JPEG', 10, 10, 100, '', :yes, 'cli', 't', '{}')"
            ),
            {"yes": True},
        )
        conn.execute(
            text(
                f"INSERT INTO analyses (version_id, engine_version, metrics_json, phash, bbox_json, created_at{colors[0]}) "
                f"VALUES (1, '2.0.0', '{{}}', '00ff', '[]', 't'{colors[1]})"
            )
        )
        conn.execute(
            text(
                "INSERT INTO scores (version_id, profile, engine_version, score, issues, issues_json, "
                "contributions_json, created_at) VALUES (1, 'generic', '2.0.0', 61.5, 'blur;dark', '[]', '{}', 't')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO reviews (version_id, reviewer, decision, reasons, comment, profile, decided_at, active) "
                "VALUES (1, 'rita', 'rejected', 'blur', 'soft', 'generic', 't', :yes)"
            ),
            {"yes": True},
        )


#: The last version the hand-rolled migrations reached.
LAST_HAND_ROLLED = 8

#: What the Alembic-only revisions (after the last hand-rolled one) add: a database the hand-rolled
#: migrations left at their last version lacks exactly these.
#: (In ``metadata``: the measurements' table of revision 0014 is declared apart, as its triggers are.)
_TABLES_SINCE = [
    t
    for step in range(LAST_HAND_ROLLED + 1, SCHEMA_VERSION + 1)
    for t in ADDED_BY[step].get("tables", [])
    if t in metadata.tables
]
ADDED_SINCE: list[str] = [f"table {t}" for t in metadata.tables if t in _TABLES_SINCE] + sorted(
    [
        *(
            f"index {name}"
            for step in range(LAST_HAND_ROLLED + 1, SCHEMA_VERSION + 1)
            for name in ADDED_BY[step].get("indexes", [])
        ),
        *(f"index {i.name}" for t in _TABLES_SINCE for i in metadata.tables[t].indexes),  # made with their table
    ]
)


@pytest.mark.parametrize("version", range(1, LAST_HAND_ROLLED + 1))
def test_a_database_from_before_alembic_is_stamped_then_upgraded_keeping_its_rows(tmp_path, database_url, version):
    root = tmp_path / "data"
    store = open_store(root, database_url=database_url)
    back_to_hand_rolled_version(store, version)
    assert store.schema_version() == version and (_missing(store) != ADDED_SINCE) == (version < LAST_HAND_ROLLED)
    _write_rows_at(store, version)
    store.dispose()

    store = open_store(root, database_url=database_url)
    try:
        assert _missing(store) == []
        assert _alembic_revisions(store) == [HEAD] and store.schema_version() == SCHEMA_VERSION
        # Stamped at `version` (which applies nothing), then each later revision applied once.
        assert _schema_info_versions(store) == list(range(1, SCHEMA_VERSION + 1))
        with store.read() as conn:
            image = conn.execute(text("SELECT file_name, display_name FROM images")).one()
            review = conn.execute(text("SELECT reviewer, decision, comment FROM reviews")).one()
            score = conn.execute(text("SELECT score, issues FROM scores")).one()
            issues = sorted(conn.execute(text("SELECT issue FROM score_issues WHERE version_id = 1")).scalars())
            colors = conn.execute(text("SELECT colors FROM analyses")).scalar_one()
            users = list(conn.execute(text("SELECT username FROM users")).scalars())
        assert tuple(image) == ("mug.jpg", 'Mug "blue".jpg' if version >= 4 else "mug.jpg")  # 0004 backfills
        assert tuple(review) == ("rita", "rejected", "soft") and tuple(score) == (61.5, "blur;dark")
        assert issues == ["blur", "dark"] if version < 5 else issues == []  # 0005 backfills what was there
        assert colors == ("c" if version >= 6 else "") and users == ["rita"]
    finally:
        store.dispose()


def test_an_early_version_5_database_gets_the_indexes_migration_5_gained_later(tmp_path, database_url):
    """Migration 5 gained three covering indexes (and dropped ix_versions_kind) after it first
    shipped; a database migrated to 5 before then is brought level by revision 0009."""
    root = tmp_path / "data"
    store = open_store(root, database_url=database_url)
    late = {"ix_scores_version_profile_score", "ix_reviews_version_active_decision", "ix_versions_kind_image"}
    back_to_hand_rolled_version(store, 8)
    with store.write() as conn:
        for name in late:
            conn.exec_driver_sql(f"DROP INDEX {name}")
        conn.exec_driver_sql("CREATE INDEX ix_versions_kind ON versions (kind, id)")
    store.dispose()
    store = open_store(root, database_url=database_url)
    try:
        names = _index_names(store)
        assert late <= names and "ix_versions_kind" not in names and _missing(store) == []
    finally:
        store.dispose()


def test_an_alembic_managed_database_at_an_older_revision_is_upgraded(tmp_path, database_url):
    store = open_store(tmp_path / "data", database_url=database_url)
    try:
        added = {i.name for i in (*database._V7_INDEXES, *database._V8_INDEXES)}
        with store.write() as conn:  # back to revision 0006, as a database written then
            for name in added:
                conn.exec_driver_sql(f"DROP INDEX {name}")
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0006'")
            conn.execute(schema_info.delete().where(schema_info.c.version > 6))
        assert store.schema_version() == 6 and not added & _index_names(store)
        assert store.migrate() == SCHEMA_VERSION
        assert _missing(store) == [] and _alembic_revisions(store) == [HEAD]
        assert _schema_info_versions(store) == list(range(1, SCHEMA_VERSION + 1))
    finally:
        store.dispose()


def test_migrate_stops_at_a_target_and_goes_on_later(tmp_path, database_url):
    url = database_url or f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    engine = database._sqlite_engine(url) if database_url is None else create_engine(url)
    store = Store(engine=engine, root=tmp_path)
    try:
        assert store.migrate(target=3) == 3 and _alembic_revisions(store) == ["0003"]
        assert _schema_info_versions(store) == [1, 2, 3]
        assert store.migrate(target=2) == 3  # never backwards
        assert store.migrate() == SCHEMA_VERSION and _alembic_revisions(store) == [HEAD]
        assert _schema_info_versions(store) == list(range(1, SCHEMA_VERSION + 1))
    finally:
        store.dispose()


@pytest.mark.parametrize("managed_by", ["alembic", "hand-rolled migrations"])
def test_a_database_newer_than_the_program_is_refused_and_left_alone(tmp_path, database_url, managed_by):
    newer = SCHEMA_VERSION + 1
    store = open_store(tmp_path / "data", database_url=database_url)
    with store.write() as conn:  # as a later program would leave it
        if managed_by == "alembic":
            conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{newer:04d}'")
        else:
            conn.exec_driver_sql("DROP TABLE alembic_version")
        conn.execute(schema_info.insert().values(version=newer, migrated_at="t"))
    before = (_index_names(store), _schema_info_versions(store))
    store.dispose()
    with pytest.raises(
        RuntimeError, match=rf"schema revision {newer:04d}, newer than this program \({HEAD}\); upgrade"
    ):
        open_store(tmp_path / "data", database_url=database_url)
    store = Store(
        engine=create_engine(database_url or f"sqlite:///{tmp_path / 'data' / 'imagedesk.sqlite3'}"), root=tmp_path
    )
    try:
        assert (_index_names(store), _schema_info_versions(store)) == before
    finally:
        store.dispose()


def test_new_revision_writes_the_next_numbered_revision_from_the_template(tmp_path):
    location = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, location, ignore=shutil.ignore_patterns("__pycache__"))
    path = new_revision("Add a thing", script_location=location)
    following = f"{SCHEMA_VERSION + 1:04d}"
    assert path == location / "versions" / f"{following}_add_a_thing.py"
    added = _script(location).get_revision(following)
    assert added.down_revision == HEAD and _script(location).get_current_head() == following
    # In the house style already, and failing loudly until someone writes its upgrade.
    for check in (["check"], ["format", "--check"]):
        config = ["--config", str(ROOT / "pyproject.toml")]
        run = subprocess.run([sys.executable, "-m", "ruff", *check, *config, str(path)], capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
    with pytest.raises(NotImplementedError):
        added.module.upgrade()
