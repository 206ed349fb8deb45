import numpy as np

from core.engine.foreground import find_foreground


def test_product_on_white(product):
    fg = find_foreground(product)
    assert fg.has_backdrop and fg.border_white_ratio == 1.0
    x0, y0, x1, y1 = fg.bbox
    assert abs(x0 - 50) <= 3 and abs(x1 - 1150) <= 3 and abs(y0 - 240) <= 3 and abs(y1 - 960) <= 3
    assert abs(fg.extent - 1100 / 1200) < 0.01 and abs(fg.fill - (1100 * 720) / 1200**2) < 0.01


def test_full_bleed_photo_has_no_backdrop(photo):
    fg = find_foreground(photo)
    assert not fg.has_backdrop and fg.fill == 1.0 and fg.mask.all()


def test_blank_backdrop_has_empty_product():
    fg = find_foreground(np.full((200, 300, 3), 250, np.uint8))
    assert fg.has_backdrop and not fg.mask.any() and fg.bbox == (0, 0, 0, 0)
    assert not fg.found and np.isnan(fg.fill) and np.isnan(fg.extent)  # unknown, not "0% of the frame"


def test_dust_is_not_the_product(product):
    dusty = product.copy()
    dusty[20, 20] = (0, 0, 0)  # a single dark speck on the backdrop
    assert find_foreground(dusty).bbox == find_foreground(product).bbox
