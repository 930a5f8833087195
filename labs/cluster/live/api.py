"""A small, bounded REST layer over the `kubernetes` client: every call has a timeout, every failure a sentence.

The generated typed APIs are not used for reads and writes: the course works with plain dicts (the
same shape as YAML manifests), and one `request` method keeps timeouts, server-side apply and error
wording in one place. Authentication, TLS and proxies still come from the kubernetes client.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from labs.cluster.base import ClusterError

__all__ = ["KubeApi", "ApiError", "ApiUnreachable", "FIELD_MANAGER", "resource_path", "describe_transport_error",
           "unreachable_advice", "check_client_version", "ClientUnsuitable", "CLIENT_RANGE"]

FIELD_MANAGER = "ciliumlab"
CLIENT_RANGE = (37, 38)
"""kubernetes client majors the code works with: [37, 38). `ApiClient.param_serialize` first appears in 37.0.0."""
TOO_MANY_REQUESTS_RETRIES = 5
"""How often a 429 (Too Many Requests) is asked again before it is reported."""
TOO_MANY_REQUESTS_PAUSE = 1.0
"""Seconds between those tries: the API server's own Retry-After for these answers is 1 s."""


class ClientUnsuitable(ClusterError):
    """The installed `kubernetes` client cannot work with this code (the environment is wrong, not the cluster)."""


def check_client_version(version: str | None = None) -> str:
    """The installed kubernetes client's version, or ClientUnsuitable naming it and the pip command that fixes it."""
    if version is None:
        import kubernetes

        version = str(getattr(kubernetes, "__version__", "") or "unknown")
    major_text = version.split(".", 1)[0]
    low, high = CLIENT_RANGE
    if not major_text.isdigit() or not low <= int(major_text) < high:
        raise ClientUnsuitable(
            f"The installed kubernetes Python client is version {version}; the course needs >={low}.0.0,<{high} "
            "(requirements.txt). Install it with `python -m pip install -r requirements.txt` in the course's "
            "virtual environment (scripts/start-course does this).")
    return version


def _config_errors() -> tuple[type[BaseException], ...]:
    from kubernetes.config.config_exception import ConfigException

    return (ConfigException,)


def _transport_errors() -> tuple[type[BaseException], ...]:
    """What a call raises when the server cannot be reached: socket, TLS and urllib3 errors, ApiException(0)."""
    import urllib3
    from kubernetes.client.exceptions import ApiException

    return (OSError, urllib3.exceptions.HTTPError, ApiException)


class ApiError(ClusterError):
    """The API server answered with an error status (`status`, `reason` and the server's `detail`)."""

    def __init__(self, message: str, *, status: int, reason: str = "", detail: str = ""):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.detail = detail


class ApiUnreachable(ClusterError):
    """The API server did not answer: `why` is a short phrase such as "connection refused"."""

    def __init__(self, message: str, *, server: str, why: str, where: str = ""):
        super().__init__(message)
        self.server = server
        self.why = why
        self.where = where


def resource_path(api_version: str, plural: str, *, namespace: str | None = None, name: str | None = None,
                  subresource: str | None = None) -> str:
    """`/api/v1/namespaces/ns/pods/name` or `/apis/cilium.io/v2/...` for a kind's plural."""
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    if namespace:
        base += f"/namespaces/{namespace}"
    base += f"/{plural}"
    if name:
        base += f"/{name}"
    if subresource:
        base += f"/{subresource}"
    return base


def _seconds(value: float) -> str:
    return f"{value:g} s"


def describe_transport_error(exc: BaseException, timeout: float) -> str:
    """Turn a urllib3/socket/ssl failure into a short phrase a trainee understands."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    chain: list[BaseException] = []
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        chain.append(cur)
        cur = getattr(cur, "reason", None) if isinstance(getattr(cur, "reason", None), BaseException) else (
            cur.__cause__ or cur.__context__)
    names = " ".join(type(e).__name__ for e in chain)
    text = " ".join(str(e) for e in chain)
    if "Timeout" in names or isinstance(exc, socket.timeout) or "timed out" in text:
        return f"no answer within {_seconds(timeout)}"
    if "refused" in text.lower() or any(isinstance(e, ConnectionRefusedError) for e in chain):
        return f"connection refused within {_seconds(timeout)}"
    if "NameResolution" in names or "Name or service not known" in text or "nodename nor servname" in text:
        return "the host name could not be resolved"
    if any(isinstance(e, ssl.SSLError) for e in chain) or "SSL" in names:
        return f"the TLS handshake failed ({chain[-1]})"
    if "ProxyError" in names:
        return f"the proxy refused the connection ({chain[-1]})"
    return f"{type(chain[-1]).__name__}: {chain[-1]}"


def unreachable_advice(server: str) -> str:
    """What to do when the API server does not answer."""
    host = urlsplit(server).hostname or server
    return ("If the course VM should be running, start it with `vagrant up` and check it with `vagrant status`; "
            f"if it is running, check that no VPN or proxy captures {host} (add it to NO_PROXY). "
            "To work without a cluster, set LABS_BACKEND=sim.")


@dataclass
class KubeApi:
    """Plain-dict access to one API server. `where` names the kubeconfig and context in messages."""

    client: Any
    """A `kubernetes.client.ApiClient`."""
    server: str
    where: str = ""
    timeout: float = 10.0

    def request(self, method: str, path: str, *, query: list[tuple[str, str]] | None = None,
                body: Any = None, content_type: str | None = None, timeout: float | None = None) -> Any:
        """One call; returns the decoded JSON (or None), raises ApiError or ApiUnreachable.

        A 429 is asked again after a pause, as client-go does (`rest/request.go`, `checkWait`): the API
        server answers it before doing anything (priority and fairness, or a resource's storage still
        initializing just after its CRD was created), so a retry is safe for every verb. Bounded by
        TOO_MANY_REQUESTS_RETRIES."""
        for attempt in range(TOO_MANY_REQUESTS_RETRIES + 1):
            try:
                return self._request_once(method, path, query=query, body=body, content_type=content_type,
                                          timeout=timeout)
            except ApiError as exc:
                if exc.status != 429 or attempt == TOO_MANY_REQUESTS_RETRIES:
                    raise
            time.sleep(TOO_MANY_REQUESTS_PAUSE)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _request_once(self, method: str, path: str, *, query: list[tuple[str, str]] | None,
                      body: Any, content_type: str | None, timeout: float | None) -> Any:
        limit = self.timeout if timeout is None else timeout
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            m, url, hdrs, payload, post = self.client.param_serialize(
                method, path, query_params=query or [], header_params=headers, body=body,
                auth_settings=["BearerToken"])
            response = self.client.call_api(m, url, hdrs, payload, post, _request_timeout=limit)
            raw = response.read()
        except ClusterError:
            raise
        except _config_errors() as exc:
            raise ClusterError(f"The credentials of {self.where or 'the kubeconfig'} could not be used: {exc}. Export "
                               "the kubeconfig again (`vagrant up` does).") from None
        except _transport_errors() as exc:  # anything else is a bug and keeps its own traceback
            status = getattr(exc, "status", None)
            if isinstance(status, int) and status > 0:
                raise self._api_error(method, path, status, getattr(exc, "reason", ""),
                                      getattr(exc, "body", "")) from None
            why = describe_transport_error(exc, limit)
            where = f" ({self.where})" if self.where else ""
            raise ApiUnreachable(
                f"Cannot reach the Kubernetes API server at {self.server!r}{where}: {why}. "
                + unreachable_advice(self.server), server=self.server, why=why, where=self.where) from None
        if not 200 <= response.status <= 299:
            raise self._api_error(method, path, response.status, response.reason or "", raw)
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise ApiError(f"The API server at {self.server!r} answered {method} {path} with something that is "
                           f"not JSON ({raw[:80]!r}); is {self.server!r} really a Kubernetes API server?",
                           status=response.status) from None

    def _api_error(self, method: str, path: str, status: int, reason: str, raw: Any) -> ApiError:
        detail = ""
        if isinstance(raw, (bytes, bytearray)):
            raw = raw.decode("utf-8", "replace")
        try:
            detail = json.loads(raw).get("message", "") if raw else ""
        except (ValueError, AttributeError):
            detail = str(raw or "")[:200]
        hint = ""
        if status == 401:
            hint = " The credentials in the kubeconfig were not accepted; export it again with `vagrant up`."
        elif status == 403:
            hint = " The kubeconfig's user lacks permission; the course expects the VM's admin kubeconfig."
        text = f"The API server refused {method} {path}: HTTP {status} {reason}".rstrip()
        text += f": {detail}." if detail else "."
        return ApiError(text + hint, status=status, reason=reason, detail=detail)

    # Convenience wrappers -------------------------------------------------------------------------

    def get(self, path: str, *, timeout: float | None = None, **query: str) -> Any:
        return self.request("GET", path, query=list(query.items()), timeout=timeout)

    def get_or_none(self, path: str, *, timeout: float | None = None) -> Any:
        try:
            return self.get(path, timeout=timeout)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def items(self, path: str, *, label_selector: str | None = None, timeout: float | None = None) -> list[dict]:
        query = {"labelSelector": label_selector} if label_selector else {}
        return list((self.get(path, timeout=timeout, **query) or {}).get("items") or [])

    def apply(self, path: str, obj: dict[str, Any], *, dry_run: bool = False, timeout: float | None = None) -> Any:
        """Server-side apply (field manager `ciliumlab`, conflicts forced: the course owns its objects)."""
        query = [("fieldManager", FIELD_MANAGER), ("force", "true")]
        if dry_run:
            query.append(("dryRun", "All"))
        return self.request("PATCH", path, query=query, body=obj, content_type="application/apply-patch+yaml",
                            timeout=timeout)

    def delete(self, path: str, *, timeout: float | None = None) -> bool:
        """Delete in the background; True if it existed."""
        try:
            self.request("DELETE", path, query=[("propagationPolicy", "Background")], timeout=timeout)
        except ApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True
