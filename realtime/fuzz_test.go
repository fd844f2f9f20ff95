package realtime

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeClientMessage: any input is either refused or a presence whose
// ids are short plain tokens; decoding never panics.
func FuzzDecodeClientMessage(f *testing.F) {
	for _, seed := range []string{
		`{"type":"presence","data":{"viewing":null,"editing":null,"dragging":null}}`,
		`{"type":"presence","data":{"viewing":"6f1c2a4e-0000-4000-8000-000000000000"}}`,
		`{"type":"presence","data":{"viewing":"<b>"}}`,
		`{"type":"other"}`, `{"type":"presence"}{}`, `[]`, `{`, "\x00", `{"type":"presence","data":{"x":1}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeClientMessage(b)
		if err != nil {
			if p != (Presence{}) {
				t.Fatalf("refused input returned %+v", p)
			}
			return
		}
		if !json.Valid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		for _, id := range []*string{p.Viewing, p.Editing, p.Dragging} {
			if id != nil && !plainID(*id) {
				t.Fatalf("accepted id %q", *id)
			}
		}
	})
}
