"""The interactive API documentation is served with vendored assets only (no CDN)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient


def test_docs_page_uses_only_vendored_assets(client: FlaskClient) -> None:
    r = client.get("/api/v1/docs")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert "/api/v1/openapi.json" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "docs page must not load anything from elsewhere"
    assets = re.findall(r"(?:src|href)=\"(/static/swagger-ui/[^\"]+)\"", html)
    assert len(assets) == 3
    for url in assets:
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.data) > 10_000, url
        asset.close()


def test_docs_page_has_no_inline_script(client: FlaskClient) -> None:
    """Started by a static script (the Content-Security-Policy refuses inline ones)."""
    html = client.get("/api/v1/docs").get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    for attrs, body in scripts:
        assert "src=" in attrs or 'type="application/json"' in attrs, (attrs, body[:100])
    assert client.get("/static/ui/swagger-init.js").status_code == 200
