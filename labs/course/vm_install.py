"""What the course's cluster was installed with, as files `labs lint` reads (lab 09, "fix the blog").

Lab 09 lints the blog's install script, then the same checks on the real thing:
- live backend: the cluster's own records. kubeadm keeps the ClusterConfiguration it used in the
  `kube-system/kubeadm-config` ConfigMap (key `ClusterConfiguration`), and Helm (which `cilium install`
  drives) keeps each release in a Secret `sh.helm.release.v1.<name>.v<N>` labelled `owner=helm,
  name=<name>`: its `release` field is base64 of gzip of the release JSON, whose `config` holds the
  values the user supplied (helm/helm pkg/storage/driver/util.go `encodeRelease`).
- simulated backend: there is no VM, so the files the VM's provisioning writes, rendered from the
  repository (scripts/provision/cilium.sh `cilium_values`, settings.yaml's network ranges).

Everything is written under the trainee's folder (`LABS_HOME/<lab>/cluster-install/`), never elsewhere.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path
from typing import Any

import yaml

from labs.paths import inside_labs_home, lab_home, repo_root

__all__ = ["cluster_install_files", "helm_release_values", "provisioned_texts", "InstallReadError"]

KUBEADM_CONFIGMAP = "/api/v1/namespaces/kube-system/configmaps/kubeadm-config"
HELM_SECRETS = "/api/v1/namespaces/kube-system/secrets"


class InstallReadError(RuntimeError):
    """The cluster's install records cannot be read; the message says which and what to do."""


def helm_release_values(secret: dict[str, Any]) -> dict[str, Any]:
    """The user-supplied values of one Helm release Secret (as the API returns it)."""
    try:
        stored = base64.b64decode(secret["data"]["release"])
        release = json.loads(gzip.decompress(base64.b64decode(stored)))
    except (KeyError, TypeError, ValueError, OSError) as exc:
        name = (secret.get("metadata") or {}).get("name")
        raise InstallReadError(f"The Helm release Secret {name!r} cannot be decoded ({exc}); it may not be a "
                               "Helm 3 release.") from None
    return dict(release.get("config") or {})


def _release_number(secret: dict[str, Any]) -> int:
    match = re.search(r"\.v(\d+)$", (secret.get("metadata") or {}).get("name", ""))
    return int(match.group(1)) if match else -1


def live_texts(api: Any, *, release: str = "cilium") -> dict[str, str]:
    """`{file name: text}` from a live cluster's kubeadm-config ConfigMap and Cilium's Helm release."""
    texts: dict[str, str] = {}
    configmap = api.get_or_none(KUBEADM_CONFIGMAP)
    if configmap and (configmap.get("data") or {}).get("ClusterConfiguration"):
        texts["kubeadm-config.yaml"] = configmap["data"]["ClusterConfiguration"]
    secrets = api.items(HELM_SECRETS, label_selector=f"owner=helm,name={release},status=deployed")
    if secrets:
        values = helm_release_values(max(secrets, key=_release_number))
        texts["cilium-values.yaml"] = yaml.safe_dump(values, sort_keys=False) if values else "{}\n"
    if not texts:
        raise InstallReadError("Neither kube-system/kubeadm-config nor a deployed Helm release of Cilium was found; "
                               "this cluster was not installed with kubeadm and Helm (or the cilium CLI).")
    return texts


def provisioned_texts(root: Path | None = None) -> dict[str, str]:
    """`{file name: text}` the VM's provisioning writes, rendered from the repository."""
    base = root or repo_root()
    settings = yaml.safe_load((base / "settings.yaml").read_text(encoding="utf-8"))
    network = settings.get("network") or {}
    script = (base / "scripts/provision/cilium.sh").read_text(encoding="utf-8")
    body = re.search(r"cilium_values\(\) \{\n  cat <<YAML\n(.*?)\nYAML\n\}", script, re.S)
    if body is None:
        raise InstallReadError("scripts/provision/cilium.sh has no cilium_values() here-document to read.")
    values = body.group(1).replace("$CILIUMLAB_CONTROL_PLANE_IP", str(network.get("control_plane_ip",
                                                                                  "192.168.56.10")))
    kubeadm = ("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking:\n"
               f"  podSubnet: {network.get('pod_cidr')}\n  serviceSubnet: {network.get('service_cidr')}\n")
    return {"kubeadm-config.yaml": kubeadm, "cilium-values.yaml": values}


def cluster_install_files(lab_id: str, cluster: Any) -> list[Path]:
    """Write what `cluster` was installed with under LABS_HOME/<lab>/cluster-install/ and return the paths."""
    live_api = getattr(cluster, "api", None) if getattr(cluster, "backend", "sim") == "live" else None
    texts = live_texts(live_api) if live_api is not None else provisioned_texts()
    folder = inside_labs_home(lab_home(lab_id) / "cluster-install")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in texts.items():
        path = inside_labs_home(folder / name)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
