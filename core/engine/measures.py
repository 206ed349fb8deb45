"""No-reference measurements of a single product photo.

Scale matters: most measures are taken at one analysis scale, the long side reduced to
:data:`ANALYSIS_LONG_SIDE` px with area averaging, which is roughly how shoppers see the photo.
Fine detail is what shoppers see when they zoom, and downscaling hides its defects, so focus and
grain are measured at the decoded resolution up to :data:`DETAIL_LONG_SIDE` px (a photo enlarged
from a thumbnail looks crisp at 1024 px and soft at full size). Resolution uses the true size;
blockiness uses the original 8x8 JPEG grid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import cv2
import numpy as np

from core.engine.colorspace import rgb_to_lab
from core.engine.foreground import DRAWN_FLAT_SHARE, Foreground, channel_max, channel_min, find_foreground
from core.engine.loading import LoadedImage
from core.vocabulary import ANALYSIS_LONG_SIDE

__all__ = [
    "FILE_FACTS",
    "BLANK_DETAIL",
    "CHOSEN_IN_A_DRAWN_GRAPHIC",
    "CHOSEN_ON_A_DRAWN_BACKDROP",
    "CHOSEN_TINT_MAX_SHARE",
    "DETAIL_LONG_SIDE",
    "DRAWN_PALETTE_SHARE",
    "NOT_JUDGED_WHEN_BLANK",
    "blockiness",
    "blown_share",
    "channel_clip",
    "color_cast",
    "colorfulness",
    "entropy",
    "file_facts",
    "frame_box",
    "inside_edge",
    "gray_chroma",
    "histogram_u8",
    "is_line_drawing",
    "laplacian_variance",
    "luma",
    "measure",
    "measure_pixels",
    "neutral_tint_share",
    "noise_sigma",
    "own_save_blocking",
    "palette_share",
    "percentile_u8",
    "periodic_share",
    "photo_box",
    "photo_region",
    "sharpness",
    "to_analysis_scale",
    "tonal_contrast",
]


def to_analysis_scale(rgb: np.ndarray, *, long_side: int = ANALYSIS_LONG_SIDE) -> np.ndarray:
    """Reduce ``rgb`` so its long side is at most ``long_side`` px (never upscales), anti-aliased.

    Whole factors are area-averaged (OpenCV's fast path), the remaining factor of at least 1/2 is
    interpolated bilinearly: the same anti-aliasing as an area average at a fraction of its
    cost for factors such as 1200 -> 1024.
    """
    h, w = rgb.shape[:2]
    if max(h, w) <= long_side:
        return rgb
    k = max(h, w) // long_side
    if k >= 2:
        rgb = cv2.resize(rgb, (max(1, w // k), max(1, h // k)), interpolation=cv2.INTER_AREA)
        h, w = rgb.shape[:2]
        if max(h, w) <= long_side:
            return rgb
    f = long_side / max(h, w)
    return cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_LINEAR)


def luma(rgb: np.ndarray) -> np.ndarray:
    """Rec. 601 luminance as uint8 (H, W)."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


_RANGE_KERNEL: Final = np.ones((13, 13), np.uint8)
_WIDE_KERNEL: Final = np.ones((49, 49), np.uint8)
#: How much more contrast a 49x49 window holds than a 13x13 one on a ramp rather than an edge.
#: A crisp step: 1; a step blurred by sigma 8 px: 1.8; a linear ramp: 4.
RAMP_GROWTH: Final = 2.5
#: Share (0-1) of the strong "edges" on ramps above which focus is not judged. Madison's photos
#: measure 0.02-0.44, blurred by sigma 4 px at most 0.49 and by 8 px 0.57; a colour wheel 0.84.
RAMP_SHARE: Final = 0.75
#: Share (0-1) of the strong edges one direction needs for its own focus reading.
SHARPNESS_MIN_DIRECTION_SHARE: Final = 0.05
#: Strong-edge pixels read at most (an even sample of them beyond): the crispest 1% of each
#: direction is still thousands of pixels, and a 3-megapixel photo with busy texture has 800,000.
SHARPNESS_EDGE_SAMPLES: Final = 200_000


def sharpness(y: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Edge crispness on a 0-100 scale, independent of how much of the frame is backdrop.

    At each strong edge the steepest gradient is compared with the local contrast across the
    edge (13x13 window). A crisp step scores about 100; a step blurred by a Gaussian of sigma s
    px scores about 100/s. Only pixels inside ``mask`` (the product) count, so an empty white
    backdrop does not dilute the score. The 99th percentile is used: the crispest edges decide,
    so a product in focus in front of a soft background, or a light garment whose broad folds
    are smooth shading rather than edges, still reads sharp. It is taken for edges facing each
    of four directions (45 degrees apart, each with at least
    :data:`SHARPNESS_MIN_DIRECTION_SHARE` of the edges), since camera shake softens edges in
    every direction but the one across its path: the second-softest direction decides, or the
    third where the two softest face at right angles (see below). A photo focused on one part
    of the frame (a shallow depth of field: a small subject before a soft background, whose
    crisp edges are under 1% of them) is read on that part (see :func:`_selective_focus`).

    Parameters
    ----------
    y : ndarray
        uint8 luminance at analysis scale.
    mask : ndarray of bool, optional
        Where to measure; default everywhere.
    """
    edges = _edge_steps(y, mask)
    if edges is None:
        return math.nan
    at, ratio, facing = edges
    judged = _direction_readings(ratio, facing)
    overall = _focus_of(ratio, judged)
    region = _selective_focus(y.shape, at, ratio, facing, softest=[d for _, d in judged[:2]])
    return region if region > overall else overall  # NaN (no region in focus) compares false


#: Selective focus is looked for in a grid of this many regions a side.
FOCUS_GRID: Final = 4
#: A region is read where it holds at least this many strong edges facing each direction read.
FOCUS_REGION_EDGES: Final = 30
#: ... and only where at least this many regions can be read.
FOCUS_REGIONS_MIN: Final = 4
#: A region at least this many times as crisp as the median region is where the photographer
#: focused. A ladybird, a nuthatch, a dragonfly, a flower and a dandelion shot with a shallow
#: depth of field measure 1.6-2.4x (photographers' wallpapers in Debian; they read 38-50, blurry,
#: on the crispest 1% of all edges). Of 2,247 copies of Madison's 309 distinct photos flagged
#: blurry when blurred (sigma 1-2.8 px), enlarged from 0.4-0.2 or shaken (5-25 px), 4 read sharp
#: this way (one blurred by 1 px, three shaken), none enlarged; 1.4 passed more of those.
SELECTIVE_FOCUS_RATIO: Final = 1.5


def _selective_focus(
    shape: tuple[int, ...], at: np.ndarray, ratio: np.ndarray, facing: np.ndarray, *, softest: list[int]
) -> float:
    """Sharpness (0-100) of the region in focus of a photo shot with a shallow depth of field, NaN
    where there is none: the crispest of :data:`FOCUS_GRID` x :data:`FOCUS_GRID` regions, read
    in the two directions softest over the whole photo (so camera shake, which leaves one
    direction crisp everywhere, is not taken for focus), where it is at least
    :data:`SELECTIVE_FOCUS_RATIO` times as crisp as the median region. A blurred or enlarged
    photo is soft everywhere alike; a subject in focus before a soft background is not.
    """
    if len(softest) < 2:
        return math.nan
    h, w = shape[:2]
    region = (at // w) * FOCUS_GRID // h * FOCUS_GRID + (at % w) * FOCUS_GRID // w
    readings = []
    for k in range(FOCUS_GRID * FOCUS_GRID):
        inside = region == k
        per_direction = []
        for d in softest:
            here = ratio[inside & (facing == d)]
            if here.size < FOCUS_REGION_EDGES:
                break
            per_direction.append(_p99(here))
        else:
            readings.append(min(per_direction))
    if len(readings) < FOCUS_REGIONS_MIN:
        return math.nan
    best = max(readings)
    if best < SELECTIVE_FOCUS_RATIO * float(np.median(readings)):
        return math.nan
    return float(np.clip(200.0 * best, 0.0, 100.0))


def _edge_steps(y: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The strong edges :func:`sharpness` reads: their flat indices into ``y``, their steepness
    against the contrast across them (a crisp step about 0.5), and the direction each faces
    (0-3, 45 degrees apart). ``None`` where focus cannot be judged (too few edges, or ramps)."""
    y = cv2.medianBlur(y, 3)  # keeps edges, removes salt-and-pepper and single-pixel noise
    local_range = cv2.subtract(cv2.dilate(y, _RANGE_KERNEL), cv2.erode(y, _RANGE_KERNEL))
    # "Strong" is relative to the image's own tonal range, so lowering contrast alone does not
    # change which edges are measured (the ratio itself is contrast-invariant).
    cdf = np.cumsum(histogram_u8(y))
    lo, hi = _percentile_of(cdf, 1), _percentile_of(cdf, 99)
    strong = local_range >= max(8.0, 0.12 * float(hi - lo))
    if mask is not None:
        strong &= mask
    at = np.flatnonzero(strong)
    if at.size < 50:
        # Too few edges to judge focus (a blank frame, a smooth gradient, a tiny logo): unknown,
        # not "blurry". A blank image is the low_information check's business.
        return None
    if at.size > SHARPNESS_EDGE_SAMPLES:
        at = at[:: -(-at.size // SHARPNESS_EDGE_SAMPLES)]  # evenly over the image, in raster order
    # An edge levels off: a step, even blurred by a Gaussian of sigma 8 px, has nearly all its
    # contrast inside 49x49 once it has half of it inside 13x13. A ramp (a colour wheel, a
    # gradient backdrop) keeps climbing, about 4x as far. Where nearly every "edge" is a ramp
    # there is nothing focus could have sharpened: unknown, not "blurry".
    wide_range = cv2.subtract(cv2.dilate(y, _WIDE_KERNEL), cv2.erode(y, _WIDE_KERNEL)).ravel()[at]
    ramps = np.count_nonzero(wide_range.astype(np.float32) > RAMP_GROWTH * local_range.ravel()[at])
    if ramps > RAMP_SHARE * at.size:
        return None
    # The gradient (Sobel, exact in integers) only where it is used: at the strong edges.
    gx = cv2.Sobel(y, cv2.CV_16S, 1, 0, ksize=3).ravel()[at].astype(np.float32)
    gy = cv2.Sobel(y, cv2.CV_16S, 0, 1, ksize=3).ravel()[at].astype(np.float32)
    # Per-pixel step in grey levels. NumPy, not cv2.magnitude: OpenCV's vector path rounds
    # differently from its scalar tail, so the result would depend on the arrays' alignment.
    step = np.sqrt(gx * gx + gy * gy) / np.float32(8.0)
    ratio = step / local_range.ravel()[at].astype(np.float32)
    # Edges by the direction they face, in four bins of 45 degrees (0 = a vertical edge).
    facing = ((np.arctan2(gy, gx) * np.float32(4.0 / math.pi) + np.float32(4.5)) % 4).astype(np.int8)
    return at, ratio, facing


def _direction_readings(ratio: np.ndarray, facing: np.ndarray) -> list[tuple[float, int]]:
    """(crispest 1% of the edges, direction) for each direction with enough edges, softest first."""
    enough = max(50, SHARPNESS_MIN_DIRECTION_SHARE * ratio.size)
    return sorted((_p99(ratio[facing == d]), d) for d in range(4) if np.count_nonzero(facing == d) >= enough)


def _focus_of(ratio: np.ndarray, judged: list[tuple[float, int]]) -> float:
    """Sharpness (0-100) of the whole photo from its edge readings (see :func:`_edge_steps` and
    :func:`_direction_readings`): the crispest 1% in the directions that decide."""
    if len(judged) < 2:
        p99 = _p99(ratio)  # edges facing one way only: shake cannot be told from the product's shape
    elif len(judged) >= 3 and (judged[0][1] - judged[1][1]) % 2 == 0:
        # The two softest face at right angles: not shake, which softens most the directions
        # along and next to its path (a boxed product, whose crisp edges all face along its
        # sides, while its diagonals hold only soft texture). The third decides.
        p99 = judged[2][0]
    else:
        # Shake softens every direction but the one across its path, so the crispest direction
        # alone passed a shaken photo; a product may lack crisp edges facing one way (a vase's
        # shallow rim), so the very softest is not trusted alone: the second-softest decides.
        p99 = judged[1][0]
    return float(np.clip(200.0 * p99, 0.0, 100.0))


def _p99(values: np.ndarray) -> float:
    """The 99th percentile (linear interpolation, as numpy's default) without a full sort."""
    pos = 0.99 * (values.size - 1)
    i = int(pos)
    j = min(i + 1, values.size - 1)
    part = np.partition(values, [i, j])
    return float(part[i]) + (pos - i) * (float(part[j]) - float(part[i]))


def laplacian_variance(y: np.ndarray, bbox: tuple[int, int, int, int] | None = None) -> float:
    """Variance of the 3x3 Laplacian (grey levels^2) inside ``bbox``. Scale-dependent."""
    if bbox is not None:
        x0, y0, x1, y1 = bbox
        if x1 - x0 >= 3 and y1 - y0 >= 3:
            y = y[y0:y1, x0:x1]
    lap = cv2.Laplacian(y, cv2.CV_16S, ksize=1)  # exact in integers
    return float(cv2.meanStdDev(lap)[1][0, 0] ** 2)


#: Grain is measured in tiles of this many pixels, in the flattest tenth of them.
_GRAIN_TILE: Final = 16
_GRAIN_FLATTEST: Final = 10.0
#: How much fine-band energy a texture brings per unit of its coarse-band energy, at most. In the
#: flattest tiles grain puts about 11 (blotchy, from demosaicing, JPEG-saved or not) to 75 (white)
#: times the coarse band's energy in the fine one; the knit, wood and wicker of Madison's textured
#: products a median of 1.1 (their energy does not fall with scale), 5.3 at most where little of
#: it is left. Fine energy beyond this many times the coarse is grain. At 3 a crochet blanket read 5.0 (over the 4.5 limit), at 3.5 it reads
#: 3.2, Madison's highest; at 4 blotchy grain of 14 grey levels saved as a JPEG was caught in
#: 81% of Madison's photos instead of 88%.
GRAIN_TEXTURE_RATIO: Final = 3.5
#: What white noise of unit variance leaves of that (fine energy less GRAIN_TEXTURE_RATIO times
#: coarse) in the flattest tenth of the tiles: 0.796 - 3.5 x 0.0082, measured on 1024 x 1024
#: fields of three seeds (within 0.5%); it scales the result to the noise's standard deviation.
_GRAIN_UNIT: Final = 0.767


def noise_sigma(y: np.ndarray) -> float:
    """Grain: the noise standard deviation in grey levels, measured where the photo is flattest.

    Grain covers the whole photo, texture (knit, leather, wood) only parts of it, so grain is
    measured in the flattest tenth of the 16 x 16 tiles: those with the least energy in the fine
    band (the image minus its Gaussian blur at 2 px). What texture is left there is told from
    grain by scale: a texture's energy does not fall from the coarse band (the 2-px blur minus a
    4-px one, measured at half size) to the fine one, while grain's rises steeply, whether it is
    white or made blotchy by demosaicing and a JPEG save (which a finest-scale estimator such as
    Immerkaer's barely sees: a phone-like grain of 14 grey levels saved at quality 90 read 1.5).
    The fine energy beyond :data:`GRAIN_TEXTURE_RATIO` times the coarse one is grain, scaled so
    that white noise of standard deviation s reads s. Tiles with more than 10% clipped pixels
    (<= 2 or >= 253, e.g. a pure white backdrop, where clipping hides grain) are left out.
    Returns 0 when fewer than 8 tiles qualify.

    Grain does not repeat itself; a weave, a knit or a painter's canvas does, every few pixels. A
    woven strap shrunk to 0.6 of its size puts its ribs 2 px apart, where the fine band reads
    them as grain (7.3 over a limit of 4.5). Where most of the flattest tiles repeat (see
    :data:`PERIODIC_TILE_CORRELATION`), what they hold is texture, and the reading fades to 0
    over :data:`PERIODIC_SHARE_FADE`. Grain added to such a texture breaks its repeat, so it is
    still read.

    The tiles overlap by half and their grid is centred on the image, so a mirrored or rotated
    copy reads the same: with a grid of disjoint tiles from the top-left corner, which few tiles
    were flattest moved with the image's edges, and a necklace read 2.0 or 4.7 (over the limit)
    as the photo was mirrored.

    Grain must be measured before any downscaling: area averaging lowers it (see :func:`measure`).

    Parameters
    ----------
    y : ndarray
        uint8 luminance.
    """
    tile, cell = _GRAIN_TILE, _GRAIN_TILE // 2
    h, w = y.shape
    hh, ww = h // tile * tile, w // tile * tile
    if hh == 0 or ww == 0:
        return 0.0
    top, left = (h - hh) // 2, (w - ww) // 2
    y = np.ascontiguousarray(y[top : top + hh, left : left + ww])
    cells = (ww // cell, hh // cell)

    def windows(mean_per_cell: np.ndarray) -> np.ndarray:
        # Means over tiles of 2 x 2 cells at a stride of one cell: half-overlapping tiles.
        m = mean_per_cell
        return (m[:-1, :-1] + m[1:, :-1] + m[:-1, 1:] + m[1:, 1:]) * 0.25

    unclipped = windows(cv2.resize(cv2.inRange(y, 3, 252), cells, interpolation=cv2.INTER_AREA).astype(np.float32))
    ok = unclipped >= 229.5  # at most 10% of the tile clipped (255 = all of it unclipped)
    if np.count_nonzero(ok) < 8:
        return 0.0
    # In uint8 and int16 (exact differences; rounding adds a variance of 1/12 at most).
    lo = cv2.GaussianBlur(y, (0, 0), 2.0)
    fine = cv2.subtract(y, lo, dtype=cv2.CV_16S)
    half = cv2.resize(lo, (ww // 2, hh // 2), interpolation=cv2.INTER_AREA)  # a quarter of the work
    coarse = cv2.subtract(half, cv2.GaussianBlur(half, (0, 0), math.sqrt(3.0)), dtype=cv2.CV_16S)

    def tile_energy(band: np.ndarray) -> np.ndarray:
        energy = cv2.multiply(band, band, dtype=cv2.CV_32F)
        return windows(cv2.resize(energy, cells, interpolation=cv2.INTER_AREA))[ok]

    f, c = tile_energy(fine), tile_energy(coarse)
    flattest = f <= np.percentile(f, _GRAIN_FLATTEST)
    grain = float(f[flattest].mean()) - GRAIN_TEXTURE_RATIO * float(c[flattest].mean())
    if grain <= 0.0:
        return 0.0
    fades_from, gone_at = PERIODIC_SHARE_FADE
    repeating = periodic_share(fine, np.argwhere(ok)[flattest] * cell, tile=tile)
    kept = float(np.clip((gone_at - repeating) / (gone_at - fades_from), 0.0, 1.0))
    return kept * math.sqrt(grain / _GRAIN_UNIT)


#: Offsets (rows, columns; px) at which a tile is compared with itself: at the scale grain is
#: measured, a weave, a knit or a canvas repeats every 2-5 px, along either axis or a diagonal.
_PERIOD_LAGS: Final = ((0, 2), (2, 0), (0, 3), (3, 0), (0, 4), (4, 0), (0, 5), (5, 0), (2, 2), (2, -2))
#: Correlation (-1 to 1) of a tile's fine band with itself at one of :data:`_PERIOD_LAGS` from
#: which the tile repeats. Grain reads about 0 there (white noise -0.03; one tile of 16 x 16 px
#: scatters by about 0.07); a woven strap's ribs, a canvas's weave 0.4 and more.
PERIODIC_TILE_CORRELATION: Final = 0.3
#: Shares (0-1) of the flattest tiles that repeat, from the first of which the grain reading
#: fades, to 0 at the second. On Madison's photos with white or blotchy grain of sigma 4-22 (the
#: catalogue bench's ladders) at most 0.45 repeat, 0.31 from sigma 8 up; a woven strap shrunk to
#: 0.6 of its size 0.86, a painting's canvas at 3840 px 0.70, Van Gogh's brush strokes 0.60.
#: Grass, whose blades do not repeat, reads 0.30 and stays "grainy" (a known limit).
PERIODIC_SHARE_FADE: Final = (0.35, 0.6)
#: Flattest tiles compared, at most (an even sample of them beyond): enough for a share.
_PERIOD_SAMPLES: Final = 512


def periodic_share(fine: np.ndarray, corners: np.ndarray, *, tile: int) -> float:
    """Share (0-1) of the ``tile`` x ``tile`` tiles at ``corners`` ((row, column) of each tile's
    top-left pixel in ``fine``, a band-passed image) that repeat themselves: whose correlation
    with their own copy shifted by one of :data:`_PERIOD_LAGS` reaches
    :data:`PERIODIC_TILE_CORRELATION`. 0 for no tiles."""
    if len(corners) == 0:
        return 0.0
    if len(corners) > _PERIOD_SAMPLES:
        corners = corners[np.linspace(0, len(corners) - 1, _PERIOD_SAMPLES).round().astype(np.intp)]
    reach = max(dy for dy, _ in _PERIOD_LAGS), max(dx for _, dx in _PERIOD_LAGS)
    back = -min(dx for _, dx in _PERIOD_LAGS)
    h, w = fine.shape
    # Each tile with the margin its shifted copies need (indices clamped at the image's edge).
    rows = np.minimum(corners[:, :1] + np.arange(tile + reach[0]), h - 1)
    cols = np.clip(corners[:, 1:] + np.arange(-back, tile + reach[1]), 0, w - 1)
    patch = fine[rows[:, :, None], cols[:, None, :]].astype(np.float32)
    here = patch[:, :tile, back : back + tile]
    energy = np.maximum(np.einsum("nij,nij->n", here, here), np.float32(1e-3))
    best = np.full(len(corners), -1.0, np.float32)
    for dy, dx in _PERIOD_LAGS:
        there = patch[:, dy : dy + tile, back + dx : back + dx + tile]
        best = np.maximum(best, np.einsum("nij,nij->n", here, there) / energy)
    return float(np.count_nonzero(best >= PERIODIC_TILE_CORRELATION) / len(corners))


#: Lightness (CIELAB L*, 0-100) a backdrop needs for its tint to be judged: on dark backdrops a
#: tint is neither visible nor measurable.
CAST_MIN_BACKDROP_LIGHTNESS: Final = 60.0
#: A backdrop more colourful than this (a*b* chroma) is taken for a chosen colour (pink paper, a
#: blue sweep) unless the product's own greys and whites carry its tint too: then it is a strong
#: white-balance error (green divided by 1.4 gives a white backdrop a chroma of about 50).
CAST_MAX_TINT: Final = 45.0


def color_cast(fg: Foreground) -> float:
    """Tint of what should be neutral: the plain backdrop, as a*b* chroma (CIELAB Delta E units).

    Measured on the backdrop only, never on the product, so an orange jacket or a pink top is
    not a cast. About 0-3 is neutral, 5+ a visible tint of a white or grey backdrop. NaN (not
    judged) when there is no plain backdrop or when it is dark: in a scene the colours of the
    subject and the light cannot be told apart without a reference. Whether a tint was chosen
    (pink paper) is read on the product (:func:`neutral_tint_share`); a backdrop more colourful
    than :data:`CAST_MAX_TINT` counts as a cast only when the product's neutrals prove it.
    """
    if not fg.has_backdrop:
        return math.nan
    lightness, a, b = (float(v) for v in rgb_to_lab(np.array(fg.backdrop_rgb) / 255.0))
    if lightness < CAST_MIN_BACKDROP_LIGHTNESS:
        return math.nan
    return math.hypot(a, b)


#: Grey levels within which a pixel is the padding's colour (JPEG noise on a flat band).
PAD_TOLERANCE: Final = 6
#: Smallest padding band, as a share of the side it is added to.
PAD_MIN_BAND: Final = 0.003


def _band(shares: np.ndarray) -> int:
    """How many leading lines are padding (at least 99.5% of their pixels the padding's colour)."""
    full = shares >= 0.995
    return len(full) if full.all() else int(np.argmin(full))


def _photo_edge(shares: np.ndarray, band: int, depth: int) -> int | None:
    """The first line after a band of ``band`` lines that is mostly photo (at most half of it the
    padding's colour), looking ``depth`` lines on (JPEG rings into the padding up to a 16-px
    colour block); ``None`` if there is none."""
    ahead = np.flatnonzero(shares[band : band + depth] <= 0.5)
    return band + int(ahead[0]) if ahead.size else None


def photo_box(rgb: np.ndarray) -> tuple[int, int, int, int] | None:
    """The photo inside padding, as ``(x0, y0, x1, y1)`` (half-open, px); ``None`` if not padded.

    Padding is what "pad to square" and letterboxing add: bands of one flat colour on two
    opposite sides (top and bottom, or left and right) of a photo that reaches the other two
    sides, meeting it at a straight, hard edge. A product on a white backdrop has the backdrop on
    all four sides, and its outline is not a straight line across the frame, so it is never
    mistaken for padding. A border on all four sides is not recognised: it cannot be told from a
    flat rectangular product (a book cover) on white.
    """
    h, w = rgb.shape[:2]
    if min(h, w) < 32:
        return None
    corners = np.array([rgb[0, 0], rgb[0, -1], rgb[-1, 0], rgb[-1, -1]], np.int16)
    colour = np.median(corners, axis=0)
    if np.abs(corners - colour).max() > PAD_TOLERANCE:
        return None  # the corners differ: they are not all padding
    scalar = np.append(colour, 0.0).astype(np.float64)

    def pad_share(line: np.ndarray) -> float:
        diff = cv2.absdiff(np.ascontiguousarray(line).reshape(-1, 1, 3), scalar)
        return float(np.count_nonzero(channel_max(diff) <= PAD_TOLERANCE)) / line.shape[0]

    # Bands on all four sides (a product on its backdrop) or on none: decided from the edges alone.
    edges = [pad_share(rgb[0]) >= 0.995, pad_share(rgb[-1]) >= 0.995]
    edges += [pad_share(rgb[:, 0]) >= 0.995, pad_share(rgb[:, -1]) >= 0.995]
    if edges not in ([True, True, False, False], [False, False, True, True]):
        return None
    is_pad = (channel_max(cv2.absdiff(rgb, scalar)) <= PAD_TOLERANCE).astype(np.float32)
    rows = cv2.reduce(is_pad, 1, cv2.REDUCE_AVG).ravel()
    cols = cv2.reduce(is_pad, 0, cv2.REDUCE_AVG).ravel()
    top, bottom, left, right = _band(rows), _band(rows[::-1]), _band(cols), _band(cols[::-1])
    if left == right == 0 and min(top, bottom) >= max(2, PAD_MIN_BAND * h):
        depth = max(16, round(0.02 * h))
        y0, from_bottom = _photo_edge(rows, top, depth), _photo_edge(rows[::-1], bottom, depth)
        if y0 is None or from_bottom is None or h - from_bottom - y0 < max(16, 0.2 * h):
            return None
        return (0, y0, w, h - from_bottom)
    if top == bottom == 0 and min(left, right) >= max(2, PAD_MIN_BAND * w):
        depth = max(16, round(0.02 * w))
        x0, from_right = _photo_edge(cols, left, depth), _photo_edge(cols[::-1], right, depth)
        if x0 is None or from_right is None or w - from_right - x0 < max(16, 0.2 * w):
            return None
        return (x0, 0, w - from_right, h)
    return None


#: Widest drawn frame (a rule around a card or a banner), as a share of the short side.
FRAME_MAX_SHARE: Final = 0.04
#: Outer lines a frame may start after: resampling greys an edge's first line or two.
FRAME_EDGE_LINES: Final = 2
#: How much lighter (luma, grey levels) the field inside a frame is than its rule.
FRAME_MIN_STEP: Final = 64


def _luma_of(rgb: Sequence[float] | np.ndarray) -> float:
    """Luma (grey levels) of one RGB colour."""
    return float(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])


def frame_box(rgb: np.ndarray) -> tuple[int, int, int, int] | None:
    """The inside of a thin frame drawn on all four sides, as ``(x0, y0, x1, y1)`` (half-open,
    px); ``None`` if there is none.

    A frame is a dark rule of one flat colour, at most :data:`FRAME_MAX_SHARE` of the short side
    wide and as wide on every side (within a few pixels), around a field whose edge is one flat
    colour at least :data:`FRAME_MIN_STEP` lighter: a black rule around a white card, a keyline
    around a product shot on white. Inside it, the field is the backdrop.
    """
    h, w = rgb.shape[:2]
    e = FRAME_EDGE_LINES
    widest = int(FRAME_MAX_SHARE * min(h, w))
    if widest < 2:
        return None
    corners = np.array([rgb[e, e], rgb[e, -1 - e], rgb[-1 - e, e], rgb[-1 - e, -1 - e]], np.int16)
    colour = np.median(corners, axis=0)
    if np.abs(corners - colour).max() > PAD_TOLERANCE or _luma_of(colour) > 255 - FRAME_MIN_STEP:
        return None  # no rule at the corners, or one too light for a lighter field (most photos)
    is_rule = (channel_max(cv2.absdiff(rgb, np.append(colour, 0.0).astype(np.float64))) <= PAD_TOLERANCE).astype(
        np.float32
    )
    # Shares along the middle of each side, clear of the rules across it.
    m = widest + e
    rows = cv2.reduce(is_rule[:, m:-m], 1, cv2.REDUCE_AVG).ravel()
    cols = cv2.reduce(is_rule[m:-m], 0, cv2.REDUCE_AVG).ravel()
    # Each side: the rule's lines (after at most e outer ones), then a line with none of it.
    sides = []
    for shares in (rows, rows[::-1], cols, cols[::-1]):
        start = next((i for i in range(e + 1) if shares[i] >= 0.98), None)
        if start is None:
            return None
        run = shares[start:] >= 0.98
        width = len(run) if run.all() else int(np.argmin(run))
        if not 2 <= width <= widest or shares[start + width] > 0.02:
            return None
        sides.append(start + width)
    if max(sides) - min(sides) > 1 + e:
        return None
    top, bottom, left, right = sides
    # The field's edge, a line or two in: the rule's own edge is anti-aliased or rings.
    inside = rgb[top + e : h - bottom - e, left + e : w - right - e]
    ring = np.concatenate([inside[0], inside[-1], inside[:, 0], inside[:, -1]]).astype(np.int16)
    field = np.median(ring, axis=0)
    if np.count_nonzero(np.abs(ring - field).max(axis=1) <= PAD_TOLERANCE) < 0.95 * len(ring):
        return None  # the field's edge is not one flat colour: a photo, not a drawn card
    if _luma_of(field) - _luma_of(colour) < FRAME_MIN_STEP:
        # Not a dark rule around a light field. A light margin around a dark field is a book
        # cover (or any flat, dark product) on a white backdrop as often as a dark photo in a
        # white mat: measured whole, as before.
        return None
    return (left, top, w - right, h - bottom)


def inside_edge(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """``box`` moved in from the padding by 0.4% of the side (at least 2 px): JPEG's ringing
    lightens or darkens the photo's first lines too, and 1% of black lines would pass for the
    photo's black point."""
    h, w = shape[:2]
    x0, y0, x1, y1 = box
    dx = max(2, round(0.004 * w)) if x0 > 0 or x1 < w else 0
    dy = max(2, round(0.004 * h)) if y0 > 0 or y1 < h else 0
    return (x0 + dx if x0 > 0 else 0, y0 + dy if y0 > 0 else 0, x1 - dx if x1 < w else w, y1 - dy if y1 < h else h)


def photo_region(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` without its padding (see :func:`photo_box`): the photo itself, a view."""
    box = photo_box(rgb)
    if box is None:
        return rgb
    x0, y0, x1, y1 = inside_edge(box, rgb.shape)
    return rgb[y0:y1, x0:x1]


#: Smallest backdrop tint (a*b* chroma) whose direction is checked on the product: below it the
#: tint is within the grain of the product's own greys (and within a colour cast's "ideal").
NEUTRALS_MIN_TINT: Final = 3.0
#: Mean level (0-255) from which the product's near-neutral pixels alone decide, where it has
#: enough of them: whites, light greys, metal and speculars show a cast most, and a coloured
#: product that a cast turned grey (navy under a yellow cast) is rarely that light.
NEUTRALS_BRIGHT_LEVEL: Final = 180
#: Below this :func:`neutral_tint_share` the backdrop's tint is its own colour, not a cast: a
#: white-balance error tints every neutral in the frame, while on pink paper or a warm table the
#: product's greys, whites and metal stay grey. Madison's photos under a cast (levels 2-4 of
#: ``bench/catalogue.py``) measure 0.6 or more in nine copies of ten; on pastel papers half
#: measure 0.02 or less.
CHOSEN_TINT_MAX_SHARE: Final = 0.2
#: How far along the backdrop's tint (0 neutral, 1 the backdrop's own) a product pixel must sit
#: to count as tinted by it. A cast puts the product's neutrals at 1 or beyond (a white backdrop
#: clips at 255 and shows less of the cast than the greys do: up to 2); a chosen paper leaves
#: them near 0, and a pale product's own colour (cream on pink, beige on cream) part of the way.
#: Halfway (0.5) took 18% of Madison's photos on pastel papers for casts, 0.6 takes 12%, and
#: catches as many casts at levels 1-4 (``bench/catalogue.py``; warm, cool, green and magenta).
TINTED_ALONG: Final = 0.6
#: The farthest along the backdrop's tint a product pixel may sit and still be one of its
#: neutrals (see :data:`TINTED_ALONG`); beyond it, the product's own colour.
NEUTRAL_ALONG_MAX: Final = 2.0


def neutral_tint_share(rgb: np.ndarray, fg: Foreground) -> float:
    """Share (0-1) of the product's near-neutral pixels that carry the backdrop's tint.

    Every pixel's chromaticity (each channel over the pixel's mean) is compared with the
    backdrop's. Pixels near the line from neutral to the backdrop's tint are the product's
    near-neutral surfaces (greys, whites, metal, speculars); each counts as tinted when it sits
    at least :data:`TINTED_ALONG` of the way to the backdrop's tint. The light ones (:data:`NEUTRALS_BRIGHT_LEVEL`)
    decide where there are enough of them. A colour cast (one gain per channel over the whole
    frame) tints them all: near 1. A chosen backdrop colour leaves them neutral: near 0.

    NaN without a plain backdrop, for a backdrop tinted less than :data:`NEUTRALS_MIN_TINT`, or
    when the product has too few near-neutral pixels to tell (an orange jacket): then the
    backdrop alone decides, as before.
    """
    if not fg.has_backdrop:
        return math.nan
    backdrop = np.asarray(fg.backdrop_rgb, np.float32)
    _, green_red, blue_yellow = (float(v) for v in rgb_to_lab(backdrop / 255.0))
    if math.hypot(green_red, blue_yellow) < NEUTRALS_MIN_TINT or backdrop.mean() < 1.0:
        return math.nan
    tint = backdrop / backdrop.mean() - 1.0
    tint_sq = float(tint @ tint)
    # Every other pixel each way, inside the product only (its rim blends into the backdrop).
    sub = np.ascontiguousarray(rgb[::2, ::2])
    inside = cv2.erode(fg.mask.astype(np.uint8), np.ones((5, 5), np.uint8))[::2, ::2].astype(bool)
    level = cv2.transform(sub.astype(np.float32), np.full((1, 3), 1 / 3, np.float32))
    # Deep shadows carry too little light for a reliable colour, clipped pixels a false one.
    usable = inside & (level >= 50) & (channel_max(sub) <= 250)
    mean = level[usable]
    if len(mean) < 100:
        return math.nan
    r, g, b = (channel[usable] / mean - 1.0 for channel in cv2.split(sub.astype(np.float32)))
    along = (r * float(tint[0]) + g * float(tint[1]) + b * float(tint[2])) / tint_sq  # 0 neutral, 1 the tint
    off_sq = r * r + g * g + b * b - along * along * tint_sq
    near = (off_sq < 0.25 * tint_sq) & (along > -0.5) & (along < NEUTRAL_ALONG_MAX)
    enough = max(50, 0.003 * len(mean))
    bright = near & (mean >= NEUTRALS_BRIGHT_LEVEL)
    if np.count_nonzero(bright) >= enough:
        near = bright
    n_near = int(np.count_nonzero(near))
    if n_near < enough:
        return math.nan
    return float(np.count_nonzero(along[near] >= TINTED_ALONG) / n_near)


def colorfulness(rgb: np.ndarray) -> float:
    """Hasler and Suesstrunk (2003) colourfulness: 0 for grey, ~100+ for vivid images."""
    r, g, b = cv2.split(rgb)
    rg = cv2.subtract(r, g, dtype=cv2.CV_32F)
    yb = cv2.subtract(cv2.addWeighted(r, 0.5, g, 0.5, 0.0, dtype=cv2.CV_32F), b, dtype=cv2.CV_32F)
    rg_mean, rg_std = (float(v[0, 0]) for v in cv2.meanStdDev(rg))
    yb_mean, yb_std = (float(v[0, 0]) for v in cv2.meanStdDev(yb))
    return math.hypot(rg_std, yb_std) + 0.3 * math.hypot(rg_mean, yb_mean)


def gray_chroma(rgb: np.ndarray) -> float:
    """Colour in the most colourful 0.1% of the photo: the 99.9th percentile of max-minus-min channel.

    Measured after halving the size (area average), so single-pixel colour noise does not count
    as colour. A file saved without colour (every pixel R = G = B, also after JPEG chroma
    rounding) reads 0-1; a colour photo of a black or white product still has a few percent of
    tinted pixels (a logo, a seam, skin, warm leather) and reads 4 or more.
    """
    h, w = rgb.shape[:2]
    small = cv2.resize(rgb, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA) if min(h, w) >= 64 else rgb
    spread = cv2.subtract(channel_max(small), channel_min(small))
    return float(percentile_u8(spread, 99.9))


def histogram_u8(values: np.ndarray, *, mask: np.ndarray | None = None) -> np.ndarray:
    """Counts of each value 0-255 in uint8 data (int64, length 256); only where ``mask`` (bool,
    the same shape as ``values``), keyword-only, is true when given."""
    values = np.ascontiguousarray(values)
    if 0 < values.size < 1 << 24:  # OpenCV counts in float32: exact below 2**24
        flat = values.reshape(values.shape[0], -1)
        where = None if mask is None else np.ascontiguousarray(mask).view(np.uint8).reshape(flat.shape)
        return cv2.calcHist([flat], [0], where, [256], [0, 256]).ravel().astype(np.int64)
    return np.bincount((values if mask is None else values[mask]).ravel(), minlength=256)


def percentile_u8(values: np.ndarray, q: float) -> int:
    """The q-th percentile (lower value) of uint8 data, from a histogram: O(n), no sort."""
    return _percentile_of(np.cumsum(histogram_u8(values)), q)


def _percentile_of(cdf: np.ndarray, q: float) -> int:
    return int(np.searchsorted(cdf, q / 100.0 * cdf[-1]))


_LEVELS: Final = np.arange(256, dtype=np.float64)


def entropy(y: np.ndarray) -> float:
    """Shannon entropy of the 256-bin luminance histogram, in bits (0-8)."""
    return _entropy_of(histogram_u8(y))


def _entropy_of(hist: np.ndarray) -> float:
    counts = hist.astype(np.float64)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


#: Largest step (grey levels) between two flat blocks that compression makes: at quality 5 a
#: block's mean moves in steps of about 20 levels, and fewer than 1% of the block edges of
#: Madison photos compressed at quality 5-10 step further than this (at 48, one of 40 photos
#: compressed at quality 5 fell under the limit).
BLOCK_STEP_MAX: Final = 64


#: Positions per phase (blocks along an axis) from which blocks are looked for off the file's own
#: grid: with fewer, one phase of a small image's texture outscores the rest by chance (a 60-px
#: fabric swatch read 4.9 at a shifted phase, against 0.7 on its grid).
BLOCK_PHASE_MIN_BLOCKS: Final = 16


def blockiness(y: np.ndarray, *, grid: int = 8) -> float:
    """JPEG blocking: how much an 8x8 grid steps where the image is otherwise flat (0 = none).

    A step counts where two neighbouring pixels differ by 2 grey levels or more while the steps
    just before and after are at most 1 (flat on both sides): heavy compression flattens each
    block, so its edges show as such isolated steps, larger the harder it was compressed. A step
    of more than :data:`BLOCK_STEP_MAX` is an edge drawn between two flat colours, not a block's
    (a striped or checked graphic drawn on whole multiples of 8 px put every edge on the grid).
    The mean step size (capped at 24) at one phase of the grid is compared with the median at
    the other phases (the same image's own texture, edges and noise), so detailed textures such
    as knit do not read as blocking; x10. Studio photos saved at quality 85+ read under 3.5 (4 at
    most off their grid); a photo compressed at quality 10 (even if re-saved at 95) about 3 to
    25, at quality 5 about 7 to 33.

    Each axis takes the phase that steps most, not only the file's own grid: a blocky photo that
    was cropped or padded by a number of pixels that is not a multiple of 8, then saved again,
    keeps its blocks where they were (a quality-10 photo cropped by 5 and 3 px and re-saved at 95
    reads 0.3 on the new grid and 6.5 on its old one). Off the file's grid only with at least
    :data:`BLOCK_PHASE_MIN_BLOCKS` blocks along the axis. Only meaningful on the encoder's scale:
    original pixels, or ``grid=4`` on a 1/2 draft.
    """
    rates = []
    for axis in (1, 0):  # steps between columns, then between rows
        if y.shape[axis] - 1 < 3 * grid or y.shape[1 - axis] == 0:
            continue  # too short to hold a block (and OpenCV returns no array for an empty one)
        steps = cv2.absdiff(y[:, 1:], y[:, :-1]) if axis == 1 else cv2.absdiff(y[1:], y[:-1])
        flat = steps <= 1
        if axis == 1:
            at, isolated = steps[:, 1:-1], flat[:, :-2] & flat[:, 2:]
        else:
            at, isolated = steps[1:-1], flat[:-2] & flat[2:]
        isolated &= (at >= 2) & (at <= BLOCK_STEP_MAX)
        # Total capped step per position along the axis; position i is the step from pixel i to i+1.
        totals = cv2.reduce(np.minimum(at, np.uint8(24)) * isolated, 1 - axis, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
        phase = np.arange(1, totals.size + 1) % grid
        lines = steps.shape[1 - axis]
        per_phase = [
            float(totals[phase == p].sum()) / max(1, lines * int(np.count_nonzero(phase == p))) for p in range(grid)
        ]
        # Phase grid-1 is the step between pixels grid-1 and grid: the file's own grid.
        candidates = range(grid) if totals.size >= BLOCK_PHASE_MIN_BLOCKS * grid else (grid - 1,)
        rates.append(max(per_phase[p] - float(np.median(per_phase[:p] + per_phase[p + 1 :])) for p in candidates))
    return 10.0 * max(0.0, float(np.mean(rates))) if rates else 0.0


#: Luma (0-255) at which the brightest tones count as white: the photo has a white point.
WHITE_POINT: Final = 240
#: The contrast a photo that reaches white reads at least (see :func:`tonal_contrast`).
ANCHORED_CONTRAST: Final = 0.6


def tonal_contrast(*, p1: float, p99: float, colour_spread: float = 0.0) -> float:
    """Global contrast (0-1): the tonal range from the 1st to the 99th percentile of luma, or
    ``colour_spread`` (0-1, the widest such range of any one colour channel) where wider: orange
    against blue differs more in hue than in luma, and is not flat. Mixing toward grey narrows
    every channel alike, so a flattened photo still reads flat.

    A photo whose brightest tones reach :data:`WHITE_POINT` has a white point; it is then high-key
    (a white shirt on a white sweep) or washed out (the overexposure check's business), not flat,
    so it reads at least :data:`ANCHORED_CONTRAST`. Flat, greyish photos reach neither end.
    """
    spread = max((p99 - p1) / 255.0, colour_spread)
    return max(spread, ANCHORED_CONTRAST) if p99 >= WHITE_POINT else spread


#: Share of the product's pixels left after a 3x3 erosion below which it is a line drawing (a
#: diagram, a wireframe on graph paper: strokes a pixel or two wide at analysis scale): 0.06 on a
#: chart on graph paper; real products 0.64 or more on Madison's 309 distinct photos, and still
#: 0.33 or more once over-exposed x3 or washed out (0.14 for a 60-px fabric swatch washed out).
LINE_DRAWING_SOLID_SHARE: Final = 0.25
_SQUARE3 = np.ones((3, 3), np.uint8)


def is_line_drawing(fg: Foreground) -> bool:
    """Whether the product is drawn in strokes (see :data:`LINE_DRAWING_SOLID_SHARE`); ``False``
    without a plain backdrop."""
    if not fg.has_backdrop:
        return False
    mask = fg.mask.astype(np.uint8)
    return bool(np.count_nonzero(cv2.erode(mask, _SQUARE3)) < LINE_DRAWING_SOLID_SHARE * np.count_nonzero(mask))


def blown_share(rgb: np.ndarray, fg: Foreground) -> float:
    """Share (0-1) of the product's outline that is pure white (every channel >= 250).

    The outline is the product mask closed by 2% of the image size, so highlights blown inside
    the product count although their colour equals a white backdrop's. Holes larger than that
    (the backdrop seen through a necklace or a pair of glasses) are not filled: they are
    backdrop, not product. NaN without a plain backdrop (a scene's bright sky is not a product
    highlight), and for a line drawing (see :data:`LINE_DRAWING_SOLID_SHARE`), whose outline
    closes over the paper between its strokes.
    """
    if not fg.has_backdrop or np.count_nonzero(fg.mask) < 100:
        return math.nan
    if is_line_drawing(fg):
        return math.nan  # the paper between its strokes is not a blown highlight
    k = max(3, round(0.02 * max(fg.mask.shape))) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))  # separable: ~10x faster than a disc
    outline = cv2.morphologyEx(fg.mask.astype(np.uint8), cv2.MORPH_CLOSE, kernel).astype(bool)
    white = channel_min(rgb) >= 250
    area = int(np.count_nonzero(outline))
    return int(np.count_nonzero(white & outline)) / max(1, area)


def channel_clip(rgb: np.ndarray, fg: Foreground) -> float:
    """Share (0-1) of coloured product pixels with one colour channel blown to 255.

    Over-exposure clips the brightest channel first, so a coloured surface turns into flat,
    too-saturated colour (an orange cushion whose red channel is 255 everywhere). Pixels where
    every channel is bright are white, not clipped colour, and do not count. NaN without a plain
    backdrop.
    """
    if not fg.has_backdrop or np.count_nonzero(fg.mask) < 100:
        return math.nan
    hi, lo = channel_max(rgb), channel_min(rgb)
    coloured = fg.mask & (lo < 235)
    n = np.count_nonzero(coloured)
    return float(np.count_nonzero(coloured & (hi >= 254)) / n) if n >= 100 else 0.0


#: How many exact colours a drawn product is made of, at most (a logo's inks, a chart's bars).
PALETTE_COLOURS: Final = 8
#: Largest 3x3 spread (grey levels, any channel) of a pixel inside a flat area: anti-aliased
#: edges between a graphic's colours, and most JPEG ringing around them, spread further and are
#: left out. (At 24 a quality-75 JPEG's ringing fills a red logo with stray colours; at 6 a
#: photo's smoothest shading alone is left, and passes for a few inks.)
FLAT_AREA_SPREAD: Final = 12
#: :func:`palette_share` from which the product is drawn, not photographed. Logos and charts
#: measure 0.90-1.00 even as JPEGs at quality 60; Madison's photos at most 0.71 (0.84 for an
#: album cover, itself drawn), and 0.86 once darkened, washed out or flattened to a quarter of
#: their contrast (a smooth render of a vase). JPEG at quality 20 or below flattens a photo into
#: blocks of few colours: it may count as drawn, and is flagged for its compression instead.
DRAWN_PALETTE_SHARE: Final = 0.88


def palette_share(rgb: np.ndarray, fg: Foreground) -> float:
    """Share (0-1) of the product's flat areas drawn in its :data:`PALETTE_COLOURS` commonest
    exact colours.

    A graphic is a few inks filled flat: near 1. A photographed surface carries shading, texture
    and grain, so its tones spread over many values (0.1-0.7 on real catalogues), even once
    darkened or flattened. Only judged on an exactly flat backdrop (as a graphic's, see
    ``Foreground.backdrop_flat_ratio``: a frame or a drawing may reach the edge); NaN otherwise
    or with fewer than 100 product pixels.
    """
    if not fg.has_backdrop or fg.backdrop_flat_ratio < DRAWN_FLAT_SHARE:
        return math.nan
    x0, y0, x1, y1 = fg.bbox
    if (x1 - x0) * (y1 - y0) < 400:
        return math.nan
    box = rgb[y0:y1, x0:x1]
    # Spread per channel at full scale: a JPEG's chroma rings around coloured ink where luma is
    # flat, and subsampling first lets a photo's fine texture pass as flat.
    spread = channel_max(cv2.absdiff(cv2.dilate(box, _SQUARE3), cv2.erode(box, _SQUARE3)))
    # The colours of every other pixel each way: the same shares at a quarter of the cost.
    flat = (fg.mask[y0:y1, x0:x1] & (spread <= FLAT_AREA_SPREAD))[::2, ::2]
    px = np.ascontiguousarray(box[::2, ::2])[flat].astype(np.int32)
    if len(px) < 100:
        return math.nan
    counts = np.unique((px[:, 0] << 16) | (px[:, 1] << 8) | px[:, 2], return_counts=True)[1]
    top = np.partition(counts, -PALETTE_COLOURS)[-PALETTE_COLOURS:] if counts.size > PALETTE_COLOURS else counts
    return float(top.sum() / len(px))


#: What exposure decides in a photo but a designer chose in a graphic on a drawn backdrop (one
#: exact, clearly coloured colour, see ``Foreground.drawn_backdrop``): a white logo on navy has
#: no black and a "blown" white, a navy banner no bright tones and little contrast. Not judged
#: there (NaN: their rules are skipped); focus, grain, compression, colour cast, size and
#: duplicates still are.
CHOSEN_ON_A_DRAWN_BACKDROP: Final = ("highlight_clip", "black_level", "highlight_level", "contrast")
#: ... and in a graphic drawn on any exactly flat backdrop (:func:`palette_share` at least
#: :data:`DRAWN_PALETTE_SHARE`): also its colours. A logo on beige has no cast, a black-and-white
#: one was not "saved without colour".
CHOSEN_IN_A_DRAWN_GRAPHIC: Final = (*CHOSEN_ON_A_DRAWN_BACKDROP, "color_cast", "gray_chroma")

#: Luma standard deviation (grey levels) below which the frame is blank: one colour edge to edge
#: (an empty canvas, a lens cap, a fully transparent file flattened onto white). Nothing in it was
#: exposed, coloured or set on a backdrop, so only its emptiness (``detail``) is judged: a blank
#: grey frame read dark, flat, overexposed and grayscale at once, a blank beige one a colour cast.
#: (A product 20 px across on a 1024-px white frame still measures about 4.)
BLANK_DETAIL: Final = 2.0
#: What a blank frame has none of (see :data:`BLANK_DETAIL`): its tones, colour and backdrop.
NOT_JUDGED_WHEN_BLANK: Final = (*CHOSEN_IN_A_DRAWN_GRAPHIC, "background_white")

#: Focus and grain are measured at up to this long side (px): what a shopper's zoom shows, large
#: enough that blur and grain are not averaged away, small enough to stay fast. (Batch scoring
#: decodes big JPEGs reduced in the DCT domain to no less than the analysis size.)
DETAIL_LONG_SIDE: Final = 2 * ANALYSIS_LONG_SIDE

#: Metrics that describe the file rather than its pixels at analysis scale: they need the full
#: decoded image (the encoder's 8x8 grid) or the file itself. An estimate made on a preview
#: carries them over from the stored measurement (see :func:`core.engine.assess.analyze_preview`).
FILE_FACTS: Final = (
    "sharpness",
    "noise_sigma",
    "detail_long_side",
    "blockiness",
    "jpeg_quality",
    "width",
    "height",
    "long_side",
    "megapixels",
    "aspect_ratio",
    "file_mb",
)


#: Blocking (as :func:`blockiness` reads it) that a JPEG save puts on flat areas by itself, per
#: grey level of its luminance DC quantization step. The DC coefficient is 8x a block's mean, so
#: rounding it to a step D moves each block's mean by up to D/16; two neighbouring blocks then
#: differ by D/24 on average, x10 = 0.42 D. Madison's photos saved once at quality 70, 75, 80 and
#: 85 (D = 10, 8, 6, 5) read a median 3.6, 3.3, 2.6 and 2.1 against 4.2, 3.3, 2.5 and 2.1.
SAVE_BLOCKING_PER_DC_STEP: Final = 10.0 / 24.0
#: The DC step whose own blocking the blocking thresholds include: quality 95's (the ladder of
#: photos compressed hard and re-saved at 95, and studio exports at 84-99, set them).
REFERENCE_DC_STEP: Final = 2


def own_save_blocking(dc_step: int | None) -> float:
    """Blocking that the file's own save explains beyond a quality-95 save's, from its luminance
    DC quantization step (0 for a file that is not a JPEG or was saved at quality 95 or finer).

    Blocks a quality-75 export puts on a soft grey backdrop are how that file was saved, which the
    JPEG-quality rule judges; what :func:`file_facts` reports as ``blockiness`` is the blocking
    beyond them: blocks kept from an earlier, harder save.
    """
    if dc_step is None:
        return 0.0
    return SAVE_BLOCKING_PER_DC_STEP * max(0, dc_step - REFERENCE_DC_STEP)


def file_facts(
    image: LoadedImage,
    *,
    product: np.ndarray | None = None,
    photo: tuple[float, float, float, float] | None = None,
) -> dict[str, float]:
    """The :data:`FILE_FACTS` of a decoded file: size, shape, JPEG quality, and what only the
    decoded resolution shows: focus and grain (at up to :data:`DETAIL_LONG_SIDE` px) and blocking
    on the encoder's own grid, less what the file's own save explains (:func:`own_save_blocking`).

    ``photo`` is the photo inside padding (``x0, y0, x1, y1`` as fractions of the width and
    height, see :func:`photo_box`): focus, grain and blocking are measured there only, so the
    padding's hard edge does not pass for focus nor its flat area for clean pixels. ``product``
    is the product mask (bool, any size: it is resized) within it that focus is judged on;
    default the whole photo.
    """
    info = image.info
    grid = round(8 * image.scale)
    on_grid = grid >= 4 and abs(8 * image.scale - grid) < 1e-6
    pixels = image.pixels
    y = luma(pixels)
    block_grids = [y]
    if photo is not None:
        h, w = pixels.shape[:2]
        box = (round(photo[0] * w), round(photo[1] * h), round(photo[2] * w), round(photo[3] * h))
        x0, y0, x1, y1 = inside_edge(box, pixels.shape)
        if product is not None:  # the product mask of the whole canvas, cut like the pixels
            ph, pw = product.shape
            product = product[round(y0 * ph / h) : round(y1 * ph / h), round(x0 * pw / w) : round(x1 * pw / w)]
        # Blocks sit on the file's grid if it was compressed after padding, on the photo's own
        # (from its edge) if before: both are measured.
        block_grids = [y[y0 // grid * grid : y1, x0 // grid * grid : x1], y[box[1] : box[3], box[0] : box[2]]]
        pixels, y = pixels[y0:y1, x0:x1], y[y0:y1, x0:x1]
    detail = luma(to_analysis_scale(pixels, long_side=DETAIL_LONG_SIDE)) if max(y.shape) > DETAIL_LONG_SIDE else y
    if product is not None and product.shape != detail.shape:
        size = (detail.shape[1], detail.shape[0])
        product = cv2.resize(product.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool)
    return {
        "sharpness": sharpness(detail, product),
        "noise_sigma": noise_sigma(detail),
        "detail_long_side": float(max(detail.shape)),
        "blockiness": (
            max(0.0, max(blockiness(g, grid=grid) for g in block_grids) - own_save_blocking(info.jpeg_dc_step))
            if on_grid
            else math.nan
        ),
        "jpeg_quality": float(info.jpeg_quality) if info.jpeg_quality is not None else math.nan,
        "width": float(info.width),
        "height": float(info.height),
        "long_side": float(max(info.width, info.height)),
        "megapixels": info.width * info.height / 1e6,
        "aspect_ratio": max(info.width, info.height) / max(1, min(info.width, info.height)),
        "file_mb": info.file_size / 1e6,
    }


def measure_pixels(analysis: np.ndarray, *, focus: bool = True) -> tuple[dict[str, float], Foreground]:
    """Every metric that is a property of the pixels at analysis scale (all but :data:`FILE_FACTS`).

    ``analysis`` is RGB uint8 with its long side at most :data:`ANALYSIS_LONG_SIDE` (as from
    :func:`to_analysis_scale`). With ``focus`` (keyword-only), ``sharpness`` is included too,
    measured at this scale: a preview estimate scales the file's own (finer) measurement by how
    much a recipe changed it. :func:`measure` leaves it to :func:`file_facts`.

    A padded image (see :func:`photo_box`) is measured inside its padding: white bars do not
    brighten a dark photo nor black ones restore a washed-out one's blacks. Where the product
    sits (``product_fill``, ``product_extent``) is measured on the whole canvas, as shoppers see
    it, and the background on both the canvas border and the photo's own (the less white counts).
    ``padding`` is the share of the canvas the padding covers (0 when there is none).
    """
    metrics, fg, _ = _measure_canvas(analysis, focus=focus)
    return metrics, fg


def _share_outside(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> float:
    """Share (0-1) of an image of ``shape`` outside ``box`` (a padding's bands, a frame's rule)."""
    x0, y0, x1, y1 = box
    return 1.0 - (x1 - x0) * (y1 - y0) / float(shape[0] * shape[1])


def _measure_canvas(
    analysis: np.ndarray, *, focus: bool
) -> tuple[dict[str, float], Foreground, tuple[int, int, int, int] | None]:
    """:func:`measure_pixels`, and the :func:`photo_box` it found, or the :func:`frame_box` of a
    framed image (``None`` for neither): file facts (focus, grain, blocking) are read inside it."""
    box = photo_box(analysis)
    frame = frame_box(analysis) if box is None else None
    if frame is not None:
        # Inside a drawn frame the field is the backdrop: a white card's paper is not a blown
        # highlight. The frame is part of the design, not padding: where the product sits is read
        # on the whole canvas, frame included.
        x0, y0, x1, y1 = inside_edge(frame, analysis.shape)
        metrics, _ = _measure_photo(analysis[y0:y1, x0:x1], focus=focus)
        fg = find_foreground(analysis)
        metrics.update(
            product_fill=fg.fill,
            product_extent=fg.extent,
            background_white=fg.border_white_ratio,
            background_luma=_luma_of(fg.backdrop_rgb),
            padding=0.0,
            frame=_share_outside(frame, analysis.shape),
        )
        return metrics, fg, frame
    if box is None:
        metrics, fg = _measure_photo(analysis, focus=focus)
        metrics.update(padding=0.0, frame=0.0)
        return metrics, fg, None
    x0, y0, x1, y1 = inside_edge(box, analysis.shape)
    h, w = analysis.shape[:2]
    metrics, inner = _measure_photo(analysis[y0:y1, x0:x1], focus=focus)
    canvas = find_foreground(analysis)
    mask = np.zeros((h, w), bool)
    mask[y0:y1, x0:x1] = inner.mask
    bx0, by0, bx1, by1 = inner.bbox
    fg = Foreground(
        mask,
        (bx0 + x0, by0 + y0, bx1 + x0, by1 + y0),
        True,
        canvas.backdrop_rgb,
        canvas.border_white_ratio,
        canvas.border_flat_ratio,
        canvas.backdrop_flat_ratio,
    )
    less_white = min((canvas, inner), key=lambda f: f.border_white_ratio)
    bg = less_white.backdrop_rgb
    metrics.update(
        product_fill=fg.fill,
        product_extent=fg.extent,
        background_white=less_white.border_white_ratio,
        background_luma=_luma_of(bg),
        padding=_share_outside(box, analysis.shape),
        frame=0.0,
    )
    return metrics, fg, box


#: Luma (0-255) under which a plain backdrop was chosen dark (black or charcoal paper, velvet).
#: There the brightest tones are read on the product alone: the backdrop fills most of the frame,
#: so the frame's 99th percentile fell inside the product's tones, lower the smaller the product
#: (Madison's black bags, shoes and folios recoloured onto black paper read 119-156 and were called
#: too dark). A white backdrop underexposed this far has lost 4.4 stops (the darkening ladder's
#: worst: 2.7).
DARK_BACKDROP_LUMA: Final = 64


def _measure_photo(analysis: np.ndarray, *, focus: bool) -> tuple[dict[str, float], Foreground]:
    """:func:`measure_pixels` of an image that is all photo (no padding)."""
    y = luma(analysis)
    fg = find_foreground(analysis)
    mask = fg.mask if fg.has_backdrop else None
    # Histograms instead of sorts and gathers: every tonal figure below is read from them.
    cdf = np.cumsum(histogram_u8(y))
    if fg.has_backdrop:
        # A backdrop with (almost) nothing on it is a blank image: no subject at all.
        subject = histogram_u8(y, mask=fg.mask)
        if subject.sum() < 100:
            subject = np.zeros(256, np.int64)
    else:
        subject = np.diff(cdf, prepend=0)
    n_subject = int(subject.sum())
    (mean,), (std,) = (v.ravel() for v in cv2.meanStdDev(y))
    p1, p99 = _percentile_of(cdf, 1), _percentile_of(cdf, 99)
    # How bright the brightest tones are, by each pixel's brightest channel: a saturated blue or
    # purple at full strength has a luma of 30-60 and is as bright as that colour gets, not dark.
    value = channel_max(analysis)
    brightest = _percentile_of(np.cumsum(histogram_u8(value)), 99)
    bg = fg.backdrop_rgb
    dark_backdrop = fg.has_backdrop and n_subject and _luma_of(bg) < DARK_BACKDROP_LUMA
    if dark_backdrop:
        p99 = _percentile_of(np.cumsum(subject), 99)  # the product's brightest tones, not the backdrop's
        brightest = _percentile_of(np.cumsum(histogram_u8(value, mask=fg.mask)), 99)
    # The widest span of any one channel: a vivid scene whose colours differ in hue more than in
    # luma (orange against blue) is not flat.
    colour_spread = 0.0
    for channel in cv2.split(analysis):
        c_cdf = np.cumsum(histogram_u8(channel))
        top_cdf = np.cumsum(histogram_u8(channel, mask=fg.mask)) if dark_backdrop else c_cdf  # as p99 above
        colour_spread = max(colour_spread, (_percentile_of(top_cdf, 99) - _percentile_of(c_cdf, 1)) / 255.0)
    metrics: dict[str, float] = {
        **({"sharpness": sharpness(y, mask)} if focus else {}),
        "laplacian_var": laplacian_variance(y, fg.bbox if fg.has_backdrop else None),
        "brightness": float(mean),
        "shadow_clip": float(cdf[8] / cdf[-1]),
        "subject_brightness": float(subject @ _LEVELS / n_subject) if n_subject else float(mean),
        "highlight_clip": blown_share(analysis, fg),
        "channel_clip": channel_clip(analysis, fg),
        "highlight_level": float(brightest),
        "contrast": tonal_contrast(p1=p1, p99=p99, colour_spread=colour_spread),
        # By each pixel's darkest channel: washing out lifts every channel's floor, where a dark
        # tone of a vivid colour (a deep yellow, luma 110) has one channel near black.
        "black_level": float(_percentile_of(np.cumsum(histogram_u8(channel_min(analysis))), 0.1)),
        "color_cast": color_cast(fg),
        "colorfulness": colorfulness(analysis),
        "gray_chroma": gray_chroma(analysis),
        "entropy": _entropy_of(subject) if n_subject else 0.0,
        "detail": float(std),
        "background_white": fg.border_white_ratio,
        "background_luma": _luma_of(bg),
        "product_fill": fg.fill,
        "product_extent": fg.extent,
        "palette_share": palette_share(analysis, fg),
    }
    judged_cast = not math.isnan(metrics["color_cast"])
    metrics["neutral_tint_share"] = share = neutral_tint_share(analysis, fg) if judged_cast else math.nan
    if share < CHOSEN_TINT_MAX_SHARE or (metrics["color_cast"] > CAST_MAX_TINT and math.isnan(share)):
        # The backdrop's own colour: the product's greys stay grey, or the backdrop is so
        # colourful that only the product's greys, carrying its tint too, could prove a cast
        # (and there are too few of them to tell).
        metrics["color_cast"] = math.nan
    chosen: tuple[str, ...] = ()
    if metrics["palette_share"] >= DRAWN_PALETTE_SHARE or (
        fg.backdrop_flat_ratio >= DRAWN_FLAT_SHARE and is_line_drawing(fg)
    ):
        # A few flat inks, or strokes, on an exactly flat backdrop: a graphic, its colours chosen.
        chosen = CHOSEN_IN_A_DRAWN_GRAPHIC
    elif fg.drawn_backdrop:
        chosen = CHOSEN_ON_A_DRAWN_BACKDROP
    if std < BLANK_DETAIL:
        chosen = NOT_JUDGED_WHEN_BLANK
    for name in chosen:
        metrics[name] = math.nan
    return metrics, fg


def measure(image: LoadedImage) -> tuple[dict[str, float], Foreground, np.ndarray]:
    """Every no-reference metric of one decoded image: :func:`file_facts` plus :func:`measure_pixels`.

    Returns
    -------
    metrics : dict
        Name -> value, keys as in :data:`METRIC_INFO` (``jpeg_quality`` is NaN for non-JPEGs;
        metrics that cannot be judged on this photo are NaN and skip their rules).
    foreground : Foreground
        Product mask and box at analysis scale.
    analysis : ndarray
        The RGB uint8 image at analysis scale that the pixel metrics were computed on.
    """
    analysis = to_analysis_scale(image.pixels)
    pixel_metrics, fg, box = _measure_canvas(analysis, focus=False)
    if box is None:
        facts = file_facts(image, product=fg.mask if fg.has_backdrop else None)
    else:
        h, w = analysis.shape[:2]
        x0, y0, x1, y1 = box
        facts = file_facts(image, product=fg.mask, photo=(x0 / w, y0 / h, x1 / w, y1 / h))
    return {**pixel_metrics, **facts}, fg, analysis
