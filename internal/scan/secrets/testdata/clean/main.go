package main

import "os"

type Config struct {
	APIKey string `json:"api_key"`
}

func defaults() Config {
	apiKey := os.Getenv("API_KEY")
	tokenizer := "whitespace"
	_ = tokenizer
	return Config{APIKey: apiKey}
}
