package main

// Fault injection for the delivery demo: builds made with
//
//	-ldflags "-X main.faultRate=0.3"      answer 30 % of GET /books with 500
//	-ldflags "-X main.faultDelay=300ms"   answer GET /books 300 ms late
//
// are the bad releases a canary must catch: a bug in the listing only, so
// the health check and the smoke checks (which create, read and delete one
// book) pass, and only the analysis of real traffic can tell.

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Set by the linker; empty in normal builds.
var faultRate, faultDelay string

// faults wraps next with the faults the build was made with.
func faults(next http.Handler) (http.Handler, error) {
	rate, delay := 0.0, time.Duration(0)
	var err error
	if faultRate != "" {
		if rate, err = strconv.ParseFloat(faultRate, 64); err != nil {
			return nil, err
		}
	}
	if faultDelay != "" {
		if delay, err = time.ParseDuration(faultDelay); err != nil {
			return nil, err
		}
	}
	if rate <= 0 && delay <= 0 {
		return next, nil
	}
	// Every request adds rate to a running total; a request that carries
	// the total over a whole number fails: exactly rate of them, spread
	// evenly, the same every run.
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/books" {
			next.ServeHTTP(w, r)
			return
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		k := n.Add(1)
		if rate > 0 && int64(float64(k)*rate) != int64(float64(k-1)*rate) {
			http.Error(w, `{"error":"injected fault"}`, http.StatusInternalServerError)
			return
		}
		next.ServeHTTP(w, r)
	}), nil
}
