module github.com/sluice-demo/goodbooks

go 1.22

toolchain go1.22.4

require (
	github.com/example/legacy v1.0.0
	github.com/google/uuid v1.6.0
	golang.org/x/crypto v0.17.0
	golang.org/x/text v0.3.8
)

require (
	github.com/sluice-demo/internal v0.0.0-00010101000000-000000000000
	golang.org/x/net v0.13.0 // indirect
	golang.org/x/sys v0.15.0 // indirect
)

require "gopkg.in/yaml.v3" v3.0.0-20200313102051-9f266ea9e77c // indirect

replace github.com/example/legacy v1.0.0 => github.com/gin-gonic/gin v1.9.1

replace github.com/sluice-demo/internal => ./internal

exclude golang.org/x/net v0.1.0
