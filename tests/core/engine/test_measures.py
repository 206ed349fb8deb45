"""Unit checks of the no-reference measurements against known constructions."""

import io
import math

import cv2
import numpy as np
import pytest
import skimage.data
from PIL import Image

from core.engine.foreground import find_foreground
from core.engine.measures import (
    BLOCK_PHASE_MIN_BLOCKS,
    blockiness,
    color_cast,
    entropy,
    frame_box,
    gray_chroma,
    histogram_u8,
    is_line_drawing,
    luma,
    neutral_tint_share,
    noise_sigma,
    palette_share,
    percentile_u8,
    periodic_share,
    photo_box,
    sharpness,
    to_analysis_scale,
)
from tests.conftest import encode


def _ramp() -> np.ndarray:
    flat = np.full((512, 512), 120, np.float32)
    return flat + np.linspace(0, 60, 512, dtype=np.float32)[None, :]  # smooth structure is ignored


def test_noise_estimate_matches_known_white_noise():
    for sigma in (3.0, 8.0, 15.0):
        y = np.clip(_ramp() + np.random.default_rng(int(sigma)).normal(0, sigma, (512, 512)), 0, 255).astype(np.uint8)
        assert noise_sigma(y) == pytest.approx(sigma, rel=0.05)


def test_a_phones_blotchy_grain_saved_as_jpeg_is_seen():
    """Demosaicing makes grain blotchy and a JPEG save takes its finest part: a finest-scale
    estimator read 14 grey levels of it as 2.4, under any limit."""
    n = cv2.GaussianBlur(np.random.default_rng(1).normal(0, 1, (512, 512)).astype(np.float32), (0, 0), 0.8)
    grainy = np.clip(_ramp() + n * (14 / n.std()), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(grainy).save(buf, "JPEG", quality=90)
    saved = np.asarray(Image.open(buf).convert("L"))
    assert 8.0 < noise_sigma(saved) < 14.0


def test_texture_is_not_grain():
    """Gravel fills the frame with fine texture whose energy does not fall with scale: no grain
    (read 4.3 before, at the limit); grain added to it is still seen, though the texture hides part
    of it."""
    gravel = skimage.data.gravel()
    assert noise_sigma(gravel) < 1.0
    noisy = np.clip(gravel + np.random.default_rng(2).normal(0, 14, gravel.shape), 0, 255).astype(np.uint8)
    assert 8.0 < noise_sigma(noisy) < 16.0


def _ribbed_fabric(*, period: float, amplitude: float) -> np.ndarray:
    """A ribbed knit close up: ribs ``period`` px apart over soft shading (what a woven strap
    shrunk to 0.6 of its size shows at the scale grain is measured)."""
    rng = np.random.default_rng(4)
    shade = cv2.GaussianBlur(rng.normal(0, 1, (512, 512)).astype(np.float32), (0, 0), 20)
    ribs = np.sin(2 * np.pi * np.arange(512, dtype=np.float32) / period)[None, :]
    return np.clip(120 + shade * (12 / shade.std()) + amplitude * ribs, 0, 255).astype(np.float32)


@pytest.mark.parametrize("period", [2.5, 3.0, 4.0])
def test_a_fine_repeating_texture_is_not_grain(period):
    """Ribs 2.5-4 px apart sit in the band grain is read in and read 6.1-6.3, over the limit of
    4.5, before repeats were looked for; grain of 14 grey levels on them breaks the repeat and is
    read in full."""
    fabric = _ribbed_fabric(period=period, amplitude=8.0)
    assert noise_sigma(fabric.astype(np.uint8)) < 1.0
    grainy = np.clip(fabric + np.random.default_rng(5).normal(0, 14, fabric.shape), 0, 255).astype(np.uint8)
    assert 13.0 < noise_sigma(grainy) < 17.0


def test_periodic_share_tells_a_repeat_from_grain():
    def fine_of(y: np.ndarray) -> np.ndarray:
        return y.astype(np.int16) - cv2.GaussianBlur(y, (0, 0), 2.0).astype(np.int16)

    corners = np.array([(r, c) for r in range(16, 480, 32) for c in range(16, 480, 32)])
    ribs = _ribbed_fabric(period=3.0, amplitude=8.0).astype(np.uint8)
    grain = np.clip(np.random.default_rng(6).normal(120, 10, (512, 512)), 0, 255).astype(np.uint8)
    assert periodic_share(fine_of(ribs), corners, tile=16) > 0.9
    assert periodic_share(fine_of(grain), corners, tile=16) < 0.05
    assert periodic_share(fine_of(grain), corners[:0], tile=16) == 0.0


def _engraved_plates_on_white(seed: int) -> np.ndarray:
    """Jewellery on a clipped white backdrop: the only unclipped tiles hold fine engraving."""
    rng = np.random.default_rng(seed)
    y = np.full((600, 904), 255, np.uint8)
    for _ in range(7):
        top, left = int(rng.integers(40, 400)), int(rng.integers(40, 804))
        plate = np.full((160, 56), 205, np.uint8)
        for _ in range(25):
            ends = (
                (int(rng.integers(0, 56)), int(rng.integers(0, 160))),
                (int(rng.integers(0, 56)), int(rng.integers(0, 160))),
            )
            cv2.line(plate, *ends, int(rng.integers(60, 160)), 1, cv2.LINE_AA)
        y[top : top + 160, left : left + 56] = plate
    return y


@pytest.mark.parametrize("seed", [3, 13])
def test_grain_reads_the_same_on_a_mirrored_or_rotated_copy(seed):
    """Which few tiles were flattest moved with the image's edges: these read 0 one way and 5.7
    and 8.7 mirrored (a Madison necklace 2.0 and 4.7, over the limit)."""
    y = _engraved_plates_on_white(seed)
    readings = [noise_sigma(np.ascontiguousarray(v)) for v in (y, y[:, ::-1], y[::-1], np.rot90(y))]
    assert max(readings) - min(readings) < 0.05


def test_sharpness_falls_with_blur_and_ignores_contrast(photo):
    y = luma(photo)
    values = [sharpness(cv2.GaussianBlur(y, (0, 0), s)) for s in (0.3, 1.0, 2.0, 4.0)]
    assert values == sorted(values, reverse=True) and values[0] - values[-1] > 25
    flat = (y.astype(np.float32) * 0.5 + 64).astype(np.uint8)  # half the contrast, same focus
    assert sharpness(flat) == pytest.approx(sharpness(y), abs=6)


def test_sharpness_is_unknown_on_ramps_but_measured_on_blurred_edges():
    """A ramp is not a blurred edge: it keeps climbing where an edge levels off. Stripes and
    rings of gradients (up and down over 80 px, steep enough to count as edges) read 19 and 21,
    "blurry", before ramps were told from edges."""
    yy, xx = np.mgrid[0:800, 0:1000].astype(np.float32)

    def triangle(t: np.ndarray) -> np.ndarray:
        return (25 + 210 * np.abs(t % 160 - 80) / 80).astype(np.uint8)

    assert math.isnan(sharpness(triangle(xx))) and math.isnan(sharpness(triangle(np.hypot(xx - 500, yy - 400))))
    # Steps blurred by a Gaussian of sigma 4 and 8 px are still measured, and read soft.
    steps = np.where((xx // 125 + yy // 200) % 2 == 0, 40, 210).astype(np.uint8)
    soft = [sharpness(cv2.GaussianBlur(steps, (0, 0), s)) for s in (0.5, 4.0, 8.0)]
    assert soft[0] > 80 and 15 < soft[2] < soft[1] < 35, soft


def _shaken(rgb: np.ndarray, length: int, angle: float) -> np.ndarray:
    """Camera shake: a straight path of ``length`` px at ``angle`` degrees."""
    path = np.zeros((length, length), np.float32)
    path[length // 2, :] = 1
    turn = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1)
    path = cv2.warpAffine(path, turn, (length, length))
    return cv2.filter2D(rgb, -1, path / path.sum())


def test_sharpness_sees_shake_that_leaves_one_direction_crisp(photo):
    """Shaken sideways or up and down by 9 px, the astronaut kept crisp edges across the path and
    read 58 and 63 (over the limit of 55 then); every direction's edges now count but one."""
    assert sharpness(luma(photo)) > 65
    for angle in (0, 90):
        assert sharpness(luma(_shaken(photo, 9, angle))) < 48


def test_sharpness_does_not_trust_the_softest_direction_alone():
    """A product may have few edges facing one way, all soft (a vase's shallow rim): the crisp
    sides decide."""
    y = np.full((600, 800), 235, np.uint8)
    y[:, 100:160] = y[:, 250:310] = 60  # crisp sides, facing left and right
    rim = np.full((600, 800), 235, np.uint8)
    rim[200:400] = 60
    y[:, 450:] = cv2.GaussianBlur(rim, (0, 0), 4)[:, 450:]  # soft edges facing up and down
    assert sharpness(y) > 90


def test_sharpness_of_a_boxed_product_is_read_along_its_sides():
    """A box's crisp edges all face along its sides; its diagonals hold only soft texture. The
    second-softest direction alone read that texture (62): the two softest face at right angles,
    which shake never makes them, so the third decides. Shaken any way, it is soft."""
    y = np.full((800, 1000), 245, np.float32)
    grain = cv2.GaussianBlur(np.random.default_rng(1).normal(0, 1, (800, 1000)).astype(np.float32), (0, 0), 1.2)
    y[150:650, 200:800] = (70 + 25 * grain / grain.std())[150:650, 200:800]  # leather, say
    box = np.clip(y, 0, 255).astype(np.uint8)
    assert sharpness(box) > 75
    for angle in (0, 22.5, 45, 90):
        assert sharpness(_shaken(box, 9, angle)) < 52, angle


def test_sharpness_reads_a_shallow_depth_of_field_on_the_part_in_focus():
    """A small subject in focus before a soft background (a macro shot, a bottle on a blurred
    table) holds too few of the edges for the crispest 1% of them all: it read 31, "blurry".
    The part in focus decides; the same photo blurred, or shaken any way, is still soft."""
    background = cv2.GaussianBlur(cv2.resize(luma(skimage.data.astronaut()), (1024, 1024)), (0, 0), 4)
    subject = cv2.resize(luma(skimage.data.coffee()), (160, 160), interpolation=cv2.INTER_AREA)
    shot = background.copy()
    shot[300:460, 400:560] = subject  # 2.4% of the frame
    assert sharpness(background) < 30 and sharpness(shot) > 52
    assert sharpness(cv2.GaussianBlur(shot, (0, 0), 2.5)) < 40
    for angle in (0, 22.5, 45, 90, 135):
        assert sharpness(_shaken(shot, 9, angle)) < 40, angle


def test_sharpness_measured_only_inside_mask(product):
    y = luma(product)
    mask = np.zeros(y.shape, bool)
    mask[240:960, 50:1150] = True
    soft = cv2.GaussianBlur(y, (0, 0), 3)  # the product out of focus, on its white
    busy = soft.copy()
    checks = np.kron(np.random.default_rng(0).integers(0, 2, (150, 150)) * 200 + 30, np.ones((8, 8), np.uint8))
    around = np.ones(y.shape, bool)
    around[220:980, 30:1170] = False  # 20 px of the white left round the product
    busy[around] = checks.astype(np.uint8)[around]  # a crisp pattern around it
    # Over the whole frame the pattern's edges pass for focus...
    assert sharpness(busy) > 90
    # ...inside the product's mask they do not count.
    assert sharpness(busy, mask) < 40
    assert sharpness(busy, mask) == pytest.approx(sharpness(soft, mask), abs=3)


def test_blockiness_sees_jpeg_blocks(photo):
    from core.engine.loading import load_image

    clean = luma(load_image(encode(photo, "PNG")).pixels)
    blocky = luma(load_image(encode(photo, "JPEG", quality=8)).pixels)
    assert blockiness(clean) < 1.2 < 1.5 < blockiness(blocky)


def _blockiness_by_definition(y: np.ndarray, grid: int = 8, *, search: bool = True) -> float:
    """The per-phase definition of :func:`blockiness`, written plainly (slow)."""
    y16 = y.astype(np.int16)
    rates = []
    for steps in (np.abs(np.diff(y16, axis=1)), np.abs(np.diff(y16, axis=0)).T):
        width = steps.shape[1]
        if width < 3 * grid:
            continue
        per_phase = []
        for phase in range(grid):
            xs = np.arange(phase, width, grid)
            xs = xs[(xs >= 1) & (xs < width - 1)]
            at = steps[:, xs]
            isolated = (steps[:, xs - 1] <= 1) & (steps[:, xs + 1] <= 1) & (at >= 2) & (at <= 64)
            per_phase.append(float(np.minimum(at, 24)[isolated].sum()) / max(1, at.size))
        # Every phase where there are enough blocks to tell one from chance; else the grid's own.
        phases = range(grid) if search and width - 2 >= BLOCK_PHASE_MIN_BLOCKS * grid else [grid - 1]
        rates.append(max(per_phase[p] - float(np.median(per_phase[:p] + per_phase[p + 1 :])) for p in phases))
    return 10.0 * max(0.0, float(np.mean(rates))) if rates else 0.0


@pytest.mark.parametrize("quality", [8, 40, 95])
@pytest.mark.parametrize("grid", [8, 4])
@pytest.mark.parametrize("size", [(301, 203), (90, 77)])  # odd sizes; the second too small to search
def test_blockiness_equals_its_definition(photo, quality, grid, size):
    from core.engine.loading import load_image

    y = luma(load_image(encode(photo, "JPEG", quality=quality)).pixels)[: size[0], 3 : 3 + size[1]]
    assert blockiness(y, grid=grid) == pytest.approx(_blockiness_by_definition(y, grid), abs=1e-9)


def test_blockiness_finds_blocks_moved_off_the_file_grid(photo):
    """A blocky photo cropped by a number of pixels that is not a multiple of 8 and saved again
    keeps its blocks where they were, off the new file's grid."""
    from core.engine.loading import load_image

    def resaved_cropped(rgb):
        return luma(load_image(encode(rgb[3:, 5:], "JPEG", quality=95)).pixels)

    moved = resaved_cropped(load_image(encode(photo, "JPEG", quality=8)).pixels)
    clean = resaved_cropped(photo)
    assert _blockiness_by_definition(moved, search=False) < 1.2  # the file's own grid misses them
    assert blockiness(clean) < 1.2 < 1.5 < blockiness(moved)


def test_histogram_u8_counts_like_bincount():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 256, (300, 401), dtype=np.uint8)
    for values in (y, y[::3, 1::2], y[y > 200], y[:0], np.full(5, 255, np.uint8)):
        assert np.array_equal(histogram_u8(values), np.bincount(values.ravel(), minlength=256))
    mask = rng.random(y.shape) < 0.3
    assert np.array_equal(histogram_u8(y, mask=mask), np.bincount(y[mask], minlength=256))


def test_entropy_bounds():
    assert entropy(np.zeros((10, 10), np.uint8)) == 0.0
    assert entropy(np.arange(256, dtype=np.uint8).repeat(4)) == pytest.approx(8.0)


def test_gray_chroma_reads_zero_only_without_colour(photo):
    grey = np.repeat(luma(photo)[..., None], 3, axis=2)
    assert gray_chroma(grey) <= 1.0 and gray_chroma(photo) > 50
    jpeg_grey = np.asarray(Image.open(io.BytesIO(encode(grey, "JPEG", quality=90))).convert("RGB"))
    assert gray_chroma(jpeg_grey) <= 1.0  # chroma rounding in the encoder is not colour


def test_color_cast_reads_the_backdrop(product):
    fg = find_foreground(to_analysis_scale(product))
    assert color_cast(fg) < 2
    tinted = np.clip(product * np.array([1.0, 0.95, 0.75]), 0, 255).astype(np.uint8)
    assert color_cast(find_foreground(to_analysis_scale(tinted))) > 8


def test_color_cast_is_not_judged_without_a_backdrop(photo):
    assert math.isnan(color_cast(find_foreground(photo)))


def test_palette_share_tells_a_drawn_logo_from_a_photographed_product(product, photo):
    logo = np.full((900, 900, 3), 128, np.uint8)
    cv2.circle(logo, (450, 380), 250, (20, 60, 160), -1, cv2.LINE_AA)
    cv2.putText(logo, "ACME", (230, 800), cv2.FONT_HERSHEY_DUPLEX, 4, (255, 255, 255), 10, cv2.LINE_AA)
    for drawn in (logo, np.asarray(Image.open(io.BytesIO(encode(logo, "JPEG", quality=60))).convert("RGB"))):
        assert palette_share(drawn, find_foreground(drawn)) >= 0.88
    # A band of the drawing reaching both edges: the backdrop's own pixels are still exact.
    banner = logo.copy()
    banner[820:900] = (230, 50, 40)
    assert palette_share(banner, find_foreground(banner)) >= 0.88
    cup = to_analysis_scale(product)
    assert palette_share(cup, find_foreground(cup)) < 0.6
    # Flattened to a quarter of its contrast the cup is still shaded: many tones, not a few inks.
    flat = np.rint(cup * 0.25 + 96).astype(np.uint8)
    assert palette_share(flat, find_foreground(flat)) < 0.8
    assert math.isnan(palette_share(photo, find_foreground(photo)))  # no flat backdrop: not judged


def _on_paper(rgb, tint):
    """``rgb`` (a product on white) shot on paper of colour ``tint``: only the backdrop changes."""
    backdrop = cv2.GaussianBlur((rgb.min(axis=2) >= 250).astype(np.float32), (0, 0), 1.5)[..., None]
    gain = 1 - backdrop * (1 - np.asarray(tint, np.float32) / 255)
    return np.rint(rgb * gain).astype(np.uint8)


def test_neutral_tint_share_tells_a_cast_from_a_chosen_backdrop_colour():
    # A shaded grey ball with grain on white: its own surfaces are neutral.
    yy, xx = np.mgrid[0:800, 0:800].astype(np.float32)
    ball = np.hypot(xx - 400, yy - 400) < 260
    shade = 70 + 150 * np.clip(1 - np.hypot(xx - 330, yy - 330) / 420, 0, 1)
    grain = np.random.default_rng(3).normal(0, 2, (800, 800, 1))
    cup = np.where(ball[..., None], np.clip(shade[..., None] + grain, 0, 255), 255).repeat(3, 2).astype(np.uint8)
    paper = _on_paper(cup, (250, 222, 230))
    assert neutral_tint_share(paper, find_foreground(paper)) < 0.1
    cast = np.rint(np.minimum(cup * np.array([1.0, 0.93, 0.95]), 255)).astype(np.uint8)
    assert neutral_tint_share(cast, find_foreground(cast)) > 0.9
    # An untinted backdrop needs no checking; a product without greys cannot tell.
    assert math.isnan(neutral_tint_share(cup, find_foreground(cup)))
    orange = np.where(cup.min(axis=2, keepdims=True) >= 250, cup, cup * np.array([1.0, 0.45, 0.1]))
    tinted = np.rint(orange * np.array([1.0, 0.93, 0.95])).astype(np.uint8)
    assert math.isnan(neutral_tint_share(tinted, find_foreground(tinted)))


def test_percentile_u8_matches_numpy():
    v = np.random.default_rng(0).integers(0, 256, 10_000).astype(np.uint8)
    for q in (1, 50, 99):
        assert abs(percentile_u8(v, q) - np.percentile(v, q, method="lower")) <= 1


def test_analysis_scale_never_upscales(photo):
    assert to_analysis_scale(photo) is photo
    big = cv2.resize(photo, (2048, 1536))
    assert to_analysis_scale(big).shape == (768, 1024, 3)


def _decoded_jpeg(rgb, quality=85):
    return np.asarray(Image.open(io.BytesIO(encode(rgb, "JPEG", quality=quality))).convert("RGB"))


@pytest.mark.parametrize("colour", [(255, 255, 255), (0, 0, 0), (128, 128, 128)])
def test_photo_box_finds_the_photo_inside_letterbox_and_pillarbox_padding(photo, colour):
    scene = np.ascontiguousarray(photo[60:420])  # 360 x 512, a scene reaching every edge
    letterbox = cv2.copyMakeBorder(scene, 76, 76, 0, 0, cv2.BORDER_CONSTANT, value=colour)
    assert photo_box(letterbox) == (0, 76, 512, 436)
    x0, y0, x1, y1 = photo_box(_decoded_jpeg(letterbox))  # JPEG rings a line or two into the bands
    assert (x0, x1) == (0, 512) and abs(y0 - 76) <= 3 and abs(y1 - 436) <= 3
    pillarbox = cv2.copyMakeBorder(
        np.ascontiguousarray(scene.transpose(1, 0, 2)), 0, 0, 76, 76, cv2.BORDER_CONSTANT, value=colour
    )
    assert photo_box(pillarbox) == (76, 0, 436, 512)


def test_photo_box_is_none_for_a_product_on_white_a_framed_photo_and_a_plain_photo(product, photo):
    assert photo_box(product) is None  # backdrop on all four sides, outline not a straight line
    assert photo_box(photo) is None
    framed = cv2.copyMakeBorder(photo[60:420], 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    assert photo_box(framed) is None  # four sides: could be a flat product on white
    wide = np.full((400, 600, 3), 255, np.uint8)
    wide[150:250, 30:570] = (40, 40, 40)  # a long dark product with margins left and right
    assert photo_box(wide) is None


def _card(size=600):
    """A white card with a blue title and black text, as drawn for a banner or a gift card."""
    card = np.full((size, size, 3), 255, np.uint8)
    cv2.putText(card, "VIP", (size // 3, size // 3), cv2.FONT_HERSHEY_DUPLEX, 3, (200, 140, 50), 8, cv2.LINE_AA)
    cv2.putText(card, "MEMBER", (size // 10, size // 2), cv2.FONT_HERSHEY_SIMPLEX, 2.5, (0, 0, 0), 4, cv2.LINE_AA)
    return card


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_frame_box_finds_the_inside_of_a_dark_rule_around_a_light_field(fmt):
    card = _card()
    card[:14], card[-14:], card[:, :14], card[:, -14:] = 0, 0, 0, 0  # a 14-px black rule
    card[0], card[:, -1] = 210, 210  # an outer line greyed by resampling
    box = frame_box(card if fmt == "PNG" else _decoded_jpeg(card, quality=90))
    assert box is not None and all(abs(a - b) <= 2 for a, b in zip(box, (14, 14, 586, 586), strict=True)), box


def test_frame_box_is_none_without_a_thin_dark_rule(product, photo):
    assert frame_box(product) is None  # a product on white
    assert frame_box(photo) is None
    assert frame_box(_card()) is None  # no rule
    cover = np.full((600, 600, 3), 255, np.uint8)
    cover[14:-14, 14:-14] = (30, 40, 60)  # a dark, flat book cover in a white margin: light around dark
    assert frame_box(cover) is None
    thick = _card()
    thick[:60], thick[-60:], thick[:, :60], thick[:, -60:] = 0, 0, 0, 0  # a band, not a rule (10%)
    assert frame_box(thick) is None
    uneven = _card()
    uneven[:14], uneven[-4:], uneven[:, :14], uneven[:, -14:] = 0, 0, 0, 0  # not as wide on every side
    assert frame_box(uneven) is None


def test_is_line_drawing_tells_strokes_from_a_solid_product(product):
    drawing = np.full((800, 800, 3), 255, np.uint8)
    for k in range(0, 800, 40):
        cv2.line(drawing, (k, 0), (k, 799), (120, 120, 120), 1)
    cv2.circle(drawing, (400, 400), 300, (0, 0, 0), 2)
    assert is_line_drawing(find_foreground(drawing))
    assert not is_line_drawing(find_foreground(product))
    thick = np.full((800, 800, 3), 255, np.uint8)
    cv2.circle(thick, (400, 400), 300, (0, 0, 0), 12)  # a ring: thin for a product, thick for a stroke
    assert not is_line_drawing(find_foreground(thick))
