#!/usr/bin/env bash
# The Debian packages the report's tests need: chromium (Debian 12), driven by Playwright (the
# `test` extra) through its executable_path, so Playwright's own browser download is not used; and
# graphviz, whose `dot` draws the rule graph (docs/rulegraph.svg, rule readme_figures).
# Idempotent; run as root before pytest.
set -euo pipefail
packages=(chromium graphviz)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
command -v chromium >/dev/null || { echo "ci-install.sh: chromium not found after install" >&2; exit 1; }
command -v dot >/dev/null || { echo "ci-install.sh: graphviz's dot not found after install" >&2; exit 1; }
echo "Browser test packages installed: ${packages[*]} ($(chromium --version))"
