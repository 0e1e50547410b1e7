#!/usr/bin/env bash
# The systemd files meson installs (config/): the generated dvrd.service
# under systemd's own parser (`systemd-analyze verify`, which also checks
# that ExecStart's program exists and is executable, and `systemd-analyze
# security`, whose exposure must stay "OK"), and config/dvr.sysusers
# applied by systemd-sysusers to an empty root.
#
# systemd-analyze verify warns about unknown keys and bad values but still
# exits 0, so its output is searched for any line about the unit; a
# deliberately broken copy shows that this check can fail.
#
# ExecStart names the installed dvrd, which is not there before `meson
# install`: the copy verified points it at the built one ($DVRD) and
# keeps everything else.  Exits 77 when systemd-analyze is missing
# (package systemd).
set -uo pipefail

unit=${DVR_SERVICE:?set by meson: build/config/dvrd.service}
dvrd=${DVRD:?set by meson: the built dvrd}
sysusers_conf=${DVR_SYSUSERS:?set by meson: config/dvr.sysusers}
sbindir=${DVR_SBINDIR:?set by meson}
sysconfdir=${DVR_SYSCONFDIR:?set by meson}

if ! command -v systemd-analyze > /dev/null; then
  echo "SKIP: no systemd-analyze (package systemd)"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail () {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# --- what meson filled in

grep -qxF "ExecStart=$sbindir/dvrd --config $sysconfdir/dvr/dvr.conf" "$unit" ||
  fail "ExecStart is not $sbindir/dvrd --config $sysconfdir/dvr/dvr.conf: $(grep '^ExecStart=' "$unit")"
grep -q '@[a-z_]*@' "$unit" && fail "placeholders left: $(grep -n '@[a-z_]*@' "$unit")"
for line in Type=notify WatchdogSec=30 Restart=on-failure RestartPreventExitStatus=2 \
    User=dvr "SupplementaryGroups=video input dialout gpio" RuntimeDirectory=dvr \
    ProtectSystem=strict NoNewPrivileges=yes; do
  grep -qxF "$line" "$unit" || fail "no $line"
done
# dvrd stops in at most 5 s on SIGTERM (src/dvr-daemon.c): systemd must
# wait longer before killing it.
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$unit")
[ -n "$stop" ] && [ "$stop" -gt 5 ] || fail "TimeoutStopSec '$stop' is not above dvrd's 5 s"

# --- systemd's parser

# verify UNIT_FILE: prints what systemd-analyze said about it; status 1 if
# it failed or said anything.
verify () {
  local out status=0
  out=$(cd "$(dirname "$1")" && systemd-analyze verify --man=no "./$(basename "$1")" 2>&1) ||
    status=$?
  printf '%s' "$out"
  [ "$status" -eq 0 ] && [ -z "$(grep -F "$(basename "$1")" <<< "$out")" ]
}

checked=$work/dvrd.service
sed "s|^ExecStart=$sbindir/dvrd |ExecStart=$dvrd |" "$unit" > "$checked"
grep -q "^ExecStart=$dvrd " "$checked" || fail "could not point ExecStart at $dvrd"
if ! said=$(verify "$checked"); then
  fail "systemd-analyze verify: $said"
fi

exposure=$(systemd-analyze security --offline=yes --threshold=30 "$checked" 2>&1)
status=$?
[ $status -eq 0 ] || fail "systemd-analyze security: exposure above 3.0 (status $status): $(tail -n 1 <<< "$exposure")"
echo "$(tail -n 1 <<< "$exposure")"

# The check can fail: a misspelt key, a bad value, a missing program.
broken=$work/broken/dvrd.service
mkdir -p "$work/broken"
sed -e 's/^SupplementaryGroups=/SupplementaryGroup=/' \
    -e 's/^ProtectSystem=strict/ProtectSystem=stric/' "$checked" > "$broken"
said=$(verify "$broken") && fail "a broken unit passed verify"
grep -q "Unknown key 'SupplementaryGroup'" <<< "$said" || fail "misspelt key not flagged: $said"
grep -qi "protect system value" <<< "$said" || fail "bad ProtectSystem value not flagged: $said"
sed "s|^ExecStart=$dvrd |ExecStart=$work/no-such-dvrd |" "$checked" > "$broken"
said=$(verify "$broken") && fail "a unit without its program passed verify"

# --- sysusers: the user dvr and the group gpio

if command -v systemd-sysusers > /dev/null; then
  root=$work/root
  mkdir -p "$root/etc"
  if systemd-sysusers --root="$root" "$sysusers_conf" > "$work/sysusers.log" 2>&1; then
    grep -qE '^dvr:x:[0-9]+:[0-9]+:[^:]*:[^:]*:/usr/sbin/nologin$' "$root/etc/passwd" ||
      fail "sysusers: no user dvr without a login shell: $(cat "$root/etc/passwd")"
    grep -qE '^gpio:x:[0-9]+:' "$root/etc/group" || fail "sysusers: no group gpio"
    grep -qE '^dvr:x:[0-9]+:' "$root/etc/group" || fail "sysusers: no group dvr"
  else
    fail "systemd-sysusers: $(cat "$work/sysusers.log")"
  fi
else
  echo "note: no systemd-sysusers: config/dvr.sysusers not checked"
fi

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "dvrd.service: verified; dvr.sysusers: applied"
