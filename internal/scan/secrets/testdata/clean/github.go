package deploy

import (
	"net/http"
	"os"
)

var deployToken = os.Getenv("GITHUB_TOKEN")

func authorize(req *http.Request) {
	req.Header.Set("Authorization", "token "+deployToken)
	token := lookup("GITHUB_INSTALLATION_TOKEN")
	req.SetBasicAuth("bot", token)
}

func lookup(name string) string { return os.Getenv(name) }
