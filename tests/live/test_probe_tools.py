"""Every probe in every lab.yaml starts in a container that can run it on a real cluster."""

from __future__ import annotations

import pytest
import yaml

from labs.cluster.live.probe_tools import image_repository, missing_tools, probe_container
from labs.course.spec import lab_ids, load_lab
from labs.probes import Probe, Target


def _pods(lab) -> dict[str, dict]:
    pods = {}
    for name in lab.workloads:
        for doc in yaml.safe_load_all(lab.path(name).read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "Pod":
                meta = doc["metadata"]
                pods[f"{meta.get('namespace', 'default')}/{meta['name']}"] = doc
    return pods


@pytest.mark.parametrize("lab_id", lab_ids())
def test_every_probe_source_has_a_container_that_ships_the_probe_tools(lab_id):
    lab = load_lab(lab_id)
    pods = _pods(lab)
    problems = []
    for step in lab.steps:
        for spec in step.probes:
            probe = spec.probe
            if "/" not in probe.source:
                continue  # world or host: the probe starts outside the cluster
            pod = pods.get(probe.source)
            if pod is None:
                problems.append(f"{lab.source}:{spec.line}: no Pod {probe.source} in {', '.join(lab.workloads)}")
                continue
            name = probe_container(pod)
            image = next(c.get("image") for c in pod["spec"]["containers"] if c["name"] == name)
            missing = missing_tools(image, probe)
            if missing:
                problems.append(f"{lab.source}:{spec.line}: {probe.describe()} runs in container {name}: {missing}")
    assert problems == []


def test_a_shell_less_image_cannot_probe_and_a_client_container_is_preferred():
    http = Probe("shop/db", Target("pod", "shop/api"), 8080)
    assert missing_tools("hashicorp/http-echo:1.0.0", http) == (
        "the image hashicorp/http-echo:1.0.0 has no sh, no curl or wget")
    assert missing_tools("docker.io/library/busybox:1.36.1", Probe("a/b", dns="x.example")) is None
    assert missing_tools("quay.io/someone/else:1", http) == (
        "the image 'quay.io/someone/else:1' is not one whose tools the course knows")
    pod = {"metadata": {}, "spec": {"containers": [{"name": "server", "image": "hashicorp/http-echo:1.0.0"},
                                                    {"name": "client", "image": "curlimages/curl:8.11.1"}]}}
    assert probe_container(pod) == "client"
    pod["metadata"]["annotations"] = {"ciliumlab.io/probe-container": "server"}
    assert probe_container(pod) == "server"


@pytest.mark.parametrize(("image", "repository"), [
    ("busybox:1.36.1", "busybox"), ("docker.io/library/busybox:1.36.1", "busybox"),
    ("curlimages/curl:8.11.1@sha256:abc", "curlimages/curl"), ("localhost:5000/curlimages/curl", "curlimages/curl"),
    ("registry.k8s.io/e2e-test-images/agnhost:2.52", "e2e-test-images/agnhost")])
def test_image_repository(image, repository):
    assert image_repository(image) == repository
