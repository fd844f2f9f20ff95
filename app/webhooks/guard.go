package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Resolver looks host names up (*net.Resolver; tests give their own to
// play DNS rebinding).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Guard keeps webhooks off the server's own network: loopback, private,
// link-local and other non-public addresses are refused when a URL is
// saved and again on every connection, after the name is resolved, so a
// name that resolves to a public address when saved and to 127.0.0.1 when
// sent (DNS rebinding) is still refused. AllowPrivate
// (WEBHOOK_ALLOW_PRIVATE=1) lets them through, for on-premises receivers.
type Guard struct {
	AllowPrivate bool
	Resolver     Resolver
}

// ErrBlockedAddress is a connection refused by the Guard.
var ErrBlockedAddress = errors.New("the address is loopback, private or link-local")

// sharedAddressSpace is carrier-grade NAT (RFC 6598): private in practice.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// IPv6 prefixes that carry an IPv4 address a gateway forwards to: NAT64's
// well-known prefix (RFC 6052: the last 32 bits) and 6to4 (RFC 3056: bits
// 16–47). The IPv4 address inside is checked like any other.
var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// blocked reports whether a is an address webhooks may not reach.
func blocked(a netip.Addr) bool {
	a = a.Unmap()
	if b := a.As16(); nat64Prefix.Contains(a) {
		return blocked(netip.AddrFrom4([4]byte(b[12:16])))
	} else if sixToFour.Contains(a) {
		return blocked(netip.AddrFrom4([4]byte(b[2:6])))
	}
	return !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || sharedAddressSpace.Contains(a) ||
		(a.Is4() && a.As4()[0] == 0) || a == netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

func (g Guard) resolver() Resolver {
	if g.Resolver != nil {
		return g.Resolver
	}
	return net.DefaultResolver
}

// CheckURL says what is wrong with a webhook URL ("" if nothing): an
// absolute http(s) URL without credentials whose host resolves, and only
// to addresses the Guard allows.
func (g Guard) CheckURL(ctx context.Context, raw string) string {
	u, err := url.Parse(raw)
	switch {
	case len(raw) > 2048:
		return "must be at most 2048 characters"
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Opaque != "":
		return "must be an absolute http or https URL"
	case u.User != nil:
		return "must not contain a user name or password"
	case u.Fragment != "" || strings.ContainsAny(raw, " \t\r\n"):
		return "must not contain a fragment or spaces"
	}
	if g.AllowPrivate {
		return ""
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		if blocked(a) {
			return "must not point at a loopback, private or link-local address"
		}
		return ""
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := g.resolver().LookupNetIP(lctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return "has a host name that does not resolve"
	}
	for _, a := range addrs {
		if blocked(a) {
			return "must not point at a loopback, private or link-local address"
		}
	}
	return ""
}

// DialContext resolves addr's host with the Guard's resolver and connects
// to the first allowed address; the dialer's Control checks the address
// actually connected to as well.
func (g Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if addrs, err = g.resolver().LookupNetIP(ctx, "ip", host); err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: 5 * time.Second, Control: g.control}
	var last error = fmt.Errorf("%s: no address", host)
	for _, a := range addrs {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		last = err
	}
	return nil, last
}

// control runs just before connect(2), with the address resolved.
func (g Guard) control(_, address string, _ syscall.RawConn) error {
	if g.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil || blocked(ap.Addr()) {
		return fmt.Errorf("connecting to %s: %w", address, ErrBlockedAddress)
	}
	return nil
}
