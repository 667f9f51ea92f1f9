#!/usr/bin/env bash
# Install the system packages the book needs when they are missing:
#   fonts-noto-cjk  Chinese glyphs in figures and the PDF
#   chromium        HTML -> PDF (--print-to-pdf)
#   poppler-utils   pdftotext, used by the PDF test
# Installs only as root on a Debian-like system with apt-get; elsewhere prints
# what is missing and carries on (the PDF step and its test then skip with a
# message saying so).
set -u
need=()
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-system: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq -o DPkg::Lock::Timeout=600 >/dev/null 2>&1 || true
  if apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${need[@]}" >/dev/null 2>&1; then
    exit 0
  fi
  echo "ensure-system: could not install ${need[*]}; figures fall back to a font without CJK glyphs and the PDF is skipped" >&2
else
  echo "ensure-system: missing ${need[*]} (not root or no apt-get): install them for Chinese figures and the PDF; continuing without" >&2
fi
exit 0
