// Package clean is the safe twin of the insecure corpus: the same jobs done
// without the weaknesses, on which gosec must report nothing.
package clean

import (
	"errors"
	"os"
)

// Password reads the credential from the environment.
func Password() (string, error) {
	p := os.Getenv("DB_PASSWORD")
	if p == "" {
		return "", errors.New("DB_PASSWORD is not set")
	}
	return p, nil
}
