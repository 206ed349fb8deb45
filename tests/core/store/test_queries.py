"""Image records carry what a page needs to say where a version stands: whether it was submitted
for review, and the version a fix was made from."""

import numpy as np

from core.engine.recipe import Recipe, Step
from core.store.database import SAME_FILE_INDEX
from core.store.intake import ingest_files, save_optimized
from core.store.queries import get_image, list_images, same_file_elsewhere, versions_of
from tests.conftest import encode
from tests.core.store.test_migrations import _index_names


def test_a_record_says_whether_it_was_submitted_and_what_it_fixes(seeded):
    original = next(r for r in list_images(seeded) if r.file_name == "cup_underexposed.jpg")
    assert original.submitted and original.parent_id is None  # an upload is in the review queue
    recipe = Recipe((Step("gamma", {"gamma": 1.3}).validated(),))
    white = np.full((64, 64, 3), 255, np.uint8)
    kept = save_optimized(seeded, original.version_id, white, recipe, created_by="admin", submit=False).version_id
    sent = save_optimized(seeded, kept, white[:32], recipe, created_by="mia").version_id
    for record in (get_image(seeded, kept), *versions_of(seeded, original.image_id)[1:2]):
        assert record is not None and record.version_id == kept
        assert (record.submitted, record.parent_id, record.kind) == (False, original.version_id, "optimized")
    fix = get_image(seeded, sent, merchant_id="acme-home")
    assert fix is not None and (fix.submitted, fix.parent_id) == (True, kept)
    assert [(r.version_id, r.submitted) for r in list_images(seeded, kind="optimized")] == [(kept, False), (sent, True)]


def test_the_same_file_under_other_merchants_is_found_through_its_own_index(store, photo):
    data = encode(photo, "JPEG")
    (mine,) = ingest_files(store, [("mine.jpg", data)], merchant_id="acme").added
    (theirs,) = ingest_files(store, [("theirs.jpg", data)], merchant_id="lumen").added
    (again,) = ingest_files(store, [("again.jpg", data)], merchant_id="bolt").added
    ingest_files(store, [("other.jpg", encode(photo[::-1], "JPEG"))], merchant_id="lumen")
    found = same_file_elsewhere(store, mine.version_id)
    assert [(c.version_id, c.merchant_id, c.name, c.earlier) for c in found] == [
        (theirs.version_id, "lumen", "theirs.jpg", False),
        (again.version_id, "bolt", "again.jpg", False),
    ]
    assert found[0].stored_at == get_image(store, theirs.version_id).created_at
    (first,) = same_file_elsewhere(store, theirs.version_id, limit=1)
    assert (first.version_id, first.merchant_id, first.name, first.earlier) == (
        mine.version_id,
        "acme",
        "mine.jpg",
        True,
    )
    later = same_file_elsewhere(store, again.version_id)
    assert [c.earlier for c in later] == [True, True]
    assert same_file_elsewhere(store, 10**9) == []
    # Looked up by its own index: the unique one leads with the merchant id.
    assert SAME_FILE_INDEX.name in _index_names(store)
