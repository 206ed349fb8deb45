"""Decode merchant image files into RGB ``uint8`` arrays, robustly.

Every failure is an :class:`ImageLoadError` whose ``kind`` is machine-readable and whose message
is a sentence a merchant can act on. Nothing here raises anything else for bad input.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, Literal

import cv2
import numpy as np
from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError, features

from core.engine.structure import TIFF_SIGNATURES, StructureError, check_structure, frames_refusal
from core.vocabulary import SUPPORTED_FORMATS

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "MAX_FRAMES",
    "MAX_PIXELS_PER_BYTE",
    "ImageInfo",
    "ImageLoadError",
    "LoadedImage",
    "load_image",
    "heif_supported",
    "sha256_of",
]

#: 50 MP: what marketplaces accept; the store reads its limit from ``$IMAGEDESK_MAX_MEGAPIXELS``.
DEFAULT_MAX_PIXELS: Final = 50_000_000
#: A file declaring more pixels per byte than this (above MIN_PIXELS_FOR_RATIO) is refused before
#: decoding: real photographs stay far below (JPEG at most ~150, 8-bit RGB PNG at most ~344 by
#: deflate's limit), while a tiny file declaring a huge canvas is a decompression bomb.
MAX_PIXELS_PER_BYTE: Final = 500
MIN_PIXELS_FOR_RATIO: Final = 4_000_000
#: 50 MB: marketplaces cap uploads at 5-16 MB; this only guards the process.
DEFAULT_MAX_BYTES: Final = 50 * 1024 * 1024
#: A file holding more frames (pages) than this is refused: no product photo has them, and
#: Pillow counts a TIFF's pages in a time growing with the square of their number (it checks
#: each page against every one before it): 40,000 one-pixel pages, a 7.7 MB file, took 21 s.
MAX_FRAMES: Final = 1000

ErrorKind = Literal[
    "empty",
    "not_image",
    "truncated",
    "unsupported_format",
    "too_many_pixels",
    "too_many_frames",
    "file_too_large",
    "corrupt",
    "unreadable",
]


class ImageLoadError(ValueError):
    """The one exception type for an image that cannot be used.

    Attributes
    ----------
    kind : str
        One of ``empty``, ``not_image``, ``truncated``, ``unsupported_format``,
        ``too_many_pixels``, ``too_many_frames``, ``file_too_large``, ``corrupt``, ``unreadable``.
    """

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What was learnt about a file while decoding it.

    ``width`` and ``height`` are the true displayed size (after EXIF rotation), even when the
    pixels were decoded at reduced size.
    """

    format: str
    mode: str
    width: int
    height: int
    file_size: int
    bit_depth: int
    had_transparency: bool
    exif_orientation: int
    jpeg_quality: int | None
    sha256: str
    icc_converted: bool
    frames: int
    #: Quantization step of the luminance DC coefficient in the file's own tables (JPEG only):
    #: how coarsely this save rounded each 8x8 block's mean (2 at IJG quality 95, 8 at 75).
    jpeg_dc_step: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class LoadedImage:
    """Decoded pixels plus file facts. ``pixels`` is RGB uint8 (H, W, 3).

    ``scale`` is pixels' long side divided by the true long side (1.0 unless a reduced decode
    was asked for).
    """

    pixels: np.ndarray
    info: ImageInfo
    scale: float


def sha256_of(data: bytes) -> str:
    """Hex sha256 of ``data``; the identity of an original everywhere in the product."""
    return hashlib.sha256(data).hexdigest()


def _read_source(source: bytes | str | os.PathLike[str], max_bytes: int) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ImageLoadError("unreadable", f"Cannot read '{path.name}': {exc.strerror}.") from exc
        if size > max_bytes:
            raise ImageLoadError(
                "file_too_large",
                f"The file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:g} MB.",
            )
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ImageLoadError("unreadable", f"Cannot read '{path.name}': {exc.strerror}.") from exc
    if not data:
        raise ImageLoadError("empty", "The file is empty (0 bytes).")
    if len(data) > max_bytes:
        raise ImageLoadError(
            "file_too_large",
            f"The file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:g} MB.",
        )
    return data


_HEIF_BRANDS: Final = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")


_HEIF_READY: bool | None = None


def heif_supported() -> bool:
    """Whether HEIC/HEIF files (phone photos) can be decoded here: pillow-heif is installed (see
    the README). Its Pillow opener is registered on the first call, not at import, so importing
    this module changes nothing in Pillow; thumbnails, depth maps and auxiliary images are never
    needed here, so never read."""
    global _HEIF_READY
    if _HEIF_READY is None:
        try:
            import pillow_heif
        except ImportError:
            _HEIF_READY = False
        else:
            pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
            _HEIF_READY = True
    return _HEIF_READY


def _sniff(data: bytes) -> tuple[str, bool] | None:
    """A format recognised by its signature, and whether this machine decodes it.

    For a better message than 'not an image' when Pillow cannot open the file: either the format
    is not supported, or the file is a damaged one of a supported format.
    """
    head = data[:32]
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIC/HEIF", heif_supported()
    if head[4:12] in (b"ftypavif", b"ftypavis"):
        return "AVIF", bool(features.check("avif"))
    if head.startswith(b"%PDF"):
        return "PDF", False
    if head.lstrip().startswith(b"<svg") or head.lstrip().startswith(b"<?xml"):
        return "SVG", False
    if head.startswith(b"8BPS"):
        return "Photoshop PSD", False
    if head.startswith(b"\xff\x0a") or head[4:12] == b"JXL \r\n\x87\n":
        return "JPEG XL", False
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP", True
    if head.startswith(b"BM") and head[6:10] == b"\x00\x00\x00\x00":  # "BM", size, 4 reserved zero bytes
        return "BMP", True
    for name, signatures in _DECODED_SIGNATURES:
        if head.startswith(signatures):
            return name, True
    return None


#: Signatures of formats decoded here (WebP's and BMP's are tested apart): a file that starts
#: with one and that Pillow still cannot open is a damaged one of that format, not "not an image".
_DECODED_SIGNATURES: Final = (
    ("JPEG", (b"\xff\xd8\xff",)),
    ("PNG", (b"\x89PNG\r\n\x1a\n",)),
    ("GIF", (b"GIF87a", b"GIF89a")),
    ("TIFF", TIFF_SIGNATURES),
)


def _tiff_layout_problem(data: bytes) -> str | None:
    """Why Pillow's TIFF reader refuses a well-formed TIFF, if it is the pixel layout (scientific
    TIFFs store 32- or 64-bit floating-point or other sample layouts it does not decode)."""
    from PIL import TiffImagePlugin

    try:
        TiffImagePlugin.TiffImageFile(io.BytesIO(data))
    except SyntaxError as exc:
        return str(exc) if "pixel mode" in str(exc) or "unsupported" in str(exc).lower() else None
    except Exception:  # noqa: BLE001 - any other failure is damage, reported as such by the caller
        return None
    return None


# IJG (libjpeg) standard luminance quantization table, the basis of the quality setting.
_IJG_LUMA = np.array(
    [
        16,
        11,
        10,
        16,
        24,
        40,
        51,
        61,
        12,
        12,
        14,
        19,
        26,
        58,
        60,
        55,
        14,
        13,
        16,
        24,
        40,
        57,
        69,
        56,
        14,
        17,
        22,
        29,
        51,
        87,
        80,
        62,
        18,
        22,
        37,
        56,
        68,
        109,
        103,
        77,
        24,
        35,
        55,
        64,
        81,
        104,
        113,
        92,
        49,
        64,
        78,
        87,
        103,
        121,
        120,
        101,
        72,
        92,
        95,
        98,
        112,
        100,
        103,
        99,
    ],
    dtype=np.int64,
)
_IJG_SUMS = np.array(
    [np.clip((_IJG_LUMA * (5000 // q if q < 50 else 200 - 2 * q) + 50) // 100, 1, 255).sum() for q in range(1, 101)]
)


def _jpeg_quality(img: Image.Image) -> int | None:
    """Encoder quality 1-100 estimated from the luminance quantization table.

    Matches the table's sum against IJG tables at every quality (order-independent, so zigzag
    vs raster order does not matter). Exact for libjpeg-family encoders, approximate for others.
    """
    tables = getattr(img, "quantization", None)
    if not tables or 0 not in tables:
        return None
    total = int(np.asarray(tables[0], dtype=np.int64).sum())
    return int(np.argmin(np.abs(_IJG_SUMS - total))) + 1


def _jpeg_dc_step(img: Image.Image) -> int | None:
    """The luminance DC quantization step (first entry of table 0; the DC entry in any order)."""
    tables = getattr(img, "quantization", None)
    if not tables or 0 not in tables or len(tables[0]) == 0:
        return None
    return int(tables[0][0])


_SRGB = ImageCms.createProfile("sRGB")


def _to_srgb(img: Image.Image) -> tuple[Image.Image, bool]:
    icc = img.info.get("icc_profile")
    if not icc or img.mode not in ("RGB", "RGBA", "CMYK", "L", "LA"):
        return img, False
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        out_mode = "RGBA" if img.mode in ("RGBA", "LA") else "RGB"
        if img.mode == "LA":
            img = img.convert("RGBA")
        converted = ImageCms.profileToProfile(img, src, _SRGB, outputMode=out_mode)
        return (converted if converted is not None else img), True
    except (ImageCms.PyCMSError, OSError, ValueError):
        # A broken profile is common in the wild; the pixels are still usable as-is.
        return img, False


def _flatten_on_white(rgba: np.ndarray) -> np.ndarray:
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    rgb = rgba[..., :3].astype(np.float32)
    return np.rint(rgb * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)


def _high_depth_to_uint8(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.uint16:
        return ((arr.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if np.issubdtype(arr.dtype, np.floating):
        a = np.nan_to_num(arr.astype(np.float32))
        hi = float(a.max()) if a.size else 1.0
        scale = 255.0 if hi <= 1.0 else (255.0 / 65535.0 if hi > 255.0 else 1.0)
        return np.clip(np.rint(a * scale), 0, 255).astype(np.uint8)
    # 32-bit integer grey (Pillow mode "I"): usually 16-bit data widened.
    hi = int(arr.max()) if arr.size else 0
    shift = 65535 if hi > 255 else 255
    return np.clip(np.rint(arr.astype(np.float32) * (255.0 / shift)), 0, 255).astype(np.uint8)


def _pixels_from_pil(img: Image.Image) -> tuple[np.ndarray, bool]:
    """RGB uint8 pixels and whether any pixel was not fully opaque."""
    mode = img.mode
    if mode == "P":
        img = img.convert("RGBA") if "transparency" in img.info else img.convert("RGB")
        mode = img.mode
    if mode in ("PA",):
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "RGBa", "La"):
        rgba = np.asarray(img.convert("RGBA"))
        had_alpha = bool((rgba[..., 3] < 255).any())
        return (_flatten_on_white(rgba) if had_alpha else np.ascontiguousarray(rgba[..., :3])), had_alpha
    if mode.startswith("I;16") or mode in ("I", "F"):
        grey = _high_depth_to_uint8(np.asarray(img))
        return np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=2)), False
    if mode != "RGB":
        img = img.convert("RGB")  # 1, L, CMYK (no ICC), YCbCr, LAB, HSV
    return _rgb_array(img), False


#: Above this many bytes of RGB, pixels are copied out of Pillow in bands of about this size.
_BAND_BYTES: Final = 16 << 20


def _rgb_array(img: Image.Image) -> np.ndarray:
    """A writable copy of an RGB image's pixels. ``np.asarray`` goes through one full-size
    ``bytes`` object and a writable array needs a second copy; for a 48 MP image that is 288 MB
    on top of Pillow's own 192 MB, so large images are copied a band of rows at a time."""
    w, h = img.size
    if 3 * w * h <= 2 * _BAND_BYTES:
        return np.asarray(img, dtype=np.uint8).copy()
    out = np.empty((h, w, 3), np.uint8)
    rows = max(1, _BAND_BYTES // (3 * w))
    for y in range(0, h, rows):
        out[y : y + rows] = np.asarray(img.crop((0, y, w, min(h, y + rows))), dtype=np.uint8)
    return out


def _bit_depth(img: Image.Image) -> int:
    declared = img.info.get("bit_depth")  # HEIC/AVIF at 10 or 12 bits arrive already in 8
    if isinstance(declared, int) and 8 < declared <= 16:
        return declared
    if img.mode == "1":
        return 1
    if img.mode.startswith("I;16") or img.mode == "I":
        return 16
    if img.mode == "F":
        return 32
    return 8


def _decode_with_opencv(data: bytes) -> np.ndarray | None:
    """Fallback for files Pillow cannot decode (16-bit RGB TIFF, for example)."""
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH)
    if arr is None:
        return None
    arr = _high_depth_to_uint8(arr)
    if arr.ndim == 2:
        return cv2.cvtColor(arr, cv2.COLOR_GRAY2RGB)
    if arr.shape[2] == 4:
        return _flatten_on_white(cv2.cvtColor(arr, cv2.COLOR_BGRA2RGBA))
    return cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)


def load_image(
    source: bytes | str | os.PathLike[str],
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    reduce_to: int | None = None,
) -> LoadedImage:
    """Decode an image file into RGB ``uint8`` pixels plus :class:`ImageInfo`.

    Parameters
    ----------
    source : bytes or path
        The file's bytes or its path.
    max_pixels : int, keyword-only
        Refuse images with more pixels than this, before decoding (decompression bombs).
    max_bytes : int, keyword-only
        Refuse files larger than this many bytes.
    reduce_to : int or None, keyword-only
        If given, JPEGs may be decoded at a reduced size in the DCT domain (Pillow ``draft``)
        whose long side is still >= ``reduce_to`` px. Other formats decode at full size.

    Returns
    -------
    LoadedImage

    Raises
    ------
    ImageLoadError
        For every kind of unusable input, with a sentence saying what is wrong.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Pillow's default is off; this module does not change it (no import-time side effects).
        raise RuntimeError(
            "PIL.ImageFile.LOAD_TRUNCATED_IMAGES is on, so truncated files would decode as "
            "half-grey images; turn it off before loading merchant images"
        )
    data = _read_source(source, max_bytes)
    try:
        return _decode(data, max_pixels=max_pixels, reduce_to=reduce_to)
    except ImageLoadError:
        raise
    except MemoryError as exc:
        raise ImageLoadError("too_many_pixels", "The image is too large to decode.") from exc
    except Exception as exc:  # noqa: BLE001 - a decoder tripping over hostile bytes (KeyError, TypeError, ...)
        raise ImageLoadError(
            "corrupt", f"The image data is damaged and cannot be decoded ({type(exc).__name__})."
        ) from exc


def _declared_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the file's header, read by the format's own parser without
    Pillow's size check (which refuses to say them); ``None`` if no parser accepts it."""
    prefix = data[:16]
    for fmt in Image.ID:
        factory, accept = Image.OPEN[fmt]
        if accept is not None and not accept(prefix):
            continue
        try:
            width, height = factory(io.BytesIO(data), "").size
        except Exception:  # noqa: BLE001 - not this format: try the next parser
            continue
        return int(width), int(height)
    return None


def _frame_count(img: Image.Image, data: bytes, counted: int | None) -> int:
    """How many frames (pages) ``img``, opened from ``data``, holds, or :data:`MAX_FRAMES` + 1 for
    more. ``counted`` is :func:`check_structure`'s count (a GIF's: Pillow's ``n_frames`` reads
    every block of every frame, in Python, before saying). Pillow's ``n_frames`` walks a TIFF's
    pages checking each against all those before it, so a TIFF is first asked, in a copy, for the
    page past the limit: that walk stops there (and reads tags only, no pixels). ``img`` stays on
    its first frame."""
    if counted is not None and (img.format or "").upper() == "GIF":
        return counted
    if (img.format or "").upper() == "TIFF":
        with Image.open(io.BytesIO(data)) as probe:
            try:
                probe.seek(MAX_FRAMES)  # page MAX_FRAMES + 1 (after a failed seek its n_frames is wrong)
            except EOFError:
                pass
            else:
                return MAX_FRAMES + 1
    return int(getattr(img, "n_frames", 1) or 1)  # declared in the file (APNG, MPO) or listed (WebP)


def _damaged_header(fmt: str | None) -> ImageLoadError:
    """The refusal of a file whose header cannot be read, naming its format where it is known."""
    what = f"The {fmt} file" if fmt else "The file"
    return ImageLoadError(
        "corrupt", f"{what} is damaged or cut short: its header cannot be read. Please export it again."
    )


def _decode(data: bytes, *, max_pixels: int, reduce_to: int | None) -> LoadedImage:
    digest = sha256_of(data)
    try:  # before Pillow reads a piece of it: a million empty segments cost it seconds and GBs
        counted_frames = check_structure(data, max_frames=MAX_FRAMES)
    except StructureError as exc:
        raise ImageLoadError(exc.kind, str(exc)) from None
    heif_supported()  # registers the HEIC opener before Pillow looks at the file
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img: Image.Image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        size = _declared_size(data)
        said = f"{size[0]}x{size[1]} ({size[0] * size[1] / 1e6:.0f} MP)" if size else "far too large"
        raise ImageLoadError(
            "too_many_pixels",
            f"The image is {said}; the limit is {max_pixels / 1e6:g} MP. Please downscale it before uploading.",
        ) from exc
    except UnidentifiedImageError as exc:
        known = _sniff(data)
        if known is not None and known[0] == "TIFF" and _tiff_layout_problem(data):
            raise ImageLoadError(
                "unsupported_format",
                "This TIFF stores its pixels in a layout that cannot be read here (such as floating-point "
                "samples, as scientific images do); please export it as an 8- or 16-bit RGB TIFF, JPEG or PNG.",
            ) from exc
        if known is not None and known[1]:
            raise _damaged_header(known[0]) from exc
        if known is not None:
            raise ImageLoadError(
                "unsupported_format",
                f"{known[0]} files are not supported here; please upload JPEG, PNG, WebP or another common type.",
            ) from exc
        raise ImageLoadError(
            "not_image", "The file is not an image (its contents match no known image format)."
        ) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        # Pillow's own words ("Truncated File Read", "broken PNG file") mean nothing to a merchant.
        known = _sniff(data)
        raise _damaged_header(known[0] if known is not None else None) from exc

    fmt = (img.format or "").upper()
    if fmt not in SUPPORTED_FORMATS:
        raise ImageLoadError(
            "unsupported_format",
            f"{fmt or 'This'} files are not supported; please upload JPEG, PNG, WebP, HEIC, AVIF, TIFF, BMP or GIF.",
        )
    if fmt == "PNG":
        # Pillow skips IDAT checksums while decoding; verify() checks every chunk's CRC, so a
        # damaged PNG fails here instead of decoding into garbage.
        try:
            Image.open(io.BytesIO(data)).verify()
        except Exception as exc:  # noqa: BLE001 - any verify failure means a damaged file
            raise ImageLoadError("corrupt", f"The PNG file is damaged (checksum error: {exc}).") from exc
    width, height = img.size
    if width * height > max_pixels:
        raise ImageLoadError(
            "too_many_pixels",
            f"The image is {width}x{height} ({width * height / 1e6:.1f} MP); the limit is "
            f"{max_pixels / 1e6:g} MP. Please downscale it before uploading.",
        )
    if width * height > MIN_PIXELS_FOR_RATIO and width * height > MAX_PIXELS_PER_BYTE * len(data):
        raise ImageLoadError(
            "too_many_pixels",
            f"The file is {len(data) / 1e3:.0f} KB but declares {width}x{height} pixels "
            f"({width * height / len(data):.0f} pixels per byte): that is not a photograph.",
        )
    exif_orientation = 1
    try:
        exif_orientation = int(img.getexif().get(0x0112, 1) or 1)
    except (OSError, ValueError, SyntaxError, TypeError):
        exif_orientation = 1  # unreadable EXIF is not a reason to refuse the picture
    if exif_orientation not in range(1, 9):
        exif_orientation = 1
    if exif_orientation in (5, 6, 7, 8):
        width, height = height, width
    jpeg_quality = _jpeg_quality(img) if fmt in ("JPEG", "MPO") else None
    jpeg_dc_step = _jpeg_dc_step(img) if fmt in ("JPEG", "MPO") else None
    frames = _frame_count(img, data, counted_frames)
    if frames > MAX_FRAMES:
        raise ImageLoadError("too_many_frames", frames_refusal(MAX_FRAMES))
    mode = img.mode
    bit_depth = _bit_depth(img)

    if reduce_to and fmt in ("JPEG", "MPO") and max(img.size) > reduce_to:
        # draft keeps both sides >= the request, so ask with the true aspect ratio.
        long_side = max(img.size)
        req = (max(1, img.size[0] * reduce_to // long_side), max(1, img.size[1] * reduce_to // long_side))
        img.draft("RGB", req)

    icc_converted = False
    try:
        img.load()
        img = ImageOps.exif_transpose(img) or img
        img, icc_converted = _to_srgb(img)
        pixels, had_transparency = _pixels_from_pil(img)
    except OSError as exc:
        text = str(exc)
        if "truncated" in text or "broken data stream" in text or "premature end" in text.lower():
            raise ImageLoadError("truncated", "The file is cut short (truncated); please upload it again.") from exc
        fallback = _decode_with_opencv(data)
        if fallback is None:
            raise ImageLoadError("corrupt", f"The image data is damaged and cannot be decoded ({text}).") from exc
        pixels, had_transparency = fallback, False
        mode, bit_depth = f"{mode} (decoded by OpenCV)", max(bit_depth, 16)
    except (ValueError, SyntaxError, MemoryError, Image.DecompressionBombError) as exc:
        if "end of file" in str(exc).lower():  # libheif's word for a file cut short
            raise ImageLoadError("truncated", "The file is cut short (truncated); please upload it again.") from exc
        raise ImageLoadError("corrupt", f"The image data is damaged and cannot be decoded ({exc}).") from exc

    if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.size == 0:
        raise ImageLoadError("corrupt", "The image decoded to an unusable shape.")
    info = ImageInfo(
        format=fmt if fmt != "MPO" else "JPEG",
        mode=mode,
        width=int(width),
        height=int(height),
        file_size=len(data),
        bit_depth=bit_depth,
        had_transparency=had_transparency,
        exif_orientation=exif_orientation,
        jpeg_quality=jpeg_quality,
        sha256=digest,
        icc_converted=icc_converted,
        frames=frames,
        jpeg_dc_step=jpeg_dc_step,
    )
    scale = max(pixels.shape[:2]) / max(width, height)
    return LoadedImage(pixels=np.ascontiguousarray(pixels), info=info, scale=float(scale))
