package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/spf13/cobra"
)

// credentials are what sluice login keeps: the control plane and the key.
type credentials struct {
	Server string `json:"server"`
	Key    string `json:"key"`
}

func credentialsFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "sluice", "credentials.json"), nil
}

func loadCredentials() (*credentials, error) {
	if url, key := os.Getenv("SLUICE_SERVER"), os.Getenv("SLUICE_API_KEY"); url != "" && key != "" {
		return &credentials{Server: url, Key: key}, nil
	}
	path, err := credentialsFile()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, usageErr("not logged in: run 'sluice login URL' (or set SLUICE_SERVER and SLUICE_API_KEY)")
	}
	if err != nil {
		return nil, err
	}
	var c credentials
	if err := json.Unmarshal(data, &c); err != nil || c.Server == "" || c.Key == "" {
		return nil, usageErr("%s is damaged: run 'sluice login URL' again", path)
	}
	return &c, nil
}

var apiClient = &http.Client{Timeout: 60 * time.Second}

// call sends one API request with the saved key, signed when sign is set
// (the key itself then never travels).
func (c *credentials) call(method, path string, body []byte, sign bool) (*http.Response, []byte, error) {
	req, err := http.NewRequest(method, strings.TrimRight(c.Server, "/")+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	if sign {
		if err := auth.Sign(req, body, c.Key, time.Now()); err != nil {
			return nil, nil, err
		}
	} else {
		req.Header.Set("Authorization", "Bearer "+c.Key)
	}
	res, err := apiClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	return res, out, err
}

func newLoginCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "login URL",
		Short: "Save a control plane's address and your API key for sluice api",
		Long: `Read an API key from standard input (never the command line), check it
against the control plane at URL, and save both in your user configuration
folder (sluice/credentials.json, mode 0600). SLUICE_SERVER and
SLUICE_API_KEY, when both set, take precedence.`,
		Example: `  sluice keys create --grant developer --name me | sluice login http://127.0.0.1:8080
  sluice api /api/v1/runs`,
		Args: argsBetween(1, 1, "the control plane's URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			url := strings.TrimRight(args[0], "/")
			if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
				return usageErr("URL %q: want http:// or https://", args[0])
			}
			raw, err := io.ReadAll(io.LimitReader(g.s.in, 4096))
			if err != nil {
				return err
			}
			key := strings.TrimSpace(string(raw))
			if _, _, err := auth.ParseKey(key); err != nil {
				return usageErr("give the API key (slk_…) on standard input")
			}
			c := &credentials{Server: url, Key: key}
			res, body, err := c.call("GET", "/api/v1/runs?limit=1", nil, false)
			if err != nil {
				return &exitError{code: ExitFailed, err: fmt.Errorf("reach %s: %w", url, err)}
			}
			if res.StatusCode != http.StatusOK {
				return &exitError{code: ExitFailed, err: fmt.Errorf("%s refused the key: %s %s", url, res.Status, strings.TrimSpace(string(body)))}
			}
			path, err := credentialsFile()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return err
			}
			data, _ := json.MarshalIndent(c, "", "  ")
			if err := os.WriteFile(path, append(data, '\n'), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(g.s.out, "logged in to %s (key %s); saved in %s\n", url, strings.SplitN(key, "_", 3)[1], path)
			return nil
		},
	}
}

func newAPICmd(g *globals) *cobra.Command {
	var (
		data string
		sign bool
	)
	cmd := &cobra.Command{
		Use:   "api [METHOD] PATH [--data JSON|@FILE] [--sign]",
		Short: "Call the control plane's API with your saved key",
		Long: `Send one request to the control plane you logged in to and print the answer.
With --sign the request is signed with the key (HMAC over method, path,
time, nonce and body) instead of carrying it. Exit status 1 for an answer
other than 2xx.`,
		Example: `  sluice api /api/v1/runs
  sluice api POST /api/v1/runs/12/approvals/production --data '{"verdict":"approve","comment":"ok"}'
  sluice api /api/v1/audit/verify --sign`,
		Args: argsBetween(1, 2, "[METHOD] PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			method, path := "GET", args[0]
			if len(args) == 2 {
				method, path = strings.ToUpper(args[0]), args[1]
			}
			if !strings.HasPrefix(path, "/") {
				return usageErr("PATH %q: want a path like /api/v1/runs", path)
			}
			var body []byte
			if after, ok := strings.CutPrefix(data, "@"); ok {
				b, err := os.ReadFile(after)
				if err != nil {
					return usageErr("--data %s: %v", data, err)
				}
				body = b
			} else if data != "" {
				body = []byte(data)
			}
			c, err := loadCredentials()
			if err != nil {
				return err
			}
			res, out, err := c.call(method, path, body, sign)
			if err != nil {
				return &exitError{code: ExitFailed, err: err}
			}
			g.s.out.Write(out)
			if len(out) > 0 && out[len(out)-1] != '\n' {
				fmt.Fprintln(g.s.out)
			}
			if res.StatusCode/100 != 2 {
				fmt.Fprintf(g.s.err, "sluice: %s %s: %s\n", method, path, res.Status)
				return failed()
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "request body: JSON, or @FILE")
	cmd.Flags().BoolVar(&sign, "sign", false, "sign the request instead of sending the key")
	return cmd
}
