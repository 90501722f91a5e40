// Package books holds the goodbooks catalogue: an in-memory store and its
// JSON HTTP API.
package books

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is returned when no book has the requested id.
var ErrNotFound = errors.New("book not found")

// Book is one entry of the catalogue.
type Book struct {
	ID     int64  `json:"id"`
	Title  string `json:"title"`
	Author string `json:"author"`
	// Year of first publication; 0 when unknown, negative for BCE.
	Year int `json:"year,omitempty"`
}

// Input is what a client sends to add a book.
type Input struct {
	Title  string `json:"title"`
	Author string `json:"author"`
	Year   int    `json:"year,omitempty"`
}

// Limits for Input fields.
const (
	MaxTitleLen  = 200
	MaxAuthorLen = 120
	// MinYear is the earliest accepted publication year (BCE years are negative).
	MinYear = -3000
)

// ValidationError lists every problem of an Input at once.
type ValidationError struct {
	Problems []string
}

// Error joins the problems into one line.
func (e *ValidationError) Error() string {
	return "invalid book: " + strings.Join(e.Problems, "; ")
}

// Validate checks in and returns a *ValidationError naming each bad field,
// or nil. now bounds the year: a book can be announced for next year, not later.
func (in Input) Validate(now time.Time) error {
	var problems []string
	title, author := strings.TrimSpace(in.Title), strings.TrimSpace(in.Author)
	switch {
	case title == "":
		problems = append(problems, "title is required")
	case len(title) > MaxTitleLen:
		problems = append(problems, fmt.Sprintf("title is longer than %d bytes", MaxTitleLen))
	}
	switch {
	case author == "":
		problems = append(problems, "author is required")
	case len(author) > MaxAuthorLen:
		problems = append(problems, fmt.Sprintf("author is longer than %d bytes", MaxAuthorLen))
	}
	if maxYear := now.Year() + 1; in.Year != 0 && (in.Year < MinYear || in.Year > maxYear) {
		problems = append(problems, fmt.Sprintf("year must be between %d and %d (or left out)", MinYear, maxYear))
	}
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

// Store is an in-memory, concurrency-safe catalogue. The zero value is not
// usable; call NewStore.
type Store struct {
	mu     sync.RWMutex
	books  map[int64]Book
	nextID int64
}

// NewStore returns a store holding the given books, which get ids 1, 2, ...
// in order (any ID they carry is ignored).
func NewStore(seed ...Input) *Store {
	s := &Store{books: make(map[int64]Book, len(seed)), nextID: 1}
	for _, in := range seed {
		s.add(in)
	}
	return s
}

// Seed is the catalogue the server starts with.
func Seed() []Input {
	return []Input{
		{Title: "The Left Hand of Darkness", Author: "Ursula K. Le Guin", Year: 1969},
		{Title: "Things Fall Apart", Author: "Chinua Achebe", Year: 1958},
		{Title: "The Master and Margarita", Author: "Mikhail Bulgakov", Year: 1967},
		{Title: "Beloved", Author: "Toni Morrison", Year: 1987},
	}
}

// List returns every book, ordered by id.
func (s *Store) List() []Book {
	s.mu.RLock()
	out := make([]Book, 0, len(s.books))
	for _, b := range s.books {
		out = append(out, b)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Book) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Get returns the book with the given id, or ErrNotFound.
func (s *Store) Get(id int64) (Book, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.books[id]
	if !ok {
		return Book{}, fmt.Errorf("get book %d: %w", id, ErrNotFound)
	}
	return b, nil
}

// Create adds a book and returns it with its new id. The caller validates in
// first; Create only trims surrounding spaces.
func (s *Store) Create(in Input) Book {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(in)
}

// add stores in under the next id; the caller holds the write lock or owns s.
func (s *Store) add(in Input) Book {
	b := Book{
		ID:     s.nextID,
		Title:  strings.TrimSpace(in.Title),
		Author: strings.TrimSpace(in.Author),
		Year:   in.Year,
	}
	s.books[b.ID] = b
	s.nextID++
	return b
}

// Delete removes the book with the given id, or returns ErrNotFound.
// Ids are never reused.
func (s *Store) Delete(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.books[id]; !ok {
		return fmt.Errorf("delete book %d: %w", id, ErrNotFound)
	}
	delete(s.books, id)
	return nil
}
