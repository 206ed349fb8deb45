"""Each check fires on an image made to have its defect and stays quiet on a clean one."""

import math

import cv2
import numpy as np
import pytest

from core.engine.assess import analyze, assess
from core.engine.checks import assess_metrics
from core.engine.duplicates import DuplicateIndex, hamming, phash
from core.engine.loading import load_image
from core.engine.profiles import ISSUE_NAMES, ProfileError, list_profiles, load_profile, profile_from_dict
from core.vocabulary import METRIC_INFO
from tests.conftest import encode

GENERIC = load_profile("generic")
AMAZON = load_profile("amazon")


def issues_of(rgb, profile=GENERIC, fmt="PNG", **kw):
    return assess(analyze(load_image(encode(rgb, fmt, **kw))), profile)


def big(photo):
    return cv2.resize(photo, (1200, 1200), interpolation=cv2.INTER_CUBIC)


def test_clean_photo_has_no_issues(photo):
    r = issues_of(big(photo))
    assert r.issue_names == [] and r.score > 75


def test_clean_product_passes_amazon(product):
    r = issues_of(product, AMAZON)
    assert r.issue_names == [], [i.message for i in r.issues]


DEFECTS = {
    "blurry": lambda a: cv2.GaussianBlur(a, (0, 0), 3),
    "noisy": lambda a: np.clip(a + np.random.default_rng(0).normal(0, 25, a.shape), 0, 255).astype(np.uint8),
    "dark": lambda a: (a * 0.25).astype(np.uint8),
    "overexposed": lambda a: np.clip(a * 1.0 + 120, 0, 255).astype(np.uint8),
    "low_contrast": lambda a: (a * 0.25 + 100).astype(np.uint8),
    "grayscale": lambda a: np.repeat(cv2.cvtColor(a, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2),
    "low_information": lambda a: np.full_like(a, 200),
    "odd_aspect_ratio": lambda a: np.ascontiguousarray(a[:300]),
}


@pytest.mark.parametrize("issue", sorted(DEFECTS))
def test_check_fires_on_its_defect(photo, issue):
    r = issues_of(DEFECTS[issue](big(photo)))
    assert issue in r.issue_names, (issue, r.issue_names, {k: round(v, 2) for k, v in r.metrics.items()})


def test_color_cast_is_judged_on_the_backdrop(product):
    tinted = np.clip(product * np.array([1.0, 0.9, 0.6]), 0, 255).astype(np.uint8)
    assert "color_cast" in issues_of(tinted).issue_names
    assert "color_cast" not in issues_of(product).issue_names


def test_blurry_is_measured_on_the_product_not_the_backdrop(product):
    assert "blurry" not in issues_of(product, AMAZON).issue_names
    assert "blurry" in issues_of(cv2.GaussianBlur(product, (0, 0), 3), AMAZON).issue_names


def test_compression_artifacts(photo):
    assert "compression_artifacts" in issues_of(big(photo), fmt="JPEG", quality=10).issue_names
    assert "compression_artifacts" not in issues_of(big(photo), fmt="JPEG", quality=92).issue_names


def test_low_resolution_and_too_large(photo):
    assert "low_resolution" in issues_of(cv2.resize(photo, (400, 400))).issue_names
    walmart = load_profile("walmart")
    noisy = np.random.default_rng(0).integers(0, 255, (1600, 1600, 3), dtype=np.uint8)
    r = issues_of(noisy, walmart)  # incompressible 1600x1600 PNG is ~7.7 MB > Walmart's 5 MB
    assert "too_large" in r.issue_names


def test_non_white_background_and_small_product(product):
    grey_bg = product.copy()
    grey_bg[np.all(product == 255, axis=2)] = (225, 225, 225)
    assert "non_white_background" in issues_of(grey_bg, AMAZON).issue_names
    small = np.full((2400, 2400, 3), 255, np.uint8)
    small[900:1500, 900:1500] = cv2.resize(product[240:960, 50:1150], (600, 600))
    assert "small_product" in issues_of(small, AMAZON).issue_names


def test_duplicates_exact_and_near(photo):
    index = DuplicateIndex()
    a = analyze(load_image(encode(big(photo))))
    first = assess(a, GENERIC, key="a", duplicates=index)
    again = assess(a, GENERIC, key="b", duplicates=index)
    resized = assess(
        analyze(load_image(encode(cv2.resize(photo, (900, 900)), "JPEG", quality=80))),
        GENERIC,
        key="c",
        duplicates=index,
    )
    assert "duplicate" not in first.issue_names and first.duplicate_of is None
    assert "duplicate" in again.issue_names and again.duplicate_of == "a"
    assert "near_duplicate" in resized.issue_names and "duplicate" not in resized.issue_names


def test_phash_separates_different_photos(photo, product):
    assert hamming(phash(photo), phash(photo)) == 0
    assert hamming(phash(photo), phash(product)) > 16


@pytest.mark.parametrize(
    "issue,make",
    [
        ("dark", lambda a, s: (a * (1 - s)).astype(np.uint8)),
        ("blurry", lambda a, s: cv2.GaussianBlur(a, (0, 0), 0.3 + 4 * s)),
        (
            "noisy",
            lambda a, s: np.clip(a + np.random.default_rng(0).normal(0, 1 + 30 * s, a.shape), 0, 255).astype(np.uint8),
        ),
        ("low_contrast", lambda a, s: (a * (1 - s) + 128 * s).astype(np.uint8)),
    ],
)
def test_score_falls_monotonically_with_severity(photo, issue, make):
    base = photo  # native pixels: no upsampling softness to interact with the defect
    scores = [issues_of(make(base, s)).score for s in (0.0, 0.2, 0.4, 0.6, 0.8)]
    assert all(b <= a + 0.5 for a, b in zip(scores, scores[1:])), scores
    assert scores[-1] < scores[0] - 15, scores


def test_contributions_add_up_to_the_loss(photo):
    r = issues_of((big(photo) * 0.3).astype(np.uint8))
    assert sum(r.contributions.values()) == pytest.approx(100 - r.score)
    assert all(i.points > 0 for i in r.issues)


def test_evaluate_skips_nan_metrics():
    metrics = {k: math.nan for k in METRIC_INFO}
    result = assess_metrics(metrics, GENERIC)
    assert result.score == 100.0 and result.issues == ()


def test_issue_messages_are_filled_in(photo):
    r = issues_of((big(photo) * 0.25).astype(np.uint8))
    dark = next(i for i in r.issues if i.name == "dark")
    assert "{" not in dark.message and "too dark" in dark.message
    assert dark.fix == ("contrast_stretch", "gamma") and dark.severity == "error"


def test_profiles_all_load_and_use_known_issue_names():
    names = list_profiles()
    assert names[:6] == ["generic", "amazon", "shopify", "ebay", "walmart", "google"]
    for n in names:
        p = load_profile(n)
        assert set(p.checks) <= set(ISSUE_NAMES)
        assert p.rules_text


def test_marketplace_rules_from_the_published_requirements():
    amazon = AMAZON.checks
    assert amazon["low_resolution"].rules[0].warn == 1000 and amazon["low_resolution"].rules[0].fail == 500
    assert amazon["too_large"].rules[0].warn == 10000
    assert amazon["small_product"].rules[0].warn == 0.85 and amazon["non_white_background"].enabled
    walmart = load_profile("walmart").checks
    assert walmart["low_resolution"].rules[0].warn == 1500 and walmart["too_large"].rules[0].warn == 5
    google = {r.metric: r.warn for r in load_profile("google").checks["too_large"].rules}
    assert google == {"megapixels": 64, "file_mb": 16}
    shopify = {r.metric: r.warn for r in load_profile("shopify").checks["too_large"].rules}
    assert shopify["megapixels"] == 20


def test_bad_profile_is_refused_with_reason():
    with pytest.raises(ProfileError, match="unknown check"):
        profile_from_dict({"name": "x", "checks": {"fuzzy": {"rules": []}}})
    with pytest.raises(ProfileError, match="worsening order"):
        profile_from_dict(
            {
                "name": "x",
                "checks": {
                    "dark": {
                        "rules": [{"metric": "brightness", "direction": "min", "ideal": 10, "warn": 50, "fail": 40}]
                    }
                },
            }
        )
    with pytest.raises(ProfileError, match="no profile named"):
        load_profile("nonexistent")


def test_a_profiles_file_types_travel_with_it_and_unknown_ones_are_refused():
    import pytest

    from core.engine.profiles import ProfileError, load_profile, profile_from_dict

    amazon = load_profile("amazon")
    assert amazon.file_formats == ("JPEG", "PNG", "TIFF", "GIF") and load_profile("generic").file_formats == ()
    data = amazon.to_dict() | {"name": "amazon-tuned"}  # what a tuned profile is saved from
    assert profile_from_dict(data).file_formats == amazon.file_formats
    assert amazon.file_format_problem("JPEG") == "" and amazon.file_format_problem("heif").startswith(
        "HEIC files not taken"
    )
    with pytest.raises(ProfileError, match="unknown file format"):
        profile_from_dict(data | {"file_formats": ["JPEG", "PSD"]})
