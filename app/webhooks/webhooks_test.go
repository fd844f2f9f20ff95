package webhooks

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/models"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func TestBlockedAddresses(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "127.8.9.10": true, "::1": true, "10.0.0.1": true, "172.16.0.1": true, "172.31.255.255": true,
		"192.168.1.1": true, "169.254.169.254": true, "fe80::1": true, "fc00::1": true, "fd12::1": true, "0.0.0.0": true,
		"::": true, "100.64.0.1": true, "::ffff:127.0.0.1": true, "::ffff:10.0.0.1": true, "224.0.0.1": true,
		"255.255.255.255": true, "0.1.2.3": true,
		// IPv4 inside NAT64 and 6to4 addresses is checked as IPv4.
		"64:ff9b::7f00:1": true, "64:ff9b::a9fe:a9fe": true, "2002:7f00:1::1": true, "2002:c0a8:101::": true,
		"64:ff9b::808:808": false, "2002:808:808::1": false,
		"203.0.113.10": false, "8.8.8.8": false, "172.32.0.1": false, "2001:4860:4860::8888": false, "100.128.0.1": false,
	} {
		if got := blocked(netip.MustParseAddr(addr)); got != want {
			t.Errorf("blocked(%s) = %v, want %v", addr, got, want)
		}
	}
}

type fixedResolver map[string][]netip.Addr

func (f fixedResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

func TestCheckURL(t *testing.T) {
	g := Guard{Resolver: fixedResolver{
		"public.test":  {netip.MustParseAddr("203.0.113.7")},
		"mixed.test":   {netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("10.0.0.7")},
		"inside.test":  {netip.MustParseAddr("192.168.0.7")},
		"loopback.six": {netip.MustParseAddr("::1")},
	}}
	for raw, ok := range map[string]bool{
		"https://public.test/hooks": true, "http://203.0.113.9:8080/x?y=1": true,
		"https://mixed.test/": false, "https://inside.test/": false, "https://loopback.six/": false,
		"https://unknown.test/": false, "http://127.0.0.1/": false, "http://[::1]:80/": false,
		"mailto:a@b.c": false, "https:///path": false, "http://u:p@public.test/": false, "http://public.test/#frag": false,
		"": false, "http://public.test/a b": false,
	} {
		if msg := g.CheckURL(context.Background(), raw); (msg == "") != ok {
			t.Errorf("CheckURL(%q) = %q, want ok=%v", raw, msg, ok)
		}
	}
	allow := Guard{AllowPrivate: true, Resolver: fixedResolver{}}
	if msg := allow.CheckURL(context.Background(), "http://127.0.0.1:9/x"); msg != "" {
		t.Errorf("with AllowPrivate: %q", msg)
	}
}

// TestDialRefusesLoopback: the dialer itself refuses a loopback address
// (after resolution), and lets it through with AllowPrivate.
func TestDialRefusesLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	names := fixedResolver{"rebound.test": {netip.MustParseAddr("127.0.0.1")}}
	for _, addr := range []string{ln.Addr().String(), "rebound.test:" + port} {
		_, err := Guard{Resolver: names}.DialContext(context.Background(), "tcp", addr)
		if !errors.Is(err, ErrBlockedAddress) {
			t.Fatalf("dial %s: %v, want refused", addr, err)
		}
		conn, err := Guard{AllowPrivate: true, Resolver: names}.DialContext(context.Background(), "tcp", addr)
		if err != nil {
			t.Fatalf("dial %s with AllowPrivate: %v", addr, err)
		}
		conn.Close()
	}
}

func TestFilters(t *testing.T) {
	// Every type of the log can be asked for, by name and by family.
	for _, typ := range []string{models.EventIssueCreated, models.EventIssueUpdated, models.EventIssueMoved, models.EventIssueDeleted, models.EventProjectUpdated, models.EventProjectDeleted, models.EventMemberAdded, models.EventMemberUpdated, models.EventMemberRemoved, models.EventColumnCreated, models.EventColumnUpdated, models.EventColumnDeleted, models.EventColumnsReordered, models.EventCycleCreated, models.EventCycleScheduled, models.EventCycleUpdated, models.EventCycleDeleted, models.EventCycleCapacityUpdated, models.EventCommentCreated, models.EventCommentUpdated, models.EventCommentDeleted, models.EventIssueRestored, models.EventTrashPurged} {
		family, _, _ := strings.Cut(typ, ".")
		if msg := CheckFilters([]string{typ, family + ".*"}); msg != "" {
			t.Errorf("%s: %s", typ, msg)
		}
	}
	for _, ok := range [][]string{nil, {}, {"issue.*"}, {"issue.moved", "cycle.capacity_updated", "comment.*"}} {
		if msg := CheckFilters(ok); msg != "" {
			t.Errorf("CheckFilters(%v) = %q", ok, msg)
		}
	}
	for _, bad := range [][]string{{"*"}, {"issue"}, {"issue."}, {"nope.created"}, {"issue.Moved"}, {"issue.**"}, make([]string, 51)} {
		if CheckFilters(bad) == "" {
			t.Errorf("CheckFilters(%v) accepted", bad)
		}
	}
	for _, c := range []struct {
		filters []string
		typ     string
		want    bool
	}{
		{nil, "issue.moved", true}, {[]string{"issue.*"}, "issue.moved", true}, {[]string{"issue.*"}, "comment.created", false},
		{[]string{"issue.moved"}, "issue.moved", true}, {[]string{"issue.moved"}, "issue.movedx", false},
		{[]string{"cycle.*"}, "cyclex.created", false},
	} {
		if got := Matches(c.filters, c.typ); got != c.want {
			t.Errorf("Matches(%v, %s) = %v", c.filters, c.typ, got)
		}
	}
}

func TestDefaultBackoff(t *testing.T) {
	want := []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour, time.Hour, time.Hour}
	for i, w := range want {
		if got := DefaultBackoff(i + 1); got != w {
			t.Errorf("DefaultBackoff(%d) = %s, want %s", i+1, got, w)
		}
	}
}

// TestSignMatchesTheLibrary: our signature is the one the Standard
// Webhooks Go library computes and verifies.
func TestSignMatchesTheLibrary(t *testing.T) {
	secret := NewSecret()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	at, body, id := time.Now(), []byte(`{"type":"issue.moved","seq":3}`), MessageID("w", 3)
	sig, err := Sign(secret, id, at, body)
	if err != nil {
		t.Fatal(err)
	}
	theirs, _ := wh.Sign(id, at, body)
	if sig != theirs {
		t.Fatalf("signature %s, library %s", sig, theirs)
	}
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	h.Set("webhook-signature", sig)
	if err := wh.Verify(body, h); err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify([]byte(`{"type":"issue.moved","seq":4}`), h); err == nil {
		t.Fatal("a changed body verified")
	}
	if MessageID("w", 3) != id || MessageID("w", 4) == id || MessageID("v", 3) == id {
		t.Fatal("message ids are not one per webhook and event")
	}
}
