#!/usr/bin/env bash
# udev/72-dvr-drive.rules (as meson made it from its .in) under systemd's
# own udevadm, the way udev-rules-test.sh checks the camera rules: parsed
# by udev's rule parser and run by its rule engine, after systemd's
# 60-persistent-storage.rules, whose blkid builtin reads each filesystem's
# label, UUID and usage from the filesystem itself.
#
# The filesystems are real: small images made with mkfs.ext4 and mkswap,
# attached to loop devices (outside, before anything else).  Everything
# else runs in a private mount namespace: tmpfs over /run,
# /etc/udev/rules.d and /dev, and over /sys a fake sysfs of SCSI-named
# disks and partitions whose device numbers are those of the loop devices,
# so that blkid reads the images.  SYSTEMD_DEVICE_VERIFY_SYSFS=0 lets
# sd-device accept a tree that is not sysfs.  `udevadm test` prints the
# RUN programs it would run ("run: '...'") but runs none: nothing is
# mounted.
#
#   sdb1  ext4, the configured label         -> systemd-mount at the mount point
#   sde   ext4 on the whole disk, the label  -> the same
#   sdc1  ext4, label OTHER                  -> nothing
#   sdd1  ext4, the label in lower case      -> nothing (labels are exact)
#   sdf1  swap, the label                    -> nothing (not a filesystem)
#   sdg1  ext4, no label, the test UUID      -> nothing; by UUID: mounted
#   sdh1  ext4, the label, another UUID      -> by UUID: nothing
#   sdj1  ext4, no label, another UUID       -> nothing, by label or UUID
#
# Checked: no parse complaint about the file, and a broken copy IS
# flagged; the exact systemd-mount command line (options, device, mount
# point) for the drive and none for the others, also not on a "change"
# event; UDISKS_IGNORE on the drive only; systemd-mount knows the options
# used; and the same .in made with a UUID and no label (meson's second,
# uninstalled file) mounts by UUID alone, and does not take every
# filesystem without a label.
#
# Needs root (or CAP_SYS_ADMIN and CAP_MKNOD) for unshare --mount and loop
# devices; exits 77 when that, udev, mkfs.ext4 or losetup is missing.
set -uo pipefail

skip () {
  echo "SKIP: $*"
  exit 77
}

# The test UUID of meson's by-UUID file (udev/meson.build).
test_uuid=3f0c2a61-9b7e-4d05-8c1a-6e2f4b9d0a17
test_mount_point=/run/dvr-test-drive

if [ "${1-}" != --inside ]; then
  shipped=${DVR_UDEV_DRIVE_RULES:?set by meson: build/udev/72-dvr-drive.rules}
  by_uuid=${DVR_UDEV_DRIVE_RULES_BY_UUID:?set by meson: build/udev/72-dvr-drive-by-uuid.rules.test}
  label=${DVR_DRIVE_LABEL?set by meson: the drive_label option}
  uuid=${DVR_DRIVE_UUID?set by meson: the drive_uuid option}
  mount_point=${DVR_DRIVE_MOUNT_POINT:?set by meson: the drive_mount_point option}
  command -v udevadm > /dev/null || skip "no udevadm (package udev)"
  command -v unshare > /dev/null || skip "no unshare (package util-linux)"
  command -v losetup > /dev/null || skip "no losetup (package mount)"
  command -v mkfs.ext4 > /dev/null || skip "no mkfs.ext4 (package e2fsprogs)"
  command -v mkswap > /dev/null || skip "no mkswap (package util-linux)"
  [ -f /lib/udev/rules.d/60-persistent-storage.rules ] ||
    skip "no /lib/udev/rules.d/60-persistent-storage.rules (systemd's udev)"
  [ -d /etc/udev/rules.d ] || skip "no /etc/udev/rules.d"
  unshare --mount --propagation private true 2> /dev/null ||
    skip "unshare --mount not permitted here (needs root or CAP_SYS_ADMIN)"
  work=$(mktemp -d)
  loops=()
  cleanup () {
    local l
    for l in "${loops[@]}"; do
      losetup -d "$l" 2> /dev/null
    done
  }
  trap cleanup EXIT

  # image NAME KIND LABEL UUID: an image attached to a loop device, written
  # to $work/devices as "NAME MAJOR:MINOR" (inside, /dev is another).
  image () {
    local file=$work/$1.img loop
    truncate -s 4M "$file" || return 1
    case $2 in
      ext4) mkfs.ext4 -q -F ${3:+-L "$3"} ${4:+-U "$4"} "$file" || return 1 ;;
      swap) mkswap -q ${3:+-L "$3"} "$file" > /dev/null || return 1 ;;
      none) ;;
    esac
    loop=$(losetup --find --show "$file") || return 1
    loops+=("$loop")
    echo "$1 $((16#$(stat -c %t "$loop"))):$((16#$(stat -c %T "$loop")))" >> "$work/devices"
  }
  # The configured label, or, when drive_label is empty, one that the
  # packaged file must then leave alone.
  drive_label=${label:-DVR}
  lower_label=$(tr '[:upper:]' '[:lower:]' <<< "$drive_label")
  [ "$lower_label" != "$drive_label" ] || lower_label=${drive_label}-x
  { image disk none "" "" &&
    image sdb1 ext4 "$drive_label" "" &&
    image sde ext4 "$drive_label" "" &&
    image sdc1 ext4 OTHER "" &&
    image sdd1 ext4 "$lower_label" "" &&
    image sdf1 swap "$drive_label" "" &&
    image sdg1 ext4 "" "$test_uuid" &&
    image sdh1 ext4 "$drive_label" 0b6e5a52-3c1e-4d7f-9a63-2f0c6e1d4b8a &&
    image sdj1 ext4 "" 5d2e8f40-1a6b-4c3d-9e7f-8a9b0c1d2e3f; } ||
    skip "could not make and attach the filesystem images (loop devices)"
  # The configured drive_uuid, when it is one mkfs.ext4 can give.
  if [ ${#uuid} -eq 36 ]; then
    image sdi1 ext4 "" "$uuid" || skip "could not make an image with UUID $uuid"
  elif [ -n "$uuid" ]; then
    echo "note: drive_uuid $uuid is not an ext4 UUID: no drive by UUID checked"
  fi

  unshare --mount --propagation private bash "$0" --inside "$work" "$shipped" "$by_uuid" \
    "$label" "$uuid" "$mount_point" "$lower_label"
  status=$?
  if [ $status -eq 0 ]; then
    rm -rf "$work"
  else
    echo "udevadm logs kept in $work" >&2
  fi
  exit $status
fi

work=$2 shipped=$3 by_uuid=$4 label=$5 uuid=$6 mount_point=$7 lower_label=$8
failures=0
fail () {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
die () {
  echo "ERROR: $*" >&2
  exit 1
}

# --- the private world -----------------------------------------------------

: > "$work/null"
mount --bind /dev/null "$work/null" || die "bind /dev/null"
mount -t tmpfs dvr-test /run || die "tmpfs /run"
mkdir -p /run/udev/rules.d
mount -t tmpfs dvr-test /etc/udev/rules.d || die "tmpfs /etc/udev/rules.d"
mount -t tmpfs dvr-test /dev || die "tmpfs /dev"
: > /dev/null
mount --bind "$work/null" /dev/null || die "bind /dev/null back"

mount -t tmpfs dvr-test /sys || die "tmpfs /sys"
mkdir -p /sys/class/block /sys/dev/block /sys/devices/virtual/block

declare -A loop syspath
while read -r name numbers; do
  loop[$name]=$numbers
done < "$work/devices"

# node DIR NAME DEVTYPE MAJOR:MINOR|"": block device NAME in DIR, with a
# loop device's numbers and a node, or with numbers of its own and none.
fake_minor=200
node () {
  local dir=$1/$2 major minor
  if [ -n "$4" ]; then
    major=${4%:*} minor=${4#*:}
  else
    major=7 minor=$fake_minor
    fake_minor=$((fake_minor + 1))
  fi
  mkdir -p "$dir"
  ln -s /sys/class/block "$dir/subsystem"
  printf 'MAJOR=%s\nMINOR=%s\nDEVNAME=%s\nDEVTYPE=%s\n' "$major" "$minor" "$2" "$3" > "$dir/uevent"
  [ "$3" = partition ] && { echo "PARTN=1" >> "$dir/uevent"; echo 1 > "$dir/partition"; }
  echo "$major:$minor" > "$dir/dev"
  echo 8192 > "$dir/size"
  ln -s "../../${dir#/sys/}" "/sys/class/block/$2"
  ln -s "../../${dir#/sys/}" "/sys/dev/block/$major:$minor"
  [ -z "$4" ] || mknod -m 600 "/dev/$2" b "$major" "$minor" || die "mknod /dev/$2"
  syspath[$2]=$dir
}
# A disk without a filesystem, and its partition holding one.
disk_with_partition () {
  local disk=${1%1}
  node /sys/devices/virtual/block "$disk" disk ""
  node "${syspath[$disk]}" "$1" partition "${loop[$1]}"
}
all=(sdb1 sde sdc1 sdd1 sdf1 sdg1 sdh1 sdj1)
[ -z "${loop[sdi1]-}" ] || all+=(sdi1)
for p in "${all[@]}"; do
  [ "$p" = sde ] || disk_with_partition "$p"
done
node /sys/devices/virtual/block sde disk "${loop[sde]}"

export SYSTEMD_DEVICE_VERIFY_SYSFS=0

# --- helpers ------------------------------------------------------------------

# udev_test LABEL DEVICE [ACTION]: one `udevadm test`; log in $work.
udev_test () {
  local log=$work/$1-$2.log
  udevadm test --action="${3:-add}" "${syspath[$2]}" > "$log" 2>&1 ||
    fail "$1: udevadm test $2 exited $? (log $log)"
}

all_devices () {
  local d
  for d in "${all[@]}"; do
    udev_test "$1" "$d"
  done
}

# Parse-time messages name the file first; execution traces start with the
# device name ("sdb1: /run/udev/...").
complaints () {   # complaints LOG FILE
  grep -F -- "$2:" "$1" | grep -vE '^sd[a-z]+[0-9]*: ' || true
}

expect_clean () {   # expect_clean LABEL FILE
  local text
  grep -qF "Reading rules file: $2" "$work/$1-sdb1.log" ||
    fail "$1: udev did not read $2"
  text=$(complaints "$work/$1-sdb1.log" "$2")
  [ -z "$text" ] || fail "$1: udev complains about $2: $text"
}

expect_property () {   # expect_property LABEL DEVICE KEY VALUE|-
  local value
  value=$(grep -E "^$3=" "$work/$1-$2.log" | tail -n 1 | cut -d= -f2-)
  if [ "$4" = - ]; then
    [ -z "$value" ] || fail "$1: $2 has $3=$value, expected none"
  else
    [ "$value" = "$4" ] || fail "$1: $2 has $3='$value', expected '$4'"
  fi
}

# expect_mount LABEL DEVICE MOUNT_POINT|-: the systemd-mount the event
# would run for DEVICE, exactly, or none.
expect_mount () {
  local runs expected
  runs=$(grep -E "^run: '.*systemd-mount" "$work/$1-$2.log" || true)
  if [ "$3" = - ]; then
    [ -z "$runs" ] || fail "$1: $2 would be mounted: $runs"
  else
    expected="run: '/usr/bin/systemd-mount --no-block --collect --options=nodev,nosuid,noexec,noatime /dev/$2 $3'"
    [ "$runs" = "$expected" ] || fail "$1: $2 runs '${runs:-nothing}', expected $expected"
  fi
}

# --- 0. what meson made, and what systemd-mount takes ------------------------

grep -n '@[A-Z_]*@' "$shipped" && fail "placeholders left in $shipped"
if [ -x /usr/bin/systemd-mount ]; then
  help=$(/usr/bin/systemd-mount --help 2>&1)
  for option in --no-block --collect --options=; do
    grep -qF -- "$option" <<< "$help" || fail "systemd-mount has no $option: $help"
  done
else
  echo "note: no /usr/bin/systemd-mount (package systemd): its options not checked"
fi

# --- 1. the packaged rules ---------------------------------------------------

installed=/run/udev/rules.d/72-dvr-drive.rules
cp "$shipped" "$installed"
all_devices shipped
expect_clean shipped "$installed"

# blkid saw the images as a vehicle's drives (else every check below
# would pass or fail for the wrong reason).
expect_property shipped sdb1 ID_FS_TYPE ext4
expect_property shipped sdb1 ID_FS_USAGE filesystem
expect_property shipped sdf1 ID_FS_TYPE swap
expect_property shipped sdg1 ID_FS_UUID "$test_uuid"
expect_property shipped sdc1 ID_FS_LABEL OTHER

if [ -n "$label" ]; then
  expect_property shipped sdb1 ID_FS_LABEL "$label"
  expect_mount shipped sdb1 "$mount_point"
  expect_mount shipped sde "$mount_point"
  expect_property shipped sdb1 UDISKS_IGNORE 1
  expect_property shipped sde UDISKS_IGNORE 1
  expect_mount shipped sdh1 "$mount_point"
else
  echo "note: drive_label is empty: no drive by label checked"
  expect_mount shipped sdb1 -
  expect_mount shipped sde -
fi
expect_mount shipped sdc1 -
expect_mount shipped sdd1 -
expect_mount shipped sdf1 -
expect_mount shipped sdj1 -
expect_property shipped sdj1 ID_FS_LABEL -
expect_property shipped sdc1 UDISKS_IGNORE -
expect_property shipped sdd1 UDISKS_IGNORE -
expect_property shipped sdf1 UDISKS_IGNORE -
if [ -z "$uuid" ]; then
  expect_mount shipped sdg1 -
  expect_property shipped sdg1 UDISKS_IGNORE -
fi
if [ -n "${loop[sdi1]-}" ]; then
  expect_property shipped sdi1 ID_FS_UUID "$uuid"
  expect_mount shipped sdi1 "$mount_point"
fi

# A "change" event (a write to the device, an eject) never mounts, and
# the drive stays hidden from udisks.
if [ -n "$label" ]; then
  udev_test change sdb1 change
  expect_mount change sdb1 -
  expect_property change sdb1 UDISKS_IGNORE 1
fi

# --- 2. the same .in with a UUID and no label --------------------------------

rm -f "$installed"
cp "$by_uuid" /run/udev/rules.d/72-dvr-drive.rules
all_devices by-uuid
expect_clean by-uuid /run/udev/rules.d/72-dvr-drive.rules
expect_mount by-uuid sdg1 "$test_mount_point"
expect_property by-uuid sdg1 UDISKS_IGNORE 1
# The label alone is nothing now; nor is having none (sdg1 has none, and
# an empty drive_label must not match every such filesystem).
expect_mount by-uuid sdb1 -
expect_mount by-uuid sdh1 -
expect_mount by-uuid sde -
expect_mount by-uuid sdj1 -
expect_property by-uuid sdb1 UDISKS_IGNORE -

# --- 3. the check can fail: a broken file is flagged -------------------------

vehicle=/etc/udev/rules.d/72-dvr-drive.rules
sed -e 's/^LABEL="dvr_drive_found"/LABLE="dvr_drive_found"/' \
    -e 's/RUN{program}+=/RUN{progam}+=/' "$shipped" > "$vehicle"
udev_test broken sdb1
broken=$(complaints "$work/broken-sdb1.log" "$vehicle")
grep -qE "^$vehicle:[0-9]+ Invalid key 'LABLE'" <<< "$broken" ||
  fail "broken: misspelt key not flagged: $broken"
grep -qE "^$vehicle:[0-9]+ Invalid attribute for RUN" <<< "$broken" ||
  fail "broken: the misspelt RUN{progam} not flagged: $broken"
expect_mount broken sdb1 -

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "drive rules: parsed clean; the drive (label${uuid:+ or UUID}) mounted at $mount_point" \
  "with nodev,nosuid,noexec,noatime, nothing else; by UUID alone; broken file flagged"
