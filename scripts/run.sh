#!/usr/bin/env bash
# Main job: set up .venv if needed, then build every table and figure of a profile with Snakemake.
#   bash scripts/run.sh                      # default profile
#   PROFILE=smoke bash scripts/run.sh        # another profile (smoke | default | paper)
#   bash scripts/run.sh figures/default/fig1_landscape.pdf   # extra args go to snakemake
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup_env.sh
PROFILE="${PROFILE:-default}"
exec "$VENV/bin/python" -m snakemake --profile "workflow/profiles/$PROFILE" "$@"
