"""Errors of the JSON API: every answer under ``/api/`` that is an error is a JSON body
``{"error": ..., "field": ...}`` naming what was wrong, never an HTML page or a traceback.

The middleware refuses an oversized body before anything reads it, turns Django's own
bare answers (the empty ``405`` of ``require_POST``, the ``404`` of an unknown path)
into JSON, and answers an unexpected exception with a JSON ``500`` whose details stay in
the server's log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

API_PREFIX = "/api/"
logger = logging.getLogger("inspector.api")


class RequestError(Exception):
    """A request the API refuses: which field, why, and the status to answer with."""

    def __init__(self, field: str, message: str, status: HTTPStatus = HTTPStatus.BAD_REQUEST):
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


def json_error(
    status: HTTPStatus, message: str, field: str | None = None, **extra: Any
) -> JsonResponse:
    return JsonResponse({"error": message, "field": field, **extra}, status=status)


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object (an empty body is ``{}``), or RequestError('body')."""
    if not body:
        return {}
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise RequestError("body", f"malformed JSON: {exc}") from None
    except RecursionError:  # "[[[[…" thousands deep: the decoder gives up, we refuse
        raise RequestError("body", "JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise RequestError("body", "the body must be a JSON object")
    return data


def _too_large(request: HttpRequest) -> JsonResponse | None:
    limit = settings.INSPECTOR_API_MAX_BODY_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return json_error(HTTPStatus.BAD_REQUEST, "Content-Length is not a number", "body")
    if length > limit:
        return json_error(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"the body has {length} bytes; the API accepts at most {limit}",
            "body",
        )
    return None


def _as_json(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Django's bare error answers, said in JSON (headers such as Allow are kept)."""
    try:
        status = HTTPStatus(response.status_code)
    except ValueError:  # a code the standard library does not name
        code = response.status_code
        return JsonResponse({"error": f"error {code}", "field": None}, status=code)
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        allowed = response.get("Allow", "")
        converted = json_error(
            status, f"{request.method} is not allowed here (allowed: {allowed})", "method"
        )
        converted["Allow"] = allowed
        return converted
    if status == HTTPStatus.NOT_FOUND:
        return json_error(status, "no such API endpoint", "path")
    return json_error(status, status.phrase, None)


class ApiErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        refusal = _too_large(request)
        if refusal is not None:
            return refusal
        response = self.get_response(request)
        is_json = response.get("Content-Type", "").startswith("application/json")
        if response.status_code >= HTTPStatus.BAD_REQUEST and not is_json:
            return _as_json(request, response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX):
            return None
        if isinstance(exception, RequestError):
            return json_error(exception.status, exception.message, exception.field)
        logger.exception("unexpected error answering %s %s", request.method, request.path)
        return json_error(
            HTTPStatus.INTERNAL_SERVER_ERROR, "internal error (details in the server log)", None
        )
