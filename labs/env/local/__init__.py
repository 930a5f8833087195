"""A local Kubernetes control plane for tests, built from the Go modules at the versions the course pins.

`scripts/local-cluster up|down|status` builds (once per version, cached), starts and stops etcd,
kube-apiserver, kube-controller-manager and kube-scheduler on 127.0.0.1 with certificates of their own,
and installs Cilium's CustomResourceDefinitions so policies meet the real schema. Without a node, pods are
scheduled nowhere and stay Pending; `up --node` adds one (`labs.env.local.node`: containerd, kubelet,
kube-proxy, CoreDNS and locally built images).
"""
