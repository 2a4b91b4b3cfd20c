#!/bin/sh
# rounds package post-install. Live BLE scanning (rounds --ble, rounds scan
# --ble) opens the HCI user channel, which needs CAP_NET_ADMIN (and
# CAP_NET_RAW). The package grants nothing by default: an administrator
# opts in by setting ROUNDS_BLE_CAPABILITIES=yes in /etc/default/rounds
# before installing or upgrading (a new binary loses file capabilities, so
# every upgrade re-applies them), or by running this script again with
# `dpkg-reconfigure rounds` / reinstalling. Every user who can run the
# binary can then take the Bluetooth adapter: grant it only on laptops
# dedicated to rounds. See docs/install.md.
set -e
BIN=/usr/bin/rounds
CONF=/etc/default/rounds
ROUNDS_BLE_CAPABILITIES=no
if [ -r "$CONF" ]; then
	. "$CONF"
fi
case "$ROUNDS_BLE_CAPABILITIES" in
yes|true|1)
	if command -v setcap >/dev/null 2>&1; then
		setcap 'cap_net_admin,cap_net_raw+ep' "$BIN"
		echo "rounds: granted cap_net_admin,cap_net_raw to $BIN for live BLE (opted in in $CONF)"
	else
		echo "rounds: $CONF asks for BLE capabilities but setcap is missing (install libcap2-bin, then reinstall rounds)" >&2
	fi
	;;
*)
	# Opted out (the default): make sure an earlier grant does not linger.
	if command -v setcap >/dev/null 2>&1; then
		setcap -r "$BIN" 2>/dev/null || true
	fi
	;;
esac
exit 0
