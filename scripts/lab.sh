#!/usr/bin/env bash
# `make lab`: JupyterLab with the "ecd" kernel, listening on 127.0.0.1 only.
# Adds --allow-root only when run as root (Jupyter refuses root without it), picks the first free
# port from LAB_PORT (default 8888) and prints the address with its token before starting.
# The starter notebooks are copied to notebooks/work/ (not tracked by git) unless a copy is already there:
# running and changing those leaves the originals in notebooks/explore/ untouched.
# Environment: VENV (default .venv), LAB_PORT, LAB_TOKEN (default: a fresh random token).
set -euo pipefail
venv=${VENV:-.venv}
py="$venv/bin/python"
"$py" -m ipykernel install --user --name ecd \
  --display-name "ecd (Python $("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])'))" >/dev/null
port=$("$py" - "${LAB_PORT:-8888}" <<'PY'
import socket, sys
start = int(sys.argv[1])
for port in range(start, start + 50):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
else:
    sys.exit(f"make lab: no free port in {start}-{start + 49} on 127.0.0.1 (set LAB_PORT)")
PY
)
mkdir -p notebooks/work
for f in notebooks/explore/*.ipynb; do
  [ -e "notebooks/work/${f##*/}" ] || cp "$f" notebooks/work/
done
token=${LAB_TOKEN:-$("$py" -c 'import secrets; print(secrets.token_hex(24))')}
root=()
if [ "$(id -u)" = 0 ]; then
  root=(--allow-root)
fi
echo "your copies of the starter notebooks: notebooks/work/ (not tracked by git; originals in notebooks/explore/)"
echo "JupyterLab (kernel \"ecd\"): http://127.0.0.1:$port/lab/tree/notebooks/work?token=$token"
echo "open it in a browser on this machine (from elsewhere: ssh -L $port:127.0.0.1:$port …); stop with Ctrl-C"
exec "$venv/bin/jupyter" lab --ServerApp.ip=127.0.0.1 --ServerApp.port="$port" --ServerApp.port_retries=0 \
  --IdentityProvider.token="$token" --ServerApp.open_browser=False --ServerApp.root_dir=. "${root[@]}"
