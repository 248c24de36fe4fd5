#!/bin/sh
exec node "$(dirname "$0")/browser.mjs" "$@"
