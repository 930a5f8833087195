"""The few API calls the local cluster tool makes itself (readiness, CRDs), over TLS with the admin certificate.

The course's live backend is not used here on purpose: this tool must work before any kubeconfig exists
and must not depend on the code it is used to test.
"""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["AdminClient", "Reply"]


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class AdminClient:
    port: int
    pki: Path
    timeout: float = 10.0

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.pki / "ca.crt"))
        context.load_cert_chain(str(self.pki / "admin.crt"), str(self.pki / "admin.key"))
        return context

    def request(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Reply:
        """One request; raises OSError (including ssl errors) when the server does not answer."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self._context(), timeout=self.timeout)
        try:
            payload = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
            headers = {"Accept": "application/json"}
            if payload is not None:
                headers["Content-Type"] = content_type
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            return Reply(response.status, response.read())
        finally:
            conn.close()
