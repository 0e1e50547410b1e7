#!/usr/bin/env bash
# The camera rules under systemd's own udevadm (252 has no `udevadm
# verify`): parsed by udev's rule parser, and run by its rule engine
# against UVC cameras, with systemd's 60-persistent-v4l.rules and its
# usb_id/path_id builtins computing ID_PATH and ID_SERIAL as on a vehicle.
#
# `udevadm test` reads rules only from the system directories and applies
# what it computes (links, modes, the udev database), so everything runs
# in a private mount namespace: tmpfs over /run, /etc/udev/rules.d and
# /dev, and over /sys a fake sysfs tree of three USB cameras (capture and
# metadata nodes, one with a second H.264 capture node).  v4l_id, which
# would ask the node with VIDIOC_QUERYCAP, is replaced inside the
# namespace by a stub answering what systemd 252's v4l_id prints for
# such nodes (":capture:" or ":").  SYSTEMD_DEVICE_VERIFY_SYSFS=0 lets
# sd-device accept a tree that is not sysfs.
#
# Checked: no parse complaint about the packaged file or a generated one,
# and a deliberately broken file IS flagged (so the check can fail); each
# capture node gets its /dev/dvr name, group and mode, no metadata node or
# second stream does; a file in /etc masks the packaged one;
# dvr-camera-rules reads the real `udevadm info` output; a serial-named
# camera keeps its name on another port.
#
# Needs root (or CAP_SYS_ADMIN and CAP_MKNOD) for unshare --mount; exits
# 77 when that or udev is missing.
set -uo pipefail

skip () {
  echo "SKIP: $*"
  exit 77
}

if [ "${1-}" != --inside ]; then
  tool=${DVR_CAMERA_RULES:?set by meson: tools/dvr-camera-rules}
  shipped=${DVR_UDEV_RULES:?set by meson: udev/70-dvr-cameras.rules}
  command -v udevadm > /dev/null || skip "no udevadm (package udev)"
  command -v unshare > /dev/null || skip "no unshare (package util-linux)"
  v4l_id=$(readlink -f /lib/udev/v4l_id 2> /dev/null || true)
  [ -x "$v4l_id" ] || skip "no /lib/udev/v4l_id (systemd's udev)"
  [ -f /lib/udev/rules.d/60-persistent-v4l.rules ] || skip "no 60-persistent-v4l.rules"
  [ -d /etc/udev/rules.d ] || skip "no /etc/udev/rules.d"
  getent group video > /dev/null || skip "no group \"video\""
  unshare --mount --propagation private true 2> /dev/null ||
    skip "unshare --mount not permitted here (needs root or CAP_SYS_ADMIN)"
  work=$(mktemp -d)
  # Removed from out here: inside, parts of it are mount points.  Kept
  # when a check fails, for the udevadm logs.
  unshare --mount --propagation private \
    bash "$0" --inside "$work" "$tool" "$shipped" "$v4l_id"
  status=$?
  if [ $status -eq 0 ]; then
    rm -rf "$work"
  else
    echo "udevadm logs kept in $work" >&2
  fi
  exit $status
fi

work=$2 tool=$3 shipped=$4 v4l_id=$5
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

mkdir -p "$work/caps"
cat > "$work/v4l_id" <<EOF
#!/bin/sh
# v4l_id stand-in: what systemd 252's v4l_id prints for the node.
name=\${1##*/}
[ -f "$work/caps/\$name" ] || exit 3
echo ID_V4L_VERSION=2
echo "ID_V4L_PRODUCT=USB Camera"
echo "ID_V4L_CAPABILITIES=\$(cat "$work/caps/\$name")"
EOF
chmod +x "$work/v4l_id"
mount --bind "$work/v4l_id" "$v4l_id" || die "bind over $v4l_id"

mount -t tmpfs dvr-test /sys || die "tmpfs /sys"
mkdir -p /sys/bus/pci /sys/bus/usb /sys/class/video4linux /sys/dev/char
pci=/sys/devices/pci0000:00/0000:00:14.0
mkdir -p "$pci/usb1"
ln -s ../../../bus/pci "$pci/subsystem"
printf 'DRIVER=xhci_hcd\nPCI_SLOT_NAME=0000:00:14.0\n' > "$pci/uevent"
ln -s ../../../../bus/usb "$pci/usb1/subsystem"
printf 'DEVTYPE=usb_device\nBUSNUM=001\nDEVNUM=001\n' > "$pci/usb1/uevent"

# camera PORT SERIAL NODE:INDEX:CAPS...: a UVC camera on root-hub PORT.
camera () {
  local port=$1 serial=$2 device=$pci/usb1/1-$1 interface spec name index
  shift 2
  interface=$device/1-$port:1.0
  mkdir -p "$interface/video4linux"
  ln -s ../../../../../bus/usb "$device/subsystem"
  printf 'DEVTYPE=usb_device\nBUSNUM=001\nDEVNUM=00%s\n' "$((port + 1))" > "$device/uevent"
  echo 1e4e > "$device/idVendor"
  echo 0110 > "$device/idProduct"
  echo 0100 > "$device/bcdDevice"
  echo Patrolcam > "$device/manufacturer"
  echo PC200 > "$device/product"
  [ -z "$serial" ] || echo "$serial" > "$device/serial"
  ln -s ../../../../../../bus/usb "$interface/subsystem"
  printf 'DEVTYPE=usb_interface\nINTERFACE=14/1/0\n' > "$interface/uevent"
  echo 0e > "$interface/bInterfaceClass"
  echo 01 > "$interface/bInterfaceSubClass"
  echo 00 > "$interface/bInterfaceProtocol"
  echo 00 > "$interface/bInterfaceNumber"
  for spec in "$@"; do
    IFS=: read -r name index _ <<< "$spec"
    local minor=${name#video} node=$interface/video4linux/$name
    mkdir -p "$node"
    ln -s ../../../../../../../../class/video4linux "$node/subsystem"
    printf 'MAJOR=81\nMINOR=%s\nDEVNAME=%s\n' "$minor" "$name" > "$node/uevent"
    echo "$index" > "$node/index"
    echo "USB Camera" > "$node/name"
    echo "81:$minor" > "$node/dev"
    ln -s "../../${node#/sys/}" "/sys/class/video4linux/$name"
    ln -s "../../${node#/sys/}" "/sys/dev/char/81:$minor"
    echo "${spec#*:*:}" > "$work/caps/$name"
    mknod -m 600 "/dev/$name" c 81 "$minor" || die "mknod /dev/$name"
    syspath[minor]=$node
  done
}
declare -a syspath
camera 1 8A1B2C3D video0:0::capture: video1:1::
camera 2 5E6F7081 video2:0::capture: video3:1::
camera 3 "" video4:0::capture: video5:1:: video6:2::capture: video7:3::

export SYSTEMD_DEVICE_VERIFY_SYSFS=0
video_gid=$(getent group video | cut -d: -f3)

# --- helpers ------------------------------------------------------------------

# udev_test LABEL NODE: one `udevadm test` of an "add" event; log in $work.
udev_test () {
  local log=$work/$1-$2.log minor=${2#video}
  udevadm test --action=add "${syspath[$minor]}" > "$log" 2>&1 ||
    fail "$1: udevadm test $2 exited $? (log $log)"
}

# all_nodes LABEL: an event for every node, as `udevadm trigger` would.
all_nodes () {
  local n
  for n in 0 1 2 3 4 5 6 7; do
    udev_test "$1" "video$n"
  done
}

# Parse-time messages name the file first; execution traces start with the
# device name ("video0: /run/udev/...").
complaints () {   # complaints LOG FILE
  grep -F -- "$2:" "$1" | grep -v '^video[0-9]*: ' || true
}

expect_clean () {   # expect_clean LABEL FILE
  local text
  grep -qF "Reading rules file: $2" "$work/$1-video0.log" ||
    fail "$1: udev did not read $2"
  text=$(complaints "$work/$1-video0.log" "$2")
  [ -z "$text" ] || fail "$1: udev complains about $2: $text"
}

# expect_name LABEL NODE NAME|-: the /dev/dvr link that event gave NODE.
expect_name () {
  local links
  links=$(sed -n 's/^DEVLINKS=//p' "$work/$1-$2.log" | tr ' ' '\n' | grep '^/dev/dvr/' || true)
  if [ "$3" = - ]; then
    [ -z "$links" ] || fail "$1: $2 was named $links, expected no name"
  else
    [ "$links" = "/dev/dvr/$3" ] || fail "$1: $2 was named '${links//$'\n'/ }', expected /dev/dvr/$3"
  fi
}

expect_link () {   # expect_link LABEL NAME NODE: the link left in /dev
  local target
  target=$(readlink "/dev/dvr/$2" || true)
  [ "$target" = "../$3" ] || fail "$1: /dev/dvr/$2 -> '$target', expected ../$3"
}

# --- 1. the packaged rules: reference harness, front/rear/cabin on ports 1-3

installed=/run/udev/rules.d/70-dvr-cameras.rules
cp "$shipped" "$installed"
all_nodes shipped
expect_clean shipped "$installed"
expect_name shipped video0 cam-front
expect_name shipped video1 -
expect_name shipped video2 cam-rear
expect_name shipped video3 -
expect_name shipped video4 cam-cabin
expect_name shipped video5 -
expect_name shipped video6 -
expect_name shipped video7 -
expect_link shipped cam-front video0
expect_link shipped cam-rear video2
expect_link shipped cam-cabin video4
grep -qE "^video0: $installed:[0-9]+ GROUP $video_gid\$" "$work/shipped-video0.log" ||
  fail "shipped: our rule did not set GROUP video on video0"
grep -qE "^video0: $installed:[0-9]+ MODE 0660\$" "$work/shipped-video0.log" ||
  fail "shipped: our rule did not set MODE 0660 on video0"
[ "$(stat -c '%g %a' /dev/video0)" = "$video_gid 660" ] ||
  fail "shipped: /dev/video0 is $(stat -c '%G %a' /dev/video0), expected video 660"

# --- 2. a vehicle's own file from dvr-camera-rules, reading real udevadm
#        output (the database step 1 wrote); cameras mapped differently

listing=$("$tool" 2>&1) || fail "dvr-camera-rules (list) failed: $listing"
grep -qF "/dev/video1  skipped: not a capture node" <<< "$listing" ||
  fail "list: video1 not skipped as a non-capture node: $listing"
grep -qF "port     pci-0000:00:14.0-usb-0:1:1.0" <<< "$listing" ||
  fail "list: no port for video0: $listing"
grep -qF "serial   Patrolcam_PC200_8A1B2C3D" <<< "$listing" ||
  fail "list: no serial for video0: $listing"
grep -qF "named    /dev/dvr/cam-front" <<< "$listing" ||
  fail "list: video0's name not shown: $listing"
grep -qF "/dev/video6  capture node, index 2" <<< "$listing" ||
  fail "list: video6 not a capture node with index 2: $listing"

vehicle=/etc/udev/rules.d/70-dvr-cameras.rules
"$tool" front=/dev/video2 rear=/dev/video0 cabin=/dev/video6 > "$vehicle" ||
  fail "dvr-camera-rules by port failed"
all_nodes by-port
expect_clean by-port "$vehicle"
grep -qF "Reading rules file: $installed" "$work/by-port-video0.log" &&
  fail "by-port: udev read the packaged $installed although $vehicle masks it"
expect_name by-port video0 cam-rear
expect_name by-port video1 -
expect_name by-port video2 cam-front
expect_name by-port video4 -
expect_name by-port video6 cam-cabin
expect_name by-port video7 -
expect_link by-port cam-front video2
expect_link by-port cam-rear video0
expect_link by-port cam-cabin video6

# --- 3. by serial: the camera keeps its name when moved to another port

"$tool" --by-serial front=/dev/video0 rear=/dev/video2 > "$vehicle" ||
  fail "dvr-camera-rules --by-serial failed"
all_nodes by-serial
expect_clean by-serial "$vehicle"
expect_name by-serial video0 cam-front
expect_name by-serial video2 cam-rear
expect_name by-serial video4 -
# Swap the two cameras between ports 1 and 2.
echo 5E6F7081 > "$pci/usb1/1-1/serial"
echo 8A1B2C3D > "$pci/usb1/1-2/serial"
all_nodes swapped
expect_name swapped video0 cam-rear
expect_name swapped video2 cam-front
expect_link swapped cam-front video2
expect_link swapped cam-rear video0

# --- 4. the check can fail: a broken file is flagged, line by line

sed -e '/cam-front/s/SYMLINK+=/SYMLNK+=/' \
    -e '/cam-rear/s/GROUP="video"/GROUP="vidoe"/' \
    -e '$s/$/\nSUBSYSTEM=="video4linux", SYMLINK+="dvr\/cam-x/' "$installed" > "$vehicle"
udev_test broken video0
broken=$(complaints "$work/broken-video0.log" "$vehicle")
grep -qE "^$vehicle:[0-9]+ Invalid key 'SYMLNK'" <<< "$broken" ||
  fail "broken: misspelt key not flagged: $broken"
grep -qE "^$vehicle:[0-9]+ Unknown group 'vidoe'" <<< "$broken" ||
  fail "broken: unknown group not flagged: $broken"
grep -qE "^$vehicle:[0-9]+ Invalid key/value pair" <<< "$broken" ||
  fail "broken: unterminated quote not flagged: $broken"

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "udev rules: parsed clean, names as expected, broken file flagged"
