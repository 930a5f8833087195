"""Connect to the API server the kubeconfig names, bounded in time, and find out whether Cilium runs there.

`connect()` fails within `timeout` seconds (default 5) with a sentence naming the kubeconfig, the
server and what to do; it never retries silently, so a stopped VM is reported at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from labs.cluster.base import ClusterError
from labs.cluster.live.api import ApiError, KubeApi, check_client_version
from labs.cluster.live.kubeconfig import KubeconfigChoice, candidates, discover

__all__ = ["Connection", "connect", "build_api", "no_kubeconfig_message", "image_version", "DEFAULT_CONNECT_TIMEOUT"]

DEFAULT_CONNECT_TIMEOUT = 5.0
CILIUM_CRD = "ciliumnetworkpolicies.cilium.io"


@dataclass
class Connection:
    """A reachable API server: the client, where its address came from, and what runs there."""

    api: KubeApi
    choice: KubeconfigChoice
    kubernetes_version: str | None
    cilium_installed: bool
    cilium_version: str | None

    @property
    def where(self) -> str:
        return self.api.where


def no_kubeconfig_message(env: dict[str, str] | None = None) -> str:
    looked = ", ".join(c.label for c in candidates(env))
    return (f"No kubeconfig found (looked in: {looked}). Start the course VM with `vagrant up`, which exports "
            ".kube/config into the repository, or set KUBECONFIG to your cluster's kubeconfig.")


def build_api(choice: KubeconfigChoice, *, timeout: float = DEFAULT_CONNECT_TIMEOUT) -> KubeApi:
    """An API client for the chosen context, with retries off so that failures surface at once."""
    check_client_version()
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    configuration = client.Configuration()
    try:
        config.load_kube_config_from_dict(choice.data, context=choice.context, client_configuration=configuration,
                                          persist_config=False)
    except ConfigException as exc:
        raise ClusterError(f"The kubeconfig {choice.label!r} (context {choice.context!r}) cannot be used: {exc}. "
                           "Export it again from the VM with `vagrant up`.") from None
    configuration.retries = False
    configuration.connection_pool_maxsize = 32  # probe_many runs many lookups at once
    where = f"kubeconfig {choice.label}, context {choice.context!r}"
    return KubeApi(client.ApiClient(configuration), server=choice.server, where=where, timeout=max(timeout, 10.0))


_VERSION = re.compile(r":v?(\d+\.\d+\.\d+[^@]*)")


def image_version(image: str) -> str | None:
    """`quay.io/cilium/cilium:v1.19.5@sha256:...` -> `1.19.5`."""
    match = _VERSION.search(image.rsplit("/", 1)[-1])
    return match.group(1) if match else None


def connect(choice: KubeconfigChoice | None = None, *, context: str | None = None,
            timeout: float = DEFAULT_CONNECT_TIMEOUT) -> Connection:
    """Discover the kubeconfig (unless given), reach the server within `timeout`, detect Cilium."""
    if choice is None:
        choice = discover(context)
        if choice is None:
            raise ClusterError(no_kubeconfig_message())
    api = build_api(choice, timeout=timeout)
    version = api.get("/version", timeout=timeout) or {}
    crd = api.get_or_none(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{CILIUM_CRD}", timeout=timeout)
    cilium_version = None
    if crd is not None:
        try:
            ds = api.get_or_none("/apis/apps/v1/namespaces/kube-system/daemonsets/cilium", timeout=timeout)
        except ApiError:
            ds = None
        containers = ((((ds or {}).get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
        for container in containers:
            if container.get("name") == "cilium-agent" or "cilium" in str(container.get("image", "")):
                cilium_version = image_version(str(container.get("image", "")))
                break
    return Connection(api, choice, version.get("gitVersion"), crd is not None, cilium_version)
