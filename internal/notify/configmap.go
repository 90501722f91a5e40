package notify

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// section reads one map of a configuration, remembering which keys it
// used and collecting errors that name the key's full path.
type section struct {
	path string
	m    map[string]any
	used map[string]bool
	errs *[]error
}

func newSection(path string, m map[string]any, errs *[]error) *section {
	return &section{path: path, m: m, used: map[string]bool{}, errs: errs}
}

func (s *section) key(k string) string {
	if s.path == "" {
		return k
	}
	return s.path + "." + k
}

func (s *section) fail(k, format string, a ...any) {
	*s.errs = append(*s.errs, fmt.Errorf("%s: "+format, append([]any{s.key(k)}, a...)...))
}

func (s *section) get(k string) (any, bool) {
	s.used[k] = true
	v, ok := s.m[k]
	return v, ok && v != nil
}

func (s *section) has(k string) bool { _, ok := s.get(k); return ok }

func (s *section) str(k string) string {
	v, ok := s.get(k)
	if !ok {
		return ""
	}
	str, isStr := v.(string)
	if !isStr {
		s.fail(k, "want a string, got %T", v)
	}
	return str
}

func (s *section) strs(k string) []string {
	v, ok := s.get(k)
	if !ok {
		return nil
	}
	switch v := v.(type) {
	case string:
		return []string{v}
	case []string:
		return slices.Clone(v)
	case []any:
		out := make([]string, 0, len(v))
		for i, e := range v {
			str, ok := e.(string)
			if !ok {
				s.fail(fmt.Sprintf("%s[%d]", k, i), "want a string, got %T", e)
				continue
			}
			out = append(out, str)
		}
		return out
	}
	s.fail(k, "want a list of strings, got %T", v)
	return nil
}

func (s *section) integer(k string) int {
	v, ok := s.get(k)
	if !ok {
		return 0
	}
	var f float64
	switch n := v.(type) {
	case int:
		return n
	case int64:
		f = float64(n)
	case uint64:
		f = float64(n)
	case float64:
		f = n
	default:
		s.fail(k, "want an integer, got %T", v)
		return 0
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		s.fail(k, "want an integer, got %v", v)
		return 0
	}
	return int(f)
}

func (s *section) number(k string) float64 {
	v, ok := s.get(k)
	if !ok {
		return 0
	}
	switch n := v.(type) {
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case uint64:
		return float64(n)
	case float64:
		return n
	}
	s.fail(k, "want a number, got %T", v)
	return 0
}

func (s *section) boolean(k string) bool {
	v, ok := s.get(k)
	if !ok {
		return false
	}
	b, isBool := v.(bool)
	if !isBool {
		s.fail(k, "want true or false, got %T", v)
	}
	return b
}

// duration reads a Go duration string such as "1.5s" or "2m".
func (s *section) duration(k string) time.Duration {
	v, ok := s.get(k)
	if !ok {
		return 0
	}
	str, isStr := v.(string)
	if !isStr {
		s.fail(k, `want a duration such as "30s", got %T`, v)
		return 0
	}
	d, err := time.ParseDuration(str)
	if err != nil || d < 0 {
		s.fail(k, `want a duration such as "30s", got %q`, str)
		return 0
	}
	return d
}

func (s *section) sub(k string) *section {
	v, ok := s.get(k)
	if !ok {
		return nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		s.fail(k, "want a map, got %T", v)
		return nil
	}
	return newSection(s.key(k), m, s.errs)
}

// done reports the keys nobody asked for, which are most often typos.
func (s *section) done() {
	var extra []string
	for k := range s.m {
		if !s.used[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	for _, k := range extra {
		s.fail(k, "unknown key (known: %s)", strings.Join(slices.Sorted(maps.Keys(s.used)), ", "))
	}
}
