package main

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// moveClient sends the moves of -mode moves over keep-alive connections
// with fasthttp's client. The load tool shares the 2 cores with the server:
// net/http's client spent ~75 µs of CPU per move, fasthttp's about half of
// that, which leaves the server more of the machine.
type moveClient struct {
	hc     *fasthttp.HostClient
	prefix string // scheme://host
	cookie string
}

// newMoveClient sends to the instance at target (signed in by -url's
// session: the instances share the database).
func (b *bench) newMoveClient(target string, conc int) (*moveClient, error) {
	home, err := url.Parse(b.base)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	var cookies []string
	for _, c := range b.client.Jar.Cookies(home) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	return &moveClient{
		hc: &fasthttp.HostClient{Addr: u.Host, IsTLS: u.Scheme == "https", MaxConns: conc,
			ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second},
		prefix: u.Scheme + "://" + u.Host,
		cookie: strings.Join(cookies, "; "),
	}, nil
}

// post sends a JSON body and answers the status code; a status of 300 or
// more is also an error.
func (m *moveClient) post(path string, body []byte) (int, error) {
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	req.SetRequestURI(m.prefix + path)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	req.Header.Set("Cookie", m.cookie)
	req.SetBody(body)
	if err := m.hc.Do(req, res); err != nil {
		return 0, err
	}
	if code := res.StatusCode(); code >= 300 {
		return code, fmt.Errorf("POST %s: %d %s", path, code, res.Body())
	}
	return res.StatusCode(), nil
}
