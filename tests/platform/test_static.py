"""Static files for phones on 3G: kept a year (the URL carries a content hash) and sent compressed."""

from __future__ import annotations


def test_static_is_cached_and_compressed(client):
    page = client.get("/login")
    assert "/static/htmx.min.js?v=" in page.text
    raw = client.get("/static/htmx.min.js", headers={"Accept-Encoding": "gzip"})
    assert raw.status_code == 200 and raw.headers["content-encoding"] == "gzip"
    assert "immutable" in raw.headers["cache-control"]
    assert raw.num_bytes_downloaded < len(raw.content) / 2  # what travelled, against what it unpacks to
    plain = client.get("/static/htmx.min.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == raw.content


def test_small_api_answers_are_not_compressed(client):
    r = client.get("/api/v1/me", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 401 and "content-encoding" not in r.headers


def test_api_docs_work_offline(client):
    """/docs loads Swagger UI (5.x, which reads OpenAPI 3.1) from this server, never from a CDN."""
    import re

    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(r"url: '([^']+)'", page.text)
    assert "/docs-assets/swagger-ui-bundle.js" in urls and "/docs-assets/swagger-ui.css" in urls
    assert all(u.startswith("/") for u in urls), urls  # nothing from another host
    js = client.get("/docs-assets/swagger-ui-bundle.js")
    assert js.status_code == 200 and b"SwaggerUIBundle" in js.content[:2000]
    assert re.search(rb"5\.\d+\.\d+", js.content)
    assert client.get("/api/v1/openapi.json").json()["openapi"].startswith("3.1")


def test_the_gzip_middleware_compresses_a_streamed_answer_with_isal_and_leaves_small_ones():
    """FastGZipMiddleware: Starlette's middleware with ISA-L's compressor, chunk after chunk (Z_SYNC_FLUSH) and
    then the end; an answer under the minimum size, or to a client that does not ask for gzip, goes as it is."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse, StreamingResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from app.compression import FastGZipMiddleware

    chunks = [f"dòng {i} của bảng xếp hạng\n".encode() * 200 for i in range(3)]

    async def streamed(request):
        async def body():
            for c in chunks:
                yield c

        return StreamingResponse(body(), media_type="text/plain")

    async def small(request):
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/big", streamed), Route("/small", small)])
    app.add_middleware(FastGZipMiddleware, minimum_size=1000)
    with TestClient(app) as client:
        r = client.get("/big", headers={"Accept-Encoding": "gzip"})
        assert r.headers["content-encoding"] == "gzip" and r.content == b"".join(chunks)  # httpx has decoded the stream
        assert r.num_bytes_downloaded < len(r.content) / 10
        plain = client.get("/big", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.content == b"".join(chunks)
        tiny = client.get("/small", headers={"Accept-Encoding": "gzip"})
        assert "content-encoding" not in tiny.headers and tiny.text == "ok"


def test_an_excel_file_is_not_gzipped_again_but_a_pdf_is():
    """An XLSX is a zip archive already (gzip took 3% off a judge's export): the middleware sends it as it is."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from app.compression import XLSX, FastGZipMiddleware

    body = b"PK\x03\x04" + "Bảng xếp hạng vòng 1\n".encode() * 200

    def answer(media_type):
        async def endpoint(request):
            return Response(body, media_type=media_type)

        return endpoint

    app = Starlette(routes=[Route("/x.xlsx", answer(XLSX)), Route("/x.pdf", answer("application/pdf"))])
    app.add_middleware(FastGZipMiddleware, minimum_size=1000)
    with TestClient(app) as client:
        xlsx = client.get("/x.xlsx", headers={"Accept-Encoding": "gzip"})
        assert "content-encoding" not in xlsx.headers and xlsx.content == body
        pdf = client.get("/x.pdf", headers={"Accept-Encoding": "gzip"})
        assert pdf.headers["content-encoding"] == "gzip" and pdf.content == body
