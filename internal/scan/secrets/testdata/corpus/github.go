package deploy

import "net/http"

const deployToken = "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"

func authorize(req *http.Request) {
	req.Header.Set("Authorization", "token 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")
	req.SetBasicAuth("bot", "ghs_ydlWayVaMPU4PFXeSLcC4UZjmFiRK318lEYA") // installation token
}
