// Package testoidc starts a real OpenID provider inside a test: the op
// package of github.com/zitadel/oidc/v3 over that module's example
// in-memory storage (example/server/storage), with a login step adapted
// from its example/server/exampleop/login.go. Both are Copyright the
// zitadel/oidc authors, Apache License 2.0
// (https://github.com/zitadel/oidc/blob/main/LICENSE); the adaptation
// keeps only the username/password form and lets a test add people.
package testoidc

import (
	"context"
	"crypto/sha256"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// Client id and secret the provider knows Corkboard by.
const (
	ClientID     = "corkboard"
	ClientSecret = "corkboard-secret"
)

// Person is someone who can sign in at the provider.
type Person struct {
	Subject       string // the provider's id for them (the ID token's sub)
	Username      string // typed on the provider's login form
	Password      string
	Email         string
	EmailVerified bool
	First, Last   string // the name claim is "First Last"
}

// Provider is a running OpenID provider.
type Provider struct {
	Issuer string // http://127.0.0.1:port
	people *people
	srv    *http.Server
}

// Start serves a provider on a new loopback port that accepts
// redirectURI (Corkboard's PUBLIC_URL + /auth/oidc/callback).
func Start(t testing.TB, redirectURI string) *Provider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return StartOn(t, ln, redirectURI)
}

// StartOn serves a provider on ln (a test that starts the app before the
// provider reserves the address first).
func StartOn(t testing.TB, ln net.Listener, redirectURI string) *Provider {
	t.Helper()
	issuer := "http://" + ln.Addr().String()
	ppl := &people{byID: map[string]*storage.User{}}
	clients := map[string]*storage.Client{ClientID: storage.WebClient(ClientID, ClientSecret, redirectURI)}
	store := storage.NewStorageWithClients(ppl, clients)
	provider, err := op.NewProvider(&op.Config{CryptoKey: sha256.Sum256([]byte("testoidc")), CodeMethodS256: true,
		AuthMethodPost: true, SupportedUILocales: []language.Tag{language.English}},
		store, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	login := &loginForm{store: store, callback: op.AuthCallbackURL(provider)}
	mux.HandleFunc("GET /login/username", login.show)
	mux.Handle("POST /login/username", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(login.check))
	mux.Handle("/", provider)
	p := &Provider{Issuer: issuer, people: ppl, srv: &http.Server{Handler: mux}}
	go p.srv.Serve(ln)
	t.Cleanup(func() { p.srv.Close() })
	return p
}

// Add lets someone sign in.
func (p *Provider) Add(person Person) {
	p.people.mu.Lock()
	defer p.people.mu.Unlock()
	p.people.byID[person.Subject] = &storage.User{ID: person.Subject, Username: person.Username,
		Password: person.Password, Email: person.Email, EmailVerified: person.EmailVerified, FirstName: person.First,
		LastName: person.Last, PreferredLanguage: language.English}
}

// LoginForm answers the provider's login page (the last page a browser
// reached on its way from Corkboard's button) as the person would: it
// posts their username and password with the page's request id, and
// returns where the redirects end (hc follows them, with its cookie
// jar).
func (p *Provider) LoginForm(t testing.TB, hc *http.Client, page *http.Response, username, password string) *http.Response {
	t.Helper()
	if page.StatusCode != http.StatusOK || page.Request.URL.Path != "/login/username" {
		body, _ := io.ReadAll(page.Body)
		t.Fatalf("not the provider's login page: %d %s: %.300s", page.StatusCode, page.Request.URL, body)
	}
	page.Body.Close()
	id := page.Request.URL.Query().Get("authRequestID")
	res, err := hc.PostForm(p.Issuer+"/login/username", url.Values{"id": {id}, "username": {username},
		"password": {password}})
	if err != nil {
		t.Fatalf("provider login: %v", err)
	}
	return res
}

// people is the example storage's UserStore, filled by the test.
type people struct {
	mu   sync.Mutex
	byID map[string]*storage.User
}

func (u *people) GetUserByID(id string) *storage.User {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.byID[id]
}

func (u *people) GetUserByUsername(name string) *storage.User {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, p := range u.byID {
		if p.Username == name {
			return p
		}
	}
	return nil
}

func (u *people) ExampleClientID() string { return "service" }

// loginForm is the provider's own sign-in step (exampleop/login.go).
type loginForm struct {
	store    *storage.Storage
	callback func(ctx context.Context, id string) string
}

var formPage = template.Must(template.New("login").Parse(`<!DOCTYPE html><title>Provider login</title>
<form method="post" action="/login/username"><input type="hidden" name="id" value="{{.ID}}">
<input name="username"><input name="password" type="password"><p>{{.Error}}</p><button>Login</button></form>`))

func (l *loginForm) show(w http.ResponseWriter, r *http.Request) {
	_ = formPage.Execute(w, map[string]string{"ID": r.URL.Query().Get("authRequestID")})
}

func (l *loginForm) check(w http.ResponseWriter, r *http.Request) {
	id := r.FormValue("id")
	if err := l.store.CheckUsernamePassword(r.FormValue("username"), r.FormValue("password"), id); err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		_ = formPage.Execute(w, map[string]string{"ID": id, "Error": strings.TrimSpace(err.Error())})
		return
	}
	http.Redirect(w, r, l.callback(r.Context(), id), http.StatusFound)
}
