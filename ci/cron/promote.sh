#!/usr/bin/env bash
# Scheduled promotion with harness-gate, for cron or a systemd timer (see crontab.example,
# harness-gate-promote.service/.timer and docs/ci.md).
#
# - one promotion per environment at a time: the lock is named after the deployments it runs
#   (HARNESS_GATE_ONLY), so a prod promotion never holds back dev; a second run of the same
#   deployments while one is going logs that it skipped and exits 0 (flock);
# - logs one line for every run, skipped, succeeded or failed: to syslog/the journal (logger,
#   priority notice) and to HARNESS_GATE_REPORT_DIR/promote.log;
# - keeps each run's reports (JUnit, JSON, dotenv, the gate's log) in a dated directory under
#   HARNESS_GATE_REPORT_DIR, and points `latest` at the newest; prunes old ones;
# - reads the API key from a file (HARNESS_API_KEY_FILE, or the systemd credential
#   `harness-api-key`); a HARNESS_API_KEY in the environment is ignored;
# - on failure mails HARNESS_GATE_MAIL_TO when `mail` is installed, else logs with `logger`;
# - exits with the gate's exit code, so cron and systemd see the failure too.
#
# Settings, from the environment (cron line, EnvironmentFile= of the unit):
#   HARNESS_GATE_SPEC         the spec to run            (default /etc/harness-gate/promote.yaml)
#   HARNESS_GATE_ONLY         deployment names, space-separated; empty runs them all
#   HARNESS_GATE_TIMEOUT      deadline of the whole run  (default 45m)
#   HARNESS_GATE_ABORT_ON_EXIT  true: abort the started executions on timeout or interruption
#   HARNESS_GATE_EXTRA_ARGS   more flags for `harness-gate run`, split on spaces
#   HARNESS_GATE_REPORT_DIR   where the dated run directories go (default /var/lib/harness-gate/reports)
#   HARNESS_GATE_LOCK         the lock's name: runs with the same name never overlap (default:
#                             the names of HARNESS_GATE_ONLY joined by '+', or 'all')
#   HARNESS_GATE_KEEP_DAYS    prune run directories older than this (default 30; 0 keeps all)
#   HARNESS_GATE_MAIL_TO      where to mail failures (empty: log them only)
#   HARNESS_GATE_VENV         the virtualenv harness-gate is installed in (default /opt/harness-gate/venv)
#   HARNESS_API_KEY_FILE      the file holding the key  (default /etc/harness-gate/api-key)
#   HARNESS_ENDPOINT, HARNESS_ACCOUNT_ID are passed on to the gate unchanged.
set -euo pipefail

SPEC="${HARNESS_GATE_SPEC:-/etc/harness-gate/promote.yaml}"
ONLY="${HARNESS_GATE_ONLY:-}"
TIMEOUT="${HARNESS_GATE_TIMEOUT:-45m}"
ABORT_ON_EXIT="${HARNESS_GATE_ABORT_ON_EXIT:-false}"
EXTRA_ARGS="${HARNESS_GATE_EXTRA_ARGS:-}"
REPORT_ROOT="${HARNESS_GATE_REPORT_DIR:-/var/lib/harness-gate/reports}"
KEEP_DAYS="${HARNESS_GATE_KEEP_DAYS:-30}"
MAIL_TO="${HARNESS_GATE_MAIL_TO:-}"
VENV="${HARNESS_GATE_VENV:-/opt/harness-gate/venv}"
TAG="harness-gate-promote"

# The lock of this run's environments: the deployment names, sorted, or 'all'.
lock_name="${HARNESS_GATE_LOCK:-}"
if [ -z "$lock_name" ]; then
    lock_name="$(printf '%s' "$ONLY" | tr -s '[:blank:]' '\n' | sed '/^$/d' | sort -u | paste -sd + -)"
    lock_name="${lock_name:-all}"
fi
lock_name="$(printf '%s' "$lock_name" | tr -c 'A-Za-z0-9._+-' '_')"

# The key comes from a file only: under systemd from the credential LoadCredential= placed
# in $CREDENTIALS_DIRECTORY, otherwise from HARNESS_API_KEY_FILE or its default.
if [ -z "${HARNESS_API_KEY_FILE:-}" ]; then
    if [ -n "${CREDENTIALS_DIRECTORY:-}" ] && [ -f "$CREDENTIALS_DIRECTORY/harness-api-key" ]; then
        HARNESS_API_KEY_FILE="$CREDENTIALS_DIRECTORY/harness-api-key"
    else
        HARNESS_API_KEY_FILE=/etc/harness-gate/api-key
    fi
fi
export HARNESS_API_KEY_FILE
unset HARNESS_API_KEY

export PATH="$VENV/bin:$PATH"

log() {
    printf '%s %s[%d]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$TAG" "$$" "$*" >&2
    if [ -n "${RUN_LOG:-}" ]; then
        printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$RUN_LOG"
    fi
}

# The one line every run leaves, whatever happened: cron mails nothing (MAILTO=""), so it goes
# to syslog or the journal and to promote.log beside the run directories.
record_run() {
    log "$*"
    printf '%s %s[%d]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$TAG" "$$" "$*" \
        >>"$REPORT_ROOT/promote.log" 2>/dev/null || true
    if command -v logger >/dev/null 2>&1; then
        logger -t "$TAG" -p user.notice -- "$*" || true
    fi
}

mkdir -p "$REPORT_ROOT"

# One promotion of these deployments at a time: the lock is held on file descriptor 9 until
# this script exits. Other environments have locks of their own.
LOCK_FILE="$REPORT_ROOT/.promote-$lock_name.lock"
exec 9>>"$LOCK_FILE"
if ! flock --nonblock 9; then
    record_run "skipped: a promotion of ${ONLY:-every deployment} is still running (lock $LOCK_FILE held)"
    exit 0
fi

RUN_DIR="$REPORT_ROOT/$(date -u +%Y-%m-%d/%H%M%SZ)-$$"
mkdir -p "$RUN_DIR"
RUN_LOG="$RUN_DIR/promote.log"
ln -sfn "$RUN_DIR" "$REPORT_ROOT/latest"

args=(--junit "$RUN_DIR/junit.xml" --json "$RUN_DIR/summary.json" --dotenv "$RUN_DIR/gate.env" --timeout "$TIMEOUT")
names=()
if [ -n "$ONLY" ]; then
    read -r -a names <<<"$ONLY"
fi
for name in ${names[@]+"${names[@]}"}; do
    args+=(--only "$name")
done
case "$ABORT_ON_EXIT" in
    true | yes | 1) args+=(--abort-on-exit) ;;
esac
extra=()
if [ -n "$EXTRA_ARGS" ]; then
    read -r -a extra <<<"$EXTRA_ARGS"
fi
if [ "${#extra[@]}" -gt 0 ]; then
    args+=("${extra[@]}")
fi

log "promoting $SPEC${ONLY:+ (only $ONLY)}; reports in $RUN_DIR"

# systemd stops the unit with SIGTERM to every process of it: the gate then writes its
# report and exits 143. Trapping TERM/INT here keeps this script alive until the gate has
# finished, so the failure is still reported.
trap 'log "stop requested; waiting for harness-gate to write its report"' TERM INT

status=0
harness-gate run "$SPEC" "${args[@]}" >"$RUN_DIR/gate.log" 2>&1 || status=$?

case "$status" in
    0) outcome=success ;;
    1) outcome=failure ;;
    4) outcome=timeout ;;
    *) outcome=error ;;
esac
record_run "${ONLY:-every deployment} of $SPEC: $outcome (exit $status); reports in $RUN_DIR"
# The gate's closing summary, for cron's mail or the journal; the whole log is in gate.log.
sed -n '/^harness-gate summary:/,$p' "$RUN_DIR/gate.log" >&2 || true

notify_failure() {
    local subject body
    subject="harness-gate promotion $outcome (exit $status) on $(uname -n)"
    body="$(
        echo "spec: $SPEC${ONLY:+ (only $ONLY)}"
        echo "reports: $RUN_DIR"
        if [ -f "$RUN_DIR/gate.env" ]; then
            echo
            grep '^HARNESS_EXECUTION_URL_' "$RUN_DIR/gate.env" || true
        fi
        echo
        echo "last lines of $RUN_DIR/gate.log:"
        tail -n 40 "$RUN_DIR/gate.log" 2>/dev/null || true
    )"
    if [ -n "$MAIL_TO" ] && command -v mail >/dev/null 2>&1; then
        if printf '%s\n' "$body" | mail -s "$subject" "$MAIL_TO"; then
            log "failure mailed to $MAIL_TO"
            return
        fi
        log "could not mail $MAIL_TO"
    fi
    if command -v logger >/dev/null 2>&1; then
        logger -t "$TAG" -p user.err -- "$subject; reports in $RUN_DIR"
    fi
    log "FAILED: $subject; reports in $RUN_DIR"
}

if [ "$status" -ne 0 ]; then
    notify_failure
fi

if [ "$KEEP_DAYS" -gt 0 ] 2>/dev/null; then
    find "$REPORT_ROOT" -mindepth 2 -maxdepth 2 -type d -mtime "+$KEEP_DAYS" -exec rm -rf {} + 2>/dev/null || true
    find "$REPORT_ROOT" -mindepth 1 -maxdepth 1 -type d -empty -delete 2>/dev/null || true
fi

exit "$status"
