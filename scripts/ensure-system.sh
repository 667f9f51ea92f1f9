#!/usr/bin/env bash
# Install the system packages the book needs when they are missing:
#   fonts-noto-cjk  Chinese glyphs in figures and the PDF
#   libpango-1.0-0, libpangoft2-1.0-0, libharfbuzz-subset0
#                   text layout and font subsetting for WeasyPrint, which lays out the PDF
#   chromium        the phone-layout test and page screenshots (Python playwright drives it)
#   poppler-utils   pdfinfo, pdftotext and pdftoppm, used by the PDF tests
# Installs only as root on a Debian-like system with apt-get; elsewhere prints
# what is missing and carries on (the PDF step and its test then skip with a
# message saying so).
set -u
need=()
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
for lib in libpango-1.0.so.0:libpango-1.0-0 libpangoft2-1.0.so.0:libpangoft2-1.0-0 \
           libharfbuzz-subset.so.0:libharfbuzz-subset0; do
  ldconfig -p 2>/dev/null | grep -q "${lib%%:*}" || need+=("${lib#*:}")
done
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
  echo "ensure-system: could not install ${need[*]}; figures fall back to a font without CJK glyphs, the PDF and the phone test are skipped" >&2
else
  echo "ensure-system: missing ${need[*]} (not root or no apt-get): install them for Chinese figures and the PDF; continuing without" >&2
fi
exit 0
