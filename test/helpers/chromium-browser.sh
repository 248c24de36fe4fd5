#!/bin/sh
exec node "$(dirname "$0")/chromium-browser.mjs" "$@"
