package models

import (
	"bytes"
	"encoding/json"
)

// redactEvents takes the purged issues' titles and descriptions, and their
// comments' bodies, out of every event of the project that carries them,
// and marks those events `redacted: true`; the events stay (seq, type,
// actor, time, ids). It reads the project's log once, in the purge's
// transaction: the issues' own events (issue.*, comment.*) and any other
// event that embeds one of them are found by the ids in their payloads.
// The rows are read to the end before any is written (PostgreSQL cannot
// write on a connection with a query open).
func (c *change) redactEvents(ids map[string]bool) error {
	rows, err := c.tx.Raw(`SELECT seq, payload FROM events WHERE project_id = ?`, c.project.ID).Rows()
	if err != nil {
		return err
	}
	type update struct {
		seq     int64
		payload string
	}
	var updates []update
	for rows.Next() {
		var u update
		if err := rows.Scan(&u.seq, &u.payload); err != nil {
			rows.Close()
			return err
		}
		if !namesAny(u.payload, ids) {
			continue
		}
		payload, changed, err := redactPayload(u.payload, ids)
		if err != nil {
			rows.Close()
			return err
		}
		if changed {
			updates = append(updates, update{u.seq, payload})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, u := range updates {
		if err := c.tx.Exec(`UPDATE events SET payload = ? WHERE project_id = ? AND seq = ?`,
			u.payload, c.project.ID, u.seq).Error; err != nil {
			return err
		}
	}
	return nil
}

// namesAny says whether payload holds one of ids as a JSON string: a quick
// look, in one pass, before decoding it.
func namesAny(payload string, ids map[string]bool) bool {
	const n = 36 // a UUID's text
	for i := 0; i+n+1 < len(payload); i++ {
		if payload[i] == '"' && payload[i+n+1] == '"' && ids[payload[i+1:i+n+1]] {
			return true
		}
	}
	return false
}

// redactPayload blanks, anywhere in an event's JSON, the title and
// description of every object whose id is one of ids and the body of
// every object whose issue_id is, and sets redacted: true at the top. It
// reports whether the payload was about one of the issues at all.
func redactPayload(payload string, ids map[string]bool) (string, bool, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(payload)))
	dec.UseNumber() // numbers stay as written
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", false, err
	}
	if !redactValue(v, ids) {
		return payload, false, nil
	}
	if top, ok := v.(map[string]any); ok {
		top["redacted"] = true
	}
	b, err := json.Marshal(v)
	return string(b), true, err
}

func redactValue(v any, ids map[string]bool) bool {
	found := false
	switch x := v.(type) {
	case map[string]any:
		if id, _ := x["id"].(string); ids[id] {
			for _, k := range []string{"title", "description"} {
				if _, ok := x[k]; ok {
					x[k] = ""
					found = true
				}
			}
		}
		if id, _ := x["issue_id"].(string); ids[id] {
			found = true
			if _, ok := x["body"]; ok {
				x["body"] = ""
			}
		}
		for _, e := range x {
			found = redactValue(e, ids) || found
		}
	case []any:
		for _, e := range x {
			found = redactValue(e, ids) || found
		}
	}
	return found
}
