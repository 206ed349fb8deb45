"""How the Review page names an image version to a reviewer (core.services.review.version_name)."""

import numpy as np

from core.engine.recipe import Recipe, Step
from core.services.review import version_name
from core.store.intake import ingest_files, save_optimized
from core.store.queries import list_images
from tests.conftest import encode


def test_a_version_is_named_by_the_merchants_file_name_and_its_kind(store, photo):
    ingest_files(store, [("<b>cup</b>.png", encode((photo * 0.3).astype(np.uint8)))], merchant_id="m")
    original = list_images(store)[0]
    recipe = Recipe((Step("gamma", {"gamma": 0.5}),))
    fixed = save_optimized(store, original.version_id, recipe.apply(photo), recipe, created_by="bob").version_id
    assert version_name(store, original.version_id) == "<b>cup</b>.png"
    assert version_name(store, fixed) == "<b>cup</b>.png (optimized)"
    assert version_name(store, 10_000) == "image version #10000"


def test_the_review_queue_and_its_bulk_table_name_the_image_as_the_merchant_gave_it(store, photo):
    from core.services.review import QueueFilter, bulk_rows, current_item
    from core.store.intake import safe_name

    name = '=HYPERLINK("x")\n<b>.jpg'
    ingest_files(store, [(name, encode(photo, "JPEG"))], merchant_id="acme")
    item = current_item(store, reviewer="rita", where=QueueFilter())
    assert item is not None and item.shown_name == name and item.file_name == safe_name(name)
    assert [row["image"] for row in bulk_rows([item])] == [name]
