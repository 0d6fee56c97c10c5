from __future__ import annotations

from app.services.contests import sharing


def test_qr_codes_encode_the_link():
    png = sharing.qr_png("https://hoithi.example.vn/c/AB12CD")
    svg = sharing.qr_svg("https://hoithi.example.vn/c/AB12CD")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 200
    assert svg.lstrip().startswith(b"<svg") and b"</svg>" in svg


def test_rules_markdown_is_rendered_without_raw_html():
    html = sharing.render_rules(
        "# Thể lệ\n\n**Đối tượng:** đảng viên.\n\n<script>alert(1)</script>\n\n"
        "[xấu](javascript:alert(1)) [tốt](https://tdm.binhduong.gov.vn)"
    )
    assert "<h1>Thể lệ</h1>" in html and "<strong>Đối tượng:</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html and 'href="https://tdm.binhduong.gov.vn"' in html


def test_contest_url():
    assert sharing.contest_url("https://x.vn/", "AB12") == "https://x.vn/c/AB12"
