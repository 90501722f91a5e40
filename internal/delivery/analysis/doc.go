// Package analysis measures a release's traffic and judges it against the
// conditions of a pipeline's canary analysis or post-promotion monitor.
//
// The pieces, from data to decision:
//
//   - Metrics is one measurement of a release over a window: request and
//     error counts, success and error rates, latency percentiles, requests
//     per second and, where the source has them, raw latency samples.
//     FromStats computes one from two cumulative gateway snapshots.
//   - A Provider measures Metrics for a Query (environment, release,
//     version, time window): Gateway reads the gateway's own counters,
//     Prometheus runs PromQL against a Prometheus server. Webhook is a
//     Checker instead: an external service that judges by itself.
//   - ParseConditions turns the pipeline's map (success_rate: ">= 99%",
//     p99: "<= 500ms", min_requests: "100") into Conditions; Judge and
//     JudgeRollback turn Metrics and Conditions into a Result with one of
//     four Outcomes: Successful, Failed, Inconclusive, Error.
//   - Analysis accumulates the Results of repeated measurements and,
//     with Limits like Argo Rollouts' failure, consecutive-error and
//     inconclusive limits, gives a Verdict: Continue, Pass, Fail or Pause.
//   - MannWhitneyU and CompareLatency compare the latency samples of a
//     candidate and its stable release, the way Kayenta judges canaries.
//
// Inconclusive means "not enough information to decide" (too few
// requests, no data); with the default limits it pauses the rollout for a
// human instead of promoting or rolling back on a guess.
package analysis
