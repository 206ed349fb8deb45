"""The checks measure the defect, not the content: one test per concept a merchandiser relies on.

Each product here is drawn the way a studio photographs it: a shaded, textured item on a pure
white sweep, with a soft contact shadow, saved as a high-quality JPEG.
"""

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from core.engine.assess import analyze, assess
from core.engine.duplicates import DuplicateIndex
from core.engine.loading import load_image
from core.engine.profiles import load_profile
from core.engine.wording import drawn_note
from tests.conftest import encode

GENERIC = load_profile("generic")
RNG = np.random.default_rng(11)
#: Photos and graphics that are not product shots (see its README for their sources and licences).
NATURAL = Path(__file__).resolve().parents[2] / "data" / "natural"


def judged(rgb, *, fmt="JPEG", **kw):
    if fmt == "JPEG":
        kw.setdefault("quality", 92)
    return assess(analyze(load_image(encode(rgb, fmt, **kw))), GENERIC)


def garment(color, *, size=1400, texture=6.0, dark_details=True):
    """A shirt-like silhouette in ``color`` (RGB 0-255) with folds, fabric grain and a soft shadow."""
    h = w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) / size
    body = (np.abs(xx - 0.5) < 0.22) & (yy > 0.22) & (yy < 0.9)
    sleeves = (np.abs(yy - 0.33 - 0.5 * np.abs(xx - 0.5)) < 0.07) & (np.abs(xx - 0.5) < 0.4)
    shape = (body | sleeves).astype(np.float32)
    shape = cv2.GaussianBlur(shape, (0, 0), 1.2)
    folds = 0.82 + 0.12 * np.sin(xx * 40 + 3 * np.sin(yy * 9)) + 0.06 * np.cos(yy * 25)
    grain = cv2.GaussianBlur(RNG.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 1.0) * texture
    item = np.clip(np.asarray(color, np.float32)[None, None] * folds[..., None] + grain[..., None], 0, 255)
    if dark_details:  # collar band and buttons: every real garment has some dark tones
        collar = (np.abs(xx - 0.5) < 0.05) & (np.abs(yy - 0.24) < 0.02)
        item[collar] *= 0.45
        for by in (0.35, 0.45, 0.55, 0.65, 0.75):
            item[(np.hypot(xx - 0.5, yy - by) < 0.008)] *= 0.4
    shadow = 1 - 0.10 * cv2.GaussianBlur(shape, (0, 0), 25)
    backdrop = np.full((h, w, 3), 255, np.float32) * shadow[..., None]
    backdrop = np.maximum(backdrop, 250)  # a studio sweep is lit to (almost) pure white
    out = item * shape[..., None] + backdrop * (1 - shape[..., None])
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def shoe(color=(28, 26, 25), size=1400, backdrop=255):
    """A dark leather shoe on white (or ``backdrop``): nearly neutral, with the warm sheen real leather has."""
    h = w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) / size
    sole = (np.abs(yy - 0.62) < 0.03) & (np.abs(xx - 0.5) < 0.36)
    upper = (((xx - 0.5) / 0.34) ** 2 + ((yy - 0.55) / 0.12) ** 2 < 1) & (yy < 0.62)
    shape = cv2.GaussianBlur((sole | upper).astype(np.float32), (0, 0), 1.0)
    sheen = np.exp(-(((xx - 0.42) / 0.08) ** 2 + ((yy - 0.5) / 0.03) ** 2))[..., None]
    base = np.asarray(color, np.float32)[None, None] + sheen * np.array([120, 100, 80], np.float32)
    grain = cv2.GaussianBlur(RNG.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 0.8)[..., None] * 3
    out = (base + grain) * shape[..., None] + backdrop * (1 - shape[..., None])
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def on_paper(clean, gain):
    """``clean`` (a product on white) shot on paper of that colour: its white backdrop times ``gain``
    (per channel, 0-1); the product keeps its own pixels, greys and whites included."""
    backdrop = (clean.min(axis=2) >= 250)[..., None]
    return np.where(backdrop, np.rint(clean * np.asarray(gain)), clean).astype(np.uint8)


def test_a_saturated_orange_garment_on_white_has_no_cast():
    r = judged(garment((235, 110, 20)))
    assert "color_cast" not in r.issue_names, r.metrics["color_cast"]
    assert r.issue_names == [], [i.message for i in r.issues]


@pytest.mark.parametrize("color", [(240, 120, 170), (250, 215, 40), (30, 60, 170), (255, 110, 0)])
def test_other_strong_product_colours_are_not_a_cast_nor_overexposed(color):
    # (255, 110, 0): a saturated orange whose red channel is at 255 wherever the fabric faces the light
    r = judged(garment(color))
    assert "color_cast" not in r.issue_names and "overexposed" not in r.issue_names, r.issue_names


def test_backdrop_seen_through_a_necklace_is_not_a_blown_highlight():
    frame = np.full((1200, 1200, 3), 255, np.uint8)
    cv2.ellipse(frame, (600, 560), (380, 420), 0, 0, 360, (30, 30, 30), 14, cv2.LINE_AA)  # a thin loop
    for k in range(24):  # beads along it
        t = 2 * np.pi * k / 24
        cv2.circle(frame, (int(600 + 380 * np.cos(t)), int(560 + 420 * np.sin(t))), 18, (200, 170, 60), -1, cv2.LINE_AA)
    assert "overexposed" not in judged(frame).issue_names


def test_a_tinted_backdrop_is_a_cast():
    warm = np.clip(garment((235, 110, 20)) * np.array([1.0, 0.96, 0.86]), 0, 255).astype(np.uint8)
    assert "color_cast" in judged(warm).issue_names


@pytest.mark.parametrize("paper", [(250, 224, 230), (214, 230, 250), (250, 240, 214), (222, 245, 230)])
def test_a_product_on_coloured_paper_has_no_cast_but_the_same_photo_with_a_cast_has(paper):
    # A grey garment with white buttons: a cast would tint them, a chosen backdrop colour does not.
    clean = garment((150, 150, 152))
    r = judged(on_paper(clean, np.asarray(paper) / 255))
    assert "color_cast" not in r.issue_names, r.metrics
    assert r.metrics["neutral_tint_share"] < 0.2
    gain = np.asarray(paper, np.float32) / max(paper)
    cast = judged(np.rint(clean * gain).astype(np.uint8))
    assert "color_cast" in cast.issue_names, cast.metrics


@pytest.mark.parametrize(
    ("colour", "paper"),
    [((244, 232, 226), (250, 224, 230)), ((240, 228, 220), (250, 240, 214))],
    ids=["blush top on pink", "ivory top on cream"],
)
def test_a_pale_product_whose_own_colour_leans_to_the_paper_has_no_cast(colour, paper):
    # Its fabric sits part of the way toward the paper's tint (read as tinted before 2.24.0:
    # shares 0.72 and 0.35); a cast moves it all the way, and beyond where the backdrop clips.
    clean = garment(colour)
    r = judged(on_paper(clean, np.asarray(paper) / 255))
    assert "color_cast" not in r.issue_names, r.metrics["neutral_tint_share"]
    cast = judged(np.rint(clean * (np.asarray(paper, np.float32) / max(paper))).astype(np.uint8))
    assert "color_cast" in cast.issue_names, cast.metrics["neutral_tint_share"]


@pytest.mark.parametrize("green", [0.65, 0.7])
def test_a_cast_too_strong_for_a_chosen_colour_is_caught_by_the_products_greys(green):
    # Green divided by 1.4-1.5 tints a white backdrop beyond the chroma of a chosen colour (45),
    # which went unjudged before 2.24.0; the grey garment turned magenta with it proves the cast.
    cast = judged(np.rint(garment((150, 150, 152)) * np.array([1.0, green, 1.0])).astype(np.uint8))
    assert cast.metrics["color_cast"] > 45 and "color_cast" in cast.issue_names, cast.metrics["neutral_tint_share"]
    # The same greys on paper of that colour stay grey: chosen.
    assert "color_cast" not in judged(on_paper(garment((150, 150, 152)), [1.0, green, 1.0])).issue_names


def test_a_cast_that_turns_a_blue_product_grey_is_still_seen_on_its_light_parts():
    # A greyish-blue shirt under a yellow cast becomes neutral grey; its light grey label turns
    # yellow with the backdrop. The light surfaces decide.
    shirt = garment((120, 130, 165)).astype(np.float32)
    shirt[420:504, 742:882] = 210  # the label
    r = judged(np.rint(shirt * np.array([1.0, 0.95, 0.75])).astype(np.uint8))
    assert "color_cast" in r.issue_names, r.metrics["neutral_tint_share"]


def test_a_white_shirt_on_white_is_not_overexposed():
    r = judged(garment((238, 238, 236), texture=3.0))
    assert "overexposed" not in r.issue_names, {k: r.metrics[k] for k in ("black_level", "highlight_clip")}
    assert "low_contrast" not in r.issue_names


@pytest.mark.parametrize("colour", [(255, 255, 255), (0, 0, 0), (128, 128, 128), (235, 220, 195)])
def test_a_blank_image_is_flagged_once_for_having_nothing_to_see(colour):
    # Not also dark, flat, overexposed, grayscale or tinted: it has no tones, colour or backdrop.
    blank = np.zeros((1200, 1200, 3), np.uint8) + np.asarray(colour, np.uint8)
    r = judged(blank, fmt="PNG")
    assert r.issue_names == ["low_information"], r.issue_names
    assert r.score < 40, r.score  # it still sorts below a photo with one severe defect
    # Nor, under a white-background rule, a non-white background: there is no product before it.
    assert assess(analyze(load_image(encode(blank, "PNG"))), load_profile("amazon")).issue_names == ["low_information"]


def test_a_fully_transparent_file_is_blank():
    clear = np.zeros((1200, 1200, 4), np.uint8)
    assert judged(clear, fmt="PNG").issue_names == ["low_information"]


def test_a_washed_out_photo_is_overexposed():
    clean = garment((60, 90, 160))
    washed = np.clip(255 - (255 - clean.astype(np.float32)) / 2.2, 0, 255).astype(np.uint8)
    assert "overexposed" in judged(washed).issue_names


def test_a_black_shoe_on_white_is_not_grayscale():
    r = judged(shoe())
    assert "grayscale" not in r.issue_names, r.metrics["gray_chroma"]
    mono = np.repeat(cv2.cvtColor(shoe(), cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
    assert "grayscale" in judged(mono).issue_names


def test_the_same_photo_recoloured_is_not_a_duplicate_but_at_two_sizes_is():
    red = garment((200, 30, 40))
    blue = red[..., ::-1].copy()  # the same pose shot in another colour
    index = DuplicateIndex()
    first = assess(analyze(load_image(encode(red, "JPEG", quality=92))), GENERIC, key="shirt-red.jpg", duplicates=index)
    variant = assess(
        analyze(load_image(encode(blue, "JPEG", quality=92))), GENERIC, key="shirt-blue.jpg", duplicates=index
    )
    smaller = cv2.resize(red, (900, 900), interpolation=cv2.INTER_AREA)
    reused = assess(
        analyze(load_image(encode(smaller, "JPEG", quality=85))), GENERIC, key="shirt-black.jpg", duplicates=index
    )
    assert first.duplicate_of is None
    assert variant.duplicate_of is None and "near_duplicate" not in variant.issue_names
    assert reused.duplicate_of == "shirt-red.jpg" and "near_duplicate" in reused.issue_names
    message = next(i.message for i in reused.issues if i.name == "near_duplicate")
    assert "the same photo as shirt-red.jpg" in message
    assert "bits" not in message and "Keep one of them" in message  # for a merchandiser, not a hash


def test_texture_is_not_noise_but_grain_is():
    knit = garment((150, 150, 155), texture=18.0)
    assert "noisy" not in judged(knit).issue_names
    grainy = np.clip(garment((150, 150, 155)) + RNG.normal(0, 16, knit.shape), 0, 255).astype(np.uint8)
    assert "noisy" in judged(grainy, fmt="PNG").issue_names


def test_a_plain_swatch_filling_the_frame_is_not_a_small_product():
    """A dark fabric swatch edge to edge reads as all backdrop: where the product sits is then
    unknown (it was "spans 0% of the frame")."""
    swatch = np.clip(25 + RNG.normal(0, 2, (300, 300, 1)), 0, 255).repeat(3, 2).astype(np.uint8)
    result = judged(swatch)
    assert "small_product" not in result.issue_names
    assert np.isnan(result.metrics["product_extent"]) and np.isnan(result.metrics["product_fill"])
    tiny = np.full((1200, 1200, 3), 255, np.uint8)
    tiny[580:620, 580:620] = (40, 60, 160)  # a real product, small in the frame, is still found
    assert "small_product" in judged(tiny).issue_names


def _jpeg_roundtrip(rgb, quality):
    return np.asarray(Image.open(io.BytesIO(encode(rgb, "JPEG", quality=quality))).convert("RGB"))


def test_hard_compression_resaved_at_high_quality_is_caught():
    photo = cv2.resize(data.chelsea(), (1200, 900), interpolation=cv2.INTER_CUBIC)
    assert "compression_artifacts" not in judged(photo, quality=88).issue_names
    resaved = _jpeg_roundtrip(photo, 6)
    r = judged(resaved, quality=95)
    assert r.metrics["jpeg_quality"] >= 90 and "compression_artifacts" in r.issue_names


def test_hard_compression_cropped_off_its_grid_and_resaved_is_caught():
    """Cropping by 5 and 3 px moves the old blocks off the new file's 8-px grid; they are still
    the old compression's, and still visible."""
    photo = cv2.resize(data.chelsea(), (1200, 900), interpolation=cv2.INTER_CUBIC)
    assert "compression_artifacts" not in judged(photo[3:, 5:], quality=88).issue_names
    r = judged(_jpeg_roundtrip(photo, 10)[3:, 5:], quality=95)
    assert "compression_artifacts" in r.issue_names, r.metrics["blockiness"]


@pytest.mark.parametrize("quality", [70, 75, 80])
def test_a_web_export_at_quality_70_to_80_is_not_blocking_but_an_earlier_harder_save_is(quality):
    """The blocks a photo's own save at quality 70-80 puts on its smooth tones are how that file
    was saved (the JPEG-quality rule judges that, and passes it); blocks kept from an earlier save
    at quality 10 are still caught, at any quality the file was saved again."""
    from tests.conftest import ROOT

    print_ = load_image(str(ROOT / "sample_data" / "astronaut_print.jpg")).pixels  # read 4.7 at q75
    r = judged(print_, quality=quality)
    assert "compression_artifacts" not in r.issue_names, r.metrics["blockiness"]
    assert r.metrics["jpeg_quality"] == quality
    r = judged(_jpeg_roundtrip(print_, 10), quality=quality)
    assert "compression_artifacts" in r.issue_names, r.metrics["blockiness"]


def test_fine_texture_at_studio_quality_is_not_blocking():
    knit = garment((120, 60, 70), texture=25.0)
    r = judged(knit, quality=88)
    assert "compression_artifacts" not in r.issue_names, r.metrics["blockiness"]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_pattern_drawn_on_the_8px_grid_is_not_blocking(fmt):
    """Stripes and checks drawn on whole multiples of 8 px put every edge between two flat
    colours on the JPEG grid, where blocks would step: a step that large is drawn, not compressed."""
    stripes = np.full((1000, 1000, 3), (250, 240, 220), np.uint8)
    for x in range(0, 1000, 40):
        stripes[:, x : x + 16] = (30, 60, 140)
    checks = np.kron((np.indices((20, 20)).sum(axis=0) % 2) * 170 + 40, np.ones((48, 48))).astype(np.uint8)
    for pattern in (stripes, np.repeat(checks[..., None], 3, axis=2)):
        r = judged(pattern, fmt=fmt)
        assert "compression_artifacts" not in r.issue_names, r.metrics["blockiness"]


def test_a_flat_graphic_raises_no_flag():
    logo = np.full((1200, 1200, 3), 255, np.uint8)
    cv2.circle(logo, (600, 520), 330, (220, 40, 40), -1, cv2.LINE_AA)
    cv2.rectangle(logo, (480, 380), (720, 660), (255, 255, 255), -1, cv2.LINE_AA)
    cv2.putText(logo, "ACME", (330, 1030), cv2.FONT_HERSHEY_DUPLEX, 5, (20, 20, 120), 12, cv2.LINE_AA)
    r = judged(logo, fmt="PNG")
    assert r.issue_names == [], [i.message for i in r.issues]


def test_a_chart_on_graph_paper_raises_no_flag():
    chart = np.full((1000, 1000, 3), 255, np.uint8)
    for k in range(0, 1000, 50):  # a grey grid: the paper between its lines is not a blown highlight
        cv2.line(chart, (k, 0), (k, 999), (200, 200, 200), 1)
        cv2.line(chart, (0, k), (999, k), (200, 200, 200), 1)
    points = np.array([[100, 800], [300, 500], [500, 600], [700, 200], [900, 300]], np.int32)
    cv2.polylines(chart, [points], False, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(chart, "Fig. 1", (420, 960), cv2.FONT_HERSHEY_SIMPLEX, 1, (0, 0, 0), 1, cv2.LINE_AA)
    for fmt in ("PNG", "JPEG"):  # nor is a black-and-white drawing a photo saved without colour
        r = judged(chart, fmt=fmt)
        assert r.issue_names == [], (fmt, [i.message for i in r.issues])
        assert "line drawing" in (drawn_note(r.metrics) or ""), fmt  # Inspect says why


def _framed(rgb, rule=12):
    """``rgb`` inside a black rule drawn on all four sides."""
    out = rgb.copy()
    out[:rule], out[-rule:], out[:, :rule], out[:, -rule:] = 0, 0, 0, 0
    return out


def test_a_card_drawn_in_a_black_frame_raises_no_flag():
    card = np.full((1200, 1200, 3), 255, np.uint8)
    cv2.putText(card, "VIP", (420, 420), cv2.FONT_HERSHEY_DUPLEX, 6, (200, 140, 50), 16, cv2.LINE_AA)
    cv2.putText(card, "MEMBERSHIP", (90, 640), cv2.FONT_HERSHEY_SIMPLEX, 4, (0, 0, 0), 6, cv2.LINE_AA)
    framed = _framed(card, rule=36)  # wider than the 2% border the backdrop is read on
    rule = framed.min(axis=2) == 0
    framed[rule] = RNG.integers(0, 9, (int(rule.sum()), 1))  # a lossy file's black is not exactly flat
    framed[0], framed[:, -1] = 215, 215  # the outer edge greyed by resampling, as cards often are
    for fmt in ("PNG", "JPEG"):
        r = judged(framed, fmt=fmt)
        assert r.issue_names == [], (fmt, [i.message for i in r.issues])  # its white paper is not blown
        assert 0.1 < r.metrics["frame"] < 0.13, r.metrics["frame"]  # 36 px of 1200 on every side: 11.6%
    assert judged(card, fmt="PNG").metrics["frame"] == 0.0


@pytest.mark.parametrize(("defect", "flag"), [("none", None), ("washed", "overexposed"), ("dark", "dark")])
def test_a_black_keyline_hides_no_defect_and_adds_none(defect, flag):
    photo = garment((60, 90, 160)).astype(np.float32)
    degraded = {
        "none": photo,
        "washed": 255 - (255 - photo) / 3,
        "dark": 255 * ((photo / 255) ** 2.2 * 0.12) ** (1 / 2.2),
    }[defect]
    rgb = np.clip(np.rint(degraded), 0, 255).astype(np.uint8)
    plain, framed = judged(rgb).issue_names, judged(_framed(rgb)).issue_names
    assert (flag in plain) if flag else plain == [], plain
    assert framed == plain


def test_a_smooth_render_is_not_blurry():
    yy, xx = np.mgrid[0:1200, 0:1200].astype(np.float32)
    box = ((np.abs(xx - 600) < 320) & (np.abs(yy - 640) < 300)).astype(np.float32)
    shade = (0.6 + 0.4 * xx / 1200)[..., None]
    render = 250 - box[..., None] * (250 - np.array([40, 110, 190], np.float32) * shade)
    r = judged(np.clip(render, 0, 255).astype(np.uint8), fmt="PNG")
    assert "blurry" not in r.issue_names and "low_contrast" not in r.issue_names


def test_a_colour_wheel_is_not_blurry():
    """skimage's colour wheel is ramps of hue and lightness with no edge anywhere: it read
    sharpness 35, "blurry" (at its own 371 px: enlarged, its few seams do go soft). A photo
    blurred as softly still is."""
    assert "blurry" not in judged(data.colorwheel(), fmt="PNG").issue_names
    soft_photo = cv2.GaussianBlur(cv2.resize(data.coffee(), (1200, 800)), (0, 0), 4)
    assert "blurry" in judged(soft_photo, fmt="PNG").issue_names


def test_a_shaken_product_photo_is_blurry(product):
    """Shaken by 15 px at 30 degrees, the cup kept crisp edges across the path and read 61, a pass."""
    path = np.zeros((15, 15), np.float32)
    path[7, :] = 1
    path = cv2.warpAffine(path, cv2.getRotationMatrix2D((7.0, 7.0), 30, 1), (15, 15))
    assert "blurry" not in judged(product).issue_names
    assert "blurry" in judged(cv2.filter2D(product, -1, path / path.sum())).issue_names
    # skimage's clock is a real photo blurred by the camera's motion: it read 72, crisp.
    assert "blurry" in judged(np.dstack([data.clock()] * 3), fmt="PNG").issue_names


def test_a_low_key_scene_with_a_well_exposed_subject_is_not_dark():
    rocket = data.rocket()  # a night launch: mostly black sky, a bright subject
    r = judged(cv2.resize(rocket, (1200, 802)))
    assert "dark" not in r.issue_names and "color_cast" not in r.issue_names, r.issue_names
    assert "dark" in judged((cv2.resize(rocket, (1200, 802)) * 0.3).astype(np.uint8)).issue_names


def test_a_shoe_on_black_paper_is_judged_by_its_own_brightest_tones():
    """The backdrop fills 84% of the frame, so the frame's 99th percentile fell inside the shoe's
    tones: 110, 'too dark' and 'low contrast'. Its own brightest tones reach 170; with 1.7 stops
    less light (x0.3) they reach 98, and that is too dark."""
    brown = shoe(color=(95, 80, 70), backdrop=12)
    assert judged(brown).issue_names == []
    linear = (brown.astype(np.float32) / 255.0) ** 2.2 * 0.3
    assert "dark" in judged(np.clip(np.rint(255.0 * linear ** (1 / 2.2)), 0, 255).astype(np.uint8)).issue_names


def test_a_bright_sky_is_not_overexposed():
    sky = np.zeros((900, 1200, 3), np.float32)
    sky[:] = np.linspace(255, 175, 900, dtype=np.float32)[:, None, None] * np.array([0.86, 0.93, 1.0], np.float32)
    sky[600:] = cv2.resize(data.coffee(), (1200, 300)).astype(np.float32)  # the ground: a real photo strip
    r = judged(np.clip(sky, 0, 255).astype(np.uint8))
    assert "overexposed" not in r.issue_names, r.issue_names


def test_a_photo_enlarged_from_a_thumbnail_is_blurry_at_full_size():
    # Focus is judged at the size a shopper's zoom shows (up to 2048 px), not at the 1024-px
    # analysis scale, where an enlarged thumbnail looks as crisp as the real thing.
    sharp = garment((70, 90, 150), size=1600)
    small = cv2.resize(sharp, (448, 448), interpolation=cv2.INTER_AREA)
    enlarged = cv2.resize(small, (1600, 1600), interpolation=cv2.INTER_CUBIC)
    assert "blurry" not in judged(sharp).issue_names
    r = judged(enlarged)
    assert "blurry" in r.issue_names, r.metrics["sharpness"]


def logo(backdrop, ink):
    """A ring and a word in one ink on a flat backdrop, anti-aliased, 1200 px."""
    drawn = np.full((1200, 1200, 3), backdrop, np.uint8)
    cv2.circle(drawn, (600, 520), 330, ink, -1, cv2.LINE_AA)
    cv2.rectangle(drawn, (480, 380), (720, 660), backdrop, -1, cv2.LINE_AA)
    cv2.putText(drawn, "ACME", (330, 1030), cv2.FONT_HERSHEY_DUPLEX, 5, ink, 12, cv2.LINE_AA)
    return drawn


@pytest.mark.parametrize(
    "backdrop,ink", [((20, 30, 90), (255, 255, 255)), ((200, 30, 40), (255, 255, 255)), ((20, 30, 90), (60, 40, 120))]
)
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_logo_on_a_drawn_colour_raises_no_flag(backdrop, ink, fmt):
    # White on navy has no black and a "blown" white; a dark palette no bright tones: all chosen.
    r = judged(logo(backdrop, ink), fmt=fmt)
    assert r.issue_names == [], [i.message for i in r.issues]


@pytest.mark.parametrize(
    "backdrop,ink",
    [
        ((128, 128, 128), (255, 255, 255)),  # was "overexposed" and "grayscale"
        ((0, 0, 0), (230, 50, 40)),  # was "dark" and "low contrast"
        ((235, 220, 195), (20, 60, 160)),  # beige was a "colour cast"
        ((255, 255, 255), (0, 0, 0)),  # black on white was "saved without colour"
    ],
)
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_logo_drawn_on_grey_black_beige_or_white_raises_no_flag(backdrop, ink, fmt):
    # The backdrop alone cannot tell a graphic from an edited photo; the product's few flat inks can.
    r = judged(logo(backdrop, ink), fmt=fmt, **({"quality": 75} if fmt == "JPEG" else {}))
    assert r.issue_names == [], [i.message for i in r.issues]
    assert r.metrics["palette_share"] >= 0.88


def test_a_flattened_or_tinted_photo_on_a_flat_backdrop_is_still_judged_as_a_photo():
    # The same flat backdrops as the logos above, but a shaded, textured product on them.
    grey = garment((150, 150, 150))
    flat = judged(np.rint(grey * 0.25 + 96).astype(np.uint8))
    assert "low_contrast" in flat.issue_names, flat.metrics
    assert flat.metrics["palette_share"] < 0.88
    cast = judged(np.rint(garment((60, 90, 160)) * np.array([0.92, 0.9, 0.78])).astype(np.uint8))
    assert "color_cast" in cast.issue_names, cast.metrics


def test_exposure_is_still_judged_on_a_photographed_coloured_backdrop_and_an_edited_white_one():
    clean = garment((60, 90, 160))
    sweep = np.clip(np.array([200, 80, 70], np.float32) + RNG.normal(0, 2.5, clean.shape), 0, 255)
    backdrop = (clean.min(axis=2) >= 248)[..., None]
    on_red = np.where(backdrop, sweep, clean.astype(np.float32))
    washed = np.clip(255 - (255 - on_red) / 2.2, 0, 255).astype(np.uint8)
    assert "overexposed" in judged(washed).issue_names
    # A white backdrop darkened in an editor is exactly flat grey, but neutral: still a photo.
    dark = np.rint(clean.astype(np.float32) * 0.35).astype(np.uint8)
    assert "dark" in judged(dark).issue_names


def _pad_to_square(rgb, colour):
    h, w = rgb.shape[:2]
    top = (w - h) // 2
    return cv2.copyMakeBorder(rgb, top, w - h - top, 0, 0, cv2.BORDER_CONSTANT, value=colour)


def _on_grey_sweep():
    """A garment photographed on a grey sweep (lighter at the top), cropped to landscape."""
    clean = garment((60, 90, 160)).astype(np.float32)
    backdrop = (clean.min(axis=2) >= 248)[..., None]
    sweep = np.linspace(205, 150, clean.shape[0], dtype=np.float32)[:, None, None] + RNG.normal(0, 1.5, clean.shape)
    return np.clip(np.where(backdrop, sweep, clean), 0, 255)[250:1250].astype(np.uint8)


@pytest.mark.parametrize(
    ("defect", "flag"),
    [("none", None), ("dark", "dark"), ("washed", "overexposed"), ("blur", "blurry"), ("flat", "low_contrast")],
)
def test_padding_to_square_hides_no_defect_and_adds_none(defect, flag):
    photo = _on_grey_sweep().astype(np.float32)
    degraded = {
        "none": photo,
        "dark": 255 * ((photo / 255) ** 2.2 * 0.12) ** (1 / 2.2),
        "washed": 255 - (255 - photo) / 3,
        "blur": cv2.GaussianBlur(photo, (0, 0), 3),
        "flat": photo * 0.3 + 128 * 0.7,
    }[defect]
    rgb = np.clip(np.rint(degraded), 0, 255).astype(np.uint8)
    plain = judged(rgb, fmt="PNG")
    assert (flag in plain.issue_names) if flag else plain.issue_names == [], plain.issue_names
    for colour, fmt in (((255, 255, 255), "PNG"), ((0, 0, 0), "PNG"), ((255, 255, 255), "JPEG")):
        padded = judged(_pad_to_square(rgb, colour), fmt=fmt)
        assert padded.issue_names == plain.issue_names, (colour, fmt, padded.issue_names)
        assert padded.metrics["padding"] > 0.2


def test_the_same_photo_padded_to_square_is_the_same_photo():
    photo = _on_grey_sweep()
    index = DuplicateIndex()
    assess(analyze(load_image(encode(photo, "JPEG", quality=92))), GENERIC, key="sweep.jpg", duplicates=index)
    square = assess(
        analyze(load_image(encode(_pad_to_square(photo, (255, 255, 255)), "JPEG", quality=92))),
        GENERIC,
        key="sweep-square.jpg",
        duplicates=index,
    )
    assert square.duplicate_of == "sweep.jpg", square.metrics["hash_distance"]
    assert "near_duplicate" in square.issue_names


@pytest.mark.parametrize(
    "name",
    ["temple_under_sky.jpg", "dahlia_on_dark_bokeh.jpg", "rendered_gift_box.png", "matplotlib_logo.png"],
)
def test_the_natural_photos_and_graphics_issue_11_names_raise_no_flag(name):
    """Read as uploaded (file facts included): the dahlia on its dark bokeh had `dark` and
    `color_cast`, the bright sky `overexposed`, the gift box and the logo `blurry`,
    `low_contrast` and `overexposed`. Their size and shape are real findings (all are under
    1000 px, the logo is a banner)."""
    result = assess(analyze(load_image(str(NATURAL / name))), GENERIC)
    assert [i for i in result.issue_names if i not in ("low_resolution", "odd_aspect_ratio")] == []


def test_the_natural_photos_still_show_real_defects():
    """The same photos with a defect added are flagged for it, so the test above is not passing
    because such photos are never judged. (A cast is not among them: in a scene with no plain
    backdrop the light's colour and the subject's cannot be told apart, so it is not judged.)"""
    dahlia = load_image(str(NATURAL / "dahlia_on_dark_bokeh.jpg")).pixels
    assert "dark" in judged((dahlia * 0.3).astype(np.uint8)).issue_names
    temple = load_image(str(NATURAL / "temple_under_sky.jpg")).pixels
    assert "blurry" in judged(cv2.GaussianBlur(temple, (0, 0), 3)).issue_names
    box = load_image(str(NATURAL / "rendered_gift_box.png")).pixels
    assert "dark" in judged((box * 0.3).astype(np.uint8), fmt="PNG").issue_names


def test_a_vivid_blue_fabric_filling_the_frame_is_not_dark():
    """A close-up of royal-blue cloth at full strength: its luma is about 60, and by luma its
    brightest tones read "too dark" (Madison's royal-blue swatch did). Its blue channel reaches
    the top of the range, as bright as blue gets; with a quarter of the light it is dark."""
    weave = cv2.GaussianBlur(RNG.normal(0, 1, (900, 1200)).astype(np.float32), (0, 0), 1.5)
    cloth = np.array([35, 60, 235], np.float32) * (0.9 + 0.08 * weave / weave.std())[..., None]
    blue = np.clip(np.rint(cloth), 0, 255).astype(np.uint8)
    assert "dark" not in judged(blue).issue_names
    linear = (blue.astype(np.float32) / 255.0) ** 2.2 * 0.25
    assert "dark" in judged(np.clip(np.rint(255.0 * linear ** (1 / 2.2)), 0, 255).astype(np.uint8)).issue_names


def test_orange_against_blue_of_like_luma_is_not_flat():
    """Orange and blue stripes differ more in hue than in luma (144 against 106): by luma alone
    the scene spans a third of the range and read "low contrast". Its blue and red channels span
    most of it; mixed 60% toward grey, every channel is flat, and so is the photo."""
    h, w = 900, 1200
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    stripe = cv2.GaussianBlur((np.sin(xx / 90 + 2 * np.sin(yy / 140)) > 0).astype(np.float32), (0, 0), 6)[..., None]
    shade = 0.88 + 0.1 * cv2.GaussianBlur(RNG.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 2)[..., None]
    colours = np.array([235, 120, 30], np.float32) * stripe + np.array([30, 120, 235], np.float32) * (1 - stripe)
    scene = np.clip(np.rint(colours * shade), 0, 255).astype(np.uint8)
    assert "low_contrast" not in judged(scene).issue_names
    greyed = np.clip(np.rint(scene * 0.4 + 128 * 0.6), 0, 255).astype(np.uint8)
    assert "low_contrast" in judged(greyed).issue_names


def test_a_yellow_raincoat_without_dark_details_is_not_washed_out():
    """Its darkest tones are a deep yellow (luma about 160): by luma its black point read "washed
    out". Their blue channel is near black, which no washed-out photo keeps: washing out lifts
    every channel's floor. Washed out (each tone's distance to white / 1.8) it is overexposed."""
    coat = garment((250, 215, 40), dark_details=False)
    assert "overexposed" not in judged(coat).issue_names
    washed = np.clip(np.rint(255.0 - (255.0 - coat.astype(np.float32)) / 1.8), 0, 255).astype(np.uint8)
    assert "overexposed" in judged(washed).issue_names
