"""Development-mode twin of the payload launcher's request guard.

When the Electron shell runs Django from the source tree it sets DJDESK_SESSION_TOKEN;
this middleware then applies the very same check as the launcher's WSGI wrapper
(``djdesk_runtime.guard``). Without a token (a plain browser) it does nothing.
"""

import os
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from djdesk_runtime.contract import ENV


class SessionTokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.token = os.environ.get(ENV["session_token"], "")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.token:
            return self.get_response(request)
        from djdesk_runtime.guard import decide

        refusal = decide(request.META, self.token)
        if refusal is None:
            return self.get_response(request)
        status, headers, body = refusal
        response = HttpResponse(body, status=int(status.split()[0]))
        for name, value in headers:
            response[name] = value
        return response
