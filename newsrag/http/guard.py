"""The HTTP API's front door: bearer key, body-size limits and one error shape, before any route runs.

A pure ASGI middleware (not ``BaseHTTPMiddleware``), so streamed answers pass through untouched.
What it leaves out: rate limiting and TLS; put a reverse proxy in front for those.
"""

from __future__ import annotations

import hmac
import ipaddress
import json

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

MAX_JSON_BYTES = 1024 * 1024  # every body except uploads
OPEN_PATHS = frozenset({"/health"})
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # any other name may resolve to a public address


def error_body(path: str, status: int, message: str) -> dict:
    """``{"error": "one line"}``; under /v1 the OpenAI shape, which OpenAI clients parse."""
    if path.startswith("/v1/"):
        kind = {401: "authentication_error", 404: "not_found_error", 413: "invalid_request_error"}.get(
            status, "invalid_request_error" if status < 500 else "server_error")
        return {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return {"error": message}


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a body without Content-Length grows past its limit.

    A starlette ``HTTPException`` on purpose: FastAPI re-raises those while parsing a body
    (anything else becomes a 400), and its exception handler turns it into the 413."""

    def __init__(self, limit: int):
        super().__init__(413, f"request body too large (limit {limit / 2**20:g} MB)")


class Guard:
    """Checks ``Authorization: Bearer <key>`` (when a key is set) and caps request bodies.

    ``upload_paths`` get ``upload_limit`` bytes (file uploads, the Gradio app's own uploads),
    everything else ``MAX_JSON_BYTES``. The UI under ``ui_path`` is guarded by its own login
    (Gradio's, with the same key) because a browser cannot send a bearer header.
    """

    def __init__(self, app: ASGIApp, *, api_key: str, upload_limit: int,
                 upload_paths: tuple[str, ...] = ("/ingest",), ui_path: str = "/ui"):
        self.app, self.api_key, self.upload_limit = app, api_key, upload_limit
        self.upload_paths, self.ui_path = upload_paths, ui_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        path: str = scope["path"]
        in_ui = path == self.ui_path or path.startswith(self.ui_path + "/")
        headers = Headers(scope=scope)
        if self.api_key and path not in OPEN_PATHS and not in_ui and not self._authorized(headers):
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            return await _reply(send, path, 401, "missing or wrong API key (send 'Authorization: Bearer <key>')",
                                {"www-authenticate": "Bearer"})
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        limit = self.upload_limit if (in_ui or path in self.upload_paths) else MAX_JSON_BYTES
        try:
            declared = int(headers.get("content-length", ""))
        except ValueError:
            declared = None
        if declared is not None and declared > limit:
            return await _reply(send, path, 413, str(BodyTooLarge(limit).detail))

        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        started = False

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:  # raised where no exception handler saw it (e.g. a mounted app)
            if started:
                raise
            await _reply(send, path, 413, str(exc.detail))

    def _authorized(self, headers: Headers) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.api_key.encode())


async def _reply(send: Send, path: str, status: int, message: str, extra: dict[str, str] | None = None) -> None:
    body = json.dumps(error_body(path, status, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
