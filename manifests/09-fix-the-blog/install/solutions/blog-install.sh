#!/usr/bin/env bash
# Seed 003's install and debugging steps, corrected. `labs lint` finds nothing left to fix.

# Initialise the cluster: a pod range outside the Service range (10.96.0.0/12) and outside your LAN,
# and no kube-proxy, since Cilium replaces it.
sudo kubeadm init --pod-network-cidr=10.244.0.0/16 --skip-phases=addon/kube-proxy

# Install Helm from a pinned release, checked before use (nothing downloaded is run unchecked).
HELM_VERSION=v3.16.4
curl -fLO "https://get.helm.sh/helm-$HELM_VERSION-linux-amd64.tar.gz"
curl -fLO "https://get.helm.sh/helm-$HELM_VERSION-linux-amd64.tar.gz.sha256sum"
sha256sum --check "helm-$HELM_VERSION-linux-amd64.tar.gz.sha256sum"
tar -xzf "helm-$HELM_VERSION-linux-amd64.tar.gz" linux-amd64/helm

# Deploy Cilium: kube-proxy replacement is true or false; Hubble is on by default (hubble.enabled).
helm repo add cilium https://helm.cilium.io/
helm install cilium cilium/cilium --version 1.19.5 --namespace kube-system \
  --set kubeProxyReplacement=true \
  --set k8sServiceHost=192.168.56.10 \
  --set k8sServicePort=6443 \
  --set hubble.relay.enabled=true \
  --set hubble.ui.enabled=true

# Install the Hubble CLI release made for this Cilium, checked before use.
HUBBLE_VERSION=v1.19.4
wget "https://github.com/cilium/hubble/releases/download/$HUBBLE_VERSION/hubble-linux-amd64.tar.gz"
wget "https://github.com/cilium/hubble/releases/download/$HUBBLE_VERSION/hubble-linux-amd64.tar.gz.sha256sum"
sha256sum --check hubble-linux-amd64.tar.gz.sha256sum

# Debugging: read the enforcement mode (the in-pod CLI is cilium-dbg); leave it at `default`.
kubectl -n kube-system exec ds/cilium -- cilium-dbg config | grep PolicyEnforcement
