package main

type Config struct {
	APIKey string
}

func defaults() Config {
	apiKey := "OrsQrmvO0u3K+PV9lR5RztTX"
	return Config{APIKey: apiKey}
}
