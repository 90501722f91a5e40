package ui

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/sluice-ci/sluice/internal/engine"
)

// jsonLines writes each event as one JSON object on its own line, and
// nothing else, so tools can read the stream.
type jsonLines struct {
	mu  sync.Mutex
	enc *json.Encoder
	err error
}

func newJSON(w io.Writer) *jsonLines {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonLines{enc: enc}
}

// Handle writes ev as a JSON line.
func (j *jsonLines) Handle(ev engine.Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return
	}
	if err := j.enc.Encode(ev); err != nil {
		j.err = fmt.Errorf("write %s event: %w", ev.Type, err)
	}
}

// Close returns the first write error; it writes nothing.
func (j *jsonLines) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}
