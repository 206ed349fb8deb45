"""Opening the desk (core.services.startup): an administrator always exists, an empty store gets
the sample catalogue, and a few stale scores are re-measured at once."""

from core.services.accounts import sign_in
from core.services.startup import AdminSetup, open_desk, store_location
from tests.conftest import encode


def test_the_location_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("IMAGEDESK_DATA_DIR", str(tmp_path / "desk"))
    assert store_location() == (str(tmp_path / "desk"), "")
    monkeypatch.setenv("IMAGEDESK_DATABASE_URL", "postgresql+psycopg://desk@db/desk")
    assert store_location() == (str(tmp_path / "desk"), "postgresql+psycopg://desk@db/desk")


def test_a_first_start_makes_an_admin_and_loads_the_samples_once(tmp_path, product):
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "cup.png").write_bytes(encode(product))
    first = open_desk(str(tmp_path / "data"), samples=samples)
    try:
        assert first.admin.username == "admin" and first.admin.password and first.admin.problem is None
        assert first.samples_added == 1 and first.remeasured is None
        assert sign_in(first.store, "admin", first.admin.password).user is not None
    finally:
        first.store.dispose()
    again = open_desk(str(tmp_path / "data"), samples=samples)
    try:
        assert again.admin == AdminSetup()  # an active administrator exists: nothing is created
        assert again.samples_added is None  # the store has images: the samples are not loaded again
    finally:
        again.store.dispose()


def test_the_admin_password_can_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("IMAGEDESK_ADMIN_PASSWORD", "short")
    refused = open_desk(str(tmp_path / "a"), samples=tmp_path / "none")
    refused.store.dispose()
    assert refused.admin.username is None and "IMAGEDESK_ADMIN_PASSWORD is not usable" in refused.admin.problem
    monkeypatch.setenv("IMAGEDESK_ADMIN_PASSWORD", "a long desk passphrase")
    given = open_desk(str(tmp_path / "b"), samples=tmp_path / "none")
    try:
        assert given.admin.username == "admin" and given.admin.password is None  # nothing to print
        assert sign_in(given.store, "admin", "a long desk passphrase").user is not None
    finally:
        given.store.dispose()


def test_a_few_stale_scores_are_re_measured_at_start(seeded_copy):
    root, url = seeded_copy
    first = open_desk(str(root), database_url=url)
    with first.store.write() as conn:
        conn.exec_driver_sql(
            "UPDATE analyses SET engine_version = 'old' WHERE version_id IN "
            "(SELECT version_id FROM analyses ORDER BY version_id LIMIT 2)"
        )
    first.store.dispose()
    again = open_desk(str(root), database_url=url)
    try:
        assert again.remeasured == 2 and again.samples_added is None
    finally:
        again.store.dispose()
