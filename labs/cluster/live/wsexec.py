"""The exec subresource over one websocket of its own: Kubernetes' channel protocol (v5, else v4).

Why not `kubernetes.stream.stream()`: it swaps `call_api` on the ApiClient it is given for the whole
call, so REST requests made by other threads at that moment go down the websocket path and the client
can stay broken afterwards. Here each exec opens its own connection; the shared ApiClient is only
asked to serialise the request (URL, query and the current bearer token), which changes nothing on it.

Every step is bounded: the TCP connect and the upgrade handshake by `connect_timeout` (a suspended VM
accepts nothing and must not hang a notebook cell), the whole exchange by the caller's deadline.
Frames: the first byte names the channel (1 stdout, 2 stderr, 3 the exit status as a metav1.Status;
in v5, 255 closes the channel named by the second byte).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

__all__ = ["ExecStreams", "exec_url_and_headers", "open_exec_socket", "read_channels", "PROTOCOLS",
           "DEFAULT_CONNECT_TIMEOUT"]

V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
PROTOCOLS = (V5, V4)
STDOUT, STDERR, STATUS, CLOSE = 1, 2, 3, 255
DEFAULT_CONNECT_TIMEOUT = 10.0


@dataclass
class ExecStreams:
    """What came back on each channel, and whether the server ended the stream before the deadline."""

    channels: dict[int, bytearray] = field(default_factory=dict)
    finished: bool = False

    def text(self, channel: int) -> str:
        return bytes(self.channels.get(channel, b"")).decode("utf-8", "replace")


def exec_url_and_headers(api_client: Any, namespace: str, pod: str, argv: Sequence[str],
                         container: str | None) -> tuple[str, list[str]]:
    """The ws(s):// URL of the exec request and its Authorization header, from the client's configuration."""
    query: list[tuple[str, str]] = [("command", str(a)) for a in argv]
    query += [("stdout", "true"), ("stderr", "true"), ("stdin", "false"), ("tty", "false")]
    if container:
        query.append(("container", container))
    _, url, headers, _, _ = api_client.param_serialize(
        "GET", f"/api/v1/namespaces/{namespace}/pods/{pod}/exec", query_params=query, header_params={},
        auth_settings=["BearerToken"])
    if url.startswith("https://"):
        url = "wss://" + url[len("https://"):]
    elif url.startswith("http://"):
        url = "ws://" + url[len("http://"):]
    auth = {k.lower(): v for k, v in (headers or {}).items()}.get("authorization")
    return url, [f"Authorization: {auth}"] if auth else []


def _ssl_options(configuration: Any, url: str) -> dict[str, Any]:
    import ssl

    if not url.startswith("wss://") or not configuration.verify_ssl:
        opts: dict[str, Any] = {"cert_reqs": ssl.CERT_NONE, "check_hostname": False}
    else:
        opts = {"cert_reqs": ssl.CERT_REQUIRED}
        if configuration.ssl_ca_cert:
            opts["ca_certs"] = configuration.ssl_ca_cert
        if configuration.assert_hostname is not None:
            opts["check_hostname"] = bool(configuration.assert_hostname)
    if configuration.cert_file:
        opts["certfile"] = configuration.cert_file
    if configuration.key_file:
        opts["keyfile"] = configuration.key_file
    if getattr(configuration, "tls_server_name", None):
        opts["server_hostname"] = configuration.tls_server_name
    return opts


def _proxy_options(configuration: Any) -> dict[str, Any]:
    from urllib.parse import urlsplit

    opts: dict[str, Any] = {}
    if configuration.proxy:
        proxy = urlsplit(configuration.proxy)
        opts.update(http_proxy_host=proxy.hostname, http_proxy_port=proxy.port or 80, proxy_type="http")
        if configuration.no_proxy:
            opts["http_no_proxy"] = [h.strip() for h in configuration.no_proxy.split(",") if h.strip()]
    return opts


def open_exec_socket(api_client: Any, url: str, header: list[str], *, connect_timeout: float) -> Any:
    """A connected websocket that agreed on v5 or v4; raises websocket/socket errors as they come."""
    import websocket

    ws = websocket.WebSocket(sslopt=_ssl_options(api_client.configuration, url), skip_utf8_validation=True)
    try:
        ws.connect(url, header=header, subprotocols=list(PROTOCOLS), timeout=connect_timeout,
                   **_proxy_options(api_client.configuration))
    except BaseException:
        with contextlib.suppress(Exception):
            ws.close()
        raise
    return ws


def read_channels(ws: Any, *, deadline: float) -> ExecStreams:
    """Collect frames until the server closes the stream or `deadline` (time.monotonic()) passes."""
    import websocket

    out = ExecStreams()
    v5 = (getattr(ws, "subprotocol", None) or "").lower() == V5
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return out
        ws.settimeout(remaining)
        try:
            opcode, frame = ws.recv_data_frame(True)
        except websocket.WebSocketTimeoutException:
            return out
        except websocket.WebSocketConnectionClosedException:
            out.finished = True
            return out
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            out.finished = True
            return out
        data = bytes(frame.data or b"")
        if opcode not in (websocket.ABNF.OPCODE_BINARY, websocket.ABNF.OPCODE_TEXT) or not data:
            continue
        channel = data[0]
        if channel == CLOSE and v5:
            continue
        out.channels.setdefault(channel, bytearray()).extend(data[1:])
        if channel == STATUS and len(data) > 1:  # the exit status is the stream's last message
            out.finished = True
            return out
