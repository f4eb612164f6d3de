#!/bin/bash
# TLS built in (--tls-cert/--tls-key, issue 11): a self-signed certificate
# made here; curl over https gets the pages with HSTS; the CSRF and
# session cookies are __Host- prefixed, Secure and on Path=/, and only the
# prefixed ones count; a login works end to end over TLS; plain HTTP on
# the TLS port fails cleanly and the server keeps serving; a key that is
# not PEM, or a certificate without its key, is refused at start.
. "${KW_SRCDIR:-.}/tests/lib.sh"
command -v openssl >/dev/null || { echo "openssl missing: skipped"; rm -rf "$TMP"; exit 77; }
K() { "$KW_BIN" "$@" --db "$TMP/t.db" --data-dir "$KW_SRCDIR"; }
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
check "test certificate made" test -s "$TMP/cert.pem" -a -s "$TMP/key.pem"
mkdir -p "$TMP/site"
printf '<html><head><title>Secure page</title></head><body><p>kilo lima</p></body></html>' >"$TMP/site/s.html"
K ingest --collection tls --approve "$TMP/site" >/dev/null 2>&1
printf 'correct horse battery\ncorrect horse battery\n' | K user add boss --role admin >/dev/null 2>&1

start_server --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" ||
    { bad "TLS server starts"; finish; exit 1; }
S="https://127.0.0.1:$PORT"
C=(curl -s --cacert "$TMP/cert.pem")
check "serving message says https" grep -q "at https://" "$TMP/out.log"
check "home over https 200" test "$("${C[@]}" -o /dev/null -w '%{http_code}' "$S/")" = 200
check "document over https" grep -q "kilo lima" <("${C[@]}" "$S/c/tls/s.html")
"${C[@]}" -D "$TMP/h1" -o /dev/null "$S/"
check "HSTS sent" grep -qi '^strict-transport-security: max-age=31536000' "$TMP/h1"

# The login form sets the CSRF cookie: prefixed, Secure, Path=/.
"${C[@]}" -c "$TMP/jar" -D "$TMP/h2" -o "$TMP/login.html" "$S/admin/login"
check "CSRF cookie is __Host-, Secure, Path=/" \
    grep -qi '^set-cookie: __Host-kw_csrf=[0-9a-f]*; Path=/; Secure; HttpOnly; SameSite=Strict' "$TMP/h2"
tok=$(sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' "$TMP/login.html" | head -1)
"${C[@]}" -b "$TMP/jar" -c "$TMP/jar" -D "$TMP/h3" -o /dev/null \
    -H "Origin: $S" --data-urlencode "username=boss" \
    --data-urlencode "password=correct horse battery" \
    --data-urlencode "csrf_token=$tok" "$S/admin/login"
check "login over TLS: 303" grep -q '^HTTP/1.1 303' "$TMP/h3"
check "session cookie is __Host-, Secure, Path=/" \
    grep -qi '^set-cookie: __Host-kw_session=[^;]*; Path=/; Secure; HttpOnly' "$TMP/h3"
check "the session works: dashboard 200" \
    test "$("${C[@]}" -b "$TMP/jar" -o /dev/null -w '%{http_code}' "$S/admin/")" = 200
sid=$(awk '$6 == "__Host-kw_session" {print $7}' "$TMP/jar")
check "a session cookie without the prefix does not count" \
    test "$("${C[@]}" -b "kw_session=$sid" -o /dev/null -w '%{http_code}' "$S/admin/")" = 303

# Plain HTTP on the TLS port: no answer a browser could take for a page,
# and the server is unharmed.
plain=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/" 2>/dev/null)
check "plain HTTP on the TLS port gets no HTTP answer ($plain)" test "$plain" = 000
check "still serving over TLS after it" \
    test "$("${C[@]}" -o /dev/null -w '%{http_code}' "$S/")" = 200
stop_server

printf 'not a key\n' >"$TMP/bad.pem"
if start_server --tls-cert "$TMP/cert.pem" --tls-key "$TMP/bad.pem" 2>/dev/null; then
    bad "a key that is not PEM is refused"; stop_server
else
    check "a key that is not PEM is refused, and said" grep -q "tls_key.*not a PEM file" "$TMP/err.log"
fi
if start_server --tls-cert "$TMP/cert.pem" 2>/dev/null; then
    bad "a certificate without a key is refused"; stop_server
else
    check "a certificate without a key is refused, and said" grep -q "both tls_cert and tls_key" "$TMP/err.log"
fi
finish
