package models

import (
	"bytes"
	"encoding/json"
)

// redactEvents takes a purged issue's title and description, and its
// comments' bodies, out of every event of the project that carries them,
// and marks those events `redacted: true`; the events stay (seq, type,
// actor, time, ids). It reads the events linked to the issue (issue.*,
// comment.*) and any other event whose payload names it, so an event that
// embeds the issue without being linked is redacted as well.
func (c *change) redactEvents(issueID string) error {
	var rows []struct {
		Seq     int64
		Payload string
	}
	if err := c.tx.Raw(`SELECT seq, payload FROM events WHERE project_id = ? AND (issue_id = ? OR payload LIKE ?)`,
		c.project.ID, issueID, `%"`+issueID+`"%`).Scan(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		payload, changed, err := redactPayload(r.Payload, issueID)
		if err != nil {
			return err
		}
		if !changed {
			continue
		}
		if err := c.tx.Exec(`UPDATE events SET payload = ? WHERE project_id = ? AND seq = ?`,
			payload, c.project.ID, r.Seq).Error; err != nil {
			return err
		}
	}
	return nil
}

// redactPayload blanks, anywhere in an event's JSON, the title and
// description of the object whose id is issueID and the body of every
// object whose issue_id is issueID, and sets redacted: true at the top. It
// reports whether the payload was about the issue at all.
func redactPayload(payload, issueID string) (string, bool, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(payload)))
	dec.UseNumber() // numbers stay as written
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", false, err
	}
	if !redactValue(v, issueID) {
		return payload, false, nil
	}
	if top, ok := v.(map[string]any); ok {
		top["redacted"] = true
	}
	b, err := json.Marshal(v)
	return string(b), true, err
}

func redactValue(v any, issueID string) bool {
	found := false
	switch x := v.(type) {
	case map[string]any:
		if x["id"] == issueID {
			for _, k := range []string{"title", "description"} {
				if _, ok := x[k]; ok {
					x[k] = ""
					found = true
				}
			}
		}
		if x["issue_id"] == issueID {
			found = true
			if _, ok := x["body"]; ok {
				x["body"] = ""
			}
		}
		for _, e := range x {
			found = redactValue(e, issueID) || found
		}
	case []any:
		for _, e := range x {
			found = redactValue(e, issueID) || found
		}
	}
	return found
}
