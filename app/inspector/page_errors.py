"""Errors of the inspector's pages (everything outside ``/api/``).

A wrong method on a page address (a reload or a typed URL of ``/workspaces/<slug>/rescan/``,
a POST to the dashboard or to a static file) is something a person sees in the window, so it
gets a short readable page naming the method and the ones allowed, with a way back, instead of
Django's empty ``405``. The JSON API keeps its JSON errors (``api_errors``).
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from .api_errors import API_PREFIX


def method_not_allowed_page(request: HttpRequest, allowed: str) -> HttpResponse:
    body = render_to_string(
        "inspector/method_not_allowed.html",
        {"method": request.method, "allowed": allowed, "path": request.path},
    )
    response = HttpResponse(body, status=HTTPStatus.METHOD_NOT_ALLOWED)
    response["Allow"] = allowed
    return response


class PageErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Every page 405 here is a bare one (Django's views, WhiteNoise's empty stream).
        is_page = not request.path.startswith(API_PREFIX)
        if response.status_code == HTTPStatus.METHOD_NOT_ALLOWED and is_page:
            return method_not_allowed_page(request, response.get("Allow", ""))
        return response
