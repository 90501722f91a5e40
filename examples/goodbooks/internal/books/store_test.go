package books

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   Input
		want []string // nil: valid
	}{
		{"valid", Input{Title: "Dune", Author: "Frank Herbert", Year: 1965}, nil},
		{"year unknown", Input{Title: "Beowulf", Author: "Anonymous"}, nil},
		{"bce year", Input{Title: "Odyssey", Author: "Homer", Year: -700}, nil},
		{"next year", Input{Title: "Soon", Author: "A. Writer", Year: 2027}, nil},
		{"missing both", Input{Year: 2000}, []string{"title is required", "author is required"}},
		{"blank title", Input{Title: "  ", Author: "X"}, []string{"title is required"}},
		{"long title", Input{Title: strings.Repeat("t", MaxTitleLen+1), Author: "X"}, []string{"title is longer than 200 bytes"}},
		{"long author", Input{Title: "T", Author: strings.Repeat("a", MaxAuthorLen+1)}, []string{"author is longer than 120 bytes"}},
		{"future year", Input{Title: "T", Author: "A", Year: 2028}, []string{"year must be between -3000 and 2027 (or left out)"}},
		{"ancient year", Input{Title: "T", Author: "A", Year: -3001}, []string{"year must be between -3000 and 2027 (or left out)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate(now)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v, want *ValidationError", err)
			}
			if !reflect.DeepEqual(ve.Problems, tt.want) {
				t.Errorf("problems = %q, want %q", ve.Problems, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "invalid book: "+tt.want[0]) {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestStoreCRUD(t *testing.T) {
	s := NewStore(Seed()...)
	list := s.List()
	if len(list) != len(Seed()) {
		t.Fatalf("List() has %d books, want %d", len(list), len(Seed()))
	}
	for i, b := range list {
		if b.ID != int64(i+1) {
			t.Errorf("List()[%d].ID = %d, want %d", i, b.ID, i+1)
		}
	}

	b := s.Create(Input{Title: "  Kindred ", Author: "Octavia E. Butler ", Year: 1979})
	want := Book{ID: 5, Title: "Kindred", Author: "Octavia E. Butler", Year: 1979}
	if b != want {
		t.Fatalf("Create() = %+v, want %+v", b, want)
	}
	got, err := s.Get(5)
	if err != nil || got != want {
		t.Fatalf("Get(5) = %+v, %v; want %+v", got, err, want)
	}
	if err := s.Delete(5); err != nil {
		t.Fatalf("Delete(5) = %v", err)
	}
	if _, err := s.Get(5); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	if err := s.Delete(5); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	if b := s.Create(Input{Title: "T", Author: "A"}); b.ID != 6 {
		t.Errorf("id after delete = %d, want 6 (ids are never reused)", b.ID)
	}
}

// TestStoreConcurrent is meant for -race: writers and readers at once.
func TestStoreConcurrent(t *testing.T) {
	s := NewStore()
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				b := s.Create(Input{Title: "T", Author: "A"})
				if _, err := s.Get(b.ID); err != nil {
					t.Errorf("Get(%d) = %v", b.ID, err)
				}
				_ = s.List()
				if b.ID%2 == 0 {
					if err := s.Delete(b.ID); err != nil {
						t.Errorf("Delete(%d) = %v", b.ID, err)
					}
				}
			}
		})
	}
	wg.Wait()
	if got, want := len(s.List()), workers*each/2; got != want {
		t.Errorf("%d books left, want %d", got, want)
	}
}
