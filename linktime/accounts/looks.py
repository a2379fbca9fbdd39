"""How a host's booking pages look: their photo and their brand colour.

A photo is decoded, turned upright, cropped square, scaled to 256 px and written again as WebP, so
what is stored and served is a small picture LinkTime made itself: no camera metadata (a phone's
location), nothing but pixels from whatever was uploaded. A colour becomes a stylesheet whose
text variants are darkened (light scheme) or lightened (dark scheme) until they are readable.
"""
from __future__ import annotations

import hashlib
import io
import re
import threading
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.exc import IntegrityError

from linktime.extensions import db
from linktime.models import User, UserPhoto

PHOTO_SIZE = 256
MAX_PIXELS = 40_000_000  # a 40-megapixel camera's picture; anything bigger is refused before decoding
# JPEG is decoded already scaled down (1/2 … 1/8): a 40-megapixel photo costs a few megabytes. The
# other formats are decoded whole, so fewer pixels are taken (16 megapixels: 64 MB as RGBA).
MAX_PIXELS_DECODED_WHOLE = 16_000_000
DECODING = threading.BoundedSemaphore(2)  # photos this process decodes at once
FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}
COLOR = re.compile(r"^#[0-9a-f]{6}\Z")
LINKTIME_COLOR = "#0172ad"  # Pico's blue: choosing it is choosing no brand colour
LIGHT_PAGE, DARK_PAGE = (255, 255, 255), (19, 23, 31)  # Pico's page backgrounds


class PhotoRefused(ValueError):
    """The upload is not a picture LinkTime can use; the message says why, for the page."""


def prepare_photo(data: bytes) -> bytes:
    """The upload as a 256 px square WebP, or PhotoRefused. Its memory is bounded by its pixels
    (checked before decoding) and by decoding JPEG scaled down; two are decoded at a time."""
    with DECODING:
        return _prepare(data)


def _prepare(data: bytes) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise PhotoRefused("Use a PNG, JPEG, WebP or GIF picture.")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise PhotoRefused("That picture has too many pixels; use one under 40 megapixels.")
            if image.format == "JPEG":  # decoded at the smallest scale still at least twice the photo's
                image.draft("RGB", (PHOTO_SIZE * 2, PHOTO_SIZE * 2))
            elif width * height > MAX_PIXELS_DECODED_WHOLE:
                raise PhotoRefused("That picture has too many pixels; use a JPEG, or one under 16 megapixels.")
            image.thumbnail((PHOTO_SIZE * 4, PHOTO_SIZE * 4), Image.Resampling.BOX)  # small before any copy
            image = ImageOps.exif_transpose(image)
            image = ImageOps.fit(image.convert("RGBA"), (PHOTO_SIZE, PHOTO_SIZE), Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, PhotoRefused):
            raise
        raise PhotoRefused("That file is not a picture LinkTime can read. Use a PNG, JPEG, WebP or GIF.") from None
    out = io.BytesIO()
    image.save(out, "WEBP", quality=85, method=4)
    return out.getvalue()


def save_looks(user: User, *, color: str | None, photo: bytes | None, remove_photo: bool) -> None:
    """Store the colour ("" for LinkTime's own) and the prepared photo, or remove it; pages follow at once
    (the page cache's key holds both)."""
    user.brand_color = color or ""
    if remove_photo:
        db.session.execute(db.delete(UserPhoto).where(UserPhoto.user_id == user.id))
        user.photo_digest = ""
    elif photo is not None:
        stored = db.session.get(UserPhoto, user.id)
        if stored is None:  # the first photo; another upload may be making it at the same moment
            try:
                with db.session.begin_nested():
                    db.session.add(UserPhoto(user_id=user.id, content_type="image/webp", data=photo))
            except IntegrityError:
                stored = db.session.get(UserPhoto, user.id, populate_existing=True)
        if stored is not None:
            stored.content_type, stored.data = "image/webp", photo
        user.photo_digest = hashlib.sha256(photo).hexdigest()
    db.session.commit()


def photo_by_digest(digest: str) -> bytes | None:
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        return None
    return db.session.scalar(
        db.select(UserPhoto.data).join(User, User.id == UserPhoto.user_id).where(User.photo_digest == digest))


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _hex(rgb: tuple[float, ...]) -> str:
    return "#" + "".join(f"{round(max(0, min(255, c))):02x}" for c in rgb)


def luminance(rgb: tuple[float, ...]) -> float:
    """WCAG relative luminance."""
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable_on(page: tuple[int, int, int], color: tuple[float, ...], ratio: float = 4.6) -> tuple[float, ...]:
    """``color`` mixed towards black (on a light page) or white (on a dark one) until it reads at ``ratio``."""
    toward = (0, 0, 0) if luminance(page) > 0.5 else (255, 255, 255)
    for step in range(21):
        mixed = tuple(c + (t - c) * step / 20 for c, t in zip(color, toward, strict=True))
        if contrast(mixed, page) >= ratio:
            return mixed
    return toward


def brand_stylesheet(color: str) -> str:
    """Pico's primary colours from one brand colour, readable in the light and the dark scheme."""
    rgb = _rgb(color)
    # Filled things (free days, buttons) carry the colour itself, deepened until white text reads on it.
    fill = readable_on((255, 255, 255), rgb)
    hover = tuple(c * 0.85 for c in fill)

    def scheme(page: tuple[int, int, int]) -> str:
        text = _hex(readable_on(page, rgb))
        return (f"--pico-primary:{text};--pico-primary-hover:{text};--pico-primary-underline:{text}80;"
                f"--pico-primary-background:{_hex(fill)};--pico-primary-border:{_hex(fill)};"
                f"--pico-primary-hover-background:{_hex(hover)};--pico-primary-hover-border:{_hex(hover)};"
                f"--pico-primary-inverse:#fff;--pico-primary-focus:{_hex(fill)}66;")

    # Pico sets its colours on ":root:not([data-theme=dark])" (two classes' weight): "html" added to
    # the same selectors outweighs it, wherever the sheets are loaded.
    return (f"html:root:not([data-theme=dark]){{{scheme(LIGHT_PAGE)}}}\n"
            f"@media (prefers-color-scheme: dark){{html:root:not([data-theme=light]){{{scheme(DARK_PAGE)}}}}}\n")
