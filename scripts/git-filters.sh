#!/usr/bin/env bash
# Register the notebook output filter of .gitattributes in this clone's git config (idempotent; run by
# `make setup`). The command is relative to the working tree, so it serves every worktree of the clone.
set -u
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || exit 0
set_if() {
  [ "$(git config --get "$1")" = "$2" ] || git config "$1" "$2"
}
set_if filter.nbstripout.clean "sh scripts/nbstrip-filter.sh"
set_if filter.nbstripout.smudge cat
exit 0
