package gateway

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
)

// ReadEvents reads the security event log at path: its rotated files
// first, oldest first (path.N … path.1), then the log itself, so events
// come oldest first. Every event match accepts (nil accepts all) is handed
// to emit; ReadEvents returns how many were. A missing file is no events;
// a line that is not an event (a torn last line after a crash) is skipped.
// An error of emit stops the reading and is returned.
func ReadEvents(path string, match func(*SecurityEvent) bool, emit func(SecurityEvent) error) (int, error) {
	var files []string
	for i := DefaultEventLogKeep; i >= 1; i-- {
		files = append(files, path+"."+strconv.Itoa(i))
	}
	files = append(files, path)
	n := 0
	for _, name := range files {
		fh, err := os.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("security event log: %w", err)
		}
		_, err = ScanEvents(fh, match, func(ev SecurityEvent) error { n++; return emit(ev) })
		fh.Close()
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ScanEvents reads the complete lines of r as security events and hands
// those match accepts (nil accepts all) to emit. It returns how many bytes
// of complete lines it consumed, so a follower can go on from there once
// the writer finished a torn last line.
func ScanEvents(r io.Reader, match func(*SecurityEvent) bool, emit func(SecurityEvent) error) (int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var used int64
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			used += int64(len(line))
			var ev SecurityEvent
			if json.Unmarshal(line, &ev) == nil && (match == nil || match(&ev)) {
				if err := emit(ev); err != nil {
					return used, err
				}
			}
		}
		if err == io.EOF {
			return used, nil
		}
		if err != nil {
			return used, fmt.Errorf("security event log: %w", err)
		}
	}
}
