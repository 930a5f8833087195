"""A Kubernetes API server stand-in on 127.0.0.1 speaking the part of the API the live backend uses.

Discovery, /version, namespaces, pods, services, nodes, ConfigMaps, workloads, CRDs, Cilium kinds:
GET (item and list, with simple label selectors), server-side apply PATCH (with dryRun=All and the
field manager checked), DELETE. `reject` makes chosen objects fail validation like the real server.

`pods/exec` is a real websocket endpoint (RFC 6455 upgrade, answer 101, Kubernetes' channel protocol
v5.channel.k8s.io or v4.channel.k8s.io as the client offers): `exec_answer(namespace, pod, container,
argv)` returns (stdout, stderr, exit code), sent as channel 1, 2 and 3 frames the way the kubelet's
stream is relayed by the API server (an empty frame per channel first, the metav1.Status last).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

DISCOVERY = {
    "/api/v1": [("namespaces", "Namespace", False), ("pods", "Pod", True), ("services", "Service", True),
                ("configmaps", "ConfigMap", True), ("nodes", "Node", False), ("pods/exec", "PodExecOptions", True),
                ("serviceaccounts", "ServiceAccount", True)],
    "/apis/apps/v1": [("deployments", "Deployment", True), ("daemonsets", "DaemonSet", True),
                      ("statefulsets", "StatefulSet", True), ("replicasets", "ReplicaSet", True)],
    "/apis/networking.k8s.io/v1": [("networkpolicies", "NetworkPolicy", True)],
    "/apis/cilium.io/v2": [("ciliumnetworkpolicies", "CiliumNetworkPolicy", True),
                           ("ciliumclusterwidenetworkpolicies", "CiliumClusterwideNetworkPolicy", False),
                           ("ciliumendpoints", "CiliumEndpoint", True)],
    "/apis/apiextensions.k8s.io/v1": [("customresourcedefinitions", "CustomResourceDefinition", False)],
}


def split_path(path: str) -> tuple[str, str | None, str, str | None]:
    """(group-version prefix, namespace, plural, name)."""
    parts = [p for p in path.split("/") if p]
    if parts[0] == "api":
        prefix, rest = "/" + "/".join(parts[:2]), parts[2:]
    else:
        prefix, rest = "/" + "/".join(parts[:3]), parts[3:]
    if rest and rest[0] == "namespaces" and len(rest) >= 3:
        return prefix, rest[1], rest[2], rest[3] if len(rest) > 3 else None
    return prefix, None, rest[0] if rest else "", rest[1] if len(rest) > 1 else None


def _essence(obj: dict) -> dict:
    """An object without what the server adds, to tell a real change from a repeated apply."""
    out = {k: v for k, v in obj.items() if k != "status"}
    out["metadata"] = {k: v for k, v in (obj.get("metadata") or {}).items()
                       if k not in ("resourceVersion", "generation")}
    return out


def ws_frame(payload: bytes, *, opcode: int = 0x2) -> bytes:
    """One unmasked, final websocket frame (server to client), binary by default."""
    size = len(payload)
    if size < 126:
        head = bytes([0x80 | opcode, size])
    elif size < 1 << 16:
        head = bytes([0x80 | opcode, 126]) + size.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 127]) + size.to_bytes(8, "big")
    return head + payload


def matches(labels: dict, selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        if "=" in term:
            key, value = term.split("=", 1)
            if labels.get(key) != value:
                return False
        elif term not in labels:
            return False
    return True


class KubeStub:
    def __init__(self, *, cilium: bool = True, cilium_image: str = "quay.io/cilium/cilium:v1.19.5@sha256:abc",
                 token: str = "stub-token"):
        self.objects: dict[tuple[str, str | None, str, str], dict] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.reject: dict[tuple[str, str], str] = {}
        self.statuses: dict[tuple[str, str], dict] = {}
        """Status given to an object when it is applied, instead of a ready one."""
        self.auto_ready = True
        self.token = token
        self.exec_answer = lambda namespace, pod, container, argv: ("", "", 0)
        """(stdout, stderr, exit code) of a command run through pods/exec."""
        self.exec_delay = 0.0
        self.exec_hold = 0.0
        """Seconds between the exit status and the close frame (a slow close)."""
        self.exec_protocols = ("v5.channel.k8s.io", "v4.channel.k8s.io")
        """Subprotocols this server accepts, best first (a server older than 1.30 knows only v4)."""
        self.execs: list[tuple[str, str, str | None, list[str], str]] = []
        """(namespace, pod, container, argv, negotiated protocol) of every exec."""
        self.authorizer = None
        """A `labs.workshop.rbac_eval.RbacAuthorizer` deciding every resource request as `self.user`, or None."""
        self.user = "kubernetes-admin"
        self.token_users: dict[str, str] = {}
        """Tokens a TokenReview accepts, and whose they are."""
        self.denied: list[str] = []
        """The API server's message for every request the authorizer refused."""
        self._rv = 100
        self._lock = threading.Lock()
        for name in ("default", "kube-system"):
            self.put("/api/v1/namespaces/" + name, {"apiVersion": "v1", "kind": "Namespace",
                                                    "metadata": {"name": name}})
        if cilium:
            self.put("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ciliumnetworkpolicies.cilium.io",
                     {"kind": "CustomResourceDefinition", "metadata": {"name": "ciliumnetworkpolicies.cilium.io"}})
            self.put("/apis/apps/v1/namespaces/kube-system/daemonsets/cilium", {
                "kind": "DaemonSet", "metadata": {"name": "cilium", "namespace": "kube-system", "generation": 1},
                "spec": {"template": {"spec": {"containers": [{"name": "cilium-agent", "image": cilium_image}]}}},
                "status": {"desiredNumberScheduled": 1, "numberReady": 1, "updatedNumberScheduled": 1}})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> KubeStub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def put(self, path: str, obj: dict) -> dict:
        key = split_path(path)
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        meta.setdefault("name", key[3])
        if key[1]:
            meta.setdefault("namespace", key[1])
        self._rv += 1
        meta["resourceVersion"] = str(self._rv)
        self.objects[key] = obj  # type: ignore[index]
        return obj

    def get(self, path: str) -> dict | None:
        return self.objects.get(split_path(path))  # type: ignore[arg-type]

    def paths(self, plural: str) -> list[str]:
        return sorted(f"{k[1]}/{k[3]}" if k[1] else str(k[3]) for k in self.objects if k[2] == plural)

    def write_kubeconfig(self, path: Path, *, context: str = "ciliumlab", server: str | None = None) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": context,
            "clusters": [{"name": "c", "cluster": {"server": server or self.url}}],
            "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}}],
            "users": [{"name": "u", "user": {"token": self.token}}]}))
        path.chmod(0o600)
        return path

    # -- request handling ----------------------------------------------------------------------

    def _ready_status(self, obj: dict) -> None:
        kind = obj.get("kind")
        replicas = (obj.get("spec") or {}).get("replicas", 1)
        if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
            obj["status"] = {"replicas": replicas, "readyReplicas": replicas, "updatedReplicas": replicas,
                             "availableReplicas": replicas, "observedGeneration": 1}
            obj["metadata"]["generation"] = 1
        elif kind == "DaemonSet":
            obj["status"] = {"desiredNumberScheduled": 1, "numberReady": 1, "updatedNumberScheduled": 1}
        elif kind == "Pod":
            obj["status"] = {"phase": "Running", "podIP": "10.244.0.50", "hostIP": "192.168.56.10",
                             "conditions": [{"type": "Ready", "status": "True"}]}

    def handle(self, method: str, raw_path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        url = urlsplit(raw_path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        self.requests.append((method, raw_path, dict(headers)))
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"kind": "Status", "status": "Failure", "message": "Unauthorized", "code": 401}
        if path == "/version":
            return 200, {"major": "1", "minor": "35", "gitVersion": "v1.35.2"}
        if method == "POST" and path == "/apis/authentication.k8s.io/v1/tokenreviews":
            token = (json.loads(body or b"{}").get("spec") or {}).get("token", "")
            user = self.token_users.get(token)
            status = {"authenticated": True, "user": {"username": user}} if user else {
                "authenticated": False, "error": "invalid bearer token"}
            return 201, {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "status": status}
        if path in DISCOVERY:
            return 200, {"kind": "APIResourceList", "groupVersion": path.split("/", 2)[-1],
                         "resources": [{"name": n, "kind": k, "namespaced": ns} for n, k, ns in DISCOVERY[path]]}
        prefix, namespace, plural, name = split_path(path)
        refused = self._forbidden(method, prefix, namespace, plural, name, query)
        if refused:
            return 403, refused
        with self._lock:
            if method == "GET" and name is None:
                items = [copy.deepcopy(o) for k, o in sorted(self.objects.items(), key=lambda kv: str(kv[0]))
                         if k[0] == prefix and k[2] == plural and (namespace is None or k[1] == namespace)
                         and matches((o.get("metadata") or {}).get("labels") or {}, query.get("labelSelector", ""))]
                return 200, {"kind": "List", "items": items}
            key = (prefix, namespace, plural, name)
            if method == "GET":
                if key in self.objects:
                    return 200, copy.deepcopy(self.objects[key])
                return 404, self._status(404, "NotFound", f'{plural} "{name}" not found')
            if method == "DELETE":
                if key not in self.objects:
                    return 404, self._status(404, "NotFound", f'{plural} "{name}" not found')
                del self.objects[key]
                if plural == "namespaces":
                    for other in [k for k in self.objects if k[1] == name]:
                        del self.objects[other]
                return 200, self._status(200, "", "deleted")
            if method == "PATCH":
                return self._apply(key, query, headers, body)
        return 405, self._status(405, "MethodNotAllowed", f"{method} is not supported by the stub")

    def _forbidden(self, method: str, prefix: str, namespace: str | None, plural: str, name: str | None,
                   query: dict, subresource: str | None = None) -> dict | None:
        """The API server's 403 Status when the authorizer refuses the request (RBAC's wording), else None."""
        if self.authorizer is None:
            return None
        from labs.workshop.rbac_eval import AccessRequest

        group = "" if prefix.startswith("/api/") else prefix.split("/")[2]
        if method == "GET":
            verbs = ["watch" if query.get("watch") else "list"] if name is None else ["get"]
        elif method == "PATCH":
            exists = (prefix, namespace, plural, name) in self.objects
            verbs = ["patch"] if exists else ["patch", "create"]  # an apply that creates needs both
        elif method == "POST":
            verbs = ["create"]
        else:
            verbs = [method.lower()]
        for verb in verbs:
            request = AccessRequest(self.user, verb, plural, group, namespace, name, subresource)
            if self.authorizer.decide(request).allowed:
                continue
            resource = f"{plural}/{subresource}" if subresource else plural
            subject = f'{resource} "{name}"' if name else resource
            scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
            message = (f'{subject} is forbidden: User "{self.user}" cannot {verb} resource "{resource}" in API group '
                       f'"{group}" {scope}')
            self.denied.append(message)
            return self._status(403, "Forbidden", message)
        return None

    @staticmethod
    def _status(code: int, reason: str, message: str) -> dict:
        return {"kind": "Status", "apiVersion": "v1", "status": "Failure" if code >= 400 else "Success",
                "message": message, "reason": reason, "code": code}

    def _apply(self, key, query, headers, body) -> tuple[int, dict]:
        prefix, namespace, plural, name = key
        if headers.get("content-type") != "application/apply-patch+yaml":
            return 415, self._status(415, "UnsupportedMediaType", "apply needs application/apply-patch+yaml")
        if query.get("fieldManager") != "ciliumlab":
            return 422, self._status(422, "Invalid", "fieldManager is required for apply patch")
        obj = json.loads(body)
        if namespace and ("/api/v1", None, "namespaces", namespace) not in self.objects:
            return 404, self._status(404, "NotFound", f'namespaces "{namespace}" not found')
        if (plural, name) in self.reject:
            return 422, self._status(422, "Invalid", self.reject[(plural, name)])
        old = self.objects.get(key)
        merged = copy.deepcopy(obj)
        changed = old is None or _essence(old) != _essence(merged)
        # metadata.generation rises with the spec only (labels and annotations leave it), as the server does.
        respecified = old is None or {k: v for k, v in _essence(old).items() if k != "metadata"} != \
            {k: v for k, v in _essence(merged).items() if k != "metadata"}
        generation = int((old or {}).get("metadata", {}).get("generation") or 0)
        merged["metadata"]["generation"] = generation + 1 if respecified else generation
        if old is not None:
            merged["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
            if "status" in old:
                merged["status"] = old["status"]
        if query.get("dryRun") == "All":
            return 200, merged
        if changed:
            if (plural, name) in self.statuses:
                merged["status"] = copy.deepcopy(self.statuses[(plural, name)])
            elif self.auto_ready:
                self._ready_status(merged)
            merged = self.put("/" + "/".join(filter(None, [prefix.strip("/"), "namespaces" if namespace else None,
                                                           namespace, plural, name])), merged)
        return 200, copy.deepcopy(self.objects.get(key, merged))

    # -- exec over a websocket -------------------------------------------------------------------

    def _exec_status(self, code: int) -> bytes:
        if code == 0:
            status = {"metadata": {}, "status": "Success"}
        else:
            status = {"metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
                      "message": f"command terminated with non-zero exit code: error executing command, exit "
                                 f"status {code}",
                      "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}
        return json.dumps(status).encode()

    def exec_upgrade(self, handler, path: str, headers: dict) -> None:
        """Answer a websocket exec request: 101 and the channel frames, or an HTTP error before the upgrade."""
        url = urlsplit(path)
        query = parse_qs(url.query)
        _, namespace, _, name = split_path(url.path.rsplit("/exec", 1)[0])
        offered = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
        chosen = next((p for p in self.exec_protocols if p in offered), None)
        self.requests.append(("GET", path, dict(headers)))
        problem = None
        if headers.get("authorization") != f"Bearer {self.token}":
            problem = (401, self._status(401, "Unauthorized", "Unauthorized"))
        elif forbidden := self._forbidden("POST", "/api/v1", namespace, "pods", name, {}, subresource="exec"):
            problem = (403, forbidden)
        elif ("/api/v1", namespace, "pods", name) not in self.objects:
            problem = (404, self._status(404, "NotFound", f'pods "{name}" not found'))
        elif chosen is None:
            problem = (400, self._status(400, "BadRequest", f"no supported subprotocol in {offered!r}"))
        if problem:
            data = json.dumps(problem[1]).encode()
            handler.send_response(problem[0])
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
            return
        accept = base64.b64encode(hashlib.sha1(headers["sec-websocket-key"].encode()
                                               + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()).decode()
        handler.send_response(101, "Switching Protocols")
        handler.send_header("Upgrade", "websocket")
        handler.send_header("Connection", "Upgrade")
        handler.send_header("Sec-WebSocket-Accept", accept)
        handler.send_header("Sec-WebSocket-Protocol", chosen)
        handler.end_headers()
        handler.close_connection = True
        argv = query.get("command", [])
        container = (query.get("container") or [None])[0]
        with self._lock:
            self.execs.append((str(namespace), str(name), container, argv, chosen))
        out = handler.wfile
        for channel in (1, 2, 3):
            out.write(ws_frame(bytes([channel])))
        out.flush()
        if self.exec_delay:
            time.sleep(self.exec_delay)
        stdout, stderr, code = self.exec_answer(namespace, name, container, argv)
        for channel, text in ((1, stdout), (2, stderr)):
            data = text.encode()
            for start in range(0, len(data), 4096):  # long output arrives in several frames
                out.write(ws_frame(bytes([channel]) + data[start:start + 4096]))
        if chosen.startswith("v5"):
            out.write(ws_frame(bytes([255, 1])) + ws_frame(bytes([255, 2])))
        out.write(ws_frame(bytes([3]) + self._exec_status(code)))
        out.flush()
        if self.exec_hold:
            time.sleep(self.exec_hold)
        out.write(ws_frame((1000).to_bytes(2, "big"), opcode=0x8))
        out.flush()

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                code, payload = stub.handle(self.command, self.path, headers, body)
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                if headers.get("upgrade", "").lower() == "websocket" and urlsplit(self.path).path.endswith("/exec"):
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                        stub.exec_upgrade(self, self.path, headers)
                else:
                    self._serve()

            do_PATCH = do_DELETE = do_POST = _serve

            def log_message(self, *args) -> None:
                pass

        return Handler
