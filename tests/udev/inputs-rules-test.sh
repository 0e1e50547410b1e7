#!/usr/bin/env bash
# udev/71-dvr-inputs.rules under systemd's own udevadm, the way
# udev-rules-test.sh checks the camera rules: parsed by udev's rule
# parser and run by its rule engine, with systemd's 60-persistent-input,
# 60-input-id and 60-serial rules and their usb_id/path_id/input_id
# builtins computing ID_PATH, ID_SERIAL and ID_INPUT_* as on a vehicle.
#
# Everything runs in a private mount namespace: tmpfs over /run,
# /etc/udev/rules.d and /dev, a copy of /etc/group that has the "gpio"
# group (what config/dvr.sysusers creates at boot), and over /sys a fake
# sysfs holding the reference harness of the rules' examples:
#   port 4   USB button box (HID keyboard)             -> /dev/dvr/button
#   port 6   an ordinary USB keyboard                  -> no name
#   port 5   I/O module, CP210x USB serial (10c4:ea60) -> /dev/dvr/io
#   port 7   a GPS receiver, also a CP210x             -> no name, gpsd's
#   platform lis3lv02d accelerometer                   -> /dev/dvr/accel
#   platform INT34C6:00 gpiochip0 (the DVR's)          -> group gpio
#   platform INT34C5:00 gpiochip1 (not the DVR's)      -> untouched
#   the legacy sysfs class device gpiochip512          -> untouched
# SYSTEMD_DEVICE_VERIFY_SYSFS=0 lets sd-device accept a tree that is not
# sysfs.
#
# Checked: no parse complaint about the packaged file, and a broken copy
# IS flagged; every name, group and mode; gpsd's hotplug and ModemManager
# are kept off the I/O module's port but not off the GPS receiver; a
# technician's file in /etc masks the packaged one and can name the button
# by serial number, which then follows it to another port.
#
# Needs root (or CAP_SYS_ADMIN and CAP_MKNOD) for unshare --mount; exits
# 77 when that or udev is missing.
set -uo pipefail

skip () {
  echo "SKIP: $*"
  exit 77
}

if [ "${1-}" != --inside ]; then
  shipped=${DVR_UDEV_INPUT_RULES:?set by meson: udev/71-dvr-inputs.rules}
  command -v udevadm > /dev/null || skip "no udevadm (package udev)"
  command -v unshare > /dev/null || skip "no unshare (package util-linux)"
  for f in 60-persistent-input.rules 60-input-id.rules 60-serial.rules; do
    [ -f "/lib/udev/rules.d/$f" ] || skip "no /lib/udev/rules.d/$f (systemd's udev)"
  done
  [ -d /etc/udev/rules.d ] || skip "no /etc/udev/rules.d"
  for g in input dialout; do
    getent group "$g" > /dev/null || skip "no group \"$g\""
  done
  unshare --mount --propagation private true 2> /dev/null ||
    skip "unshare --mount not permitted here (needs root or CAP_SYS_ADMIN)"
  work=$(mktemp -d)
  unshare --mount --propagation private bash "$0" --inside "$work" "$shipped"
  status=$?
  if [ $status -eq 0 ]; then
    rm -rf "$work"
  else
    echo "udevadm logs kept in $work" >&2
  fi
  exit $status
fi

work=$2 shipped=$3
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
mkdir -p /dev/input

# The gpio group, as systemd-sysusers would make it from config/dvr.sysusers.
cp /etc/group "$work/group"
getent group gpio > /dev/null || echo "gpio:x:64999:" >> "$work/group"
mount --bind "$work/group" /etc/group || die "bind /etc/group"
gpio_gid=$(getent group gpio | cut -d: -f3)
input_gid=$(getent group input | cut -d: -f3)
dialout_gid=$(getent group dialout | cut -d: -f3)
[ -n "$gpio_gid" ] || die "no gpio group in the namespace"

mount -t tmpfs dvr-test /sys || die "tmpfs /sys"
mkdir -p /sys/bus/pci /sys/bus/usb /sys/bus/usb-serial /sys/bus/hid /sys/bus/platform \
  /sys/bus/gpio /sys/class/input /sys/class/tty /sys/class/gpio /sys/dev/char

# sub DIR TARGET: DIR's subsystem link, relative as in sysfs.
sub () {
  local rel=${1#/sys/} up=
  while [ -n "$rel" ]; do
    up=../$up
    case $rel in */*) rel=${rel#*/} ;; *) rel= ;; esac
  done
  ln -s "${up}$2" "$1/subsystem"
}

declare -A syspath

# node SYSDIR CLASS NAME MAJOR MINOR [DEVNAME]: a device node under SYSDIR.
node () {
  local dir=$1/$3 devname=${6:-$3}
  mkdir -p "$dir"
  sub "$dir" "class/$2"
  printf 'MAJOR=%s\nMINOR=%s\nDEVNAME=%s\n' "$4" "$5" "$devname" > "$dir/uevent"
  echo "$4:$5" > "$dir/dev"
  ln -s "../../${dir#/sys/}" "/sys/class/$2/$3"
  ln -s "../../${dir#/sys/}" "/sys/dev/char/$4:$5"
  mknod -m 600 "/dev/$devname" c "$4" "$5" || die "mknod /dev/$devname"
  syspath[$3]=$dir
}

pci=/sys/devices/pci0000:00/0000:00:14.0
mkdir -p "$pci/usb1"
sub "$pci" bus/pci
printf 'DRIVER=xhci_hcd\nPCI_SLOT_NAME=0000:00:14.0\n' > "$pci/uevent"
sub "$pci/usb1" bus/usb
printf 'DEVTYPE=usb_device\nBUSNUM=001\nDEVNUM=001\n' > "$pci/usb1/uevent"

# usb PORT VENDOR PRODUCT MANUFACTURER NAME SERIAL CLASS: a USB device
# with one interface; prints the interface's folder.
usb () {
  local port=$1 device=$pci/usb1/1-$1 interface
  interface=$device/1-$port:1.0
  mkdir -p "$interface"
  sub "$device" bus/usb
  printf 'DEVTYPE=usb_device\nBUSNUM=001\nDEVNUM=00%s\nPRODUCT=%s/%s/100\n' \
    "$port" "${2#0}" "${3#0}" > "$device/uevent"
  echo "$2" > "$device/idVendor"
  echo "$3" > "$device/idProduct"
  echo 0100 > "$device/bcdDevice"
  echo "$4" > "$device/manufacturer"
  echo "$5" > "$device/product"
  [ -z "$6" ] || echo "$6" > "$device/serial"
  sub "$interface" bus/usb
  printf 'DEVTYPE=usb_interface\nINTERFACE=%d/0/0\n' "0x$7" > "$interface/uevent"
  echo "$7" > "$interface/bInterfaceClass"
  echo 00 > "$interface/bInterfaceSubClass"
  echo 00 > "$interface/bInterfaceProtocol"
  echo 00 > "$interface/bInterfaceNumber"
  echo "$interface"
}

# input PARENT N NAME EV KEY ABS PROPS: input device inputN and its eventN.
input () {
  local dir=$1/input/input$2
  mkdir -p "$dir/capabilities" "$dir/id"
  sub "$dir" class/input
  printf 'PRODUCT=3/1209/1/100\nNAME="%s"\n' "$3" > "$dir/uevent"
  echo "$3" > "$dir/name"
  echo "$4" > "$dir/capabilities/ev"
  echo "$5" > "$dir/capabilities/key"
  echo "$6" > "$dir/capabilities/abs"
  for c in rel msc sw led snd ff; do echo 0 > "$dir/capabilities/$c"; done
  echo "$7" > "$dir/properties"
  echo 0003 > "$dir/id/bustype"
  node "$dir" input "event$2" 13 $((64 + $2)) "input/event$2"
}

# A HID keyboard's key bitmap: KEY_ESC..KEY_D and more (ID_INPUT_KEYBOARD).
kbd_keys="fffffffffffffffe"
# The button box: KEY_PROG1 (148) only, ID_INPUT_KEY but not a keyboard.
button_keys="100000 0 0"

iface=$(usb 4 1209 0001 Acme Patrol_Button_Box 0001A7 03)
mkdir -p "$iface/0003:1209:0001.0001"
sub "$iface/0003:1209:0001.0001" bus/hid
input "$iface/0003:1209:0001.0001" 4 "Acme Patrol Button Box" 100013 "$button_keys" 0 0

iface=$(usb 6 046d c31c Logitech USB_Keyboard "" 03)
mkdir -p "$iface/0003:046D:C31C.0002"
sub "$iface/0003:046D:C31C.0002" bus/hid
input "$iface/0003:046D:C31C.0002" 6 "Logitech USB Keyboard" 120013 "$kbd_keys" 0 0

# The accelerometer: ABS_X/Y/Z and INPUT_PROP_ACCELEROMETER (bit 6).
accel=/sys/devices/platform/lis3lv02d
mkdir -p "$accel"
sub "$accel" bus/platform
echo "DRIVER=lis3lv02d" > "$accel/uevent"
input "$accel" 7 "ST LIS3LV02DL Accelerometer" 9 0 7 40

# serial PORT SERIAL NAME MINOR: a CP210x on PORT with ttyUSB node NAME.
serial () {
  local iface port_dir
  iface=$(usb "$1" 10c4 ea60 Silicon_Labs CP2102_USB_to_UART_Bridge_Controller "$2" ff)
  port_dir=$iface/$3
  mkdir -p "$port_dir"
  sub "$port_dir" bus/usb-serial
  echo 0 > "$port_dir/port_number"
  : > "$port_dir/uevent"
  node "$port_dir/tty" tty "$3" 188 "$4"
}
serial 5 IO0042 ttyUSB0 0
serial 7 GPS0815 ttyUSB1 1

# gpiochip PLATFORM N: GPIO chip character device N of a platform device.
gpiochip () {
  local dir=/sys/devices/platform/$1/gpiochip$2
  mkdir -p "$dir"
  sub "/sys/devices/platform/$1" bus/platform
  : > "/sys/devices/platform/$1/uevent"
  sub "$dir" bus/gpio
  printf 'MAJOR=254\nMINOR=%s\nDEVNAME=gpiochip%s\n' "$2" "$2" > "$dir/uevent"
  echo "254:$2" > "$dir/dev"
  ln -s "../../../devices/platform/$1/gpiochip$2" "/sys/bus/gpio/gpiochip$2" 2> /dev/null
  ln -s "../../${dir#/sys/}" "/sys/dev/char/254:$2"
  mknod -m 600 "/dev/gpiochip$2" c 254 "$2" || die "mknod /dev/gpiochip$2"
  syspath[gpiochip$2]=$dir
}
gpiochip INT34C6:00 0
gpiochip INT34C5:00 1
# The legacy sysfs class's view of chip 0: same kind of name, no node.
legacy=/sys/devices/platform/INT34C6:00/gpio/gpiochip512
mkdir -p "$legacy"
sub "$legacy" class/gpio
: > "$legacy/uevent"
echo 512 > "$legacy/base"
syspath[gpiochip512]=$legacy

export SYSTEMD_DEVICE_VERIFY_SYSFS=0
all=(event4 event6 event7 ttyUSB0 ttyUSB1 gpiochip0 gpiochip1 gpiochip512)

# --- helpers ------------------------------------------------------------------

# udev_test LABEL DEVICE: one `udevadm test` of an "add" event; log in $work.
udev_test () {
  local log=$work/$1-$2.log
  udevadm test --action=add "${syspath[$2]}" > "$log" 2>&1 ||
    fail "$1: udevadm test $2 exited $? (log $log)"
}

all_devices () {
  local d
  for d in "${all[@]}"; do
    udev_test "$1" "$d"
  done
}

# Parse-time messages name the file first; execution traces start with the
# device name ("event4: /run/udev/...").
complaints () {   # complaints LOG FILE
  grep -F -- "$2:" "$1" | grep -vE '^(event|ttyUSB|gpiochip)[0-9]*: ' || true
}

expect_clean () {   # expect_clean LABEL FILE
  local text
  grep -qF "Reading rules file: $2" "$work/$1-event4.log" ||
    fail "$1: udev did not read $2"
  text=$(complaints "$work/$1-event4.log" "$2")
  [ -z "$text" ] || fail "$1: udev complains about $2: $text"
}

# expect_name LABEL DEVICE NAME|-: the /dev/dvr link that event gave DEVICE.
expect_name () {
  local links
  links=$(sed -n 's/^DEVLINKS=//p' "$work/$1-$2.log" | tr ' ' '\n' | grep '^/dev/dvr/' || true)
  if [ "$3" = - ]; then
    [ -z "$links" ] || fail "$1: $2 was named $links, expected no name"
  else
    [ "$links" = "/dev/dvr/$3" ] || fail "$1: $2 was named '${links//$'\n'/ }', expected /dev/dvr/$3"
  fi
}

expect_link () {   # expect_link LABEL NAME TARGET: the link left in /dev
  local target
  target=$(readlink "/dev/dvr/$2" || true)
  [ "$target" = "$3" ] || fail "$1: /dev/dvr/$2 -> '$target', expected $3"
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

expect_access () {   # expect_access LABEL NODE GID MODE
  local got
  got=$(stat -c '%g %a' "/dev/$2")
  [ "$got" = "$3 $4" ] || fail "$1: /dev/$2 is gid/mode $got, expected $3 $4"
}

# --- 1. the packaged rules: the reference harness ----------------------------

installed=/run/udev/rules.d/71-dvr-inputs.rules
cp "$shipped" "$installed"
all_devices shipped
expect_clean shipped "$installed"

# The builtins saw the fake devices as on a vehicle (else every check
# below would pass or fail for the wrong reason).
expect_property shipped event4 ID_PATH pci-0000:00:14.0-usb-0:4:1.0
expect_property shipped event4 ID_INPUT_KEY 1
expect_property shipped event7 ID_INPUT_ACCELEROMETER 1
expect_property shipped ttyUSB0 ID_PATH pci-0000:00:14.0-usb-0:5:1.0
expect_property shipped ttyUSB0 ID_SERIAL Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_IO0042

expect_name shipped event4 button
expect_name shipped event6 -
expect_name shipped event7 accel
expect_name shipped ttyUSB0 io
expect_name shipped ttyUSB1 -
expect_link shipped button ../input/event4
expect_link shipped accel ../input/event7
expect_link shipped io ../ttyUSB0
grep -qE "^event4: $installed:[0-9]+ GROUP $input_gid\$" "$work/shipped-event4.log" ||
  fail "shipped: our rule did not set GROUP input on event4"
expect_access shipped input/event4 "$input_gid" 660
expect_access shipped input/event7 "$input_gid" 660
expect_access shipped ttyUSB0 "$dialout_gid" 660

# gpsd and ModemManager keep off the I/O module, not off the GPS receiver.
if [ -f /lib/udev/rules.d/60-gpsd.rules ]; then
  expect_property shipped ttyUSB1 SYSTEMD_WANTS gpsdctl@ttyUSB1.service
  expect_property shipped ttyUSB0 SYSTEMD_WANTS -
else
  echo "note: no 60-gpsd.rules (package gpsd): its hotplug not checked"
fi
expect_property shipped ttyUSB0 ID_MM_DEVICE_IGNORE 1
expect_property shipped ttyUSB1 ID_MM_DEVICE_IGNORE -

# GPIO: the DVR's chip only, never the legacy class device.
expect_property shipped gpiochip0 ID_PATH platform-INT34C6:00
expect_access shipped gpiochip0 "$gpio_gid" 660
expect_access shipped gpiochip1 0 600
grep '^gpiochip512: ' "$work/shipped-gpiochip512.log" | grep -qF "$installed:" &&
  fail "shipped: a rule of ours ran on the legacy gpiochip512"

# --- 2. a technician's file in /etc: the button by serial number -------------

vehicle=/etc/udev/rules.d/71-dvr-inputs.rules
sed -e '/^ENV{ID_PATH}=="pci-0000:00:14.0-usb-0:4:1.0"/s/^/# /' \
    -e '/^# ENV{ID_SERIAL}=="Acme_Patrol_Button_Box_0001A7"/s/^# //' "$shipped" > "$vehicle"
grep -q '^ENV{ID_SERIAL}=="Acme_Patrol_Button_Box_0001A7"' "$vehicle" ||
  die "the packaged file's serial-number example changed: update this test"
all_devices by-serial
expect_clean by-serial "$vehicle"
grep -qF "Reading rules file: $installed" "$work/by-serial-event4.log" &&
  fail "by-serial: udev read the packaged $installed although $vehicle masks it"
expect_name by-serial event4 button
expect_name by-serial event6 -
expect_name by-serial ttyUSB0 io
# The button box and the keyboard swap ports 4 and 6: the name follows
# the serial number; the packaged rule would have followed the port.
swap () {   # swap FILE_A FILE_B (either may be missing)
  local t=$work/swap
  rm -f "$t"
  [ ! -e "$1" ] || mv "$1" "$t"
  [ ! -e "$2" ] || mv "$2" "$1"
  [ ! -e "$t" ] || mv "$t" "$2"
}
for f in idVendor idProduct manufacturer product serial; do
  swap "$pci/usb1/1-4/$f" "$pci/usb1/1-6/$f"
done
for f in name capabilities/ev capabilities/key; do
  swap "${syspath[event4]%/event4}/$f" "${syspath[event6]%/event6}/$f"
done
all_devices moved
expect_name moved event4 -
expect_name moved event6 button
expect_link moved button ../input/event6

# --- 3. the check can fail: a broken file is flagged -------------------------

sed -e '/dvr\/accel/s/SYMLINK+=/SYMLNK+=/' \
    -e '/dvr\/io/s/GROUP="dialout"/GROUP="dialuot"/' "$shipped" > "$vehicle"
udev_test broken event4
broken=$(complaints "$work/broken-event4.log" "$vehicle")
grep -qE "^$vehicle:[0-9]+ Invalid key 'SYMLNK'" <<< "$broken" ||
  fail "broken: misspelt key not flagged: $broken"
grep -qE "^$vehicle:[0-9]+ Unknown group 'dialuot'" <<< "$broken" ||
  fail "broken: unknown group not flagged: $broken"

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "input rules: parsed clean, names, groups and modes as expected, broken file flagged"
