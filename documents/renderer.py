"""HTML → PDF with WeasyPrint: one font configuration and parsed print CSS per process, autoescaped
templates, a URL fetcher confined to this package's template folder, PDF/A-3b with the case snapshot
embedded as a JSON attachment, and document metadata (title, organisation, case number, zh-CN)."""

from __future__ import annotations

import atexit
import ctypes.util
import functools
import io
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"
_lock = threading.Lock()


class FetchRefused(ValueError):
    pass


def check_url(url: str, roots: tuple[Path, ...] = (TEMPLATES,)) -> None:
    """Only files inside the template folder (and the font folders) may be fetched; anything else — http,
    data:, other files — is refused."""
    if not url.startswith("file://"):
        raise FetchRefused(f"refused to fetch {url!r}")
    path = Path(url[len("file://"):].split("?")[0]).resolve()
    if not any(path == root or root in path.parents for root in roots):
        raise FetchRefused(f"refused to fetch {url!r}")


@functools.cache
def url_fetcher(extra_roots: tuple[str, ...] = ()) -> Any:
    """WeasyPrint's URL fetcher restricted to ``file:`` URLs under the template (and font) folders."""
    from weasyprint.urls import URLFetcher

    roots = (TEMPLATES, *(Path(r).resolve() for r in extra_roots))

    class ConfinedFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            check_url(url, roots)
            return super().fetch(url, headers)

    return ConfinedFetcher(allowed_protocols=("file",), allow_redirects=False)


@dataclass(frozen=True)
class FontSetup:
    """Where official fonts may be (``MEDIATION_FONT_DIR``) and where the cut document font is cached."""

    font_dir: str | None = None
    cache_dir: str | None = None

    @classmethod
    @functools.cache
    def from_settings(cls) -> FontSetup:
        from mediation.runtime.settings import Settings

        st = Settings.from_env()
        return cls(font_dir=str(st.font_dir) if st.font_dir else None, cache_dir=str(st.font_cache))

    @property
    def roots(self) -> tuple[str, ...]:
        return tuple(r for r in (self.font_dir, self.cache_dir) if r)


@functools.cache
def jinja() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "xml"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


@functools.cache
def _fonts() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    # Release it before interpreter shutdown tears down the modules its finaliser needs.
    atexit.register(_release_fonts)
    return FontConfiguration()


def _release_fonts() -> None:
    _stylesheet.cache_clear()
    _fonts.cache_clear()


@functools.cache
def _stylesheet(setup: FontSetup) -> Any:
    from weasyprint import CSS

    from documents.fonts import FAMILY, document_font

    css = (TEMPLATES / "print.css").read_text(encoding="utf-8")
    faces = []
    if setup.font_dir:
        # Official fonts (仿宋_GB2312, 方正小标宋) placed in the configured folder come first.
        for family, names in (("Official FangSong", ("FangSong_GB2312", "仿宋_GB2312", "FangSong", "simfang")),
                              ("Official XBS", ("FZXiaoBiaoSong-B05S", "方正小标宋简体", "FZXBSJW"))):
            for name in names:
                for ext in ("ttf", "otf", "TTF"):
                    f = Path(setup.font_dir) / f"{name}.{ext}"
                    if f.exists():
                        faces.append(f"@font-face {{ font-family: '{family}'; src: url('{f.as_uri()}'); }}")
    cut = document_font(Path(setup.cache_dir)) if setup.cache_dir else None
    if cut is not None:
        faces.append(f"@font-face {{ font-family: '{FAMILY}'; src: url('{cut.as_uri()}'); }}")
    css = "\n".join(faces) + "\n" + css
    return CSS(string=css, base_url=str(TEMPLATES) + "/", font_config=_fonts(), url_fetcher=url_fetcher(setup.roots))


def check_fonts() -> list[str]:
    """Warnings to show loudly at start-up (fast subsetting unavailable, CJK font missing)."""
    warnings = []
    if ctypes.util.find_library("harfbuzz-subset") is None:
        warnings.append("未找到 libharfbuzz-subset：WeasyPrint 将退回纯 Python 字体子集化，每份文书约慢50倍"
                        "（请运行 scripts/install-system.sh 安装 libharfbuzz-subset0）")
    try:
        import subprocess

        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=10).stdout
        if "Noto Serif CJK SC" not in out:
            warnings.append("未找到 Noto Serif CJK SC 字体，中文文书可能无法正确显示（请安装 fonts-noto-cjk）")
    except (OSError, subprocess.SubprocessError):
        warnings.append("无法检查中文字体（fc-list 不可用）")
    return warnings


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    html: str


def render_html(template: str, context: Mapping[str, Any]) -> str:
    return jinja().get_template(template).render(**context)


def render_pdf(
    html: str,
    *,
    title: str,
    organisation: str,
    case_number: str,
    snapshot: Mapping[str, Any] | None = None,
    fonts: FontSetup | None = None,
) -> Rendered:
    from weasyprint import HTML, Attachment

    fonts = fonts or FontSetup.from_settings()
    doc = HTML(string=html, base_url=str(TEMPLATES) + "/", url_fetcher=url_fetcher(fonts.roots))
    attachments = []
    if snapshot is not None:
        data = json.dumps(snapshot, ensure_ascii=False, indent=1, default=str).encode("utf-8")
        attachments.append(Attachment(file_obj=io.BytesIO(data), name="case-snapshot.json",
                                      description="案件数据快照（生成文书时）", relationship="Data"))
    with _lock:  # one FontConfiguration per process: serialise its use across threads
        document = doc.render(stylesheets=[_stylesheet(fonts)], font_config=_fonts())
        document.metadata.title = title
        document.metadata.authors = [organisation]
        document.metadata.description = f"{case_number} {title}"
        document.metadata.keywords = [case_number, title]
        document.metadata.lang = "zh-CN"
        pdf = document.write_pdf(pdf_variant="pdf/a-3b", attachments=attachments, uncompressed_pdf=False)
    return Rendered(pdf=pdf, pages=len(document.pages), html=html)
