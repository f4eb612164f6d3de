#!/bin/bash
# OAI-PMH (/oai) and the OPDS catalogue (/opds/) end to end with curl on
# a fixture corpus: every verb and every error code of the protocol, the
# request element, resumption across pages and bad or expired tokens,
# from/until/set, a withdrawn document as a deleted record, POST; the
# navigation and acquisition feeds with their paging, content types,
# ETag and search.  Every answer must be well-formed (xmllint) and valid
# against our own schemas in tests/data/schemas (see the notes there: the
# published XSDs are not to be had offline).
. "${KW_SRCDIR:-.}/tests/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 99; }
command -v xmllint >/dev/null || { echo "xmllint missing (libxml2-utils)"; exit 77; }
DB="$TMP/t.db"
SCHEMAS="${KW_TEST_DATA:-$KW_SRCDIR/tests/data}/schemas"
q() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$DB" "$1"; }
K() { "$KW_BIN" "$@" --db "$DB" --data-dir "$KW_SRCDIR"; }
# get NAME URL [curl args...]: the body into $TMP/NAME, headers into
# $TMP/NAME.h (CR removed).
get() {
    local n=$1 u=$2
    shift 2
    curl -s -D "$TMP/$n.h" -o "$TMP/$n" "$@" "$BASE$u"
    sed -i 's/\r$//' "$TMP/$n.h"
}
# x NAME XPATH: the string value of XPATH in $TMP/NAME (namespaces are
# matched with local-name(), so the expressions stay short).
x() { xmllint --xpath "string($2)" "$TMP/$1" 2>/dev/null; }
n() { xmllint --xpath "count($2)" "$TMP/$1" 2>/dev/null; }
header() { sed -n "s/^$2: //Ip" "$TMP/$1.h" | head -1; }
wellformed() { xmllint --noout "$TMP/$1" 2>/dev/null; }
valid() { xmllint --noout --relaxng "$SCHEMAS/$2" "$TMP/$1" 2>"$TMP/$1.rng"; }
E='*[local-name()="error"]'
# oai NAME QUERY: GET /oai?QUERY into NAME, then check it is well-formed
# OAI-PMH, valid, text/xml, 200.
oai() {
    get "$1" "/oai?$2"
    check "$2: 200" test "$(sed -n '1s/^HTTP\/1.1 \([0-9]*\).*/\1/p' "$TMP/$1.h")" = 200
    check "$2: text/xml; charset=utf-8" test "$(header "$1" Content-Type)" = "text/xml; charset=utf-8"
    check "$2: well-formed" wellformed "$1"
    check "$2: valid (tests/data/schemas/oai-pmh.rng)" valid "$1" oai-pmh.rng
}
# oai_error QUERY CODE: the answer is error CODE, and after badVerb and
# badArgument the request element has no attributes.
oai_error() {
    oai err "$1"
    check "$1: error $2" test "$(x err "//$E/@code")" = "$2"
    if [ "$2" = badVerb ] || [ "$2" = badArgument ]; then
        check "$1: request without attributes" test "$(n err '//*[local-name()="request"]/@*')" = 0
    fi
}

# An empty portal: no sets, no records, an empty catalogue.
start_server || { bad "server starts"; finish; exit 1; }
oai_error "verb=ListSets" noSetHierarchy
oai_error "verb=ListRecords&metadataPrefix=oai_dc" noRecordsMatch
oai id0 "verb=Identify"
get nav0 /opds/
check "empty /opds/: valid, no entry" test "$(valid nav0 opds.rng && n nav0 '//*[local-name()="entry"]')" = 0
stop_server

# The corpus: 57 pages in collection fx (some with a description, one with
# a hostile title), one to withdraw, and 3 Korean pages in collection ko2.
T="$TMP/site"; mkdir -p "$T/a" "$TMP/ko"
for i in $(seq 1 57); do
    desc=""
    [ $((i % 3)) = 0 ] && desc="<meta name=\"description\" content=\"About page $i &amp; more\">"
    printf '<html lang="en"><head><meta charset="utf-8"><title>Page %d of the fixture</title>%s</head><body><h1>Page %d</h1><p>harvest fixture text number %d</p></body></html>\n' \
        "$i" "$desc" "$i" "$i" >"$T/a/p$i.html"
done
printf '<html lang="en"><head><title>&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &#39;a&#39; &amp;</title></head><body><p>hostile fixture text</p></body></html>\n' >"$T/hostile.html"
printf '<html><head><title>Gone soon</title></head><body><p>withdrawn text</p></body></html>\n' >"$T/gone.html"
for i in 1 2 3; do
    printf '<html lang="ko"><head><meta charset="utf-8"><title>문서 %d</title></head><body><p>데이터베이스 설명 %d</p></body></html>\n' "$i" "$i" >"$TMP/ko/k$i.html"
done
K ingest --collection fx --collection-title 'Fixture <&> "x"' --source-url http://example.org/fx/ --approve "$T" >/dev/null 2>&1
K ingest --collection ko2 --collection-title 한국어 --approve "$TMP/ko" >/dev/null 2>&1
gone=$(q "SELECT id FROM document WHERE path = 'gone.html'")
p1=$(q "SELECT id FROM document WHERE path = 'a/p3.html'")
check "fixture: 62 published documents" test "$(q "SELECT count(*) FROM document WHERE status = 'published'")" = 62
# A second after the ingest: the withdrawal is then alone in its second
# (the from= check below), however fast the machine ingested.
sleep 1.1
q "UPDATE document SET status = 'withdrawn', reason = 'test', decided_at = unixepoch(), updated_at = unixepoch() WHERE id = $gone"
start_server || { bad "server starts"; finish; exit 1; }
NS=127.0.0.1

# ---- OAI-PMH: each verb ----
oai id "verb=Identify"
check "Identify: repositoryName" test -n "$(x id '//*[local-name()="repositoryName"]')"
check "Identify: baseURL" test "$(x id '//*[local-name()="baseURL"]')" = "$BASE/oai"
check "Identify: protocolVersion 2.0" test "$(x id '//*[local-name()="protocolVersion"]')" = 2.0
check "Identify: deletedRecord persistent" test "$(x id '//*[local-name()="deletedRecord"]')" = persistent
check "Identify: earliestDatestamp in UTC" grep -qE '<earliestDatestamp>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z<' "$TMP/id"
check "Identify: request echoes the verb" test "$(x id '//*[local-name()="request"]/@verb')" = Identify
check "Identify: responseDate" grep -qE '<responseDate>[0-9T:Z-]{20}</responseDate>' "$TMP/id"
check "Identify: Cache-Control" test "$(header id Cache-Control)" = "public, max-age=60"

oai fmt "verb=ListMetadataFormats"
check "ListMetadataFormats: oai_dc" test "$(x fmt '//*[local-name()="metadataPrefix"]')" = oai_dc
oai fmt "verb=ListMetadataFormats&identifier=oai:$NS:doc/$p1"
check "ListMetadataFormats for an item: oai_dc" test "$(x fmt '//*[local-name()="metadataPrefix"]')" = oai_dc

oai sets "verb=ListSets"
check "ListSets: the two collections" test "$(n sets '//*[local-name()="set"]')" = 2
check "ListSets: setSpec fx, setName its title" test "$(x sets '//*[local-name()="set"][*[local-name()="setSpec"]="fx"]/*[local-name()="setName"]')" = 'Fixture <&> "x"'

# ListIdentifiers across pages: 50, then the rest with an empty token.
oai li1 "verb=ListIdentifiers&metadataPrefix=oai_dc"
check "ListIdentifiers: 50 on the first page" test "$(n li1 '//*[local-name()="header"]')" = 50
tok=$(x li1 '//*[local-name()="resumptionToken"]')
check "ListIdentifiers: a resumptionToken" test -n "$tok"
check "ListIdentifiers: cursor 0" test "$(x li1 '//*[local-name()="resumptionToken"]/@cursor')" = 0
check "ListIdentifiers: the token has an expirationDate" test -n "$(x li1 '//*[local-name()="resumptionToken"]/@expirationDate')"
etok=$(printf %s "$tok" | sed 's/~/%7E/g')
oai li2 "verb=ListIdentifiers&resumptionToken=$etok"
check "ListIdentifiers page 2: the other 12" test "$(n li2 '//*[local-name()="header"]')" = 12
check "ListIdentifiers page 2: an empty token closes the list" test "$(n li2 '//*[local-name()="resumptionToken"]')" = 1 -a -z "$(x li2 '//*[local-name()="resumptionToken"]')"
check "ListIdentifiers page 2: cursor 50" test "$(x li2 '//*[local-name()="resumptionToken"]/@cursor')" = 50
check "ListIdentifiers page 2: request echoes the token" test "$(x li2 '//*[local-name()="request"]/@resumptionToken')" = "$tok"
all=$( (xmllint --xpath '//*[local-name()="header"]/*[local-name()="identifier"]/text()' "$TMP/li1"; echo
        xmllint --xpath '//*[local-name()="header"]/*[local-name()="identifier"]/text()' "$TMP/li2") 2>/dev/null |
      grep -o "oai:$NS:doc/[0-9]*" | sort -u | wc -l)
check "ListIdentifiers: 62 distinct identifiers over both pages" test "$all" = 62
gh="//*[local-name()=\"header\"][*[local-name()=\"identifier\"]=\"oai:$NS:doc/$gone\"]/@status"
check "ListIdentifiers: the withdrawn document is deleted" test "$(x li1 "$gh")$(x li2 "$gh")" = deleted
check "ListIdentifiers: one deleted header" test "$(( $(n li1 '//*[@status="deleted"]') + $(n li2 '//*[@status="deleted"]') ))" = 1

# ListRecords: the same list with oai_dc metadata.
oai lr1 "verb=ListRecords&metadataPrefix=oai_dc"
check "ListRecords: 50 records" test "$(n lr1 '//*[local-name()="record"]')" = 50
tok=$(x lr1 '//*[local-name()="resumptionToken"]')
oai lr2 "verb=ListRecords&resumptionToken=$(printf %s "$tok" | sed 's/~/%7E/g')"
# Records come in id order, and ingest's workers finish in any order: the
# page 3 record is on either page.
lr=lr1
grep -q "doc/$p1<" "$TMP/lr1" || lr=lr2
rec="//*[local-name()=\"record\"][*[local-name()=\"header\"]/*[local-name()=\"identifier\"]=\"oai:$NS:doc/$p1\"]"
check "ListRecords: dc:title" test "$(x $lr "$rec//*[local-name()=\"title\"]")" = "Page 3 of the fixture"
check "ListRecords: dc:identifier is the document URL" test "$(x $lr "$rec//*[local-name()=\"identifier\" and namespace-uri()=\"http://purl.org/dc/elements/1.1/\"]")" = "$BASE/c/fx/a/p3.html"
check "ListRecords: dc:source is the original URL" test "$(x $lr "$rec//*[local-name()=\"source\"]")" = "http://example.org/fx/a/p3.html"
check "ListRecords: dc:language" test "$(x $lr "$rec//*[local-name()=\"language\"]")" = en
check "ListRecords: dc:publisher is the collection" test "$(x $lr "$rec//*[local-name()=\"publisher\"]")" = 'Fixture <&> "x"'
check "ListRecords: dc:description" test "$(x $lr "$rec//*[local-name()=\"description\"]")" = "About page 3 & more"
check "ListRecords: dc:date" grep -qE '<dc:date>[0-9]{4}-[0-9]{2}-[0-9]{2}</dc:date>' "$TMP/lr1"
check "ListRecords: setSpec" test "$(x $lr "$rec/*[local-name()=\"header\"]/*[local-name()=\"setSpec\"]")" = fx
check "ListRecords: the hostile title is text" test "$(x lr1 '//*[local-name()="title"][starts-with(., "<script>")]')$(x lr2 '//*[local-name()="title"][starts-with(., "<script>")]')" = "<script>alert(1)</script> \"q\" 'a' &"
check "ListRecords page 2: 12 records" test "$(n lr2 '//*[local-name()="record"]')" = 12
dr='//*[local-name()="record"][*[@status="deleted"]]'
check "ListRecords: one deleted record, without metadata" test "$(($(n lr1 "$dr") + $(n lr2 "$dr")))/$(($(n lr1 "$dr/*[local-name()=\"metadata\"]") + $(n lr2 "$dr/*[local-name()=\"metadata\"]")))" = 1/0

oai set "verb=ListRecords&metadataPrefix=oai_dc&set=ko2"
check "ListRecords set=ko2: 3 records, no token" test "$(n set '//*[local-name()="record"]')/$(n set '//*[local-name()="resumptionToken"]')" = 3/0
check "ListRecords set=ko2: dc:language ko" test "$(x set '(//*[local-name()="language"])[1]')" = ko
check "ListRecords: request echoes set and metadataPrefix" test "$(x set '//*[local-name()="request"]/@set')/$(x set '//*[local-name()="request"]/@metadataPrefix')" = ko2/oai_dc
oai from "verb=ListIdentifiers&metadataPrefix=oai_dc&set=ko2&from=2000-01-01&until=2999-12-31"
check "from/until by day: 3 headers" test "$(n from '//*[local-name()="header"]')" = 3
check "from/until: echoed" test "$(x from '//*[local-name()="request"]/@from')/$(x from '//*[local-name()="request"]/@until')" = 2000-01-01/2999-12-31
oai from "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2000-01-01T00:00:00Z"
check "from in seconds: a full first page" test "$(n from '//*[local-name()="header"]')" = 50
# The withdrawal is the newest change: from its own second it is alone.
wd=$(q "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', updated_at, 'unixepoch') FROM document WHERE id = $gone")
oai from "verb=ListIdentifiers&metadataPrefix=oai_dc&from=$wd"
check "from the withdrawal: the deleted header is there" test "$(n from '//*[@status="deleted"]')" = 1
oai_error "verb=ListRecords&metadataPrefix=oai_dc&from=2999-01-01" noRecordsMatch
oai_error "verb=ListRecords&metadataPrefix=oai_dc&until=1971-01-01" noRecordsMatch
oai_error "verb=ListRecords&metadataPrefix=oai_dc&set=nosuchset" noRecordsMatch

oai gr "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:$NS:doc/$p1"
check "GetRecord: the record" test "$(x gr '//*[local-name()="title"]')" = "Page 3 of the fixture"
check "GetRecord: request echoes identifier" test "$(x gr '//*[local-name()="request"]/@identifier')" = "oai:$NS:doc/$p1"
oai gr "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:$NS:doc/$gone"
check "GetRecord withdrawn: header status=deleted" test "$(x gr '//*[local-name()="header"]/@status')" = deleted
check "GetRecord withdrawn: no metadata" test "$(n gr '//*[local-name()="metadata"]')" = 0

# POST, as the protocol allows.
get post /oai -d verb=GetRecord -d metadataPrefix=oai_dc -d "identifier=oai:$NS:doc/$p1"
check "POST GetRecord: well-formed, valid" valid post oai-pmh.rng
check "POST GetRecord: the record" test "$(x post '//*[local-name()="title"]')" = "Page 3 of the fixture"

# ---- OAI-PMH: the error codes ----
oai_error "" badVerb
oai_error "verb=Frobnicate" badVerb
oai_error "verb=Identify&verb=Identify" badVerb
oai_error "verb=Identify&foo=1" badArgument
oai_error "verb=Identify&set=fx" badArgument
oai_error "verb=ListRecords" badArgument
oai_error "verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc" badArgument
oai_error "verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01&until=2020-01-02T00:00:00Z" badArgument
oai_error "verb=ListRecords&metadataPrefix=oai_dc&from=2021-01-01&until=2020-01-01" badArgument
oai_error "verb=ListRecords&metadataPrefix=oai_dc&from=2020-02-30" badArgument
oai_error "verb=ListRecords&metadataPrefix=oai_dc&from=yesterday" badArgument
oai_error "verb=ListRecords&metadataPrefix=oai_dc&resumptionToken=x" badArgument
oai_error "verb=GetRecord&identifier=oai:$NS:doc/$p1" badArgument
oai_error "verb=GetRecord&metadataPrefix=marc21&identifier=oai:$NS:doc/$p1" cannotDisseminateFormat
check "cannotDisseminateFormat: the request is echoed" test "$(x err '//*[local-name()="request"]/@metadataPrefix')" = marc21
oai_error "verb=ListRecords&metadataPrefix=marc21" cannotDisseminateFormat
oai_error "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:$NS:doc/999999" idDoesNotExist
oai_error "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:elsewhere.example:doc/$p1" idDoesNotExist
oai_error "verb=GetRecord&metadataPrefix=oai_dc&identifier=%3Cscript%3E" idDoesNotExist
check "idDoesNotExist: a hostile identifier is echoed as text" test "$(x err '//*[local-name()="request"]/@identifier')" = "<script>"
oai_error "verb=ListMetadataFormats&identifier=oai:$NS:doc/999999" idDoesNotExist
oai_error "verb=ListIdentifiers&resumptionToken=garbage" badResumptionToken
oai_error "verb=ListIdentifiers&resumptionToken=1%7Eoai_dc%7E50%7E50%7E0%7E253402300799%7E1000000%7E" badResumptionToken
check "an expired token: badResumptionToken" grep -q expired "$TMP/err"
oai_error "verb=ListIdentifiers&resumptionToken=1%7Eoai_dc%7E50%7E50%7E0%7E253402300799%7E$(date +%s)%7EBAD%2FSET" badResumptionToken
oai_error "verb=ListSets&resumptionToken=anything" badResumptionToken
# A token of our making with a forged position still answers.
oai li3 "verb=ListIdentifiers&resumptionToken=1%7Eoai_dc%7E0%7E0%7E0%7E253402300799%7E$(date +%s)%7Eko2"
check "a fresh token for set ko2: 3 headers" test "$(n li3 '//*[local-name()="header"]')" = 3

# ---- OPDS ----
get nav /opds/
check "/opds/: 200" grep -q '^HTTP/1.1 200' "$TMP/nav.h"
check "/opds/: navigation content type" test "$(header nav Content-Type)" = "application/atom+xml;profile=opds-catalog;kind=navigation"
check "/opds/: well-formed" wellformed nav
check "/opds/: valid (tests/data/schemas/opds.rng)" valid nav opds.rng
check "/opds/: titled with the site's name" test "$(x nav '/*/*[local-name()="title"]')" = "$(x nav '/*/*[local-name()="author"]/*')"
check "/opds/: an entry a collection" test "$(n nav '//*[local-name()="entry"]')" = 2
check "/opds/: subsection link to /opds/c/fx" test "$(x nav '//*[local-name()="link"][@rel="subsection" and contains(@href, "/opds/c/fx")]/@type')" = "application/atom+xml;profile=opds-catalog;kind=acquisition"
check "/opds/: search link" test "$(x nav '//*[local-name()="link"][@rel="search"]/@href')" = "$BASE/opds/search.xml"
check "/opds/: Cache-Control as the Atom feeds" test "$(header nav Cache-Control)" = "public, max-age=300"
etag=$(header nav ETag)
check "/opds/: an ETag" test -n "$etag"
check "/opds/: 304 with If-None-Match" test "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$BASE/opds/")" = 304
check "/opds: 301 to /opds/" test "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$BASE/opds")" = "301 $BASE/opds/"

get acq1 /opds/c/fx
check "/opds/c/fx: acquisition content type" test "$(header acq1 Content-Type)" = "application/atom+xml;profile=opds-catalog;kind=acquisition"
check "/opds/c/fx: well-formed" wellformed acq1
check "/opds/c/fx: valid" valid acq1 opds.rng
check "/opds/c/fx: 50 entries" test "$(n acq1 '//*[local-name()="entry"]')" = 50
check "/opds/c/fx: next link" test "$(x acq1 '//*[local-name()="link"][@rel="next"]/@href')" = "$BASE/opds/c/fx?page=2"
check "/opds/c/fx: no previous link on page 1" test "$(n acq1 '//*[local-name()="link"][@rel="previous"]')" = 0
check "/opds/c/fx: totalResults 58" test "$(x acq1 '//*[local-name()="totalResults"]')" = 58
get acq2 "/opds/c/fx?page=2"
# Newest first, by the second of publication: page 3 is on either page.
acq=acq1
grep -q "Page 3 of the fixture" "$TMP/acq1" || acq=acq2
e3="//*[local-name()=\"entry\"][*[local-name()=\"title\"]=\"Page 3 of the fixture\"]"
check "/opds/c/fx: acquisition link to the HTML page" test "$(x $acq "$e3/*[@rel=\"http://opds-spec.org/acquisition\"]/@href")" = "$BASE/c/fx/a/p3.html"
check "/opds/c/fx: dc:language" test "$(x $acq "$e3/*[local-name()=\"language\"]")" = en
check "/opds/c/fx: summary" test "$(x $acq "$e3/*[local-name()=\"summary\"]")" = "About page 3 & more"
check "/opds/c/fx: the same id as the Atom feed" test "$(x $acq "$e3/*[local-name()=\"id\"]")" = "$BASE/d/$p1"
check "/opds/c/fx?page=2: valid" valid acq2 opds.rng
check "/opds/c/fx?page=2: the other 8" test "$(n acq2 '//*[local-name()="entry"]')" = 8
check "/opds/c/fx?page=2: previous and first links" test "$(x acq2 '//*[local-name()="link"][@rel="previous"]/@href') $(x acq2 '//*[local-name()="link"][@rel="first"]/@href')" = "$BASE/opds/c/fx?page=1 $BASE/opds/c/fx?page=1"
check "/opds/c/fx: the withdrawn document is not offered" test "$(grep -c 'Gone soon' "$TMP/acq1" "$TMP/acq2" | awk -F: '{s += $2} END {print s}')" = 0
check "/opds/c/fx?page=3: 404" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/opds/c/fx?page=3")" = 404
check "/opds/c/nosuch: 404" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/opds/c/nosuch")" = 404

get osd /opds/search.xml
check "/opds/search.xml: OpenSearch content type" test "$(header osd Content-Type)" = "application/opensearchdescription+xml; charset=utf-8"
check "/opds/search.xml: valid" valid osd opds.rng
check "/opds/search.xml: the template" test "$(x osd '//*[local-name()="Url"]/@template')" = "$BASE/opds/search?q={searchTerms}&page={startPage?}"
get s1 "/opds/search?q=harvest"
check "/opds/search: acquisition content type" test "$(header s1 Content-Type)" = "application/atom+xml;profile=opds-catalog;kind=acquisition"
check "/opds/search: valid" valid s1 opds.rng
check "/opds/search: titled with the query" test "$(x s1 '/*/*[local-name()="title"]' | sed 's/.*: //')" = harvest
check "/opds/search: 50 results on page 1" test "$(n s1 '//*[local-name()="entry"]')" = 50
check "/opds/search: totalResults 57" test "$(x s1 '//*[local-name()="totalResults"]')" = 57
check "/opds/search: next page link keeps the query" test "$(x s1 '//*[local-name()="link"][@rel="next"]/@href')" = "$BASE/opds/search?q=harvest&page=2"
get s2 "/opds/search?q=harvest&page=2"
check "/opds/search page 2: 7 results, valid" test "$(n s2 '//*[local-name()="entry"]')" = 7
check "/opds/search page 2: valid" valid s2 opds.rng
get s3 "/opds/search?q=%EB%8D%B0%EC%9D%B4%ED%84%B0%EB%B2%A0%EC%9D%B4%EC%8A%A4"
check "/opds/search Korean: 3 results" test "$(n s3 '//*[local-name()="entry"]')" = 3
get s4 "/opds/search?q=%3Cscript%3E%26"
check "/opds/search hostile query: well-formed, valid" valid s4 opds.rng
get s5 "/opds/search"
check "/opds/search without q: an empty feed" test "$(n s5 '//*[local-name()="entry"]')/$(x s5 '//*[local-name()="totalResults"]')" = 0/0
check "/opds/search without q: valid" valid s5 opds.rng
finish
