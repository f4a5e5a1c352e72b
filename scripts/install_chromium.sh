#!/usr/bin/env bash
# Install Chromium from the Debian packages, for the dashboard's browser test (tests/dashboard/).
# Playwright for Python drives this browser through `executable_path`: it never downloads one.
# Does nothing when a chromium is already on PATH (or at $GTM_CHROMIUM); needs root (or sudo) otherwise.
set -euo pipefail

if [ -n "${GTM_CHROMIUM:-}" ] && [ -x "${GTM_CHROMIUM}" ]; then exit 0; fi
if command -v chromium >/dev/null 2>&1; then exit 0; fi

if [ "$(id -u)" -eq 0 ]; then
    run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    run=(sudo -n)
else
    echo "error: chromium is not installed and installing it needs root: run 'apt-get install chromium' as root" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: chromium is not installed and this machine has no apt-get; install Chromium and set GTM_CHROMIUM to its path" >&2
    exit 1
fi
echo "Installing chromium from the Debian packages (for the dashboard's browser test) ..."
"${run[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y -qq chromium >/dev/null
command -v chromium
