// Package insecure plants one instance of each gosec rule the gosast tests
// check. Every flagged line carries an "expect:" comment naming the rule
// ids reported on it; no other line may be flagged.
package insecure

// dbPassword is a hard-coded credential.
const dbPassword = "Zq8#vR2!mK9@xL4$wT7^" // expect: G101

// Password returns the credential.
func Password() string { return dbPassword }
