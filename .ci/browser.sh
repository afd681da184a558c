# Source this file: makes sure the browser tests (tests/browser) have what they need:
# Debian's Chromium at /usr/bin/chromium (Playwright cannot download browsers here) and
# axe-core, fetched once with npm into ~/.cache/treffpunkt. As root it installs the
# missing Debian packages; otherwise it stops with a message, so the tests never skip.

CHROMIUM=${TREFFPUNKT_CHROMIUM:-/usr/bin/chromium}
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
command -v npm >/dev/null || [ -n "${TREFFPUNKT_AXE_JS:-}" ] || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing ${missing[*]} from Debian's packages for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "the browser tests need ${missing[*]} (Debian: apt-get install ${missing[*]})" >&2
    return 1
  fi
fi
echo "== browser tests: $("$CHROMIUM" --version 2>/dev/null | head -n 1), axe-core at $(python -m tests.browser.axe)"
