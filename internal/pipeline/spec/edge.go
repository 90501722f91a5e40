package spec

// The edge protections of an environment: what the gateway checks before a
// request reaches the application. Each type mirrors one part of the
// gateway's configuration (package internal/gateway/edge, documented in
// docs/edge.md); the parser checks every value the gateway would refuse,
// so a mistake is reported with its line and column, not at deploy time.
// Zero values mean the gateway's default.

// WAF configures the web application firewall (Coraza with the OWASP Core
// Rule Set).
type WAF struct {
	// Mode is off, detect, monitor or enforce.
	Mode          string
	ParanoiaLevel int
	// AnomalyInbound is the request anomaly score that refuses
	// (anomaly_threshold); AnomalyOutbound the response score.
	AnomalyInbound  int
	AnomalyOutbound int
	// RemoveRules are CRS rule ids or inclusive ranges ("942100-942199")
	// turned off everywhere.
	RemoveRules []string
	// PathExclusions turn rules off under a path prefix only.
	PathExclusions []WAFExclusion
	// InspectRequestBody is nil when not written (the gateway inspects).
	InspectRequestBody  *bool
	RequestBodyLimit    int
	RequestBodyOversize string // inspect-prefix or reject
	InspectResponseBody bool
	ResponseBodyLimit   int
	ResponseMIMETypes   []string
	AllowedMethods      []string
}

// WAFExclusion turns rules off for request paths starting with PathPrefix.
type WAFExclusion struct {
	PathPrefix string
	RuleIDs    []string
}

// RateLimit limits the requests per client address in a sliding window.
type RateLimit struct {
	Mode   string
	Limit  int
	Window Duration // whole seconds
	// Routes hold separate limits under path prefixes.
	Routes           []RateRoute
	IPv6PrefixLength int
	MaxClients       int
}

// RateRoute is a rate limit for the paths under PathPrefix; zero Limit and
// Window take those of the RateLimit.
type RateRoute struct {
	PathPrefix string
	Limit      int
	Window     Duration
}

// Geo admits or refuses requests by the client's country.
type Geo struct {
	Mode string
	// Database is the MaxMind-format .mmdb file; a relative path is
	// relative to the project (the folder of sluice.yaml).
	Database string
	// List is allow or deny.
	List string
	// Countries are ISO 3166-1 alpha-2 codes, upper case.
	Countries []string
	// Unknown is allow or refuse; "" for the gateway's default.
	Unknown string
}

// Auth requires API keys, and optionally HMAC-signed requests, per route.
type Auth struct {
	Mode           string
	Routes         []AuthRoute
	NonceCacheSize int
}

// AuthRoute protects the paths under PathPrefix.
type AuthRoute struct {
	PathPrefix string
	// Header carries the key; "" for X-Api-Key.
	Header           string
	Keys             []APIKey
	RequireSignature bool
	// Window is the replay window of signatures.
	Window       Duration
	MaxBodyBytes int64
}

// APIKey is one accepted API key. The key itself is never written in
// sluice.yaml: only its SHA-256.
type APIKey struct {
	// ID names the key in logs.
	ID string
	// SHA256 is the lowercase hex SHA-256 of the key.
	SHA256 string
}

// OpenAPI validates requests against the application's OpenAPI document.
type OpenAPI struct {
	// Mode is off, detect, monitor or enforce (the default).
	Mode string
	// Spec is the document's path, relative to the project and inside it.
	Spec         string
	MaxBodyBytes int64
	// PathPrefixes limit validation to these prefixes; empty: every path.
	PathPrefixes []string
}
