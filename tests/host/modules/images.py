"""Stand-in for ``modules/images.py``: save_image with numbered names and the infotext where A1111
puts it (PNG text chunk; EXIF UserComment for JPEG, WebP, AVIF), read_info_from_image, image_grid."""

from __future__ import annotations

import math
import os
import re
import struct
from typing import Any

from modules import script_callbacks, shared
from PIL import Image, ImageColor, PngImagePlugin

LANCZOS = Image.Resampling.LANCZOS
NEAREST = Image.Resampling.NEAREST
invalid_filename_chars = '#<>:"/\\|?*\n\r\t'
invalid_filename_prefix = " "
invalid_filename_postfix = " ."
max_filename_part_length = 128


def sanitize_filename_part(text: str | None, replace_spaces: bool = True) -> str | None:
    """Remove characters that are invalid in filenames, as real."""
    if text is None:
        return None
    if replace_spaces:
        text = text.replace(" ", "_")
    text = text.translate({ord(x): "_" for x in invalid_filename_chars})
    text = text.lstrip(invalid_filename_prefix)[:max_filename_part_length]
    return text.rstrip(invalid_filename_postfix)


def _apply_pattern(pattern: str, p: Any, seed: Any, prompt: str | None) -> str:
    """Minimal FilenameGenerator: [seed], [prompt_spaces], [prompt], [steps], [cfg], [sampler], [date],
    [model_name]."""
    import datetime

    def repl(m: re.Match) -> str:
        key = m.group(1).lower()
        val: Any
        if key == "seed":
            val = seed if seed is not None else ""
        elif key == "prompt_spaces":
            val = sanitize_filename_part(prompt or "", replace_spaces=False)
        elif key == "prompt":
            val = sanitize_filename_part(prompt or "")
        elif key == "date":
            val = datetime.datetime.now().strftime("%Y-%m-%d")
        elif key == "model_name":
            val = sanitize_filename_part(shared.sd_model.sd_checkpoint_info.name_for_extra, replace_spaces=False)
        elif key in ("steps", "cfg", "sampler", "width", "height"):
            attr = {"cfg": "cfg_scale", "sampler": "sampler_name"}.get(key, key)
            val = getattr(p, attr, "") if p is not None else ""
        else:
            val = m.group(0)
        return str(val)

    return re.sub(r"\[(\w+)\]", repl, pattern)


def get_next_sequence_number(path: str, basename: str) -> int:
    """Next NNNNN number in ``path`` (real algorithm)."""
    result = -1
    if basename != "":
        basename = f"{basename}-"
    prefix_length = len(basename)
    for p in os.listdir(path):
        if p.startswith(basename):
            parts = os.path.splitext(p[prefix_length:])[0].split("-")
            try:
                result = max(int(parts[0]), result)
            except ValueError:
                pass
    return result + 1


def exif_with_user_comment(geninfo: str) -> bytes:
    """What A1111's ``piexif.dump({"Exif": {UserComment: UserComment.dump(geninfo, encoding="unicode")}})``
    returns, byte for byte (A1111 ships piexif, the test environment does not): a big-endian TIFF
    block whose first IFD points to an Exif IFD holding one UNDEFINED UserComment, ``UNICODE\\0``
    followed by the text in UTF-16 big-endian; piexif writes no next-IFD offset after the Exif IFD."""
    comment = b"UNICODE\x00" + geninfo.encode("utf_16_be", errors="replace")
    exif_ifd_offset = 8 + 2 + 12 + 4
    value_offset = exif_ifd_offset + 2 + 12
    return (b"Exif\x00\x00" + b"MM\x00\x2a" + struct.pack(">L", 8)
            + struct.pack(">HHHLL", 1, 0x8769, 4, 1, exif_ifd_offset) + struct.pack(">L", 0)
            + struct.pack(">HHHLL", 1, 0x9286, 7, len(comment), value_offset) + comment)


def save_image_with_geninfo(
    image: Image.Image,
    geninfo: str | None,
    filename: str,
    extension: str | None = None,
    existing_pnginfo: dict | None = None,
    pnginfo_section_name: str = "parameters",
) -> None:
    """As v1.10.1: PNG gets every pnginfo entry as a text chunk; JPEG and WebP the infotext as EXIF
    UserComment (A1111 saves, then ``piexif.insert``s it; here it is saved with the image), AVIF the same
    EXIF (only where Pillow can write AVIF, as in A1111), GIF a comment, when enable_pnginfo."""
    if extension is None:
        extension = os.path.splitext(filename)[1]
    image_format = Image.registered_extensions()[extension]
    opts = shared.opts
    if extension.lower() == ".png":
        existing_pnginfo = existing_pnginfo or {}
        if opts.enable_pnginfo:
            existing_pnginfo[pnginfo_section_name] = geninfo
            pnginfo_data = PngImagePlugin.PngInfo()
            for k, v in existing_pnginfo.items():
                pnginfo_data.add_text(k, str(v))
        else:
            pnginfo_data = None
        image.save(filename, format=image_format, quality=opts.jpeg_quality, pnginfo=pnginfo_data)
    elif extension.lower() in (".jpg", ".jpeg", ".webp"):
        if image.mode == "RGBA":
            image = image.convert("RGB")
        exif = exif_with_user_comment(geninfo or "") if opts.enable_pnginfo and geninfo is not None else b""
        image.save(filename, format=image_format, quality=opts.jpeg_quality, lossless=opts.webp_lossless, exif=exif)
    elif extension.lower() == ".avif":
        exif = exif_with_user_comment(geninfo or "") if opts.enable_pnginfo and geninfo is not None else None
        image.save(filename, format=image_format, quality=opts.jpeg_quality, exif=exif)
    elif extension.lower() == ".gif":
        image.save(filename, format=image_format, comment=geninfo)
    else:
        image.save(filename, format=image_format, quality=opts.jpeg_quality)


def save_image(
    image: Image.Image,
    path: str,
    basename: str,
    seed: Any = None,
    prompt: str | None = None,
    extension: str = "png",
    info: str | None = None,
    short_filename: bool = False,
    no_prompt: bool = False,
    grid: bool = False,
    pnginfo_section_name: str = "parameters",
    p: Any = None,
    existing_info: dict | None = None,
    forced_filename: str | None = None,
    suffix: str = "",
    save_to_dirs: bool | None = None,
) -> tuple[str, str | None]:
    """As real: numbered name, on_before_image_saved, atomic write, already_saved_as, on_image_saved."""
    if save_to_dirs is None:
        save_to_dirs = (grid and shared.opts.grid_save_to_dirs) or (
            not grid and shared.opts.save_to_dirs and not no_prompt
        )
    if save_to_dirs:
        dirname = _apply_pattern(
            shared.opts.directories_filename_pattern or "[prompt_words]", p, seed, prompt
        )
        path = os.path.join(path, dirname.lstrip(" ").rstrip("\\ /"))
    os.makedirs(path, exist_ok=True)
    if forced_filename is None:
        if short_filename or seed is None:
            file_decoration = ""
        elif shared.opts.save_to_dirs:
            file_decoration = shared.opts.samples_filename_pattern or "[seed]"
        else:
            file_decoration = shared.opts.samples_filename_pattern or "[seed]-[prompt_spaces]"
        file_decoration = _apply_pattern(file_decoration, p, seed, prompt) + suffix
        add_number = shared.opts.save_images_add_number or file_decoration == ""
        if file_decoration != "" and add_number:
            file_decoration = f"-{file_decoration}"
        if add_number:
            basecount = get_next_sequence_number(path, basename)
            fullfn = ""
            for i in range(500):
                fn = f"{basecount + i:05}" if basename == "" else f"{basename}-{basecount + i:04}"
                fullfn = os.path.join(path, f"{fn}{file_decoration}.{extension}")
                if not os.path.exists(fullfn):
                    break
        else:
            fullfn = os.path.join(path, f"{file_decoration}.{extension}")
    else:
        fullfn = os.path.join(path, f"{forced_filename}.{extension}")
    pnginfo = existing_info or {}
    if info is not None:
        pnginfo[pnginfo_section_name] = info
    params = script_callbacks.ImageSaveParams(image, p, fullfn, pnginfo)
    script_callbacks.before_image_saved_callback(params)
    image = params.image
    fullfn = params.filename
    info = params.pnginfo.get(pnginfo_section_name, None)
    fullfn_without_extension, extension = os.path.splitext(params.filename)
    temp_file_path = f"{fullfn_without_extension}.tmp"
    save_image_with_geninfo(
        image,
        info,
        temp_file_path,
        extension,
        existing_pnginfo=params.pnginfo,
        pnginfo_section_name=pnginfo_section_name,
    )
    os.replace(temp_file_path, fullfn_without_extension + extension)
    image.already_saved_as = fullfn
    if shared.opts.save_txt and info is not None:
        txt_fullfn: str | None = f"{fullfn_without_extension}.txt"
        with open(txt_fullfn, "w", encoding="utf8") as file:
            file.write(f"{info}\n")
    else:
        txt_fullfn = None
    script_callbacks.image_saved_callback(params)
    return fullfn, txt_fullfn


def flatten(img: Image.Image, bgcolor: str) -> Image.Image:
    """Replaces transparency with bgcolor, returning an RGB image (real)."""
    if img.mode == "RGBA":
        background = Image.new("RGBA", img.size, bgcolor)
        background.paste(img, mask=img)
        img = background
    return img.convert("RGB")


def fix_image(image: Image.Image | None) -> Image.Image | None:
    """Real: applies EXIF orientation; the stand-in's images have none."""
    return image


def read(fp: Any, **kwargs: Any) -> Image.Image:
    """Open an image file (real: Image.open then fix_image)."""
    return fix_image(Image.open(fp, **kwargs))


IGNORED_INFO_KEYS = {
    "jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "exif",
    "loop", "background", "timestamp", "duration", "progressive", "progression",
    "icc_profile", "chromaticity", "photoshop",
}


def read_info_from_image(image: Image.Image) -> tuple[str | None, dict]:
    """(parameters text, other items) from a PIL image's info, as real: a non-empty EXIF UserComment
    wins over the ``parameters`` chunk; a GIF's comment is its infotext (NovelAI's format is left out)."""
    items = dict(image.info or {})
    geninfo = items.pop("parameters", None)
    if "exif" in items:
        comment = _exif_user_comment(items["exif"])
        if comment:
            geninfo = comment
    elif "comment" in items:
        comment = items["comment"]
        geninfo = comment.decode("utf8", errors="ignore") if isinstance(comment, bytes) else comment
    for key in IGNORED_INFO_KEYS:
        items.pop(key, None)
    return geninfo, items


def _exif_user_comment(exif_data: bytes) -> str:
    """piexif.load + UserComment.load, with A1111's fallback to UTF-8 when the prefix is unknown."""
    exif = Image.Exif()
    try:
        exif.load(exif_data)
    except (OSError, SyntaxError, ValueError, struct.error):
        return ""
    comment = exif.get_ifd(0x8769).get(0x9286, b"")
    if not isinstance(comment, bytes):
        return str(comment)
    encodings = {b"UNICODE\x00": "utf_16_be", b"ASCII\x00\x00\x00": "ascii", b"JIS\x00\x00\x00\x00\x00": "shift_jis"}
    encoding = encodings.get(comment[:8])
    try:
        return comment[8:].decode(encoding) if encoding else comment.decode("utf8", errors="ignore")
    except UnicodeError:
        return comment.decode("utf8", errors="ignore")


def image_grid(imgs: list[Image.Image], batch_size: int = 1, rows: int | None = None) -> Image.Image:
    """Tile images; fires on_image_grid first, as real."""
    if rows is None:
        if shared.opts.n_rows > 0:
            rows = shared.opts.n_rows
        elif shared.opts.n_rows == 0:
            rows = batch_size
        elif shared.opts.grid_prevent_empty_spots:
            rows = math.floor(math.sqrt(len(imgs)))
            while len(imgs) % rows != 0:
                rows -= 1
        else:
            rows = round(math.sqrt(len(imgs)))
    if rows > len(imgs):
        rows = len(imgs)
    cols = math.ceil(len(imgs) / rows)
    params = script_callbacks.ImageGridLoopParams(imgs, cols, rows)
    script_callbacks.image_grid_callback(params)
    w, h = map(max, zip(*(img.size for img in imgs)))
    color = ImageColor.getcolor(shared.opts.grid_background_color, "RGB")
    grid = Image.new("RGB", size=(params.cols * w, params.rows * h), color=color)
    for i, img in enumerate(params.imgs):
        img_w, img_h = img.size
        w_offset = 0 if img_w == w else (w - img_w) // 2
        h_offset = 0 if img_h == h else (h - img_h) // 2
        grid.paste(img, box=(i % params.cols * w + w_offset, i // params.cols * h + h_offset))
    return grid


def resize_image(
    resize_mode: int, im: Image.Image, width: int, height: int, upscaler_name: str | None = None
) -> Image.Image:
    """Stand-in: every mode is "Just resize" with Lanczos (crop/fill modes are not simulated)."""
    return im.resize((width, height), resample=LANCZOS)
