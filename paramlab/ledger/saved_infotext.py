"""The infotext inside the image files A1111 saves, for every format it saves.

A1111 v1.10.1 (``modules/images.py``, ``save_image_with_geninfo``) writes the infotext of a PNG as
its ``parameters`` text chunk, and that of a JPEG, WebP or AVIF as the EXIF UserComment, which it
builds with piexif: ``UNICODE\\0`` and the text in UTF-16 big-endian. Its ``read_info_from_image``
prefers a non-empty EXIF comment to the text chunk; this reads the same way, with Pillow alone, and
never decodes pixels.
"""

from __future__ import annotations

import io

from PIL import Image

INFOTEXT_KEY = "parameters"
SAVED_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".avif": "AVIF"}
_FORMAT_NAMES = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP", "AVIF": "AVIF"}
EXIF_IFD = 0x8769
USER_COMMENT = 0x9286
_COMMENT_ENCODINGS = {  # piexif's UserComment prefixes
    b"UNICODE\x00": "utf_16_be", b"ASCII\x00\x00\x00": "ascii", b"JIS\x00\x00\x00\x00\x00": "shift_jis",
}


class SkipFile(Exception):
    """This file is not imported; the message is the reason shown to the user."""


def readable_suffixes() -> tuple[str, ...]:
    """The suffixes of A1111's formats that this Pillow opens: AVIF needs pillow-avif-plugin (which
    A1111 ships and imports) or a Pillow built with AVIF."""
    try:
        import pillow_avif  # noqa: F401 - registers AVIF with Pillow, as A1111's images.py does
    except (ImportError, OSError):
        pass
    registered = Image.registered_extensions()
    return tuple(suffix for suffix, name in SAVED_FORMATS.items() if registered.get(suffix) == name)


def read_infotext(data: bytes, suffix: str) -> str:
    """The infotext of an image file's bytes; its format must be the one its ``suffix`` names.
    Raises SkipFile with the reason."""
    expected = SAVED_FORMATS.get(suffix.lower())
    if expected is None:
        raise SkipFile(f"not an image format A1111 saves ({suffix or 'no suffix'})")
    label = _FORMAT_NAMES[expected]
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != expected:
                raise SkipFile(f"not a {label} file ({image.format} data)")
            text = _infotext(image.info)
            image.verify()  # a PNG's remaining chunks: catches truncated and corrupt files
    except SkipFile:
        raise
    except Image.UnidentifiedImageError as exc:
        raise SkipFile("not an image file") from exc
    # Pillow's parsers raise many kinds of error on damaged files; any of them means "corrupt".
    except Exception as exc:  # noqa: BLE001
        raise SkipFile(f"corrupt {label} ({type(exc).__name__}: {exc})") from exc
    if text is None:
        where = "'parameters' text chunk" if expected == "PNG" else "EXIF UserComment"
        raise SkipFile(f"no infotext (no {where})")
    if not isinstance(text, str):
        raise SkipFile("malformed infotext: the 'parameters' chunk is not text")
    return str(text)  # iTXt values are a str subclass


def _infotext(info: dict) -> object:
    text = info.get(INFOTEXT_KEY)
    comment = exif_user_comment(info["exif"]) if "exif" in info else ""
    return comment or text


def exif_user_comment(exif_data: bytes) -> str:
    """The EXIF UserComment decoded as piexif's ``UserComment.load`` does, with A1111's fallback to
    UTF-8 for a prefix it does not know; empty when there is none or the EXIF is unreadable."""
    exif = Image.Exif()
    try:
        exif.load(exif_data)
        comment = exif.get_ifd(EXIF_IFD).get(USER_COMMENT, b"")
    except Exception:  # noqa: BLE001 - any damage in the EXIF block means: no comment, as for A1111
        return ""
    if isinstance(comment, str):
        return comment
    if not isinstance(comment, bytes):
        return ""
    encoding = _COMMENT_ENCODINGS.get(comment[:8])
    try:
        return comment[8:].decode(encoding) if encoding else comment.decode("utf8", errors="ignore")
    except UnicodeError:
        return comment.decode("utf8", errors="ignore")
