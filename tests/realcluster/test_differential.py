"""`labs validate` against the real API server: the same accept/reject verdict for every document.

Each document of the corpus (tests/realcluster/realcluster_corpus.py) goes through the course's validator
(`labs.manifests.load_text`) and through a server-side dry-run create on the local cluster, sent as the
raw YAML with `fieldValidation=Strict` (what `kubectl apply` sends), with Cilium's real CRDs installed.
An AlreadyExists answer counts as accepted: the server validates before it looks for a name clash.
Known disagreements are listed in disagreements.yaml with both messages; each is an expected failure
(strict: a fixed one fails until it is removed from the list).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from realcluster_corpus import CorpusDocument, corpus

from labs.manifests import ManifestError, load_text

DOCS = corpus()
KNOWN = {entry["key"]: entry for entry in
         yaml.safe_load((Path(__file__).with_name("disagreements.yaml")).read_text())["disagreements"]}
_namespaces_lock = threading.Lock()
_namespaces_made: set[str] = set()
_discovery: dict[str, dict[str, tuple[str, bool]]] = {}


def validator_verdict(doc: CorpusDocument) -> tuple[bool, str]:
    try:
        load_text(doc.text, name=doc.key)
    except ManifestError as exc:
        return False, "; ".join(str(p) for p in exc.problems)[:500]
    return True, ""


def _resources(admin, api_version: str) -> dict[str, tuple[str, bool]]:
    if api_version not in _discovery:
        path = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
        reply = admin.request("GET", path)
        found: dict[str, tuple[str, bool]] = {}
        if reply.status == 200:
            for res in reply.json().get("resources") or []:
                if "/" not in res["name"]:
                    found.setdefault(res["kind"], (res["name"], bool(res.get("namespaced"))))
        _discovery[api_version] = found
    return _discovery[api_version]


def _ensure_namespace(admin, name: str) -> None:
    """The namespace, with its `default` ServiceAccount (pods are refused until the controller made it)."""
    with _namespaces_lock:
        if name in _namespaces_made:
            return
        reply = admin.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                             "metadata": {"name": name}})
        assert reply.status in (201, 409), reply.body
        deadline = time.monotonic() + 30
        while admin.request("GET", f"/api/v1/namespaces/{name}/serviceaccounts/default").status != 200:
            assert time.monotonic() < deadline, f"no default ServiceAccount in {name} after 30 s"
            time.sleep(0.2)
        _namespaces_made.add(name)


def server_verdict(admin, doc: CorpusDocument) -> tuple[bool, str]:
    """Dry-run create of the raw document; (accepted, the server's message). A v1 List is unpacked and
    each item sent on its own, as kubectl does (the server has no List resource)."""
    obj = doc.parsed()
    if not isinstance(obj, dict) or not obj.get("apiVersion") or not obj.get("kind"):
        return False, "no apiVersion/kind: neither kubectl nor the API server can tell what it is"
    if obj.get("apiVersion") == "v1" and obj.get("kind") == "List":
        for index, item in enumerate(obj.get("items") or []):
            ok, why = server_verdict(admin, CorpusDocument(f"{doc.key}.items[{index}]", yaml.safe_dump(item)))
            if not ok:
                return False, f"items[{index}]: {why}"
        return True, ""
    api_version, kind = str(obj["apiVersion"]), str(obj["kind"])
    served = _resources(admin, api_version)
    if kind not in served:
        return False, f"the server serves no kind {kind} in {api_version}"
    plural, namespaced = served[kind]
    base = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
    if namespaced:
        namespace = str((obj.get("metadata") or {}).get("namespace") or "default")
        _ensure_namespace(admin, namespace)
        base += f"/namespaces/{quote(namespace, safe='')}"
    reply = admin.request("POST", f"{base}/{plural}?dryRun=All&fieldValidation=Strict", doc.text.encode(),
                          content_type="application/yaml")
    if reply.status in (200, 201):
        return True, ""
    try:
        status = reply.json()
    except ValueError:
        status = {"message": reply.body[:300].decode(errors="replace")}
    if reply.status == 409 and status.get("reason") == "AlreadyExists":
        return True, "AlreadyExists (validated first)"
    return False, f"HTTP {reply.status}: {status.get('message', '')}"[:500]


@pytest.fixture(scope="module")
def admin(local_cluster):
    return local_cluster.admin()


def _params():
    params = []
    for doc in DOCS:
        known = KNOWN.get(doc.key)
        marks = [pytest.mark.xfail(strict=True, reason=f"{known['class']}: {known['why']}")] if known else []
        params.append(pytest.param(doc, id=doc.key, marks=marks))
    return params


def test_the_corpus_is_large():
    assert len(DOCS) > 150
    assert {d.key.split("/")[0] for d in DOCS} == {"tests", "manifests"}


def test_every_listed_disagreement_names_a_document():
    keys = {d.key for d in DOCS}
    assert set(KNOWN) <= keys, sorted(set(KNOWN) - keys)


@pytest.mark.parametrize("doc", _params())
def test_validator_agrees_with_the_api_server(admin, doc):
    ok_validator, why_validator = validator_verdict(doc)
    ok_server, why_server = server_verdict(admin, doc)
    assert ok_validator == ok_server, json.dumps(
        {"key": doc.key, "validator": "accept" if ok_validator else "reject", "validator_message": why_validator,
         "server": "accept" if ok_server else "reject", "server_message": why_server}, indent=1)
