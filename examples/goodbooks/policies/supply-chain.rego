# Supply-chain rules for goodbooks that the built-in gate keys cannot say.
# Enable them for an environment with
#
#   gates: { mode: block, block: medium, policies: [policies/] }
#
# See docs/policies.md in the sluice repository for the input document.
package goodbooks.supply_chain

# A critical or high advisory with a released fix blocks, whatever the
# environment's threshold: upgrading is the whole remedy, so there is no
# reason to ship the vulnerable version.
deny contains result if {
	some f in input.findings
	judged(f)
	f.category == "deps"
	f.severity in {"critical", "high"}
	f.fixed_version != ""
	result := {
		"msg": sprintf("%s %s has %s advisory %s, fixed in %s; upgrade %s to %s or later", [
			f.location.package, f.location.version, f.severity, f.rule_id,
			f.fixed_version, f.location.package, f.fixed_version,
		]),
		"fingerprints": [f.fingerprint],
	}
}

# Leaked credentials are only found when the secrets scanner runs; say so
# when it did not run, or did not finish.
warn contains msg if {
	not scanner_ran("secrets")
	msg := "the secrets scanner did not run on this commit, so leaked credentials would go unnoticed; add secrets to the security job's scan list"
}

# judged is true for the findings the gate judges: not suppressed, and not
# already accepted when the environment judges only new findings.
judged(f) if {
	not f.suppressed
	not pre_existing(f)
}

pre_existing(f) if {
	input.policy.new_only
	f.in_baseline
}

scanner_ran(name) if {
	some h in input.scanners
	h.scanner == name
	h.status == "ran"
}
