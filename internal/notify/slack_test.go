package notify

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// slackMsg is the shape of an incoming-webhook message, as far as the
// tests read it.
type slackMsg struct {
	Text   string `json:"text"`
	Blocks []struct {
		Type     string                        `json:"type"`
		Text     *struct{ Type, Text string }  `json:"text"`
		Fields   []struct{ Type, Text string } `json:"fields"`
		Elements []struct {
			Type string `json:"type"`
			Text any    `json:"text"`
			URL  string `json:"url"`
		} `json:"elements"`
	} `json:"blocks"`
}

func TestSlackPayload(t *testing.T) {
	var got []byte
	var ctype string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		ctype = r.Header.Get("Content-Type")
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	s, err := NewSlack(SlackConfig{Name: "chat", URL: NewSecret(srv.URL + "/services/T/B/X")})
	if err != nil {
		t.Fatal(err)
	}
	ev := testEvent()
	ev.Title = "Deploy <shop> & co"
	ev.Text = "ping <!channel> and <@U123>; see <https://evil.example|here> & <>"
	ev.Fields = map[string]string{"gate": "a<b>c&d"}
	if err := s.Send(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if ctype != "application/json" {
		t.Errorf("Content-Type %q", ctype)
	}
	var m slackMsg
	if err := json.Unmarshal(got, &m); err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	if m.Text != "Deploy &lt;shop&gt; &amp; co" {
		t.Errorf("fallback text %q", m.Text)
	}
	var types []string
	for _, b := range m.Blocks {
		types = append(types, b.Type)
	}
	if strings.Join(types, ",") != "header,section,section,context,actions" {
		t.Fatalf("block types %v", types)
	}
	if h := m.Blocks[0].Text; h.Type != "plain_text" || h.Text != "Deploy <shop> & co" {
		t.Errorf("header %+v", h)
	}
	if txt := m.Blocks[1].Text.Text; txt != "ping &lt;!channel&gt; and &lt;@U123&gt;; see &lt;https://evil.example|here&gt; &amp; &lt;&gt;" {
		t.Errorf("section text not escaped: %q", txt)
	}
	fields := map[string]bool{}
	for _, f := range m.Blocks[2].Fields {
		if f.Type != "mrkdwn" {
			t.Errorf("field type %q", f.Type)
		}
		fields[f.Text] = true
	}
	for _, want := range []string{"*Project*\nshop", "*Environment*\nprod", "*Version*\nv1.4.2", "*gate*\na&lt;b&gt;c&amp;d"} {
		if !fields[want] {
			t.Errorf("no field %q in %v", want, fields)
		}
	}
	btn := m.Blocks[4].Elements[0]
	if btn.Type != "button" || btn.URL != ev.URL {
		t.Errorf("button %+v", btn)
	}
	for _, raw := range []string{"<!channel>", "<@U123>", "<https://evil"} {
		if strings.Contains(string(got), raw) {
			t.Errorf("payload carries %q unescaped", raw)
		}
	}
}

func TestSlackLimitsAndNoButton(t *testing.T) {
	ev := Event{ID: "e", Kind: KindScanNewCritical, Title: strings.Repeat("T", 400),
		Text: strings.Repeat("&", 5000), URL: "javascript:alert(1)", Fields: map[string]string{}}
	for i := range 25 {
		ev.Fields[string(rune('a'+i))] = "v"
	}
	b, _ := json.Marshal(SlackMessage(ev))
	var m slackMsg
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(m.Blocks[0].Text.Text); n > 150 {
		t.Errorf("header has %d runes, Slack allows 150", n)
	}
	txt := m.Blocks[1].Text.Text
	if n := utf8.RuneCountInString(txt); n > 3000 || !strings.HasSuffix(txt, "&amp;…") {
		t.Errorf("section text has %d runes and ends %q; want <= 3000 ending in a whole entity", n, txt[len(txt)-12:])
	}
	sections := 0
	for _, bl := range m.Blocks {
		if len(bl.Fields) > 10 {
			t.Errorf("section with %d fields, Slack allows 10", len(bl.Fields))
		}
		if len(bl.Fields) > 0 {
			sections++
		}
		if bl.Type == "actions" {
			t.Error("button for a non-http URL")
		}
	}
	if sections != 3 {
		t.Errorf("25 fields in %d sections, want 3", sections)
	}
}

func TestSlackErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/gone") {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte("no_service"))
			return
		}
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	gone, _ := NewSlack(SlackConfig{Name: "s", URL: NewSecret(srv.URL + "/gone")})
	err := gone.Send(t.Context(), testEvent())
	if !IsPermanent(err) || !strings.Contains(err.Error(), "no_service") {
		t.Errorf("404: err = %v, want permanent with Slack's reason", err)
	}
	if strings.Contains(err.Error(), "/gone") {
		t.Errorf("error shows the webhook URL: %v", err)
	}
	busy, _ := NewSlack(SlackConfig{Name: "s", URL: NewSecret(srv.URL + "/busy")})
	if err := busy.Send(t.Context(), testEvent()); err == nil || IsPermanent(err) {
		t.Errorf("429: err = %v, want retryable", err)
	}
	if _, err := NewSlack(SlackConfig{Name: "s", URL: NewSecret("ftp://x/y")}); err == nil {
		t.Error("NewSlack accepted an ftp URL")
	}
}
