#!/usr/bin/env bash
# powerfs-test.sh: dvr-powerfs keeps exactly what was made durable across a
# simulated power loss (the model: dvr-powerfs.c, README.md here).
#
# Each case mounts a fresh BACKING folder, does its I/O, crashes the
# filesystem, checks that I/O now fails with EIO, unmounts, mounts again
# and checks what is there.  fsync of a file or a folder: coreutils
# `sync FILE` (fsync), `sync -d FILE` (fdatasync).  SQLite through python3's
# sqlite3 module.  Exits 77 (skipped) and says why without FUSE.
set -euo pipefail

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

powerfs=${DVR_POWERFS:-}
[ -n "$powerfs" ] && [ -x "$powerfs" ] || skip "DVR_POWERFS is not set: run through meson test"
[ -c /dev/fuse ] || skip "no /dev/fuse on this machine"
command -v fusermount3 >/dev/null || skip "no fusermount3 (Debian package fuse3)"
python3 -c 'import sqlite3' 2>/dev/null || skip "no python3 with sqlite3"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/powerfs-test.XXXXXX")
mnt=$tmp/mnt
backing=$tmp/backing
daemon=
cleanup() {
  fusermount3 -u -z "$mnt" 2>/dev/null || true
  if [ -n "$daemon" ]; then kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$mnt" "$backing"

mount_fs() {
  "$powerfs" "$backing" "$mnt" -f 2>>"$tmp/powerfs.log" &
  daemon=$!
  for _ in $(seq 100); do
    mountpoint -q "$mnt" && return 0
    kill -0 "$daemon" 2>/dev/null || break
    sleep 0.05
  done
  cat "$tmp/powerfs.log" >&2 || true
  if [ "$first_mount" = yes ]; then
    skip "cannot mount a FUSE filesystem here (no permission or no FUSE in the kernel)"
  fi
  fail "dvr-powerfs did not mount"
}

unmount_fs() {
  fusermount3 -u "$mnt" || fail "unmount of $mnt"
  wait "$daemon" || true
  daemon=
}

# Crash, check the disk is gone, unmount, mount again.
crash() {
  "$powerfs" --crash "$mnt" || fail "--crash"
  if ls "$mnt" >/dev/null 2>&1; then fail "I/O still works after the crash"; fi
  if cat "$mnt/$1" >/dev/null 2>&1; then fail "read of $1 works after the crash"; fi
  unmount_fs
  mount_fs
}

fresh() {
  echo "--- $1"
  [ -z "$daemon" ] || unmount_fs
  rm -rf "$backing"; mkdir -p "$backing"
  mount_fs
}

first_mount=yes
fresh "mount"
first_mount=no

fresh "write + fsync + folder fsync survives"
printf 'hello' >"$mnt/a"
sync "$mnt/a"; sync "$mnt"
crash a
[ "$(cat "$mnt/a")" = hello ] || fail "a: '$(cat "$mnt/a")', wanted hello"

fresh "fdatasync covers the data too"
printf 'abc' >"$mnt/a"
sync -d "$mnt/a"; sync "$mnt"
crash a
[ "$(cat "$mnt/a")" = abc ] || fail "a after fdatasync: '$(cat "$mnt/a")'"

fresh "a write without fsync is lost: append, overwrite, truncate"
printf 'one' >"$mnt/a"; printf 'two' >"$mnt/b"; printf 'three' >"$mnt/c"
sync "$mnt/a" "$mnt/b" "$mnt/c" "$mnt"
printf 'more' >>"$mnt/a"                                      # append
printf 'XY' | dd of="$mnt/b" conv=notrunc status=none          # overwrite
printf 'T' >"$mnt/c"                                           # O_TRUNC + write
[ "$(cat "$mnt/a")" = onemore ] || fail "live a: $(cat "$mnt/a")"
[ "$(cat "$mnt/b")" = XYo ] || fail "live b: $(cat "$mnt/b")"
crash a
[ "$(cat "$mnt/a")" = one ] || fail "a: '$(cat "$mnt/a")', wanted one"
[ "$(cat "$mnt/b")" = two ] || fail "b: '$(cat "$mnt/b")', wanted two"
[ "$(cat "$mnt/c")" = three ] || fail "c: '$(cat "$mnt/c")', wanted three"

fresh "only the synced prefix of a growing file survives"
printf 'first.' >"$mnt/seg"; sync "$mnt/seg" "$mnt"
printf 'second.' >>"$mnt/seg"; sync -d "$mnt/seg"
printf 'third.' >>"$mnt/seg"
crash seg
[ "$(cat "$mnt/seg")" = first.second. ] || fail "seg: '$(cat "$mnt/seg")'"

fresh "a new file, fsynced, without a folder fsync is gone"
mkdir "$mnt/d"; sync "$mnt"
printf 'x' >"$mnt/d/new"; sync "$mnt/d/new"
crash d/new
[ -d "$mnt/d" ] || fail "folder d lost although its parent was synced"
[ ! -e "$mnt/d/new" ] || fail "d/new survived without a folder fsync"

fresh "a new file whose name was synced but not its data comes back empty"
printf 'data' >"$mnt/e"; sync "$mnt"
crash e
[ -f "$mnt/e" ] && [ ! -s "$mnt/e" ] || fail "e: wanted an empty file"

fresh "a rename without a folder fsync is undone, with one it stays"
printf 'old' >"$mnt/target"; printf 'new' >"$mnt/tmp1"; printf 'kept' >"$mnt/r1"
mkdir "$mnt/sub"
sync "$mnt/target" "$mnt/tmp1" "$mnt/r1" "$mnt"
mv "$mnt/tmp1" "$mnt/target"                                   # over an existing name
mv "$mnt/r1" "$mnt/sub/r1"; sync "$mnt/sub"                    # only one side synced
crash target
[ "$(cat "$mnt/target")" = old ] || fail "target: '$(cat "$mnt/target")', wanted old"
[ "$(cat "$mnt/tmp1")" = new ] || fail "tmp1 not back"
[ "$(cat "$mnt/r1")" = kept ] && [ "$(cat "$mnt/sub/r1")" = kept ] ||
  fail "a rename synced on one side only: wanted both names (ext4 may show either)"
printf 'new' >"$mnt/tmp2"; sync "$mnt/tmp2"
mv "$mnt/tmp2" "$mnt/target"; sync "$mnt"
crash target
[ "$(cat "$mnt/target")" = new ] || fail "synced rename: '$(cat "$mnt/target")'"
[ ! -e "$mnt/tmp2" ] || fail "tmp2 still there after a synced rename"

fresh "an unlink without a folder fsync is undone"
printf 'evidence' >"$mnt/u"; sync "$mnt/u" "$mnt"
rm "$mnt/u"; [ ! -e "$mnt/u" ] || fail "u still live after rm"
crash u
[ "$(cat "$mnt/u")" = evidence ] || fail "u not back after an unsynced unlink"
rm "$mnt/u"; sync "$mnt"
crash u
[ ! -e "$mnt/u" ] || fail "u back after a synced unlink"

fresh "SIGUSR1 to the daemon crashes it too"
printf 'kept' >"$mnt/s"; sync "$mnt/s" "$mnt"; printf 'lost' >>"$mnt/s"
kill -USR1 "$daemon"
for _ in $(seq 100); do ls "$mnt" >/dev/null 2>&1 || break; sleep 0.05; done
if ls "$mnt" >/dev/null 2>&1; then fail "no crash after SIGUSR1"; fi
unmount_fs; mount_fs
[ "$(cat "$mnt/s")" = kept ] || fail "s after SIGUSR1: '$(cat "$mnt/s")'"

fresh "a clean unmount keeps everything"
printf 'z' >"$mnt/z"
unmount_fs; mount_fs
[ "$(cat "$mnt/z")" = z ] || fail "z lost by a clean unmount"

fresh "SQLite in WAL mode keeps its last committed transaction"
python3 - "$mnt" <<'EOF'
import os, sqlite3, sys
mnt = sys.argv[1]
db = sqlite3.connect(os.path.join(mnt, "catalog.db"), isolation_level=None)
assert db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
db.execute("PRAGMA synchronous=FULL")
db.execute("PRAGMA cache_size=8")                   # spill early into the WAL
db.execute("CREATE TABLE t (i INTEGER PRIMARY KEY, blob BLOB)")
# A new database file is named only once its folder is synced; SQLite syncs
# the folder for the WAL it creates, not for the database: so do we.
dir_fd = os.open(mnt, os.O_RDONLY | os.O_DIRECTORY); os.fsync(dir_fd); os.close(dir_fd)
for n in range(10):
    db.execute("BEGIN")
    for i in range(20):
        db.execute("INSERT INTO t (blob) VALUES (randomblob(300))")
    db.execute("COMMIT")
db.execute("PRAGMA wal_checkpoint(PASSIVE)")       # some pages into the db file
for n in range(5):
    db.execute("BEGIN")
    for i in range(20):
        db.execute("INSERT INTO t (blob) VALUES (randomblob(300))")
    db.execute("COMMIT")
assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 300
# A big transaction that spills into the WAL, never committed.
db.execute("BEGIN")
for i in range(400):
    db.execute("INSERT INTO t (blob) VALUES (randomblob(2000))")
os.setxattr(mnt, "user.dvr-powerfs.crash", b"1")   # power off, files open
try:
    db.execute("SELECT count(*) FROM t").fetchone()
    sys.exit("the database still works after the crash")
except sqlite3.Error:
    pass
os._exit(0)
EOF
[ $? -eq 0 ] || fail "python (before the crash)"
unmount_fs; mount_fs
python3 - "$mnt" <<'EOF'
import os, sqlite3, sys
db = sqlite3.connect(os.path.join(sys.argv[1], "catalog.db"), isolation_level=None)
check = db.execute("PRAGMA integrity_check").fetchone()[0]
rows = db.execute("SELECT count(*) FROM t").fetchone()[0]
print("integrity_check:", check, "rows:", rows)
if check != "ok" or rows != 300:
    sys.exit("wanted integrity_check ok and 300 rows")
db.execute("INSERT INTO t (blob) VALUES (x'00')")   # and it is writable again
db.close()
EOF

fresh "splitmuxsink segments: the synced one plays, the unsynced ones are empty"
if command -v gst-launch-1.0 >/dev/null && command -v ffprobe >/dev/null &&
   gst-inspect-1.0 x264enc >/dev/null 2>&1 && gst-inspect-1.0 matroskamux >/dev/null 2>&1; then
  # gst-launch-1.0 sometimes never sees the pipeline's EOS at the end (all
  # threads idle, the last fragment written; not seen on a plain folder, so
  # a GStreamer race that this slower filesystem's timing exposes): the
  # timeout ends it, and only the first two segments are checked.
  rc=0
  timeout 20 gst-launch-1.0 -q videotestsrc num-buffers=90 ! video/x-raw,framerate=30/1,width=320,height=240 \
    ! x264enc tune=zerolatency key-int-max=15 ! h264parse \
    ! splitmuxsink muxer-factory=matroskamux max-size-time=1000000000 location="$mnt/seg%05d.mkv" || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 124 ] || fail "splitmuxsink on dvr-powerfs: exit $rc"
  [ "$rc" = 0 ] || echo "(gst-launch-1.0 missed its EOS; stopped after 20 s)"
  [ -s "$mnt/seg00002.mkv" ] || fail "no third segment"
  sync -d "$mnt/seg00000.mkv"; sync "$mnt"
  crash seg00000.mkv
  frames=$(ffprobe -v error -count_frames -select_streams v:0 \
    -show_entries stream=nb_read_frames -of csv=p=0 "$mnt/seg00000.mkv")
  [ "$frames" = 30 ] || fail "seg00000.mkv decodes $frames frames, wanted 30"
  [ -f "$mnt/seg00001.mkv" ] && [ ! -s "$mnt/seg00001.mkv" ] ||
    fail "seg00001.mkv: wanted its name (folder synced) without its data"
else
  echo "(no gst-launch-1.0, ffprobe, x264enc or matroskamux: case left out)"
fi

echo "all passed"
