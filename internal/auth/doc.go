// Package auth holds the authentication and authorisation primitives of
// sluice's control plane API: API keys, roles and scoped grants, HMAC
// request signing with replay protection, and a brute-force limiter.
//
// The package is pure: it never touches the store, the network or the
// clock on its own. Callers pass the current time, the stored hash or
// sealed signing key, and the request. The HTTP server, the key tables and
// the CLI live elsewhere and build on these pieces.
//
// # API keys
//
// A key reads slk_<id>_<secret>. The id (12 characters of lowercase base32)
// is not secret: it names the key in the store, in audit records and in
// logs. The secret is 32 random bytes written as 43 base62 characters. The
// store keeps only HashSecret(secret), "sha256:" followed by the hex
// SHA-256 of the secret's characters.
//
// A plain SHA-256 is the right hash here, not bcrypt, scrypt or argon2.
// Those are slow on purpose so that guessing a low-entropy password costs
// the attacker time per guess. A 256-bit random secret cannot be guessed at
// any speed: even a leaked hash table gives nothing a brute force can use,
// so a slow hash only adds latency and CPU to every API request (and a lever
// for denial of service) without adding security.
//
// # Passwords
//
// A person's password is not a random secret, so it gets the slow hash a
// key's secret does not: argon2id with a random salt per user, its
// parameters stored in the hash as a PHC string (HashPassword,
// CheckPassword). A login checks the password and hands out a
// short-lived key; every request after that authenticates with the key.
//
// # Request signing
//
// Signed requests never send the secret. The client derives a signing key
// from its secret with HKDF-SHA-256 (DeriveSigningKey), names its key by id
// in "Authorization: Sluice-HMAC <id>", and signs method, path, query,
// timestamp, nonce and body hash. Someone who captures a signed request, in
// a proxy log say, can neither replay it (timestamp window and nonce) nor
// reuse anything in it to authenticate.
//
// The server must hold the signing key to verify, and it cannot recompute
// it from the lookup hash: the two are independent functions of the secret.
// It derives the signing key once, when it creates the key and still has
// the secret, and stores it sealed with AES-256-GCM under a server master
// key that is not in the database (SealSigningKey, OpenSigningKey). A
// database leak alone therefore neither authenticates (the lookup hash is
// one-way) nor forges signatures (the signing key is encrypted). An attacker
// holding both the database and the master key can forge signed requests
// for keys that have signing enabled; rotate the master key and those keys
// if that happens.
package auth
