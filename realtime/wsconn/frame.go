package wsconn

import (
	"encoding/binary"
	"errors"

	"github.com/coder/websocket"
)

// RFC 6455 opcodes.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa
)

// protocolError ends the connection with its close code (1002 for a
// malformed frame, 1009 for a message over the limit).
type protocolError struct {
	code   websocket.StatusCode
	reason string
}

func (e *protocolError) Error() string { return "wsconn: " + e.reason }

var (
	errReserved     = &protocolError{websocket.StatusProtocolError, "reserved bits set"}
	errUnmasked     = &protocolError{websocket.StatusProtocolError, "client frame not masked"}
	errOpcode       = &protocolError{websocket.StatusProtocolError, "unknown opcode"}
	errControl      = &protocolError{websocket.StatusProtocolError, "bad control frame"}
	errContinuation = &protocolError{websocket.StatusProtocolError, "unexpected continuation"}
	errInterleaved  = &protocolError{websocket.StatusProtocolError, "new message inside a fragmented one"}
	errTooBig       = &protocolError{websocket.StatusMessageTooBig, "message too big"}
)

// errClosed is what reads and writes return once the connection ended.
var errClosed = errors.New("wsconn: connection closed")

// frame is one parsed client frame; payload is unmasked in place and
// aliases the buffer it was parsed from.
type frame struct {
	fin     bool
	op      byte
	payload []byte
}

// parseFrame parses the frame at the start of b. n is the bytes it took,
// 0 when b holds only part of it. A frame whose declared length exceeds
// limit is refused from its header, before its payload arrives.
func parseFrame(b []byte, limit int) (f frame, n int, err error) {
	if len(b) < 2 {
		return f, 0, nil
	}
	b0, b1 := b[0], b[1]
	if b0&0x70 != 0 {
		return f, 0, errReserved
	}
	f.fin, f.op = b0&0x80 != 0, b0&0x0f
	switch f.op {
	case opContinuation, opText, opBinary:
	case opClose, opPing, opPong:
		if !f.fin || b1&0x7f > 125 {
			return f, 0, errControl
		}
	default:
		return f, 0, errOpcode
	}
	if b1&0x80 == 0 {
		return f, 0, errUnmasked
	}
	size, hdr := uint64(b1&0x7f), 2
	switch size {
	case 126:
		if len(b) < 4 {
			return f, 0, nil
		}
		size, hdr = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return f, 0, nil
		}
		size, hdr = binary.BigEndian.Uint64(b[2:]), 10
	}
	if size > uint64(limit) {
		return f, 0, errTooBig
	}
	end := hdr + 4 + int(size)
	if len(b) < end {
		return f, 0, nil
	}
	mask := b[hdr : hdr+4]
	f.payload = b[hdr+4 : end]
	for i := range f.payload {
		f.payload[i] ^= mask[i&3]
	}
	return f, end, nil
}

// appendHeader appends the header of an unmasked, final server frame.
func appendHeader(b []byte, op byte, size int) []byte {
	switch {
	case size <= 125:
		return append(b, 0x80|op, byte(size))
	case size <= 0xffff:
		return append(b, 0x80|op, 126, byte(size>>8), byte(size))
	default:
		b = append(b, 0x80|op, 127)
		return binary.BigEndian.AppendUint64(b, uint64(size))
	}
}

// AppendFrame appends payload as one unmasked final frame of opcode op
// (text: 1): what the server writes, the same bytes for every socket.
func AppendFrame(b []byte, op byte, payload []byte) []byte {
	return append(appendHeader(b, op, len(payload)), payload...)
}

// TextFrame is payload as a whole text frame, for WriteWire.
func TextFrame(payload []byte) []byte {
	return AppendFrame(make([]byte, 0, len(payload)+10), opText, payload)
}

// decodeClose reads a close frame's payload; an empty one is 1005.
func decodeClose(p []byte) (websocket.StatusCode, bool) {
	switch {
	case len(p) == 0:
		return websocket.StatusNoStatusRcvd, true
	case len(p) == 1:
		return 0, false
	}
	code := websocket.StatusCode(binary.BigEndian.Uint16(p))
	return code, validCloseCode(code)
}

func validCloseCode(c websocket.StatusCode) bool {
	switch {
	case c >= 3000 && c <= 4999:
		return true
	case c < 1000 || c > 1014:
		return false
	}
	return c != 1004 && c != 1005 && c != 1006
}
