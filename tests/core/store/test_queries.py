"""Image records carry what a page needs to say where a version stands: whether it was submitted
for review, and the version a fix was made from."""

import numpy as np

from core.engine.recipe import Recipe, Step
from core.store.intake import save_optimized
from core.store.queries import get_image, list_images, versions_of


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
