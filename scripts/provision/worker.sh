#!/usr/bin/env bash
# Worker: join the control plane with the bootstrap token, kubelet node-ip = the private-network
# address. Safe to re-run: a node that has joined is left alone.
#
# v1beta4 moved discovery.timeout to timeouts.discovery (cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go,
# type Timeouts); 10 minutes, because libvirt brings the machines up in parallel and a worker may be
# waiting for a control plane that is still starting.
#
# Discovery skips CA pinning (unsafeSkipCAVerification): the worker cannot know the new cluster's CA
# hash without a two-way shared folder. The trade-off is acceptable on the host-only lab network.
set -euo pipefail
# shellcheck source=scripts/provision/lib.sh
. "${CILIUMLAB_PROVISION_DIR:-$(dirname "${BASH_SOURCE[0]}")}/lib.sh"

require_env CILIUMLAB_NODE_NAME CILIUMLAB_NODE_IP CILIUMLAB_CONTROL_PLANE_IP CILIUMLAB_BOOTSTRAP_TOKEN

join_config() {
  cat <<YAML
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: $CILIUMLAB_CONTROL_PLANE_IP:6443
    token: "$CILIUMLAB_BOOTSTRAP_TOKEN"
    unsafeSkipCAVerification: true
timeouts:
  discovery: 10m0s
nodeRegistration:
  name: $CILIUMLAB_NODE_NAME
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
    - name: node-ip
      value: $1
YAML
}

join_cluster() {
  local node_ip config="$CONFIG_DIR/kubeadm-join.yaml"
  node_ip="$(find_node_ip "$CILIUMLAB_NODE_IP")"
  join_config "$node_ip" | write_if_changed "$config" 0600 || true
  if [ -f "$ROOT/etc/kubernetes/kubelet.conf" ]; then
    log "$CILIUMLAB_NODE_NAME has already joined the cluster"
    return 0
  fi
  kubeadm join --config "$config" ||
    die "kubeadm join failed. If the control plane was provisioned more than 24 hours ago its bootstrap token expired: run 'vagrant provision control-plane', then 'vagrant provision ${CILIUMLAB_MACHINE:-<this worker>}'."
}

phase_start "kubeadm join"; join_cluster; phase_end
log "$CILIUMLAB_NODE_NAME ($CILIUMLAB_NODE_IP) is part of the cluster; 'python -m labs env status' shows all nodes."
