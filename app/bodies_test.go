package app

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/corkboard/corkboard/models"
)

// Request bodies and Content-Encoding (DESIGN.md "Hardening", first
// bullet): a body is never inflated past the 1 MiB limit. Absent or
// `identity` passes, one gzip layer is decoded through a capped reader,
// anything else is 415.

// bombSize is what the compressed bombs below inflate to.
const bombSize = 256 << 20

// gzipLayers gzips prefix + n bytes of fill + suffix, layers times over.
// The first layer is a series of gzip members (RFC 1952 §2.2: decoders
// read them as one stream): the prefix, the same 1 MiB member of fill
// repeated, the suffix. So the inflated bytes never exist in the test's
// memory and a 256 MiB bomb takes milliseconds to build, even under -race.
func gzipLayers(t testing.TB, layers int, prefix string, fill byte, n int64, suffix string) []byte {
	t.Helper()
	member := func(b []byte) []byte {
		var out bytes.Buffer
		z, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
		if err != nil {
			t.Fatal(err)
		}
		z.Write(b)
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	out := member([]byte(prefix))
	const chunk = 1 << 20
	full := member(bytes.Repeat([]byte{fill}, chunk))
	for ; n >= chunk; n -= chunk {
		out = append(out, full...)
	}
	if n > 0 {
		out = append(out, member(bytes.Repeat([]byte{fill}, int(n)))...)
	}
	out = append(out, member([]byte(suffix))...)
	for range layers - 1 {
		out = member(out)
	}
	return out
}

func gzipOnce(t testing.TB, b []byte) []byte {
	var out bytes.Buffer
	z := gzip.NewWriter(&out)
	z.Write(b)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func zlibOnce(t testing.TB, b []byte) []byte {
	var out bytes.Buffer
	z := zlib.NewWriter(&out)
	z.Write(b)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func brotliOnce(t testing.TB, b []byte) []byte {
	var out bytes.Buffer
	z := brotli.NewWriter(&out)
	z.Write(b)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// bodyRequest is one request with a raw body and Content-Encoding lines
// (each element is one header line).
type bodyRequest struct {
	method, path, contentType string
	encodings                 []string
	cookie                    string
	body                      []byte
}

func (r bodyRequest) build(base string) *http.Request {
	req := httptest.NewRequest(r.method, base+r.path, bytes.NewReader(r.body))
	if base != "" {
		req, _ = http.NewRequest(r.method, base+r.path, bytes.NewReader(r.body))
	}
	req.Header.Set("Content-Type", r.contentType)
	if len(r.encodings) > 0 {
		req.Header["Content-Encoding"] = r.encodings
	}
	if r.cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: r.cookie})
	}
	return req
}

// serveLoopback serves ts on a real socket; it returns the base URL and a
// client that does not follow redirects.
func serveLoopback(t *testing.T, ts *testServer) (string, *http.Client) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ts.Serve(ln)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(hc.CloseIdleConnections)
	return "http://" + ln.Addr().String(), hc
}

func sendOver(t *testing.T, hc *http.Client, base string, r bodyRequest) (*http.Response, []byte) {
	t.Helper()
	res, err := hc.Do(r.build(base))
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: read answer: %v", r.method, r.path, err)
	}
	return res, b
}

// wantRefused checks a 413/415 answer: problem+json of the given type on
// the API, the HTML error page on pages; no session is started.
func wantRefused(t *testing.T, what string, res *http.Response, body []byte, status int, slug string) {
	t.Helper()
	if res.StatusCode != status {
		t.Errorf("%s: status %d, want %d; body %.300s", what, res.StatusCode, status, body)
		return
	}
	for _, ck := range res.Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			t.Errorf("%s: refused, yet a session cookie was set", what)
		}
	}
	if !strings.HasPrefix(res.Request.URL.Path, "/api/") {
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: page answer is %q, want the HTML error page", what, ct)
		}
		return
	}
	var p problem
	if err := json.Unmarshal(body, &p); err != nil || res.Header.Get("Content-Type") != "application/problem+json" ||
		p.Type != "urn:corkboard:problem:"+slug || p.Status != status || p.Detail == "" {
		t.Errorf("%s: want a %s problem, got %s %s", what, slug, res.Header.Get("Content-Type"), body)
	}
}

// multipartParts is a multipart/form-data body of fields, split where the
// value of one more field, big (if not empty), goes.
func multipartParts(fields map[string]string, big string) (prefix, suffix, contentType string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if big != "" {
		mw.CreateFormField(big)
	}
	prefix = b.String()
	b.Reset()
	mw.Close()
	return prefix, b.String(), mw.FormDataContentType()
}

func formBody(values map[string]string) string {
	v := url.Values{}
	for k, x := range values {
		v.Set(k, x)
	}
	return v.Encode()
}

// TestCompressedBombsKeepMemoryFlat sends decompression bombs (256 MiB of
// one byte, gzipped once and twice; a few hundred KB and under a KB on the
// wire) over a real socket to the anonymous API login, the login page
// (urlencoded and multipart, which fasthttp would gunzip on its own) and
// an authenticated JSON route: double gzip is 415, single gzip past the
// limit is 413, and the server allocates next to nothing while refusing
// them (TotalAlloc of the whole process bounds any heap growth).
func TestCompressedBombsKeepMemoryFlat(t *testing.T) {
	ts := newTestServer(t)
	ada := ts.register("ada@example.com", "Ada")
	var project models.Project
	ada.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Bombs"}, &project)
	issues := "/api/v1/projects/" + project.ID + "/issues"
	base, hc := serveLoopback(t, ts)

	login := `{"email":"ada@example.com","password":"` + goodPassword + `"`
	mpPrefix, mpSuffix, mpType := multipartParts(map[string]string{"email": "ada@example.com", "password": goodPassword}, "pad")
	targets := []struct {
		name, path, contentType, cookie, prefix, suffix string
	}{
		{"API login", "/api/v1/auth/login", "application/json", "", login, "}"},
		{"login page", "/login", "application/x-www-form-urlencoded", "",
			formBody(map[string]string{"email": "ada@example.com", "password": goodPassword}) + "&pad=", ""},
		{"login page (multipart)", "/login", mpType, "", mpPrefix, mpSuffix},
		{"create issue", issues, "application/json", ada.cookie, `{"title":"bomb"`, "}"},
	}
	type bomb struct {
		target    int
		layers    int
		body      []byte
		status    int
		slug      string
		encodings []string
	}
	var bombs []bomb
	var wireSingle, wireDouble int
	for i, tg := range targets {
		// JSON is padded with spaces (whitespace: the inflated body would
		// be a valid request), forms with 'a'.
		fill := byte('a')
		if tg.contentType == "application/json" {
			fill = ' '
		}
		single := gzipLayers(t, 1, tg.prefix, fill, bombSize, tg.suffix)
		double := gzipOnce(t, single)
		wireSingle, wireDouble = max(wireSingle, len(single)), max(wireDouble, len(double))
		bombs = append(bombs,
			bomb{i, 2, double, 415, "unsupported-media-type", []string{"gzip, gzip"}},
			bomb{i, 2, double, 415, "unsupported-media-type", []string{"gzip", "gzip"}},
			bomb{i, 1, single, 413, "body-too-large", []string{"gzip"}})
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, b := range bombs {
		tg := targets[b.target]
		res, body := sendOver(t, hc, base, bodyRequest{method: "POST", path: tg.path, contentType: tg.contentType,
			encodings: b.encodings, cookie: tg.cookie, body: b.body})
		wantRefused(t, fmt.Sprintf("%s, %d× gzip (%q)", tg.name, b.layers, b.encodings), res, body, b.status, b.slug)
	}
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d bombs of %d MiB (%d B double-gzipped, %d B gzipped on the wire): the process allocated %.1f MiB; heap in use %.1f -> %.1f MiB",
		len(bombs), bombSize>>20, wireDouble, wireSingle, float64(allocated)/(1<<20),
		float64(before.HeapInuse)/(1<<20), float64(after.HeapInuse)/(1<<20))
	if allocated > 8<<20 {
		t.Errorf("refusing %d bombs allocated %.1f MiB; want under 8 MiB (the 1 MiB limit is never allocated for a refused body)",
			len(bombs), float64(allocated)/(1<<20))
	}

	var list struct{ Items []models.Issue }
	ada.must(200, "GET", issues, nil, &list)
	if len(list.Items) != 0 {
		t.Errorf("a refused bomb created issues: %+v", list.Items)
	}
}

// A 5 MiB JSON issue gzipped to a few KB is 413 (the limit applies to the
// decoded body), and nothing is created.
func TestGzipPastLimitIsRefused(t *testing.T) {
	ts := newTestServer(t)
	ada := ts.register("ada@example.com", "Ada")
	var project models.Project
	ada.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Limits"}, &project)
	issues := "/api/v1/projects/" + project.ID + "/issues"

	gz := gzipLayers(t, 1, `{"title":"Big","description":"`, 'x', 5<<20, `"}`)
	if len(gz) > 64<<10 {
		t.Fatalf("the compressed body is %d bytes; the test wants it far under the limit", len(gz))
	}
	res, b := ada.send(bodyRequest{method: "POST", path: issues, contentType: "application/json",
		encodings: []string{"gzip"}, cookie: ada.cookie, body: gz}.build(""))
	wantRefused(t, fmt.Sprintf("5 MiB gzipped to %d KB", len(gz)>>10), res, b, 413, "body-too-large")

	// Just past the limit, and just under it.
	over := []byte(`{"title":"Over"` + strings.Repeat(" ", maxBodyBytes) + `}`)
	res, b = ada.send(bodyRequest{method: "POST", path: issues, contentType: "application/json",
		encodings: []string{"gzip"}, cookie: ada.cookie, body: gzipOnce(t, over)}.build(""))
	wantRefused(t, "limit+16 bytes gzipped", res, b, 413, "body-too-large")
	under := []byte(`{"title":"Under"` + strings.Repeat(" ", maxBodyBytes-len(`{"title":"Under"}`)) + `}`)
	res, b = ada.send(bodyRequest{method: "POST", path: issues, contentType: "application/json",
		encodings: []string{"gzip"}, cookie: ada.cookie, body: gzipOnce(t, under)}.build(""))
	if res.StatusCode != 201 {
		t.Fatalf("exactly 1 MiB gzipped: %d %s", res.StatusCode, b)
	}

	var list struct{ Items []models.Issue }
	ada.must(200, "GET", issues, nil, &list)
	if len(list.Items) != 1 || list.Items[0].Title != "Under" {
		t.Errorf("issues after the refused bodies: %+v", list.Items)
	}
}

// One gzip layer is really supported: API login, creating an issue, and
// the login page (urlencoded and multipart) all work with gzipped bodies,
// in any letter case; `identity` passes as it is.
func TestGzipBodyIsAccepted(t *testing.T) {
	ts := newTestServer(t)
	ada := ts.register("ada@example.com", "Ada")
	var project models.Project
	ada.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Gzip"}, &project)
	issues := "/api/v1/projects/" + project.ID + "/issues"
	loginJSON := []byte(`{"email":"ada@example.com","password":"` + goodPassword + `"}`)

	for _, enc := range []string{"gzip", "GZip", " gzip ", "x-gzip"} {
		res, b := ts.anon().send(bodyRequest{method: "POST", path: "/api/v1/auth/login", contentType: "application/json",
			encodings: []string{enc}, body: gzipOnce(t, loginJSON)}.build(""))
		if res.StatusCode != 200 || sessionCookieFrom(t, res) == "" {
			t.Errorf("login, Content-Encoding %q: %d %s", enc, res.StatusCode, b)
		}
	}
	res, b := ts.anon().send(bodyRequest{method: "POST", path: "/api/v1/auth/login", contentType: "application/json",
		encodings: []string{"identity"}, body: loginJSON}.build(""))
	if res.StatusCode != 200 {
		t.Errorf("login, Content-Encoding identity: %d %s", res.StatusCode, b)
	}

	res, b = ada.send(bodyRequest{method: "POST", path: issues, contentType: "application/json", encodings: []string{"gzip"},
		cookie: ada.cookie, body: gzipOnce(t, []byte(`{"title":"Zipped","description":"über **bold**"}`))}.build(""))
	var is models.Issue
	if res.StatusCode != 201 {
		t.Fatalf("create issue gzipped: %d %s", res.StatusCode, b)
	}
	mustJSON(t, b, &is)
	if is.Title != "Zipped" || is.Description != "über **bold**" {
		t.Errorf("created issue %+v", is)
	}

	// Pages, over a real socket (the browser's path).
	base, hc := serveLoopback(t, ts)
	form := formBody(map[string]string{"email": "ada@example.com", "password": goodPassword, "next": "/projects"})
	prefix, suffix, mpType := multipartParts(map[string]string{"email": "ada@example.com", "password": goodPassword, "next": "/projects"}, "")
	for _, tc := range []struct{ name, contentType, body string }{
		{"urlencoded", "application/x-www-form-urlencoded", form},
		{"multipart", mpType, prefix + suffix},
	} {
		res, b := sendOver(t, hc, base, bodyRequest{method: "POST", path: "/login", contentType: tc.contentType,
			encodings: []string{"gzip"}, body: gzipOnce(t, []byte(tc.body))})
		if res.StatusCode != 303 || res.Header.Get("Location") != "/projects" || sessionCookieFrom(t, res) == "" {
			t.Errorf("login page, %s gzipped: %d %s %.300s", tc.name, res.StatusCode, res.Header.Get("Location"), b)
		}
	}
}

// Every encoding but one gzip layer is 415 and changes nothing, even when
// the body is a correct request in that encoding (the framework would
// decode deflate, br and stacked gzip on its own).
func TestUnsupportedContentEncodings(t *testing.T) {
	ts := newTestServer(t)
	ada := ts.register("ada@example.com", "Ada")
	var project models.Project
	ada.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Encodings"}, &project)
	issues := "/api/v1/projects/" + project.ID + "/issues"
	base, hc := serveLoopback(t, ts)

	loginJSON := []byte(`{"email":"ada@example.com","password":"` + goodPassword + `"}`)
	issueJSON := []byte(`{"title":"Encoded"}`)
	loginForm := []byte(formBody(map[string]string{"email": "ada@example.com", "password": goodPassword}))
	encodings := []struct {
		lines  []string
		encode func([]byte) []byte
	}{
		{[]string{"deflate"}, func(b []byte) []byte { return zlibOnce(t, b) }},
		{[]string{"br"}, func(b []byte) []byte { return brotliOnce(t, b) }},
		{[]string{"gzip, gzip"}, func(b []byte) []byte { return gzipOnce(t, gzipOnce(t, b)) }},
		{[]string{"gzip", "gzip"}, func(b []byte) []byte { return gzipOnce(t, gzipOnce(t, b)) }},
		{[]string{"gzip, deflate"}, func(b []byte) []byte { return zlibOnce(t, gzipOnce(t, b)) }},
		{[]string{"deflate, gzip"}, func(b []byte) []byte { return gzipOnce(t, zlibOnce(t, b)) }},
		{[]string{"gzip, identity"}, func(b []byte) []byte { return gzipOnce(t, b) }},
		{[]string{"zstd"}, func(b []byte) []byte { return b }},
		{[]string{"compress"}, func(b []byte) []byte { return b }},
		{[]string{"x-unknown"}, func(b []byte) []byte { return b }},
	}
	for _, e := range encodings {
		what := fmt.Sprintf("Content-Encoding %q", e.lines)
		res, b := ts.anon().send(bodyRequest{method: "POST", path: "/api/v1/auth/login", contentType: "application/json",
			encodings: e.lines, body: e.encode(loginJSON)}.build(""))
		wantRefused(t, "API login, "+what, res, b, 415, "unsupported-media-type")
		if res.StatusCode == 415 && !strings.Contains(string(b), "gzip") {
			t.Errorf("API login, %s: the detail does not say what is accepted: %s", what, b)
		}
		res, b = ada.send(bodyRequest{method: "POST", path: issues, contentType: "application/json",
			encodings: e.lines, cookie: ada.cookie, body: e.encode(issueJSON)}.build(""))
		wantRefused(t, "create issue, "+what, res, b, 415, "unsupported-media-type")
		res, b = sendOver(t, hc, base, bodyRequest{method: "POST", path: "/login",
			contentType: "application/x-www-form-urlencoded", encodings: e.lines, body: e.encode(loginForm)})
		wantRefused(t, "login page, "+what, res, b, 415, "")
	}
	var list struct{ Items []models.Issue }
	ada.must(200, "GET", issues, nil, &list)
	if len(list.Items) != 0 {
		t.Errorf("refused encodings created issues: %+v", list.Items)
	}
}

// A body that claims gzip but is not (garbage, cut short, trailing bytes)
// is a 400 problem, not a 500 and not the decoder's error as the body.
func TestCorruptGzipBody(t *testing.T) {
	ts := newTestServer(t)
	ada := ts.register("ada@example.com", "Ada")
	var project models.Project
	ada.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Corrupt"}, &project)
	issues := "/api/v1/projects/" + project.ID + "/issues"
	good := gzipOnce(t, []byte(`{"title":"Corrupt"}`))
	for name, body := range map[string][]byte{
		"not gzip":       []byte(`{"title":"Plain"}`),
		"cut short":      good[:len(good)-6],
		"trailing bytes": append(append([]byte{}, good...), "junk"...),
	} {
		res, b := ada.send(bodyRequest{method: "POST", path: issues, contentType: "application/json",
			encodings: []string{"gzip"}, cookie: ada.cookie, body: body}.build(""))
		wantRefused(t, name, res, b, 400, "malformed-request")
		if !strings.Contains(string(b), "not valid gzip") {
			t.Errorf("%s: the problem does not say the gzip is broken: %s", name, b)
		}
	}
	var list struct{ Items []models.Issue }
	ada.must(200, "GET", issues, nil, &list)
	if len(list.Items) != 0 {
		t.Errorf("corrupt bodies created issues: %+v", list.Items)
	}
}

// decodedForContract is the body the contract check validates: a request
// sent with one gzip layer is held against the document decoded, as the
// server sees it (the document describes bodies, not their encoding).
// Anything else is checked as sent.
func decodedForContract(req *http.Request, body []byte) []byte {
	lines := req.Header.Values("Content-Encoding")
	if len(lines) != 1 {
		return body
	}
	switch strings.ToLower(strings.TrimSpace(lines[0])) {
	case "gzip", "x-gzip":
	default:
		return body
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return body
	}
	plain, err := io.ReadAll(io.LimitReader(zr, maxBodyBytes+1))
	if err != nil {
		return body
	}
	req.Header.Del("Content-Encoding")
	return plain
}

// A malformed multipart body is the handler's business, after limitBody,
// like any other body: the API answers its usual problem (not multipart,
// so 415) and a page its usual form error; fasthttp does not parse it
// while reading the request (DisablePreParseMultipartForm) and its parser
// error never reaches the client.
func TestMalformedMultipartBody(t *testing.T) {
	ts := newTestServer(t)
	base, hc := serveLoopback(t, ts)
	for _, body := range []string{"0", "--b\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nx"} {
		r := bodyRequest{method: "POST", path: "/api/v1/auth/login", contentType: "multipart/form-data; boundary=b", body: []byte(body)}
		res, b := sendOver(t, hc, base, r)
		wantRefused(t, fmt.Sprintf("API, multipart %q", body), res, b, 415, "unsupported-media-type")
		r.path = "/login"
		res, b = sendOver(t, hc, base, r)
		if res.StatusCode != 401 || !strings.Contains(string(b), "Wrong email or password") || strings.Contains(string(b), "multipart") {
			t.Errorf("login page, multipart %q: %d %.300s", body, res.StatusCode, b)
		}
	}
}
