#!/usr/bin/env bash
# The Debian packages the tests need, installed when missing (first step of `npm test` and of
# .ci/run): chromium drives the real VS Code (code-server) in the extension tests; ripgrep and
# libkrb5-dev are what code-server's offline install needs (scripts/install-code-server.sh); clang and
# lld (14) and clang-16 and lld-16 rebuild src/core/kernels/kernels.wasm and kernels-relaxed.wasm,
# which a unit test compares byte for byte with the committed ones; python3-yaml (PyYAML) reads the
# run folder's dvc.yaml and params.yaml back in a unit test, as an independent YAML parser;
# python3-pil and python3-numpy write the TIFF and .npy/.npz files the input tests read (independent
# writers), python3-tifffile the tiled TIFFs (Pillow writes none); python3-scipy gives the t distribution the comparison statistics are checked against; slurm-wlm and
# munge make the one-node Slurm cluster the sweep-on-Slurm tests submit to (scripts/slurm-cluster.sh). As root (or with passwordless sudo) it runs apt-get; otherwise it prints the command.
set -euo pipefail
packages=(chromium ripgrep libkrb5-dev fonts-dejavu-core clang lld clang-16 lld-16 python3-yaml python3-pil python3-numpy python3-tifffile python3-scipy slurm-wlm munge)
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v rg >/dev/null || missing+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || missing+=(fonts-dejavu-core)
command -v clang >/dev/null || missing+=(clang)
command -v wasm-ld >/dev/null || missing+=(lld)
command -v clang-16 >/dev/null || missing+=(clang-16)
command -v wasm-ld-16 >/dev/null || missing+=(lld-16)
/usr/bin/python3 -c 'import yaml' 2>/dev/null || missing+=(python3-yaml)
/usr/bin/python3 -c 'import PIL' 2>/dev/null || missing+=(python3-pil)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || missing+=(python3-numpy)
/usr/bin/python3 -c 'import tifffile' 2>/dev/null || missing+=(python3-tifffile)
/usr/bin/python3 -c 'import scipy.stats' 2>/dev/null || missing+=(python3-scipy)
command -v slurmctld >/dev/null || [[ -x /usr/sbin/slurmctld ]] || missing+=(slurm-wlm)
command -v munged >/dev/null || [[ -x /usr/sbin/munged ]] || missing+=(munge)
# Mesa 25's Vulkan driver (lavapipe) from bookworm-backports: the software adapter the WebGPU tests run on
# (Debian 12's own Mesa 22 gives Dawn no adapter). Needs the backports suite in apt's sources.
mesa_version=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
backports=0
if grep -qs 'VERSION_CODENAME=bookworm' /etc/os-release && [[ ${mesa_version%%.*} != 2[5-9] ]]; then backports=1; fi
[[ ${#missing[@]} -eq 0 && $backports -eq 0 ]] && exit 0
webgpu_note="install-system-deps: without Mesa >= 25's Vulkan driver the WebGPU tests skip (no adapter)"
if [[ ${#missing[@]} -eq 0 && $(id -u) -ne 0 ]] && ! sudo -n true 2>/dev/null; then
  echo "$webgpu_note; as root: scripts/install-system-deps.sh" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "install-system-deps: missing ${missing[*]}, and this is not a Debian/Ubuntu machine: install the equivalents of: ${packages[*]}" >&2
  exit 1
fi
if [[ $(id -u) -eq 0 ]]; then sudo=()
elif sudo -n true 2>/dev/null; then sudo=(sudo -n)
else
  echo "install-system-deps: missing ${missing[*]}; run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if [[ $backports -eq 1 ]] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # the mirror apt already uses for Debian itself (a 'URIs:' or 'deb' line, not a comment)
  mirror=$(grep -rhsE '^(URIs:|deb) ' /etc/apt/sources.list /etc/apt/sources.list.d/ | grep -oE 'https?://[^ ]+/debian/?( |$)' \
    | head -n 1 | tr -d ' ' || true)
  echo "install-system-deps: adding bookworm-backports (${mirror:-http://deb.debian.org/debian}) for Mesa 25's Vulkan driver"
  echo "deb ${mirror:-http://deb.debian.org/debian} bookworm-backports main" \
    | "${sudo[@]}" tee /etc/apt/sources.list.d/seglab-backports.list >/dev/null
fi
"${sudo[@]}" apt-get update -qq
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "install-system-deps: installing ${missing[*]}"
  "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [[ $backports -eq 1 ]]; then
  echo "install-system-deps: installing mesa-vulkan-drivers from bookworm-backports (WebGPU tests on lavapipe)"
  "${sudo[@]}" apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
fi
