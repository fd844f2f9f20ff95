package wsconn

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// handshakeTimeout bounds writing the handshake's answer.
const handshakeTimeout = 10 * time.Second

// Accept checks r's upgrade headers (RFC 6455 section 4.2.1) and answers
// on nc: 101 and a Conn, or a plain-text refusal (426, 405 or 400, with
// Connection: close) and an error. The caller checked the Origin. Messages
// over limit bytes close the connection with 1009.
func Accept(nc net.Conn, r *http.Request, limit int) (*Conn, error) {
	status, hdr, err := verify(r)
	if err != nil {
		refuse(nc, status, hdr, err.Error())
		return nil, err
	}
	var sb strings.Builder
	sb.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ")
	sb.WriteString(acceptKey(strings.TrimSpace(r.Header.Get("Sec-WebSocket-Key"))))
	sb.WriteString("\r\n\r\n")
	if err := writeAll(nc, sb.String()); err != nil {
		return nil, err
	}
	return newConn(nc, limit), nil
}

func verify(r *http.Request) (int, string, error) {
	const upgrade = "Upgrade: websocket\r\n"
	switch {
	case !r.ProtoAtLeast(1, 1):
		return http.StatusUpgradeRequired, upgrade, errors.New("WebSocket needs HTTP/1.1")
	case !hasToken(r.Header, "Connection", "upgrade"):
		return http.StatusUpgradeRequired, upgrade, errors.New("Connection header does not contain Upgrade")
	case !hasToken(r.Header, "Upgrade", "websocket"):
		return http.StatusUpgradeRequired, upgrade, errors.New("Upgrade header does not contain websocket")
	case r.Method != http.MethodGet:
		return http.StatusMethodNotAllowed, "", errors.New("WebSocket handshake must be a GET")
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		return http.StatusBadRequest, "Sec-WebSocket-Version: 13\r\n", errors.New("only WebSocket version 13 is supported")
	case len(r.Header.Values("Sec-WebSocket-Key")) != 1:
		return http.StatusBadRequest, "", errors.New("exactly one Sec-WebSocket-Key is required")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(r.Header.Get("Sec-WebSocket-Key")))
	if err != nil || len(key) != 16 {
		return http.StatusBadRequest, "", errors.New("Sec-WebSocket-Key must be 16 bytes in base64")
	}
	return 0, "", nil
}

func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func refuse(nc net.Conn, status int, hdr, body string) {
	body += "\n"
	_ = writeAll(nc, "HTTP/1.1 "+strconv.Itoa(status)+" "+http.StatusText(status)+"\r\n"+hdr+
		"Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
}

func writeAll(nc net.Conn, s string) error {
	nc.SetWriteDeadline(time.Now().Add(handshakeTimeout))
	_, err := nc.Write([]byte(s))
	nc.SetWriteDeadline(time.Time{})
	return err
}

// acceptKey is Sec-WebSocket-Accept for key.
func acceptKey(key string) string {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}
