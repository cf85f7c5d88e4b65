#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine (root, registries reachable).
# Idempotent: safe to run again. Called by .ci/run and by the README's test command.
set -euo pipefail

# --- vulnerability engine (assay-vuln): reference version-order tools for the
# version-order tests (crates/assay-vuln/tests/versions.rs): pip's `packaging` (PEP 440),
# npm's `semver`, and dpkg (present on Debian).
if ! python3 -c 'import packaging' 2>/dev/null; then
  python3 -m pip install --quiet packaging==24.1 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages packaging==24.1
fi
# RedHat's `cvss` package: the peer for CVSS v2/v3/v4 base scores
# (crates/assay-vuln/tests/cvss_peer.rs, scripts/bench-cvss.sh).
if ! python3 -c 'import cvss' 2>/dev/null; then
  python3 -m pip install --quiet cvss==3.6 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages cvss==3.6
fi
command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm; }
if ! NODE_PATH="$(npm root -g)" node -e 'require("semver")' 2>/dev/null; then
  npm install --global --silent semver@7.6.3
fi
command -v dpkg >/dev/null || { apt-get update -qq && apt-get install -y -qq dpkg; }
# Maven's own ComparableVersion (maven-artifact jar) and a Java runtime to run it.
if [ ! -e /usr/share/java/maven3-artifact.jar ] || ! command -v java >/dev/null; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends libmaven3-core-java default-jre-headless
fi

# --- evaluation harness (assay-eval): scipy and numpy as the reference for the epoch
# reducers, the bootstrap's quantiles and the exact sign test (crates/assay-eval/tests/stats.rs).
if ! python3 -c 'import scipy, numpy' 2>/dev/null; then
  python3 -m pip install --quiet scipy==1.17.1 numpy==2.4.6 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages scipy==1.17.1 numpy==2.4.6
fi

# --- rules engine (assay-rules): NIST-aligned OSCAL models from compliance-trestle, to
# validate the OSCAL catalogs, assessment-results and POA&M that `assay rules export-oscal`
# writes (crates/assay-cli/tests/rules_oscal.rs). In its own venv, away from system packages.
if ! /opt/assay-oscal-venv/bin/python -c 'import trestle.oscal.catalog' 2>/dev/null; then
  python3 -m venv /opt/assay-oscal-venv 2>/dev/null \
    || { apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv /opt/assay-oscal-venv; }
  /opt/assay-oscal-venv/bin/pip install --quiet compliance-trestle==5.2.0
fi

# --- assess (assay-cli): headless Chromium renders the dossier for the screenshot test
# (crates/assay-cli/tests/dossier_screenshot.rs).
if ! command -v chromium >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
fi

# --- evaluations (assay-eval): bubblewrap is the default sandbox; the security tests
# (crates/assay-eval/tests/sandbox_security.rs) and the end-to-end test
# (crates/assay-cli/tests/eval_cli.rs) run real `bwrap`. `setpriv` (util-linux) drops the
# sandbox to `nobody` when assay runs as root.
if ! command -v bwrap >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap
fi

# --- server (assay-server): PostgreSQL from Debian's packages, for the server test suite's
# PostgreSQL runs (crates/assay-server/tests/{api,store}.rs, crates/assay-cli/tests/serve.rs).
# scripts/test-postgres.sh starts a private throw-away server from these binaries; the
# package's own cluster is not used.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql
fi
command -v runuser >/dev/null || { apt-get update -qq && apt-get install -y -qq util-linux; }

# --- evaluations (assay-eval): inspect-ai, the peer harness, in its own venv. Its own log
# reader (`inspect_ai.log.read_eval_log`) checks the `.eval` logs `assay eval export
# --format inspect` writes (crates/assay-cli/tests/eval_export.rs).
if ! /opt/assay-inspect-venv/bin/python -c 'import inspect_ai' 2>/dev/null; then
  python3 -m venv /opt/assay-inspect-venv 2>/dev/null \
    || { apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv /opt/assay-inspect-venv; }
  /opt/assay-inspect-venv/bin/pip install --quiet inspect-ai==0.3.285
fi
# The 39 Cybench challenges in the Inspect Cyber format that inspect-evals 0.26.0 ships, read
# by the importer's real-data test (crates/assay-eval/tests/inspect_cyber.rs). Only the wheel's
# cybench folder is unpacked; nothing is installed.
if [ ! -f /opt/assay-inspect-evals/inspect_evals/cybench/challenges/avatar/eval.yaml ]; then
  wheel_dir="$(mktemp -d)"
  /opt/assay-inspect-venv/bin/pip download --quiet --no-deps inspect-evals==0.26.0 -d "$wheel_dir"
  python3 - "$wheel_dir"/inspect_evals-0.26.0-py3-none-any.whl /opt/assay-inspect-evals <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith("inspect_evals/cybench/")])
PY
  rm -rf "$wheel_dir"
fi

# --- server load (scripts/bench-server.sh, issue #13 point 10): wrk from Debian's packages.
if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk
fi
