"""Canned HTTP responses for client tests that need a vendor to misbehave in a way no fake does."""

from __future__ import annotations

from collections import deque

import orjson
import requests
from requests.adapters import BaseAdapter


def response(status: int, body: object = None, headers: dict | None = None, text: str | None = None
             ) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = text.encode() if text is not None else orjson.dumps(body)
    r.headers.update(headers or {})
    r.reason = "Reason"
    return r


class Canned(BaseAdapter):
    """Answers each request with the next queued response, and remembers what was asked."""

    def __init__(self, *responses: requests.Response):
        super().__init__()
        self.queue = deque(responses)
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        self.sent.append(request)
        answer = self.queue.popleft()
        answer.request, answer.url = request, request.url
        return answer

    def close(self):
        pass

    def session(self) -> requests.Session:
        """A session that sends every http(s) request here."""
        session = requests.Session()
        session.mount("https://", self)
        session.mount("http://", self)
        return session
