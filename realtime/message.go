package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/corkboard/corkboard/realtime/wsconn"
)

// Message is one encoded server frame. Durable events (the project's log)
// have Seq > 0; hello, presence and resync have none.
type Message struct {
	Seq  int64
	Type string
	Data []byte // the whole JSON text frame, encoded once for every client

	frame []byte // Data as a whole WebSocket frame, when encoded for a fan-out
}

// withFrame returns m carrying its WebSocket frame, encoded once for all
// the sockets it is fanned out to.
func (m Message) withFrame() Message {
	m.frame = wsconn.TextFrame(m.Data)
	return m
}

// wire is m as a whole WebSocket frame.
func (m Message) wire() []byte {
	if m.frame != nil {
		return m.frame
	}
	return wsconn.TextFrame(m.Data)
}

// Log reads a project's durable event log (the database); the hub replays
// from it on connect and fills gaps from it.
type Log interface {
	// Since returns up to limit events with seq > after, in seq order, and
	// the project's current seq. It answers ErrPruned when events after
	// `after` are no longer retained.
	Since(ctx context.Context, projectID string, after int64, limit int) (msgs []Message, head int64, err error)
}

// ErrPruned means the log no longer holds the events a client asked for:
// it must reload the board (resync).
var ErrPruned = errors.New("realtime: events pruned from the log")

// Event types the hub acts on besides forwarding them.
const (
	typeMemberRemoved  = "member.removed"
	typeProjectDeleted = "project.deleted"
	// A purge redacted earlier events in the log: the copies held in
	// memory for replays are dropped, so a replay reads the log.
	typeTrashPurged = "trash.purged"
)

// header is what the hub reads of a published event; the rest of the frame
// is forwarded untouched.
type header struct {
	Type string `json:"type"`
	Seq  int64  `json:"seq"`
	Data struct {
		UserID string `json:"user_id"`
	} `json:"data"`
}

// decodeHeader reads an event's type, seq and (for member events) user.
func decodeHeader(payload []byte) (header, error) {
	var h header
	if err := json.Unmarshal(payload, &h); err != nil {
		return h, err
	}
	if h.Type == "" || h.Seq < 0 {
		return h, errors.New("realtime: event without type or with a negative seq")
	}
	return h, nil
}

// Presence is what one connection says its user is doing on the board.
type Presence struct {
	Viewing  *string `json:"viewing"`
	Editing  *string `json:"editing"`
	Dragging *string `json:"dragging"`
}

// clientMessage is the only message a client may send.
type clientMessage struct {
	Type string   `json:"type"`
	Data Presence `json:"data"`
}

var (
	errBadMessage  = errors.New("realtime: malformed message")
	errUnknownType = errors.New("realtime: unknown message type")
)

// decodeClientMessage parses a client's frame strictly: one object, only the
// presence type, ids at most 64 bytes of plain ASCII.
func decodeClientMessage(b []byte) (Presence, error) {
	var m clientMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Presence{}, errBadMessage
	}
	if len(bytes.TrimSpace(b[dec.InputOffset():])) != 0 {
		return Presence{}, errBadMessage // anything after the object
	}
	if m.Type != "presence" {
		return Presence{}, errUnknownType
	}
	for _, id := range []*string{m.Data.Viewing, m.Data.Editing, m.Data.Dragging} {
		if id != nil && !plainID(*id) {
			return Presence{}, errBadMessage
		}
	}
	return m.Data, nil
}

func plainID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// helloFrame and resyncFrame are the hub's own ephemeral messages.
func helloFrame(projectID string, seq int64) []byte {
	b, _ := json.Marshal(struct {
		Type      string `json:"type"`
		ProjectID string `json:"project_id"`
		Seq       int64  `json:"seq"`
	}{"hello", projectID, seq})
	return b
}

func resyncFrame(seq int64) []byte {
	return []byte(`{"type":"resync","seq":` + strconv.FormatInt(seq, 10) + `}`)
}
