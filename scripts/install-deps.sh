#!/bin/sh
# Install the system packages vmsim's demo and tests use, only where missing.
# Debian/Ubuntu: apt-get (as root, or through sudo). Elsewhere: say what to install.
set -eu

need=""
have() { command -v "$1" >/dev/null 2>&1; }
have swtpm || need="$need swtpm swtpm-tools"
have qemu-system-x86_64 || need="$need qemu-system-x86"
have tpm2_getrandom || need="$need tpm2-tools libtss2-tcti-cmd0"
have tshark || need="$need tshark"          # the pcap test decodes with Wireshark's dissector
have chromium || need="$need chromium fonts-liberation"  # the HTML diagram test renders it
have gcc || need="$need gcc"
have ld || need="$need binutils"
have make || need="$need make"
python3 -c 'import ensurepip, venv' 2>/dev/null || need="$need python3-venv"

[ -z "$need" ] && exit 0

echo "vmsim: installing missing system packages:$need"
if ! have apt-get; then
    echo "vmsim: error: no apt-get here; install these packages with your system's package manager:$need" >&2
    exit 1
fi
if [ "$(id -u)" = 0 ]; then
    sudo=""
elif have sudo && sudo -n true 2>/dev/null; then
    sudo="sudo"
else
    echo "vmsim: error: need root to install:$need (run 'sudo make deps', or install them yourself)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $need
