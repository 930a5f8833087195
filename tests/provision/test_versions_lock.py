"""versions.lock is the one place for versions: every key is used, the pinned combination is the one
the course decided on, both parsers read it alike, and nothing is downloaded unpinned or piped to a shell."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from vm_test_support import REPO, require_tool

LOCK = REPO / "versions.lock"
PROVISION = sorted((REPO / "scripts" / "provision").glob("*.sh"))
CONSUMERS = [REPO / "Vagrantfile", *sorted((REPO / "vagrant").glob("*.rb")), *PROVISION]


def lock_entries() -> dict[str, str]:
    entries = {}
    for line in LOCK.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, value = line.split("=", 1)
            entries[key] = value
    return entries


def consumer_text() -> str:
    return "\n".join(path.read_text() for path in CONSUMERS)


@pytest.mark.parametrize("key", sorted(lock_entries()), ids=sorted(lock_entries()))
def test_every_lock_key_is_used(key: str) -> None:
    """A key nobody reads is a version nobody pins: each must be read by name (checksums by prefix)."""
    text = consumer_text()
    checksum = re.fullmatch(r"(.+)_SHA256_(AMD64|ARM64)", key)
    if checksum:
        assert re.search(rf"\b{checksum.group(1)}\b(?!_)", text), f"{key}: prefix {checksum.group(1)} is never passed"
        assert "lock_checksum" in text
    else:
        assert re.search(rf"\b{key}\b", text), f"{key} is in versions.lock but no script or Vagrantfile reads it"


@pytest.mark.parametrize(
    ("key", "pattern"),
    [
        ("BOX_NAME", r"bento/ubuntu-24\.04"),
        ("BOX_VERSION", r"\d{6}\.\d{1,2}\.\d+"),
        ("KUBERNETES_VERSION", r"1\.35\.\d+"),
        ("KUBERNETES_PACKAGE_REVISION", r"\d+\.\d+"),
        ("KUBERNETES_APT_KEY_FINGERPRINT", r"[0-9A-F]{40}"),
        ("CONTAINERD_VERSION", r"2\.2\.\d+"),
        ("RUNC_VERSION", r"1\.\d+\.\d+"),
        ("CILIUM_VERSION", r"1\.19\.\d+"),
        ("CILIUM_CLI_VERSION", r"0\.\d+\.\d+"),
        ("HUBBLE_VERSION", r"1\.19\.\d+"),
    ],
    ids=lambda v: v if isinstance(v, str) and v.isupper() else "",
)
def test_pinned_combination(key: str, pattern: str) -> None:
    """Kubernetes 1.35 + Cilium 1.19 + containerd 2.2, exact patch versions, no ranges or 'latest'."""
    assert re.fullmatch(pattern, lock_entries()[key]), f"{key}={lock_entries()[key]!r} does not match {pattern}"


def test_checksums_and_image_digests_are_well_formed() -> None:
    entries = lock_entries()
    for key, value in entries.items():
        if "_SHA256_" in key:
            assert re.fullmatch(r"(|[0-9a-f]{64})", value), f"{key}={value!r} is neither empty nor a sha256"
        if key.startswith("CILIUM_IMAGE_"):
            assert re.fullmatch(r"quay\.io/cilium/[a-z-]+:v[\w.-]+@sha256:[0-9a-f]{64}", value), key


def test_ruby_and_bash_read_the_same_values() -> None:
    ruby = require_tool("ruby")
    script = (
        'require_relative "vagrant/versions"; '
        'CiliumLab::Versions.load("versions.lock").each { |k, v| puts "#{k}=#{v}" }'
    )
    from_ruby = subprocess.run([ruby, "-e", script], cwd=REPO, capture_output=True, text=True, check=True).stdout
    bash = require_tool("bash")
    keys = " ".join(lock_entries())
    from_bash = subprocess.run(
        [bash, "-c", f'. scripts/provision/lib.sh; for k in {keys}; do echo "$k=$(lock_get "$k")"; done'],
        cwd=REPO, capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"},
    ).stdout
    expected = "".join(f"{k}={v}\n" for k, v in lock_entries().items())
    assert from_ruby == from_bash == expected


def test_bad_lock_line_is_reported_with_its_line_number(tmp_path: Path) -> None:
    ruby = require_tool("ruby")
    lock = tmp_path / "versions.lock"
    lock.write_text(LOCK.read_text() + "CILIUM_VERSION = 1.19.6\n")
    script = f'require_relative "vagrant/versions"; CiliumLab::Versions.load("{lock}")'
    result = subprocess.run([ruby, "-e", script], cwd=REPO, capture_output=True, text=True)
    line = len(LOCK.read_text().splitlines()) + 1
    assert f'{lock}:{line}: "CILIUM_VERSION = 1.19.6" is not a KEY=VALUE line' in result.stderr


URL = re.compile(r"https://[^\s\"')]+")


def download_urls() -> list[tuple[str, str]]:
    """URLs in the scripts that fetch something (lib.sh holds only the helper and its messages)."""
    return [(path.name, url) for path in PROVISION if path.name != "lib.sh" for url in URL.findall(path.read_text())
            if not url.startswith("https://containerd.io")]


@pytest.mark.parametrize(("script", "url"), download_urls(), ids=[f"{s}:{u}" for s, u in download_urls()])
def test_nothing_is_downloaded_unpinned(script: str, url: str) -> None:
    """Every URL the scripts fetch carries a version from versions.lock (a tag or the Kubernetes minor)."""
    assert re.search(r"/v\$\{?[A-Za-z_]+", url), f"{script}: {url} is not pinned to a locked version"


@pytest.mark.parametrize("path", [*PROVISION, REPO / "Vagrantfile"], ids=lambda p: p.name)
def test_no_download_is_piped_into_a_shell(path: Path) -> None:
    text = path.read_text()
    assert not re.search(r"(curl|wget)\b[^\n|]*(?<!\|)\|(?!\|)", text), f"{path.name} pipes a download"
    assert not re.search(r"\|\s*(sudo\s+)?(ba)?sh\b", text), f"{path.name} pipes into a shell"
    assert not re.search(r"(ba)?sh\s+<\(\s*(curl|wget)", text), f"{path.name} runs a download"
    assert "wget" not in text


def test_download_urls_are_found() -> None:
    assert len(download_urls()) >= 6, "the URL scan found too few downloads; did the scripts change shape?"


def test_only_the_download_helper_calls_curl() -> None:
    """One place fetches (lib.sh download), so every download gets https-only and checksum handling."""
    callers = [p.name for p in PROVISION if re.search(r"^\s*curl\b", p.read_text(), re.M)]
    assert callers == ["lib.sh"]
    direct = [line for p in PROVISION if p.name != "lib.sh" for line in p.read_text().splitlines()
              if re.match(r"\s*download ", line)]
    assert direct == ['      download "https://pkgs.k8s.io/core:/stable:/v$K8S_MINOR/deb/Release.key" "$key_file"'], (
        "only the apt key is fetched without fetch_verified (its fingerprint is checked instead)"
    )


# -- pinned checksums: filled in pairs, distinct, each with the source it was read from -----------------------

CHECKSUM_KEY = re.compile(r"(\w+)_SHA256_(AMD64|ARM64)")


def checksum_prefixes() -> list[str]:
    return sorted({m.group(1) for key in lock_entries() if (m := CHECKSUM_KEY.fullmatch(key))})


def pinned_prefixes() -> list[str]:
    entries = lock_entries()
    return [p for p in checksum_prefixes() if entries[f"{p}_SHA256_AMD64"] or entries[f"{p}_SHA256_ARM64"]]


def comment_above(prefix: str) -> str:
    """The comment lines directly above the first of PREFIX's checksum keys (where its source is named)."""
    lines = LOCK.read_text().splitlines()
    first = min(i for i, line in enumerate(lines) if CHECKSUM_KEY.match(line) and line.startswith(f"{prefix}_SHA256_"))
    start = first
    while start > 0 and lines[start - 1].startswith("#"):
        start -= 1
    return "\n".join(lines[start:first])


def asset_patterns(version: str) -> list[re.Pattern[str]]:
    """The file names the scripts download, with $ARCH as '<arch>' and any version variable as VERSION."""
    patterns = []
    for _script, url in download_urls():
        parts = re.split(r"\$\{?(\w+)\}?", url.rsplit("/", 1)[1])
        regex = "".join(
            re.escape(part) if i % 2 == 0 else ("<arch>" if part == "ARCH" else re.escape(version))
            for i, part in enumerate(parts)
        )
        patterns.append(re.compile(regex))
    return patterns


@pytest.mark.parametrize("prefix", checksum_prefixes())
def test_checksums_are_pinned_for_both_architectures_or_neither(prefix: str) -> None:
    """Half a pair would make one architecture's VM trust only the published file while the other is pinned."""
    entries = lock_entries()
    amd64, arm64 = entries[f"{prefix}_SHA256_AMD64"], entries[f"{prefix}_SHA256_ARM64"]
    assert bool(amd64) == bool(arm64), f"{prefix}: only one of AMD64/ARM64 is pinned"


def test_pinned_checksums_are_distinct() -> None:
    """Two keys with one value is a copy-paste slip (e.g. the amd64 value pasted into ARM64)."""
    values = [(k, v) for k, v in lock_entries().items() if CHECKSUM_KEY.fullmatch(k) and v]
    seen: dict[str, str] = {}
    for key, value in values:
        assert value not in seen, f"{key} has the same value as {seen.get(value)}"
        seen[value] = key


def test_some_checksums_are_pinned() -> None:
    assert pinned_prefixes(), "no checksum is pinned; the source-comment tests below would test nothing"


@pytest.mark.parametrize("prefix", pinned_prefixes())
def test_every_pinned_checksum_names_its_source(prefix: str) -> None:
    """A pinned value must say what it is the sha256 of (the exact file the scripts download, at the locked
    version) and where it was read (repository, and a commit, branch, tag or release), so a bump that forgets the
    checksum fails here and a reader can re-check the value."""
    comment = comment_above(prefix)
    assert comment, f"{prefix}: no comment above its checksums names their source"
    version = lock_entries()[f"{prefix}_VERSION"]
    assert version in comment, f"{prefix}: the source comment does not mention the locked version {version}"
    tool = prefix.split("_")[0].lower()
    names = [name for name in re.findall(r"[\w.-]*<arch>[\w.-]*", comment) if tool in name]
    patterns = asset_patterns(version)
    assert any(p.fullmatch(name) for p in patterns for name in names), (
        f"{prefix}: the comment names none of the files the scripts download (as NAME-<arch>...) at {version}"
    )
    assert re.search(r"\b[\w-]+/[\w.-]+\b", comment), f"{prefix}: the comment names no owner/repository"
    assert re.search(r"\b(commit [0-9a-f]{7,40}|branch [\w.-]+|(tag|release) v?\d[\w.-]*)", comment), (
        f"{prefix}: the comment names no point in the source's history (commit, branch, tag or release)"
    )


def test_the_locked_cilium_chart_is_embedded_in_the_locked_cilium_cli() -> None:
    """Installing needs no Helm repository only while the CLI carries the chart: a fixture per CLI version
    lists the charts it embeds (its header says where they were read), and the scripts must not point the
    CLI elsewhere (--repository, --chart-directory), or the embedded chart is not the one installed."""
    entries = lock_entries()
    fixture = Path(__file__).parent / "fixtures" / f"cilium-cli-v{entries['CILIUM_CLI_VERSION']}-embedded-charts.txt"
    assert fixture.is_file(), (
        f"no record of the charts cilium CLI v{entries['CILIUM_CLI_VERSION']} embeds: list them in {fixture.name} "
        "from its vendor/github.com/cilium/charts, as the fixture for the previous version does"
    )
    embedded = [line for line in fixture.read_text().splitlines() if line and not line.startswith("#")]
    assert entries["CILIUM_VERSION"] in embedded, (
        f"cilium CLI v{entries['CILIUM_CLI_VERSION']} does not embed chart {entries['CILIUM_VERSION']}"
    )
    script = (REPO / "scripts" / "provision" / "cilium.sh").read_text()
    calls = re.findall(r"^\s*cilium (?:install|upgrade)\b.*$", script, re.M)
    assert len(calls) == 2 and all('--version "$CILIUM_VERSION"' in call for call in calls), calls
    assert not re.search(r"--(repository|chart-directory)\b", script)
