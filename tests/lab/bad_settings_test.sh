#!/usr/bin/env bash
# imsd refuses invalid settings with file, line and reason, and exits 2;
# --check accepts a valid file; imsctl's exit codes without a daemon.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

bad="$LAB_TMP/bad.xml"
cat >"$bad" <<'XML'
<?xml version="1.0"?>
<imsd xmlns="urn:imsd:params:xml:ns:settings:1" version="1">
  <ports>
    <port name="m"><device>net_null0</device>
      <address>198.18.0.1/24</address>
      <mtu>99999</mtu>
    </port>
  </ports>
</imsd>
XML
out=$("$IMSD_BIN" -c "$bad" 2>&1); rc=$?
[ "$rc" = 2 ] || fail "imsd exit $rc on invalid settings, want 2: $out"
echo "$out" | grep -q "bad.xml:6: .*mtu" || fail "error lacks file:line and reason: $out"
pass "invalid settings refused: $(echo "$out" | tail -n1)"

"$IMSD_BIN" --print-default-config >"$LAB_TMP/default.xml" || fail "--print-default-config"
"$IMSD_BIN" --check -c "$LAB_TMP/default.xml" >/dev/null || fail "--check on the default"
pass "--check accepts the default settings"

"$IMSCTL_BIN" --socket "$LAB_TMP/none.sock" show version >/dev/null 2>"$LAB_TMP/err"; rc=$?
[ "$rc" = 3 ] || fail "imsctl without daemon exit $rc, want 3"
grep -q "is imsd running" "$LAB_TMP/err" || fail "imsctl error lacks a hint"
"$IMSCTL_BIN" --socket "$LAB_TMP/none.sock" show nonsense >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || fail "imsctl usage error exit $rc, want 2"
help=$("$IMSCTL_BIN" help) || fail "imsctl help: exit $?"
grep -q "show stats" <<<"$help" || fail "imsctl help lacks show stats"
pass "imsctl exit codes 2 and 3, help without a daemon"
echo "lab_bad_settings_refused: all checks passed"
