"""The yardstick: the smallest FastAPI JSON endpoint, served by uvicorn exactly like the app.

GET /api/v1/me is measured as a ratio to this endpoint in the same run, so the figure says how much the
app's own work costs on top of the framework and server, whatever the machine's speed that day.
"""

from fastapi import FastAPI

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/ping")
def ping() -> dict[str, bool]:
    # `def`, like the app's endpoints: both pay the same threadpool hop.
    return {"ok": True}
