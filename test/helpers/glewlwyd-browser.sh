#!/bin/sh
exec node "$(dirname "$0")/glewlwyd-browser.mjs" "$@"
