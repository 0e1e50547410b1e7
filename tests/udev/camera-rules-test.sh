#!/usr/bin/env bash
# tools/dvr-camera-rules against a fake udevadm that answers
# `info -q property -n NODE` with canned properties (what udev 252 reports
# for UVC cameras), and a fake sysfs holding each node's "index".
#
# Nodes: video0/1 camera A on port 1 (capture, metadata), video2/3 camera B
# on port 2, video4/5 camera C on port 3 (no serial number), video6 camera
# C's second capture node (H.264 stream), video10 a v4l2loopback node (no
# port, no serial).  Ports 1-3 on 0000:00:14.0 are the reference harness of
# the packaged udev/70-dvr-cameras.rules.
set -euo pipefail

tool=${DVR_CAMERA_RULES:?set by meson: tools/dvr-camera-rules}
shipped=${DVR_UDEV_RULES:?set by meson: udev/70-dvr-cameras.rules}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail () {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

mkdir -p "$work/props" "$work/sys"
cat > "$work/udevadm" <<'EOF'
#!/bin/sh
# fake udevadm: only what dvr-camera-rules may call.
if [ "$#" -ne 5 ] || [ "$1 $2 $3 $4" != "info -q property -n" ]; then
  echo "fake udevadm: unexpected arguments: $*" >&2
  exit 64
fi
f=$FAKE_UDEV/props/$(basename "$5")
if [ ! -f "$f" ]; then
  echo "Unknown device \"$5\": No such device" >&2
  exit 1
fi
cat "$f"
EOF
chmod +x "$work/udevadm"
export FAKE_UDEV=$work DVR_UDEVADM=$work/udevadm DVR_SYSFS=$work/sys

# node NAME INDEX CAPS [KEY=VALUE...]: canned properties and sysfs index.
node () {
  local name=$1 index=$2 caps=$3 devpath
  shift 3
  devpath=/devices/pci0000:00/0000:00:14.0/usb1/$name
  case $name in video10) devpath=/devices/virtual/video4linux/video10 ;; esac
  mkdir -p "$work/sys$devpath"
  echo "$index" > "$work/sys$devpath/index"
  {
    echo "DEVPATH=$devpath"
    echo "DEVNAME=/dev/$name"
    echo "MAJOR=81"
    echo "MINOR=${name#video}"
    echo "SUBSYSTEM=video4linux"
    echo "ID_V4L_VERSION=2"
    echo "ID_V4L_CAPABILITIES=$caps"
    printf '%s\n' "$@"
  } > "$work/props/$name"
}

usb () {   # usb PORT VENDOR MODEL [SERIAL]
  local port=$1 vendor=$2 model=$3 serial=${4:-}
  echo "ID_BUS=usb"
  echo "ID_VENDOR=$vendor"
  echo "ID_MODEL=$model"
  if [ -n "$serial" ]; then
    echo "ID_SERIAL=${vendor}_${model}_$serial"
    echo "ID_SERIAL_SHORT=$serial"
  else
    echo "ID_SERIAL=${vendor}_${model}"
  fi
  echo "ID_TYPE=video"
  echo "ID_USB_INTERFACE_NUM=00"
  echo "ID_PATH=pci-0000:00:14.0-usb-0:$port:1.0"
  echo "ID_PATH_TAG=pci-0000_00_14_0-usb-0_${port}_1_0"
}

mapfile -t cam_a < <(usb 1 Logitech C925e 8A1B2C3D)
mapfile -t cam_b < <(usb 2 Logitech C925e 5E6F7081)
mapfile -t cam_c < <(usb 3 Generic USB_Camera)
node video0 0 :capture: "ID_V4L_PRODUCT=Logitech Webcam C925e" "${cam_a[@]}" \
  "DEVLINKS=/dev/v4l/by-path/pci-0000:00:14.0-usb-0:1:1.0-video-index0 /dev/dvr/cam-front"
node video1 1 : "ID_V4L_PRODUCT=Logitech Webcam C925e" "${cam_a[@]}"
node video2 0 :capture: "ID_V4L_PRODUCT=Logitech Webcam C925e" "${cam_b[@]}"
node video3 1 : "ID_V4L_PRODUCT=Logitech Webcam C925e" "${cam_b[@]}"
node video4 0 :capture: "ID_V4L_PRODUCT=USB Camera: MJPEG" "${cam_c[@]}"
node video5 1 : "ID_V4L_PRODUCT=USB Camera: MJPEG" "${cam_c[@]}"
node video6 2 :capture: "ID_V4L_PRODUCT=USB Camera: H.264" "${cam_c[@]}"
node video10 0 :capture:video_output: "ID_V4L_PRODUCT=Dummy video device (0x0000)"

# run EXPECTED_STATUS ARGS...: runs the tool, output in $out, $err.
run () {
  local expected=$1 status=0
  shift
  "$tool" "$@" > "$work/out" 2> "$work/err" || status=$?
  out=$(cat "$work/out")
  err=$(cat "$work/err")
  if [ "$status" -ne "$expected" ]; then
    fail "dvr-camera-rules $*: exit $status, expected $expected; stderr: $err"
    return 1
  fi
}

expect_in () {   # expect_in WHAT TEXT PATTERN (fixed string)
  grep -qF -- "$3" <<< "$2" || fail "$1: no \"$3\" in: $2"
}

rule_lines () {
  grep -v -e '^#' -e '^$' "$@"
}

# --- listing: capture nodes with port and serial; other nodes skipped, saying why
if run 0 /dev/video0 /dev/video1 /dev/video4; then
  expect_in "list" "$out" "/dev/video0  capture node, index 0"
  expect_in "list" "$out" "port     pci-0000:00:14.0-usb-0:1:1.0"
  expect_in "list" "$out" "serial   Logitech_C925e_8A1B2C3D"
  expect_in "list" "$out" "product  Logitech Webcam C925e"
  expect_in "list" "$out" "named    /dev/dvr/cam-front"
  expect_in "list" "$out" "/dev/video1  skipped: not a capture node (capabilities \":\")"
  expect_in "list" "$out" "serial   (none: the camera reports no serial number)"
  grep -q '^/dev/video1  capture' <<< "$out" && fail "list: metadata node listed as a capture node"
fi
run 0 --list /dev/video2 && expect_in "--list" "$out" "/dev/video2  capture node"
run 1 /dev/video9 && expect_in "list unknown" "$err" 'Unknown device "/dev/video9"'

# --- the reference harness: same rule lines as the packaged file
if run 0 front=/dev/video0 rear=/dev/video2 cabin=/dev/video4; then
  echo "$out" > "$work/by-port.rules"
  diff -u <(rule_lines "$shipped") <(rule_lines "$work/by-port.rules") >&2 ||
    fail "generated reference-harness rules differ from $shipped"
  expect_in "by port" "$out" 'ENV{ID_PATH}=="pci-0000:00:14.0-usb-0:1:1.0", ATTR{index}=="0", SYMLINK+="dvr/cam-front", GROUP="video", MODE="0660"'
  expect_in "by port" "$out" 'ENV{ID_V4L_CAPABILITIES}!="*:capture:*", GOTO="dvr_cameras_end"'
  expect_in "by port header" "$out" "install -m644 THIS_FILE /etc/udev/rules.d/70-dvr-cameras.rules"
  expect_in "by port header" "$out" "udevadm control --reload"
  expect_in "by port header" "$out" "udevadm trigger -s video4linux"
  expect_in "by port header" "$out" "# Generated by: dvr-camera-rules front=/dev/video0 rear=/dev/video2 cabin=/dev/video4"
  [ -z "$err" ] || fail "by port: unexpected stderr: $err"
fi

# --- a chosen stream: the second capture node keeps its own index
if run 0 cabin=/dev/video6; then
  expect_in "index 2" "$out" 'ENV{ID_PATH}=="pci-0000:00:14.0-usb-0:3:1.0", ATTR{index}=="2", SYMLINK+="dvr/cam-cabin"'
fi

# --- by serial
if run 0 --by-serial front=/dev/video0 rear=/dev/video2; then
  expect_in "by serial" "$out" 'ENV{ID_SERIAL}=="Logitech_C925e_8A1B2C3D", ATTR{index}=="0", SYMLINK+="dvr/cam-front", GROUP="video", MODE="0660"'
  expect_in "by serial" "$out" 'ENV{ID_SERIAL}=="Logitech_C925e_5E6F7081", ATTR{index}=="0", SYMLINK+="dvr/cam-rear"'
  grep -q 'ID_PATH}==' <<< "$out" && fail "by serial: a rule matches ID_PATH"
fi

# --- refusals: exit 1, every reason on stderr, nothing on stdout
refused () {   # refused PATTERN ARGS...
  local pattern=$1
  shift
  if run 1 "$@"; then
    expect_in "refuse $*" "$err" "$pattern"
    [ -z "$out" ] || fail "refuse $*: printed rules anyway"
  fi
}
refused "front=/dev/video1: not a capture node" front=/dev/video1
refused "rear=/dev/video10: udev gives it no ID_PATH" front=/dev/video0 rear=/dev/video10
refused "cabin=/dev/video4: the camera reports no serial number" --by-serial front=/dev/video0 cabin=/dev/video4
refused "front=/dev/video10: udev gives it no ID_SERIAL" --by-serial front=/dev/video10
refused "h264=/dev/video6: same port as cabin=/dev/video4" cabin=/dev/video4 h264=/dev/video6
refused "rear=/dev/video0: same port as front=/dev/video0" front=/dev/video0 rear=/dev/video0
refused "rear=/dev/video0: same serial as front=/dev/video0" --by-serial front=/dev/video0 rear=/dev/video0
refused 'front=/dev/video9: udevadm info: Unknown device "/dev/video9"' front=/dev/video9
if run 1 front=/dev/video1 rear=/dev/video10 cabin=/dev/video4; then
  expect_in "all reported" "$err" "front=/dev/video1: not a capture node"
  expect_in "all reported" "$err" "rear=/dev/video10: udev gives it no ID_PATH"
fi

# --- usage errors: exit 2 before any device is looked at
usage () {   # usage PATTERN ARGS...
  local pattern=$1
  shift
  if run 2 "$@"; then
    expect_in "usage $*" "$err" "$pattern"
    [ -z "$out" ] || fail "usage $*: printed something on stdout"
  fi
}
usage '"Front": a position is 1 to 32 characters a-z 0-9 _ -' Front=/dev/video0
usage '"rear view": a position is' "rear view=/dev/video2"
usage '": a position is' =/dev/video0
usage 'a position is' "$(printf 'a%.0s' {1..33})=/dev/video0"
usage 'position "front" is given twice' front=/dev/video0 front=/dev/video2
usage 'expected POSITION=NODE' front=/dev/video0 /dev/video2
usage 'front=: no device node' front=
usage 'unknown option "--bogus"' --bogus front=/dev/video0
usage '--by-serial names cameras' --by-serial
usage '"front.cam": a position is' front.cam=/dev/video9
usage 'listing takes device nodes' /dev/video0 front=/dev/video2
run 0 "$(printf 'a%.0s' {1..32})=/dev/video0" || true
run 0 --help && expect_in "--help" "$out" "POSITION=NODE"

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "dvr-camera-rules: all checks passed"
