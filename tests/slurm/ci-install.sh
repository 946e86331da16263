#!/usr/bin/env bash
# Debian packages the Slurm test needs: munge, slurmctld, slurmd and the client commands
# (slurm-wlm 22.05 on Debian 12). Idempotent; run as root before pytest.
set -euo pipefail
packages=(munge slurmctld slurmd slurm-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
# The packages' postinst may start system daemons where systemd runs; the test starts its own
# on other ports and sockets, so these are left alone.
for cmd in munged slurmctld slurmd sbatch squeue srun scancel sinfo; do
  command -v "$cmd" >/dev/null || { echo "ci-install.sh: $cmd not found after install" >&2; exit 1; }
done
echo "Slurm test packages installed: ${packages[*]}"
