# shellcheck shell=bash
# Shared by start-course and run-tests: create .venv once and install the project into it.
# Usage: ensure_venv REQUIREMENTS_FILE
ensure_venv() {
  local req="$1" root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  local venv="${LABS_VENV:-$root/.venv}"
  local stamp="$venv/.installed-$(basename "$req")"
  if [ ! -x "$venv/bin/python" ]; then
    echo ">> creating virtual environment in $venv"
    python3 -m venv "$venv"
  fi
  if [ ! -f "$stamp" ] || [ "$root/$req" -nt "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ]; then
    echo ">> installing Python packages from $req (first run takes a minute)"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/$req"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$root"
    touch "$stamp"
  fi
  export PATH="$venv/bin:$PATH"
  VENV_PY="$venv/bin/python"
  export VENV_PY
}
