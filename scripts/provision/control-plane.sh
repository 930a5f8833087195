#!/usr/bin/env bash
# Control plane: `kubeadm init` from a v1beta4 configuration (advertise address and kubelet node-ip =
# the private-network address, pod and service CIDRs, no kube-proxy), the workers' bootstrap token,
# kubeconfig for root and vagrant, and the exported copy in the repository's .kube/config.
# Safe to re-run: an initialised cluster is kept as it is.
set -euo pipefail
# shellcheck source=scripts/provision/lib.sh
. "${CILIUMLAB_PROVISION_DIR:-$(dirname "${BASH_SOURCE[0]}")}/lib.sh"

require_env CILIUMLAB_NODE_NAME CILIUMLAB_NODE_IP CILIUMLAB_POD_CIDR CILIUMLAB_SERVICE_CIDR \
  CILIUMLAB_BOOTSTRAP_TOKEN CILIUMLAB_NODE_COUNT
K8S_VERSION="$(lock_require KUBERNETES_VERSION)"
ADMIN_CONF="$ROOT/etc/kubernetes/admin.conf"
export KUBECONFIG="$ADMIN_CONF"

# kubeadm_config NODE_IP: the v1beta4 InitConfiguration + ClusterConfiguration + KubeletConfiguration.
# v1beta4 takes kubeletExtraArgs as a list of name/value pairs (v1beta3 used a map).
kubeadm_config() {
  cat <<YAML
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
  - token: "$CILIUMLAB_BOOTSTRAP_TOKEN"
    ttl: 24h0m0s
    usages: [signing, authentication]
    groups: ["system:bootstrappers:kubeadm:default-node-token"]
localAPIEndpoint:
  advertiseAddress: $1
  bindPort: 6443
nodeRegistration:
  name: $CILIUMLAB_NODE_NAME
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
    - name: node-ip
      value: $1
skipPhases:
  - addon/kube-proxy
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v$K8S_VERSION
clusterName: ciliumlab
controlPlaneEndpoint: $1:6443
networking:
  podSubnet: $CILIUMLAB_POD_CIDR
  serviceSubnet: $CILIUMLAB_SERVICE_CIDR
proxy:
  disabled: true
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
YAML
}

init_cluster() {
  local node_ip config="$CONFIG_DIR/kubeadm.yaml" changed=0
  node_ip="$(find_node_ip "$CILIUMLAB_NODE_IP")"
  kubeadm_config "$node_ip" | write_if_changed "$config" 0600 && changed=1
  if [ -f "$ADMIN_CONF" ]; then
    [ "$changed" = 0 ] || warn "the cluster settings changed after 'kubeadm init'; they apply only to a new cluster: 'vagrant destroy -f && vagrant up'."
    log "cluster already initialised"
    return 0
  fi
  kubeadm init --config "$config"
}

ensure_bootstrap_token() {
  if kubeadm token list 2>/dev/null | awk 'NR > 1 {print $1}' | grep -qx "$CILIUMLAB_BOOTSTRAP_TOKEN"; then
    return 0
  fi
  kubeadm token create "$CILIUMLAB_BOOTSTRAP_TOKEN" --ttl 24h >/dev/null
  log "bootstrap token renewed for 24h (workers join with it)"
}

# Lab workloads run on the control plane when it is the only node.
allow_workloads_on_single_node() {
  [ "$CILIUMLAB_NODE_COUNT" = 1 ] || return 0
  if kubectl get node "$CILIUMLAB_NODE_NAME" -o jsonpath='{.spec.taints[*].key}' | grep -q 'node-role.kubernetes.io/control-plane'; then
    kubectl taint node "$CILIUMLAB_NODE_NAME" node-role.kubernetes.io/control-plane:NoSchedule-
  fi
}

# Kubeconfig for root and vagrant in the VM, and for the host in the repository's .kube/config.
# It is cluster-admin: mode 0600 (the Vagrantfile also restricts the host copy after `up`).
export_kubeconfig() {
  write_if_changed "$ROOT/root/.kube/config" 0600 <"$ADMIN_CONF" || true
  if id vagrant >/dev/null 2>&1; then
    if write_if_changed "$ROOT/home/vagrant/.kube/config" 0600 <"$ADMIN_CONF"; then
      chown -R vagrant:vagrant "$ROOT/home/vagrant/.kube"
    fi
  fi
  if [ -n "${CILIUMLAB_EXPORT_DIR:-}" ]; then
    (umask 077 && write_if_changed "$CILIUMLAB_EXPORT_DIR/config" 0600 <"$ADMIN_CONF") || true
    chmod 0600 "$CILIUMLAB_EXPORT_DIR/config" 2>/dev/null || true
  fi
}

phase_start "kubeadm init"; init_cluster; ensure_bootstrap_token; allow_workloads_on_single_node; phase_end
phase_start "kubeconfig"; export_kubeconfig; phase_end
