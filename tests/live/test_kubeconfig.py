"""Which kubeconfig and context are used: the VM's export first, then KUBECONFIG, then ~/.kube/config."""

from __future__ import annotations

import os

import pytest
import yaml

from labs.cluster.base import ClusterError
from labs.cluster.live.kubeconfig import discover


def write(path, *, server="https://192.168.56.10:6443", contexts=("ciliumlab",), current="ciliumlab"):
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": f"c-{c}", "cluster": {"server": server}} for c in contexts],
            "contexts": [{"name": c, "context": {"cluster": f"c-{c}", "user": "u"}} for c in contexts],
            "users": [{"name": "u", "user": {"token": "t"}}]}
    if current:
        data["current-context"] = current
    path.write_text(yaml.safe_dump(data))
    path.chmod(0o600)
    return path


ORDER = [
    ("vm-export-wins", ("vm", "env", "home"), ".kube/config", "https://vm:6443"),
    ("kubeconfig-env-next", ("env", "home"), "KUBECONFIG=", "https://env:6443"),
    ("home-last", ("home",), "~/.kube/config", "https://home:6443"),
]


@pytest.mark.parametrize(("present", "label", "server"), [c[1:] for c in ORDER], ids=[c[0] for c in ORDER])
def test_search_order(isolated, monkeypatch, present, label, server):
    places = {"vm": isolated / "repo" / ".kube" / "config", "env": isolated / "elsewhere" / "config",
              "home": isolated / "home" / ".kube" / "config"}
    monkeypatch.setenv("KUBECONFIG", str(places["env"]))
    for name in present:
        write(places[name], server=f"https://{name}:6443")
    choice = discover()
    assert choice is not None
    assert choice.label.startswith(label)
    assert choice.server == server


@pytest.mark.parametrize(("trainee", "server"), [("alice", "https://env:6443"), ("", "https://vm:6443")],
                         ids=["workshop-mode-trainee-kubeconfig-first", "empty-trainee-is-single-user"])
def test_workshop_mode_puts_the_trainee_kubeconfig_before_the_vm_export(isolated, monkeypatch, trainee, server):
    write(isolated / "repo" / ".kube" / "config", server="https://vm:6443")
    trainee_file = write(isolated / "alice.kubeconfig", server="https://env:6443")
    monkeypatch.setenv("KUBECONFIG", str(trainee_file))
    monkeypatch.setenv("LABS_TRAINEE", trainee)
    assert discover().server == server


def test_workshop_mode_without_kubeconfig_keeps_the_usual_order(isolated, monkeypatch):
    write(isolated / "repo" / ".kube" / "config", server="https://vm:6443")
    monkeypatch.setenv("LABS_TRAINEE", "alice")
    assert discover().server == "https://vm:6443"


def test_nothing_found_is_none(isolated):
    assert discover() is None


def test_kubeconfig_list_is_merged_first_definition_wins(isolated, monkeypatch):
    first = write(isolated / "a", server="https://a:6443", contexts=("one",), current="one")
    second = write(isolated / "b", server="https://b:6443", contexts=("one", "two"), current="two")
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(first), str(isolated / "missing"), str(second)]))
    choice = discover()
    assert (choice.context, choice.server, choice.contexts) == ("one", "https://a:6443", ("one", "two"))
    assert choice.files == (first, second)


CONTEXTS = [
    ("current-context", None, None, "blue"),
    ("env-variable", "green", None, "green"),
    ("argument-beats-env", "green", "red", "red"),
]


@pytest.mark.parametrize(("env", "arg", "expected"), [c[1:] for c in CONTEXTS], ids=[c[0] for c in CONTEXTS])
def test_context_selection(isolated, monkeypatch, env, arg, expected):
    write(isolated / "repo" / ".kube" / "config", contexts=("blue", "green", "red"), current="blue")
    if env:
        monkeypatch.setenv("LABS_KUBE_CONTEXT", env)
    assert discover(arg).context == expected


def test_unknown_context_lists_the_choices(isolated, monkeypatch):
    write(isolated / "repo" / ".kube" / "config", contexts=("blue", "green"))
    monkeypatch.setenv("LABS_KUBE_CONTEXT", "purple")
    with pytest.raises(ClusterError) as err:
        discover()
    assert str(err.value) == ("The context 'purple' (LABS_KUBE_CONTEXT) is not in the kubeconfig '.kube/config'; its "
                              "contexts are: 'blue', 'green'. Set LABS_KUBE_CONTEXT to one of them.")


def test_no_current_context(isolated):
    write(isolated / "home" / ".kube" / "config", contexts=("blue",), current=None)
    with pytest.raises(ClusterError) as err:
        discover()
    assert str(err.value) == ("The kubeconfig '~/.kube/config' has no current-context and none was asked for; its "
                              "contexts are: 'blue'. Set LABS_KUBE_CONTEXT=<name> or run "
                              "`kubectl config use-context <name>`.")


def test_cluster_without_server(isolated):
    path = isolated / "repo" / ".kube" / "config"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump({"current-context": "x", "contexts": [{"name": "x", "context": {"cluster": "c"}}],
                                    "clusters": [{"name": "c", "cluster": {}}]}))
    with pytest.raises(ClusterError) as err:
        discover()
    assert str(err.value) == ("The context 'x' in the kubeconfig '.kube/config' names the cluster 'c', which has no "
                              "server address. Export the kubeconfig again from the VM (`vagrant up`).")


BROKEN = [
    ("bad-yaml", "clusters: [\n  - name: x\n bad", "is not valid YAML at line 2."),
    ("not-a-mapping", "- just\n- a list\n", "is not a mapping (found list)."),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_broken_file_is_named(isolated, text, message):
    path = isolated / "repo" / ".kube" / "config"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    with pytest.raises(ClusterError) as err:
        discover()
    assert str(err.value).startswith(f"The kubeconfig {str(path)!r} {message}")


def test_world_readable_kubeconfig_is_reported(isolated):
    path = write(isolated / "repo" / ".kube" / "config")
    assert discover().insecure_files() == []
    path.chmod(0o644)
    assert discover().insecure_files() == [path]
