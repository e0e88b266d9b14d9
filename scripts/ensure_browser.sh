#!/usr/bin/env bash
# Makes sure headless Chromium is on this machine for the admin's browser test (Debian's `chromium`, which
# Playwright drives; Playwright's own browser download cannot work without internet). Installs it with apt
# when run as root; otherwise, or when apt fails, says so, and the browser test skips naming what is missing.
set -u
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the admin browser test" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q chromium >/tmp/shopsms-apt.log 2>&1 \
    || { apt-get update -q >>/tmp/shopsms-apt.log 2>&1 && apt-get install -y -q chromium >>/tmp/shopsms-apt.log 2>&1; } \
    || echo "could not install chromium (see /tmp/shopsms-apt.log): the browser test will be skipped" >&2
else
  echo "chromium is not installed (apt-get install chromium): the browser test will be skipped" >&2
fi
exit 0
