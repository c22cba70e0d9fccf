"""The document font: Noto Serif CJK SC cut down once to the characters official documents mostly use.

WeasyPrint subsets every font it embeds, per document. Subsetting the full Noto Serif CJK SC face (65,535
glyphs, kept at their glyph ids) costs about 35 ms and ~100 KiB per PDF; subsetting a face that holds only
GB 2312 (6,763 hanzi and its symbols), ASCII and the usual punctuation costs a fraction of that. The cut
face is built once (about 12 s), cached on disk under a name derived from the source font and the
character set, and named "Mediation Serif SC"; the print CSS lists it before the full Noto face, so a
character outside it (a rare name character such as 堃 or 燊) still comes from Noto Serif CJK SC.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import subprocess
import tempfile
from pathlib import Path

FAMILY = "Mediation Serif SC"
CHARSET_VERSION = "gb2312+ascii+punct/1"
EXTRA = "　、。，：；？！“”‘’（）《》〔〕【】〈〉「」『』—…·．／－＋＝％＃＆＊＠０１２３４５６７８９—～￥℃№§×÷"

log = logging.getLogger(__name__)


def charset() -> list[int]:
    chars = {chr(c) for c in range(0x20, 0x7F)}
    for b1 in range(0xA1, 0xF8):
        for b2 in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(bytes([b1, b2]).decode("gb2312"))
    chars |= set(EXTRA)
    return sorted(ord(c) for c in chars)


def source_font() -> tuple[Path, int] | None:
    """The installed Noto Serif CJK SC regular face (file and index in the collection)."""
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}|%{index}|%{family}", "Noto Serif CJK SC:style=Regular"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, index, family = [*out.split("|"), "", "", ""][:3]
    if "Noto Serif CJK" not in family or not Path(path).exists():
        return None
    return Path(path), int(index or 0)


def cached_name(src: Path, index: int) -> str:
    st = src.stat()
    key = f"{src}|{index}|{st.st_size}|{int(st.st_mtime)}|{CHARSET_VERSION}"
    return f"mediation-serif-sc-{hashlib.sha256(key.encode()).hexdigest()[:16]}.otf"


def build(src: Path, index: int, target: Path) -> None:
    from fontTools import subset

    opts = subset.Options()
    opts.font_number = index
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.desubroutinize = True
    font = subset.load_font(str(src), opts)
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=charset())
    sub.subset(font)
    for rec in font["name"].names:
        if rec.nameID in (1, 4, 16):
            rec.string = FAMILY
        elif rec.nameID == 6:
            rec.string = "MediationSerifSC-Regular"
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    try:
        font.save(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)  # atomic: readers see the whole file or none
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def document_font(cache_dir: Path) -> Path | None:
    """The cut face, built on first use (one process builds, the others wait); ``None`` if unavailable."""
    found = source_font()
    if found is None:
        return None
    src, index = found
    target = cache_dir / cached_name(src, index)
    if target.exists():
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with open(cache_dir / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not target.exists():
                log.warning("building the document font %s from %s (once, about 12 s)", target.name, src)
                build(src, index, target)
        return target
    except Exception:  # the full Noto face still works, only slower
        log.exception("could not build the document font; using Noto Serif CJK SC directly")
        return None


if __name__ == "__main__":  # ``python -m documents.fonts``: build the cut font ahead of the first document
    from documents.renderer import FontSetup

    setup = FontSetup.from_settings()
    built = document_font(Path(setup.cache_dir)) if setup.cache_dir else None
    print(built or "Noto Serif CJK SC not found: documents use whatever CJK font fontconfig finds")
