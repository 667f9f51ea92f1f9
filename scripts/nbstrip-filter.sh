#!/bin/sh
# git "clean" filter for the starter notebooks (notebooks/explore/*.ipynb, see .gitattributes):
# running one in JupyterLab leaves outputs, execution counts and kernel details in the file; git sees
# the notebook without them, so a run never shows up as a change (edits to cells still do).
# `make setup` registers it (scripts/git-filters.sh); git runs it from the top of the working tree.
if [ -x .venv/bin/nbstripout ]; then
  exec .venv/bin/nbstripout --keep-id \
    --extra-keys "metadata.language_info metadata.papermill cell.metadata.papermill"
fi
echo "nbstrip-filter: .venv/bin/nbstripout is missing (run make setup); notebook outputs are not stripped" >&2
exec cat
