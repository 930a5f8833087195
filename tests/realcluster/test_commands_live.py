"""The command layer's live path against the real API server: the real kubectl, run as `%kubectl` runs it.

The same command lines also go to the simulated cluster, and the lines both print are compared: the
simulated `kubectl apply` must say what the real one says.
"""

from __future__ import annotations

import shutil
import uuid

import pytest

from labs.cluster.sim import SimCluster
from labs.commands import kubectl as sim_kubectl
from labs.commands.live_runner import run_live

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed (requirements.txt)")


def _manifest(namespace: str) -> str:
    return f"""apiVersion: v1
kind: Namespace
metadata:
  name: {namespace}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: allow-web
  namespace: {namespace}
spec:
  endpointSelector:
    matchLabels: {{app: api}}
  ingress:
  - fromEndpoints:
    - matchLabels: {{app: web}}
    toPorts:
    - ports: [{{port: "8080", protocol: TCP}}]
"""


def test_kubectl_apply_get_delete_on_the_real_server_read_as_on_the_simulated_cluster(admin_env):
    namespace = f"rt-cmd-{uuid.uuid4().hex[:6]}"
    kubeconfig = str(admin_env.kubeconfig)
    text = _manifest(namespace)
    streamed: list[tuple[str, str]] = []

    def live(*argv: str, stdin: str | None = None):
        return run_live("kubectl", list(argv), kubeconfig=kubeconfig, stdin=stdin, timeout=60,
                        on_output=lambda stream, line: streamed.append((stream, line)))

    sim = SimCluster()
    try:
        real = live("apply", "-f", "-", stdin=text)
        simulated = sim_kubectl.run(["apply", "-f", "-"], sim, stdin=text)
        assert real.exit_code == 0, real.stderr
        assert real.stdout == (f"namespace/{namespace} created\n"
                               "ciliumnetworkpolicy.cilium.io/allow-web created\n")
        assert simulated.stdout == real.stdout
        assert ("stdout", f"namespace/{namespace} created\n") in streamed

        again = live("apply", "-f", "-", stdin=text)
        assert again.stdout == sim_kubectl.run(["apply", "-f", "-"], sim, stdin=text).stdout == (
            f"namespace/{namespace} unchanged\nciliumnetworkpolicy.cilium.io/allow-web unchanged\n")

        names = live("get", "cnp", "-n", namespace, "-o", "name")
        assert names.stdout == sim_kubectl.run(["get", "cnp", "-n", namespace, "-o", "name"], sim).stdout \
            == "ciliumnetworkpolicy.cilium.io/allow-web\n"
        # The real CRD's printer columns: the simulated table has the same header.
        header = live("get", "cnp", "-n", namespace).stdout.splitlines()[0].split()
        assert header == sim_kubectl.run(["get", "cnp", "-n", namespace], sim).stdout.splitlines()[0].split()

        missing = live("get", "pod", "nothing-here", "-n", namespace)
        simulated_missing = sim_kubectl.run(["get", "pod", "nothing-here", "-n", namespace], sim)
        assert missing.exit_code == simulated_missing.exit_code == 1
        assert missing.stderr.strip() == simulated_missing.stderr.strip() == \
            'Error from server (NotFound): pods "nothing-here" not found'
    finally:
        live("delete", "namespace", namespace, "--wait=false")


def test_a_kubectl_that_outlives_its_time_limit_is_stopped(admin_env):
    result = run_live("kubectl", ["get", "namespaces", "--watch"], kubeconfig=str(admin_env.kubeconfig),
                      stdin=None, timeout=2)
    assert result.exit_code == 124
    assert "NAME" in result.stdout and "default" in result.stdout
