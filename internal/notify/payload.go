package notify

import (
	"encoding/json"
	"time"
)

// PayloadSchema is the version of the webhook JSON document, sent as its
// "schema" member. It changes only when a member is removed or changes
// meaning; new members may be added without a change.
const PayloadSchema = 1

// Payload is the JSON document the [Webhook] sender posts. Every member is
// always present (empty strings and an empty fields object included), so
// receivers can rely on the shape.
type Payload struct {
	Schema  int               `json:"schema"`
	ID      string            `json:"id"`
	Kind    string            `json:"kind"`
	Time    string            `json:"time"` // RFC 3339, UTC
	Project string            `json:"project"`
	Env     string            `json:"env"`
	Run     string            `json:"run"`
	Release string            `json:"release"`
	Version string            `json:"version"`
	Actor   string            `json:"actor"`
	Title   string            `json:"title"` // the event's Headline
	Text    string            `json:"text"`
	URL     string            `json:"url"`
	Fields  map[string]string `json:"fields"`
}

// NewPayload builds the webhook document for e.
func NewPayload(e Event) Payload {
	fields := e.Fields
	if fields == nil {
		fields = map[string]string{}
	}
	return Payload{
		Schema: PayloadSchema, ID: e.ID, Kind: e.Kind,
		Time:    e.Time.UTC().Format(time.RFC3339Nano),
		Project: e.Project, Env: e.Env, Run: e.Run, Release: e.Release,
		Version: e.Version, Actor: e.Actor, Title: e.Headline(), Text: e.Text,
		URL: e.URL, Fields: fields,
	}
}

// Event converts a received payload back into an Event; the time is zero
// when it does not parse.
func (p Payload) Event() Event {
	t, _ := time.Parse(time.RFC3339Nano, p.Time)
	return Event{ID: p.ID, Kind: p.Kind, Time: t, Project: p.Project, Env: p.Env,
		Run: p.Run, Release: p.Release, Version: p.Version, Actor: p.Actor,
		Title: p.Title, Text: p.Text, URL: p.URL, Fields: p.Fields}
}

func marshalPayload(e Event) ([]byte, error) { return json.Marshal(NewPayload(e)) }
