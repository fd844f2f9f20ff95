package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/app/config"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
	"github.com/google/uuid"
)

// Fuzz targets for every decoder of bytes from outside: Content-Encoding,
// JSON bodies, page forms, list cursors (the WebSocket client message is
// realtime.FuzzDecodeClientMessage). `make test` runs their seeds; `make
// fuzz` runs each for FUZZTIME.

// fuzzLimit stands in for the 1 MiB body limit so the fuzzer reaches it.
const fuzzLimit = 4 << 10

// FuzzContentEncoding: any header lines and body give the body itself (no
// coding), the gzip-decoded body within the limit, or a 400/413/415
// problem; the answer agrees with a plain gzip reader, a decoded body
// gzips and decodes back to itself, and nothing panics.
func FuzzContentEncoding(f *testing.F) {
	gz := func(b []byte) []byte { return gzipOnce(f, b) }
	big := bytes.Repeat([]byte{'a'}, fuzzLimit)
	for _, seed := range []struct {
		header string
		body   []byte
	}{
		{"", []byte(`{"title":"plain"}`)},
		{"identity", []byte(`{"title":"plain"}`)},
		{"gzip", gz([]byte(`{"title":"zipped"}`))},
		{"GZIP ", gz([]byte("name=x&key=AB"))},
		{"x-gzip", gz(nil)},
		{"gzip", gz(big)},
		{"gzip", gz(append(big, 'b'))},
		{"gzip", append(gz([]byte("one ")), gz([]byte("two"))...)},
		{"gzip", gz([]byte("cut short"))[:12]},
		{"gzip", append(gz([]byte("x")), "junk"...)},
		{"gzip", []byte("not gzip at all")},
		{"gzip, gzip", gz(gz([]byte("twice")))},
		{"gzip\ngzip", gz(gz([]byte("two lines")))},
		{"gzip, identity", gz([]byte("x"))},
		{"deflate", zlibOnce(f, []byte("deflated"))},
		{"br", brotliOnce(f, []byte("brotli"))},
		{"zstd", []byte("x")},
		{" , ,", []byte("empty list elements")},
		{"br", nil},
	} {
		f.Add(seed.header, seed.body)
	}
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		lines := strings.Split(header, "\n")
		orig := bytes.Clone(body)
		out, decoded, err := decodeContentEncoding(lines, body, fuzzLimit)
		if !bytes.Equal(body, orig) {
			t.Fatalf("the input body was modified")
		}
		isGzip, codingErr := contentCoding(lines)
		if err != nil {
			var pe *problemError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a problem", err)
			}
			switch p := toProblem(err); {
			case p.Status == 415 && codingErr != nil && len(body) > 0:
			case p.Status == 413 && isGzip && pe == errInflatedTooLarge:
			case p.Status == 400 && isGzip && pe == errNotGzip:
			default:
				t.Fatalf("%q: unexpected problem %+v", header, p)
			}
		}
		// The reference: a plain gzip reader, read to the end.
		var want []byte
		var wantErr error
		if isGzip && len(body) > 0 {
			zr, zerr := gzip.NewReader(bytes.NewReader(body))
			if zerr == nil {
				want, zerr = io.ReadAll(io.LimitReader(zr, fuzzLimit+1))
			}
			switch {
			case zerr != nil:
				wantErr = errNotGzip
			case len(want) > fuzzLimit:
				wantErr = errInflatedTooLarge
			}
		}
		switch {
		case codingErr != nil && len(body) > 0:
			if err != errUnsupportedEncoding {
				t.Fatalf("%q: coding refused, decode gave %v", header, err)
			}
		case !isGzip || len(body) == 0:
			if err != nil || decoded || !bytes.Equal(out, body) {
				t.Fatalf("%q: nothing to decode, got %v %v %q", header, err, decoded, out)
			}
		case wantErr != nil:
			if err != wantErr {
				t.Fatalf("%q: want %v, got %v", header, wantErr, err)
			}
		default:
			if err != nil || !decoded || !bytes.Equal(out, want) {
				t.Fatalf("%q: want %q, got %v %v %q", header, want, err, decoded, out)
			}
			if len(out) > fuzzLimit {
				t.Fatalf("decoded %d bytes past the limit", len(out))
			}
			var zipped bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&zipped, gzip.HuffmanOnly) // the cheapest encoder: fuzzing speed
			zw.Write(out)
			zw.Close()
			again, ok, err := decodeContentEncoding([]string{"gzip"}, zipped.Bytes(), fuzzLimit)
			if err != nil || !ok || !bytes.Equal(again, out) {
				t.Fatalf("gzip round trip: %v %q != %q", err, again, out)
			}
		}
	})
}

// jsonBodies are the request types decodeJSON fills, by handler.
var jsonBodies = []func() any{
	func() any { return new(registerRequest) },
	func() any { return new(loginRequest) },
	func() any { return new(forgotPasswordRequest) },
	func() any { return new(resetPasswordRequest) },
	func() any { return new(unlockRequest) },
	func() any { return new(codeRequest) },
	func() any { return new(reauthRequest) },
	func() any { return new(createTokenRequest) },
	func() any { return new(addMemberRequest) },
	func() any { return new(updateMemberRequest) },
	func() any { return new(reorderColumnsRequest) },
	func() any { return new(models.ProjectInput) },
	func() any { return new(models.ProjectPatch) },
	func() any { return new(models.ColumnInput) },
	func() any { return new(models.ColumnPatch) },
	func() any { return new(models.IssueInput) },
	func() any { return new(models.IssuePatch) },
	func() any { return new(models.MoveInput) },
}

// hasOptional reports whether t holds a models.Optional field, which
// decodes from JSON but has no JSON encoding of its own.
func hasOptional(t reflect.Type) bool {
	for i := range t.NumField() {
		if strings.HasPrefix(t.Field(i).Type.Name(), "Optional[") {
			return true
		}
	}
	return false
}

// FuzzDecodeJSONBody: any body, into any real request type, is accepted or
// a 400/422 problem (never a 500); what is accepted is valid JSON that the
// standard decoder reads the same way (strictness only refuses), and,
// encoded again, decodes strictly to the same value.
func FuzzDecodeJSONBody(f *testing.F) {
	for _, seed := range []string{
		`{"email":"ada@example.com","password":"correct horse battery"}`,
		`{"title":"T","labels":["a","b"],"effort":3,"due_date":"2026-01-02","assignee_id":null}`,
		`{"title":"T","version":2,"effort":null,"assignee_id":"x","labels":[]}`,
		`{"status":"done","after_id":"a","before_id":null}`,
		`{"keys":["open","done"]}`, `{"name":"n","wip_limit":3}`, `{"role":"editor"}`,
		`{"expires_in_days":"7"}`, `{"unknown":1}`, `{"title":1}`, `[]`, `null`, `""`, `{}{}`, `{} x`,
		`{"title":"\ud800"}`, `{"effort":1e400}`, `{"effort":-0}`, `{`, ``, "\x00", `{"TITLE":"case"}`,
	} {
		for kind := range jsonBodies {
			f.Add(uint8(kind), []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		fresh := jsonBodies[int(kind)%len(jsonBodies)]
		dst := fresh()
		err := decodeJSONBody("application/json", body, dst)
		if err != nil {
			p := toProblem(err)
			switch {
			case p.Status == 400 && p.Type == "urn:corkboard:problem:malformed-request" && p.Detail != "":
			case p.Status == 422 && len(p.Errors) > 0:
				for _, fe := range p.Errors {
					if fe.Field == "" || fe.Message == "" {
						t.Fatalf("422 with an empty field error: %+v", p.Errors)
					}
				}
			default:
				t.Fatalf("%T %q: problem %+v", dst, body, p)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("%T: accepted invalid JSON %q", dst, body)
		}
		std := fresh()
		if err := json.Unmarshal(body, std); err != nil || !reflect.DeepEqual(dst, std) {
			t.Fatalf("%T %q: the standard decoder reads %+v (%v), decodeJSON %+v", dst, body, std, err, dst)
		}
		if hasOptional(reflect.TypeOf(dst).Elem()) {
			return
		}
		again, err := json.Marshal(dst)
		if err != nil {
			t.Fatalf("%T: encode %+v: %v", dst, dst, err)
		}
		back := fresh()
		if err := decodeJSONBody("application/json", again, back); err != nil || !reflect.DeepEqual(dst, back) {
			t.Fatalf("%T: %s decodes to %+v (%v), want %+v", dst, again, back, err, dst)
		}
	})
}

// fuzzApp is one app on a fresh SQLite file with a signed-in owner and a
// project, for fuzz targets (the harness's testServer wants a *testing.T;
// these requests skip the contract check, which FuzzListCursor runs
// itself).
type fuzzApp struct {
	s       *Server
	cookie  string
	user    models.User
	project models.Project
}

func newFuzzApp(f *testing.F) *fuzzApp {
	f.Helper()
	s, err := New(context.Background(), Config{
		Config: config.Config{DatabaseURL: testdb.SQLite(f), DataDir: f.TempDir(), PublicURL: "http://localhost:3000",
			JWTSecret: strings.Repeat("s", 32), RateLimitPerMinute: 1 << 30},
		Password: fastPasswords, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Shutdown(context.Background()) })
	fa := &fuzzApp{s: s}
	res, b := fa.do(f, jsonRequest("POST", "/api/v1/auth/register",
		`{"email":"fuzz@example.com","password":"correct horse battery","display_name":"Fuzz"}`))
	if res.StatusCode != 201 {
		f.Fatalf("register: %d %s", res.StatusCode, b)
	}
	for _, ck := range res.Cookies() {
		if ck.Name == sessionCookie {
			fa.cookie = ck.Value
		}
	}
	json.Unmarshal(b, &fa.user)
	req := jsonRequest("POST", "/api/v1/projects", `{"name":"Fuzz","key":"FUZZ"}`)
	if res, b = fa.do(f, req); res.StatusCode != 201 {
		f.Fatalf("project: %d %s", res.StatusCode, b)
	}
	json.Unmarshal(b, &fa.project)
	for i := range 3 {
		req := jsonRequest("POST", "/api/v1/projects/"+fa.project.ID+"/issues", `{"title":"Issue `+strconv.Itoa(i)+`"}`)
		if res, b = fa.do(f, req); res.StatusCode != 201 {
			f.Fatalf("issue: %d %s", res.StatusCode, b)
		}
	}
	return fa
}

func jsonRequest(method, path, body string) *http.Request {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// do sends req as the owner (once signed in), as a same-origin browser.
func (fa *fuzzApp) do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	if fa.cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: fa.cookie})
		req.Header.Set("Origin", "http://localhost:3000")
	}
	res, err := fa.s.app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// FuzzPageForm posts the new-project page form (read with Ctx.FormValue:
// fasthttp's urlencoded and multipart parsers, after limitBody). Fields a
// browser would encode, urlencoded or multipart, gzipped or not, arrive
// exactly: a created project holds what was typed (as the store trims
// it). Raw bytes of either content type get a page, never a 5xx.
func FuzzPageForm(f *testing.F) {
	fa := newFuzzApp(f)
	for _, seed := range []struct {
		name, description, key string
		mode                   uint8
		raw                    []byte
	}{
		{"Roadmap", "line one\r\nline two", "", 0, nil},
		{"Café & co", "a+b=c;d%zz", "cafe", 1, nil},
		{"  spaced  ", "", "SP", 2, nil},
		{"Multi\npart", "--boundary\r\n", "MP", 3, nil},
		{"", "", "", 4, []byte("name=%ZZ&name=x&&=&key")},
		{"", "", "", 5, []byte("--fuzzboundary\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nRaw\r\n--fuzzboundary--\r\n")},
		{"", "", "", 6, gzipOnce(f, []byte("name=Zipped+raw"))},
		{"", "", "", 7, []byte("\x1f\x8b not really")},
		{"\x00nul", "\xff", "1X", 0, nil},
	} {
		f.Add(seed.name, seed.description, seed.key, seed.mode, seed.raw)
	}
	const boundary = "fuzzboundary"
	f.Fuzz(func(t *testing.T, name, description, key string, mode uint8, raw []byte) {
		multi, zipped, rawMode := mode&1 != 0, mode&2 != 0, mode&4 != 0
		body := raw
		contentType := "application/x-www-form-urlencoded"
		if multi {
			contentType = "multipart/form-data; boundary=" + boundary
		}
		if !rawMode {
			if multi {
				var b bytes.Buffer
				mw := multipart.NewWriter(&b)
				mw.SetBoundary(boundary)
				mw.WriteField("name", name)
				mw.WriteField("description", description)
				mw.WriteField("key", key)
				mw.Close()
				body = b.Bytes()
			} else {
				body = []byte(url.Values{"name": {name}, "description": {description}, "key": {key}}.Encode())
			}
			if zipped {
				body = gzipOnce(t, body)
			}
		}
		req := httptest.NewRequest("POST", "/projects", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if zipped {
			req.Header.Set("Content-Encoding", "gzip")
		}
		res, b := fa.do(t, req)
		if res.StatusCode >= 500 {
			t.Fatalf("mode %d %q: %d %s", mode, body, res.StatusCode, b)
		}
		loc := res.Header.Get("Location")
		created := res.StatusCode == 303 && strings.HasPrefix(loc, "/projects/") && loc != "/projects/new"
		if res.StatusCode != 303 && !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("mode %d: a %d page is %q", mode, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if rawMode || !created {
			return
		}
		p, err := fa.s.store.GetProject(context.Background(), fa.user.ID, strings.TrimPrefix(loc, "/projects/"))
		if err != nil {
			t.Fatalf("created %s, yet: %v", loc, err)
		}
		wantKey := strings.ToUpper(strings.TrimSpace(key))
		if wantKey == "" {
			wantKey = models.DeriveKey(name)
		}
		if p.Name != strings.TrimSpace(name) || p.Description != strings.ReplaceAll(description, "\r\n", "\n") || p.Key != wantKey {
			t.Fatalf("mode %d: sent %q %q %q, stored %q %q %q", mode, name, description, key, p.Name, p.Description, p.Key)
		}
	})
}

// FuzzListCursor: any cursor on the issue list and the audit list is
// answered as the contract says: a cursor this API could have given out
// lists what lies past it (issues numbered below it), anything else is a
// 422 naming the cursor; never a 500.
func FuzzListCursor(f *testing.F) {
	fa := newFuzzApp(f)
	enc := base64.RawURLEncoding.EncodeToString
	for _, seed := range []string{
		"", enc([]byte("n:2")), enc([]byte("n:0")), enc([]byte("n:-5")), enc([]byte("n:99999999999999999999")),
		enc([]byte("n:+1")), enc([]byte("n:")), enc([]byte("a:" + uuid.NewString())), enc([]byte("a:x")),
		"bjox", "n:2", "====", "%", "' OR 1=1 --", strings.Repeat("A", 300),
	} {
		f.Add(seed)
	}
	issues := "/api/v1/projects/" + fa.project.ID + "/issues"
	f.Fuzz(func(t *testing.T, cursor string) {
		for _, path := range []string{issues, "/api/v1/auth/audit"} {
			req := httptest.NewRequest("GET", path+"?limit=2&cursor="+url.QueryEscape(cursor), nil)
			res, b := fa.do(t, req)
			for _, v := range checkContract(req, nil, res.StatusCode, res.Header, b) {
				t.Errorf("contract: %s", v)
			}
			raw, decErr := base64.RawURLEncoding.DecodeString(cursor)
			valid := cursor == "" || decErr == nil && validCursor(path == issues, string(raw))
			if !valid {
				var p problem
				if res.StatusCode != 422 || json.Unmarshal(b, &p) != nil || len(p.Errors) != 1 || p.Errors[0].Field != "cursor" {
					t.Fatalf("%s cursor %q: %d %s, want 422 on cursor", path, cursor, res.StatusCode, b)
				}
				continue
			}
			if res.StatusCode != 200 {
				t.Fatalf("%s cursor %q: %d %s", path, cursor, res.StatusCode, b)
			}
			if path != issues || cursor == "" {
				continue
			}
			var page struct{ Items []models.Issue }
			mustDecode(t, b, &page)
			below, _ := strconv.ParseInt(strings.TrimPrefix(string(raw), "n:"), 10, 64)
			for _, is := range page.Items {
				if is.Number >= below {
					t.Fatalf("cursor n:%d listed issue %d", below, is.Number)
				}
			}
		}
	})
}

// validCursor is the reference for what the lists accept: "n:<int64>" for
// issues, "a:<uuid>" for the audit log, base64url without padding.
func validCursor(issues bool, raw string) bool {
	if issues {
		n, ok := strings.CutPrefix(raw, "n:")
		_, err := strconv.ParseInt(n, 10, 64)
		return ok && err == nil
	}
	id, ok := strings.CutPrefix(raw, "a:")
	return ok && uuid.Validate(id) == nil
}

func mustDecode(t testing.TB, b []byte, out any) {
	t.Helper()
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}
